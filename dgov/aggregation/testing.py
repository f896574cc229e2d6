"""Test helpers for aggregation and the apps that read the data store (sharing, exchange).

`datastore` is a pytest fixture: a data store of the test's own, emptied after the test (the Django
test database rolls back; the data store, a separate database, does not). On SQLite it is a file in
the test process's temporary directory (`dgov.settings.test`); when `DGOV_DATABASE_URL` is
PostgreSQL it is a PostgreSQL database per xdist worker, created for the session and dropped at its
end. Use it from another app's `conftest.py`:

    from dgov.aggregation.testing import datastore, datastore_session  # noqa: F401

`make_dataset` builds a published entry with a dataset through the services.
"""

import os
from urllib.parse import urlsplit, urlunsplit

import pytest
import sqlalchemy as sa

from dgov.aggregation import datastore as store

PG_SCHEMES = {"postgres", "postgresql", "pgsql"}


#: a read that runs for minutes on SQLite and PostgreSQL alike (to test time limits)
ENDLESS = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000000) "
           "SELECT count(*) FROM c")


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def pg_database(suffix: str) -> tuple[str, str, str] | None:
    """(url, maintenance url, name) of a PostgreSQL database of this worker's own beside the test
    database, when DGOV_DATABASE_URL is PostgreSQL; else None."""
    url = os.environ.get("DGOV_DATABASE_URL", "")
    parts = urlsplit(url)
    if parts.scheme not in PG_SCHEMES:
        return None
    name = f"test_{parts.path.lstrip('/') or 'dgov'}_{suffix}_{_worker()}"[:63]
    return (urlunsplit(("postgresql", parts.netloc, "/" + name, parts.query, "")),
            urlunsplit(("postgresql", parts.netloc, "/postgres", parts.query, "")), name)


def pg_recreate(maintenance: str, name: str, *, create: bool = True) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        if create:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def datastore_session():
    """The data store URL for this test process (PostgreSQL database created and dropped here)."""
    pg = pg_database("ds")
    if pg is None:
        yield None
        return
    url, maintenance, name = pg
    pg_recreate(maintenance, name)
    yield url
    store.reset()
    pg_recreate(maintenance, name, create=False)


def empty_datastore() -> None:
    """Drop every table of the current data store."""
    eng = store.engine()
    with eng.begin() as conn:
        meta = sa.MetaData()
        meta.reflect(conn)
        meta.drop_all(conn)
    store.reset()


@pytest.fixture
def datastore(datastore_session, settings):
    """A data store of the test's own, empty before and after it."""
    if datastore_session:
        settings.DGOV_DATASTORE_URL = datastore_session
    store.reset()
    empty_datastore()
    yield store
    empty_datastore()


def make_dataset(*, entry=None, columns: list[dict] | None = None, actor=None, **entry_fields):
    """A dataset (through `dataset_create`) on `entry`, default a new published entry of 余江区民政局
    with 姓名, 公民身份号码 (key), 联系电话 and 登记日期."""
    from dgov.aggregation import services
    from dgov.catalog.models import Status
    from dgov.catalog.testing import item, make_entry, make_superuser

    actor = actor or make_superuser()
    if entry is None:
        entry = make_entry(actor=actor, status=Status.PUBLISHED, name=entry_fields.pop("name", "测试人员信息"),
                           items=entry_fields.pop("items", None) or [
                               item("姓名", personal_data="personal"),
                               item("公民身份号码", personal_data="sensitive"),
                               item("联系电话", personal_data="personal"),
                               item("登记日期", data_type="date", length=None)],
                           **entry_fields)
    if columns is None:
        columns = [{"name": "xm", "item_name": "姓名"},
                   {"name": "sfzh", "item_name": "公民身份号码", "is_key": True},
                   {"name": "lxdh", "item_name": "联系电话"},
                   {"name": "djrq", "item_name": "登记日期"}]
    return services.dataset_create(actor=actor, entry=entry, columns=columns)
