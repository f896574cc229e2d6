"""Runs on tables of server source databases (MariaDB, PostgreSQL with a schema): the same rules, the same
counts as on SQLite, and the remediation loop closing after the data is fixed in the department's database."""

import os

import pymysql
import pytest
import sqlalchemy as sa

from dgov.aggregation import datastore
from dgov.aggregation.models import SourceDatabase
from dgov.aggregation.testing import pg_recreate
from dgov.catalog.testing import YUJIANG_CIVIL_AFFAIRS
from dgov.orgs.models import Department
from dgov.quality import services
from dgov.quality.models import QualityRule, QualityRun, RemediationTask, RuleKind, TaskState
from dgov.quality.tests.conftest import COLUMNS, GOOD_ID, PEOPLE

MARIADB = {"host": "127.0.0.1", "port": 3306, "user": "root", "password": ""}


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="module")
def mariadb_source_url():
    name = f"dgov_quality_src_{_worker()}"
    conn = pymysql.connect(**MARIADB, autocommit=True)
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    yield f"mysql://root:@127.0.0.1:3306/{name}", None
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
    conn.close()


@pytest.fixture(scope="module")
def postgresql_source_url():
    name = f"test_dgov_quality_src_{_worker()}"
    maintenance = "postgresql://postgres@127.0.0.1:5432/postgres"
    pg_recreate(maintenance, name)
    yield f"postgresql://postgres@127.0.0.1:5432/{name}", "gov"
    pg_recreate(maintenance, name, create=False)


@pytest.fixture(params=["mariadb", "postgresql"])
def server_people(request, db):
    url, schema = request.getfixturevalue(f"{request.param}_source_url")
    engine = datastore.create_engine(url)
    prefix = f"{schema}." if schema else ""
    with engine.begin() as conn:
        if schema:
            conn.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {prefix}people")
        conn.exec_driver_sql(f"CREATE TABLE {prefix}people (id INTEGER PRIMARY KEY, xm VARCHAR(50), sfzh VARCHAR(18), "
                             "region VARCHAR(6), score INTEGER, max_score INTEGER, updated TIMESTAMP NULL)")
        conn.execute(sa.text(f"INSERT INTO {prefix}people VALUES (:a, :b, :c, :d, :e, :f, :g)"),
                     [dict(zip("abcdefg", r, strict=True)) for r in PEOPLE])
    from dgov.metadata.models import MetaColumn, MetaTable

    source = SourceDatabase.objects.create(department=Department.objects.get(code=YUJIANG_CIVIL_AFFAIRS),
                                           name=f"质量测试 {request.param}", kind=request.param.replace(
                                               "mariadb", "mysql"), url=url)
    table = MetaTable.objects.create(source=source, location=f"source-{source.pk}", department=source.department,
                                     schema=schema or "", name="people", primary_key=["id"])
    for position, (column, family) in enumerate(COLUMNS["people"], 1):
        MetaColumn.objects.create(table=table, name=column, position=position, data_type=family,
                                  type_family=family, personal=column in ("xm", "sfzh"))
    yield table, engine, prefix
    engine.dispose()


def test_counts_and_remediation_on_server_source(server_people, editor):
    table, engine, prefix = server_people
    QualityRule.objects.create(table=table, name="xm", kind=RuleKind.COMPLETENESS, columns=["xm"])
    QualityRule.objects.create(table=table, name="sfzh unique", kind=RuleKind.UNIQUENESS, columns=["sfzh"])
    QualityRule.objects.create(table=table, name="sfzh valid", kind=RuleKind.ID_NUMBER, columns=["sfzh"])
    run = services.run_table(table, actor=editor)
    assert run.status == QualityRun.Status.SUCCEEDED, run.error
    got = {r.rule_name: (r.checked, r.failed) for r in run.results.all()}
    assert got == {"xm": (4, 2), "sfzh unique": (4, 2), "sfzh valid": (4, 1)}
    task = RemediationTask.objects.get(rule__name="sfzh valid")
    with engine.begin() as conn:
        conn.execute(sa.text(f"UPDATE {prefix}people SET sfzh = :good WHERE id = 3"), {"good": GOOD_ID})
    task = services.task_fix(actor=editor, task=task, note="已更正")
    assert task.state == TaskState.CLOSED
