"""Test settings: the same as production except a cheaper Argon2 cost and plain static storage."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("DGOV_DATA_DIR", os.path.join(os.getcwd(), "var", "test"))

from dgov.settings.base import *  # noqa: E402,F403

# Many logins come from one test client address; throttling itself is tested with explicit rates.
NINJA_DEFAULT_THROTTLE_RATES = {"login": "100000/min"}
# Per test process; conftest.py removes it before every test (the test database starts afresh too).
DGOV_AUDIT_HEAD_FILE = Path(tempfile.mkdtemp(prefix="dgov-test-audit-")) / "audit-head.json"

DGOV_CACHE_DIR = DGOV_AUDIT_HEAD_FILE.parent / "cache"
# The data store too, one per test process (dgov.aggregation.testing swaps in PostgreSQL on PostgreSQL).
DGOV_DATASTORE_URL = f"sqlite:///{DGOV_AUDIT_HEAD_FILE.parent / 'datastore.sqlite3'}"

# Tests that need no database may run before the test database (and `dgov init`) exists.
DGOV_MASTER_KEY_AUTOCREATE = True
PASSWORD_HASHERS = ["dgov.accounts.hashers.TestArgon2PasswordHasher"]
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405  (whitenoise expects it to exist)
