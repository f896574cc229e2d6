"""The benchmark server's settings: dgov's own (`dgov.settings.base`, the same environment variables) with one
difference, the URL conf, which adds the baseline view in front of dgov's URLs."""

from dgov.settings.base import *  # noqa: F403

ROOT_URLCONF = "opendata_bench.urls"
