"""Project-wide test fixtures. Reference data (regions, departments, built-in roles, calendar) is
loaded once into the test database; every test runs in a transaction that is rolled back."""

import pytest
from django.core.management import call_command


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("init", no_static=True, verbosity=0)


@pytest.fixture
def world(db):
    from dgov.accounts.testing import make_world

    return make_world()


@pytest.fixture(autouse=True)
def _fresh_process_state(settings):
    """Each test starts without a recorded audit head (as its database starts without its entries)
    and with empty per-process caches (its database rows may reuse an earlier test's ids)."""
    from dgov.core.cache import ProcessCache

    settings.DGOV_AUDIT_HEAD_FILE.unlink(missing_ok=True)
    ProcessCache.clear_all()
