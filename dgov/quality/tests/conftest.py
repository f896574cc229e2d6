"""Fixtures of the quality tests: a real SQLite source database of 余江区民政局 (a `people` table with NULLs,
empty strings, duplicates, bad identity numbers and an orphan reference; a `regions` table it refers to),
harvested as `MetaTable`s; a second table of 贵溪市民政局 for scope; the officials."""

import datetime as dt

import pytest
import sqlalchemy as sa

from dgov.accounts.testing import make_user, valid_id_number
from dgov.aggregation.models import SourceDatabase
from dgov.aggregation.testing import datastore, datastore_session  # noqa: F401
from dgov.catalog.testing import GUIXI_CIVIL_AFFAIRS, YUJIANG_CIVIL_AFFAIRS, make_editor, make_reviewer
from dgov.metadata.models import MetaColumn, MetaTable
from dgov.orgs.models import Department

GOOD_ID = valid_id_number(seq=1)
GOOD_ID2 = valid_id_number(seq=2)
BAD_ID = GOOD_ID[:-1] + ("0" if GOOD_ID[-1] != "0" else "1")


@pytest.fixture(autouse=True)
def _store(datastore, settings, tmp_path):  # noqa: F811
    settings.DGOV_SOURCE_SQLITE_DIR = tmp_path / "sources"
    settings.DGOV_SOURCE_SQLITE_DIR.mkdir()
    return datastore


@pytest.fixture
def editor(db):
    return make_editor(YUJIANG_CIVIL_AFFAIRS, "q_yj_data")


@pytest.fixture
def outsider(db):
    return make_editor(GUIXI_CIVIL_AFFAIRS, "q_gx_data")


@pytest.fixture
def reviewer(db):
    return make_reviewer("q_centre")


@pytest.fixture
def governor(db):
    return make_user("q_governor", department_code="360600036",
                     roles=[("data_governor", "all", None), ("staff", "all", None)])


PEOPLE = [
    # id, xm, sfzh, region, score, max_score, updated
    (1, "张三", GOOD_ID, "360602", 5, 10, "2026-01-01 08:00:00"),
    (2, None, GOOD_ID, "360603", 7, 10, "2026-01-01 08:00:00"),
    (3, "", BAD_ID, "360699", 12, 10, "2026-01-01 08:00:00"),
    (4, "李四", GOOD_ID2, None, 3, 10, "2026-01-01 08:00:00"),
]


def write_sqlite(path, rows=PEOPLE):
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS people")
        conn.exec_driver_sql("DROP TABLE IF EXISTS regions")
        conn.exec_driver_sql("CREATE TABLE regions (code VARCHAR(6) PRIMARY KEY, name VARCHAR(50))")
        conn.exec_driver_sql("INSERT INTO regions VALUES ('360602', '月湖区'), ('360603', '余江区')")
        conn.exec_driver_sql("CREATE TABLE people (id INTEGER PRIMARY KEY, xm VARCHAR(50), sfzh VARCHAR(18), "
                             "region VARCHAR(6), score INTEGER, max_score INTEGER, updated DATETIME)")
        conn.execute(sa.text("INSERT INTO people VALUES (:a, :b, :c, :d, :e, :f, :g)"),
                     [dict(zip("abcdefg", r, strict=True)) for r in rows])
    engine.dispose()


def execute(path, sql: str, **params):
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(sa.text(sql), params)
    engine.dispose()


COLUMNS = {"people": [("id", "integer"), ("xm", "string"), ("sfzh", "string"), ("region", "string"),
                      ("score", "integer"), ("max_score", "integer"), ("updated", "datetime")],
           "regions": [("code", "string"), ("name", "string")]}


def harvest(source, name: str, *, personal=("sfzh", "xm")) -> MetaTable:
    """What the metadata harvest records for a table of `source` (written here directly)."""
    table = MetaTable.objects.create(source=source, location=f"source-{source.pk}", department=source.department,
                                     name=name, primary_key=["id"] if name == "people" else ["code"])
    for position, (column, family) in enumerate(COLUMNS[name], 1):
        MetaColumn.objects.create(table=table, name=column, position=position, data_type=family.upper(),
                                  type_family=family, personal=column in personal,
                                  is_primary_key=column in table.primary_key)
    return table


def make_source(department_code: str, path) -> SourceDatabase:
    return SourceDatabase.objects.create(department=Department.objects.get(code=department_code),
                                         name=f"质量测试源库 {department_code}", kind="sqlite", url=f"sqlite:///{path}")


@pytest.fixture
def db_path(settings):
    path = settings.DGOV_SOURCE_SQLITE_DIR / "yujiang.sqlite3"
    write_sqlite(path)
    return path


@pytest.fixture
def people(db, db_path) -> MetaTable:
    return harvest(make_source(YUJIANG_CIVIL_AFFAIRS, db_path), "people")


@pytest.fixture
def regions(people) -> MetaTable:
    return harvest(people.source, "regions")


@pytest.fixture
def guixi_people(db, settings) -> MetaTable:
    path = settings.DGOV_SOURCE_SQLITE_DIR / "guixi.sqlite3"
    write_sqlite(path)
    return harvest(make_source(GUIXI_CIVIL_AFFAIRS, path), "people")


NOW = dt.datetime(2026, 1, 2, 8, 0, tzinfo=dt.UTC)
