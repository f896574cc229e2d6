"""Fixtures of the open-data tests: a clean data store per test, the topics, and the officials (余江区民政局's
data administrator, 贵溪市民政局's, the big-data centre's reviewer)."""

import pytest

from dgov.aggregation.testing import datastore, datastore_session  # noqa: F401
from dgov.catalog.testing import GUIXI_CIVIL_AFFAIRS, YUJIANG_CIVIL_AFFAIRS, make_editor, make_reviewer
from dgov.opendata.reference import load_topics


@pytest.fixture(autouse=True)
def _store(datastore, db):  # noqa: F811
    load_topics()
    return datastore


@pytest.fixture
def editor(db):
    return make_editor(YUJIANG_CIVIL_AFFAIRS, "od_yj_data")


@pytest.fixture
def outsider(db):
    return make_editor(GUIXI_CIVIL_AFFAIRS, "od_gx_data")


@pytest.fixture
def reviewer(db):
    return make_reviewer("od_centre")


@pytest.fixture
def conditional(db):
    """A published 有条件开放 dataset of 余江区民政局 with three rows."""
    from dgov.opendata.testing import make_open_entry, make_published

    return make_published(make_open_entry(name="困难群众救助名单", open_type="conditional", rows=3))


@pytest.fixture
def citizen(db):
    from dgov.accounts.testing import make_user

    return make_user("od_citizen", kind="citizen")


@pytest.fixture
def official(db):
    """An official without any open-data permission."""
    from dgov.accounts.testing import make_user

    return make_user("od_plain", department_code="360603909", roles=[("staff", "all", None)])
