"""Fixtures of the metadata tests: the data store and the real source databases of the aggregation
tests (a SQLite file, a MariaDB and a PostgreSQL database of this test process's own), the officials,
and a source table with a child table (foreign key) at any of them."""

import pytest
import sqlalchemy as sa

from dgov.accounts.testing import make_user
from dgov.aggregation import datastore as store
from dgov.aggregation.tests.conftest import (  # noqa: F401
    _store,
    centre,
    datastore,
    datastore_session,
    editor,
    mariadb_url,
    outsider,
    postgres_url,
)
from dgov.aggregation.tests.helpers import make_source
from dgov.catalog.testing import make_superuser


@pytest.fixture
def governor(db):
    """The big-data centre's data governance administrator (data_governor, scope all)."""
    return make_user("governor", department_code="360600201",
                     roles=[("data_governor", "all", None), ("staff", "all", None)])


def create_tables(url: str) -> sa.Engine:
    """(Re)create `people` (with comments on PostgreSQL and MariaDB) and `visits` (a foreign key to it)."""
    engine = sa.create_engine(store.sqlalchemy_url(url), poolclass=sa.pool.NullPool)
    meta = sa.MetaData()
    people = sa.Table("people", meta,
                      sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                      sa.Column("full_name", sa.String(50), nullable=False, comment="姓名"),
                      sa.Column("phone", sa.String(20)),
                      sa.Column("income", sa.Numeric(12, 2)),
                      sa.Column("born_on", sa.Date),
                      sa.Column("updated_at", sa.DateTime),
                      comment="人员")
    sa.Table("visits", meta,
             sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
             sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False),
             sa.Column("note", sa.Text),
             sa.Index("ix_visits_person", "person_id"))
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE IF EXISTS visits"))
        conn.execute(sa.text("DROP TABLE IF EXISTS people"))
        conn.execute(sa.text("DROP TABLE IF EXISTS extra"))
        meta.create_all(conn)
        conn.execute(people.insert(), [{"id": i, "full_name": f"人{i}", "phone": None} for i in range(1, 6)])
        conn.execute(sa.text("INSERT INTO visits (id, person_id, note) VALUES (1, 1, 'a'), (2, 2, 'b')"))
    return engine


@pytest.fixture
def sqlite_url(settings):
    return f"sqlite:///{settings.DGOV_SOURCE_SQLITE_DIR / 'src.sqlite3'}"


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def source_db(request, db, settings):
    """(source, engine) for each kind of source database, holding `people` and `visits`."""
    kind = request.param
    url = {"sqlite": lambda: f"sqlite:///{settings.DGOV_SOURCE_SQLITE_DIR / 'src.sqlite3'}",
           "postgresql": lambda: request.getfixturevalue("postgres_url"),
           "mysql": lambda: request.getfixturevalue("mariadb_url")}[kind]()
    engine = create_tables(url)
    source = make_source(make_superuser(), url, kind)
    yield source, engine
    with engine.begin() as conn:
        for name in ("visits", "people", "extra"):
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {name}"))
    engine.dispose()


@pytest.fixture
def sqlite_source(db, sqlite_url):
    engine = create_tables(sqlite_url)
    yield make_source(make_superuser(), sqlite_url, "sqlite"), engine
    engine.dispose()
