"""Fixtures of the aggregation tests: the data store (a clean one per test), the officials (余江区民政局's
data administrator, 贵溪市民政局's, the big-data centre's reviewer), and real source databases: a
SQLite file, and a MariaDB and a PostgreSQL database of this test process's own on loopback."""

import os

import pymysql
import pytest

from dgov.aggregation.testing import datastore, datastore_session, pg_database, pg_recreate  # noqa: F401
from dgov.catalog.testing import GUIXI_CIVIL_AFFAIRS, YUJIANG_CIVIL_AFFAIRS, make_editor, make_reviewer

MARIADB = {"host": "127.0.0.1", "port": 3306, "user": "root", "password": ""}


@pytest.fixture(autouse=True)
def _store(datastore, settings, tmp_path):  # noqa: F811
    """Every test here gets a clean data store and its own directory for SQLite sources."""
    settings.DGOV_SOURCE_SQLITE_DIR = tmp_path / "sources"
    settings.DGOV_SOURCE_SQLITE_DIR.mkdir()
    return datastore


@pytest.fixture
def editor(db):
    return make_editor(YUJIANG_CIVIL_AFFAIRS, "yj_data")


@pytest.fixture
def outsider(db):
    return make_editor(GUIXI_CIVIL_AFFAIRS, "gx_data")


@pytest.fixture
def centre(db):
    return make_reviewer("centre")


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def mariadb_url():
    """A MariaDB database of this test process's own (created for the session, dropped at its end)."""
    name = f"dgov_src_{_worker()}"
    conn = pymysql.connect(**MARIADB, autocommit=True)
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    yield f"mysql://root:@127.0.0.1:3306/{name}"
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
    conn.close()


@pytest.fixture(scope="session")
def postgres_url():
    """A PostgreSQL database of this test process's own on 127.0.0.1:5432."""
    pg = pg_database("src")
    if pg is None:
        name = f"test_dgov_src_{_worker()}"
        maintenance = "postgresql://postgres@127.0.0.1:5432/postgres"
        url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    else:
        url, maintenance, name = pg
    pg_recreate(maintenance, name)
    yield url
    pg_recreate(maintenance, name, create=False)
