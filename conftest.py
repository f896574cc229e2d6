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


def _transactional(item) -> bool:
    fixtures = getattr(item, "fixturenames", ())
    if "transactional_db" in fixtures or "live_server" in fixtures:
        return True
    marker = item.get_closest_marker("django_db")
    return bool(marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """A transactional test (live server, real commits) empties every table when it ends, even when it
    was skipped: put the session's reference data back for the tests that follow (after the session's
    last test the database is gone: nothing to do)."""
    yield
    if nextitem is not None and _transactional(item):
        from pytest_django.plugin import blocking_manager_key

        with item.config.stash[blocking_manager_key].unblock():
            call_command("init", no_static=True, verbosity=0)

