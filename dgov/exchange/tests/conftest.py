import pytest

from dgov.aggregation.testing import datastore, datastore_session  # noqa: F401


@pytest.fixture(autouse=True)
def _fresh_exchange_head(settings):
    """Each test starts without a recorded exchange-log head, as its database starts without entries."""
    from dgov.exchange.chain import head_file

    head_file().unlink(missing_ok=True)
    yield
    head_file().unlink(missing_ok=True)
