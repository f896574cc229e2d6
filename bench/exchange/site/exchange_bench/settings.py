"""The benchmark server's settings: dgov's own (`dgov.settings.base`, the same environment
variables) with one difference, the URL conf, which adds the baseline view in front of dgov's URLs.
So the gateway runs in the same server, processes, middleware and databases as in production, and
dgov's code carries no benchmark-only route for it."""

from dgov.settings.base import *  # noqa: F403

ROOT_URLCONF = "exchange_bench.urls"
