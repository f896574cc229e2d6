"""Regression tests from the review of aggregation: what a source URL may reach, concurrent writers
of one table, one run of a job at a time, late rows of incremental loads, full loads beside other
jobs, decimals on SQLite, and error messages without values."""

import datetime as dt
import os
import sqlite3
import threading
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from django.db import connection

from dgov.accounts.testing import api_client
from dgov.aggregation import datastore, services, sources
from dgov.aggregation.models import LoadRun, SourceMapping
from dgov.aggregation.testing import make_dataset
from dgov.catalog.testing import item
from dgov.core.errors import Conflict, ValidationError
from dgov.core.testing import assert_error

from .helpers import ROWS, insert, make_job, make_source, source_table

pytestmark = pytest.mark.django_db


def _refused(editor, kind: str, url: str) -> str:
    with pytest.raises(ValidationError) as exc:
        make_source(editor, url, kind)
    message = " ".join(exc.value.sentences())
    assert "s3cret" not in message  # a refusal never quotes the password back
    return message


# --- what a source URL may reach ---------------------------------------------------------------------
@pytest.mark.parametrize(("kind", "url"), [
    # a local socket: the platform's own database server, as whichever user the socket trusts
    ("postgresql", "postgresql://postgres:s3cret@localhost/postgres?host=/var/run/postgresql"),
    ("postgresql", "postgresql://postgres:s3cret@%2Fvar%2Frun%2Fpostgresql/postgres"),
    ("postgresql", "postgresql://postgres:s3cret@h1,h2/postgres"),
    # libpq options that read files on the platform's server or set server options
    ("postgresql", "postgresql://u:s3cret@db.example/x?passfile=/etc/passwd"),
    ("postgresql", "postgresql://u:s3cret@db.example/x?sslkey=/etc/dgov/key.pem"),
    ("postgresql", "postgresql://u:s3cret@db.example/x?service=platform"),
    ("postgresql", "postgresql://u:s3cret@db.example/x?options=-c%20statement_timeout%3D0"),
    # PyMySQL options: LOAD DATA LOCAL INFILE, option files, sockets, statements at connect
    ("mysql", "mysql://u:s3cret@db.example/x?local_infile=1"),
    ("mysql", "mysql://u:s3cret@db.example/x?read_default_file=/etc/mysql/debian.cnf"),
    ("mysql", "mysql://u:s3cret@db.example/x?unix_socket=/run/mysqld/mysqld.sock"),
    ("mysql", "mysql://u:s3cret@db.example/x?init_command=SET%20x%3D1"),
    ("sqlite", "sqlite:////etc/passwd"),
])
def test_urls_that_reach_beyond_a_departments_database_are_refused(editor, kind, url):
    _refused(editor, kind, url)


def test_harmless_options_are_accepted(editor):
    source = make_source(editor, "postgresql://u:s3cret@db.example:5433/x?sslmode=require", "postgresql")
    assert source.safe_url == "postgresql+psycopg://u:***@db.example:5433/x?sslmode=require"
    make_source(editor, "mysql://u:s3cret@db.example/x?charset=utf8mb4", "mysql", name="另一个")


def test_the_platforms_own_databases_are_not_sources(editor, settings):
    """Neither the application's database nor the data store, however the host is spelt."""
    own = []
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        user = db.get("USER") or "postgres"
        own.append(("postgresql", f"postgresql://{user}@localhost:{db.get('PORT') or 5432}/{db['NAME']}"))
    else:
        own.append(("sqlite", f"sqlite:///{db['NAME']}"))
    store = sa.engine.make_url(datastore.sqlalchemy_url(settings.DGOV_DATASTORE_URL))
    if store.get_backend_name() == "postgresql":
        own.append(("postgresql", f"postgresql://{store.username}@[::1]:{store.port or 5432}/{store.database}"))
    else:
        own.append(("sqlite", f"sqlite:///{store.database}"))
    for kind, url in own:
        if kind == "sqlite":  # even when the sources directory holds them
            settings.DGOV_SOURCE_SQLITE_DIR = Path(url.removeprefix("sqlite:///")).resolve().parent
        _refused(editor, kind, url)


def test_a_sqlite_source_replaced_by_a_link_out_of_the_directory_is_not_read(editor, settings, tmp_path):
    outside = tmp_path / "outside.sqlite3"
    sqlite3.connect(outside).close()
    url = f"sqlite:///{settings.DGOV_SOURCE_SQLITE_DIR / 'linked.sqlite3'}"
    source_table(url)
    source = make_source(editor, url, "sqlite")
    assert sources.test_connection(source)[0]
    path = settings.DGOV_SOURCE_SQLITE_DIR / "linked.sqlite3"
    path.unlink()
    os.symlink(outside, path)
    ok, message = sources.test_connection(source)
    assert not ok and str(settings.DGOV_SOURCE_SQLITE_DIR.resolve()) in message


def test_a_sqlite_file_name_with_uri_characters_is_read_as_named(editor, settings):
    """`#` and `?` in a file name cannot turn into URI parameters or cut the path short."""
    url = f"sqlite:///{settings.DGOV_SOURCE_SQLITE_DIR / 'a#b.sqlite3'}"
    source_table(url)
    run = services.run_load(actor=editor, mapping=make_job(editor, make_source(editor, url, "sqlite")))
    assert (run.status, run.rows_written) == ("succeeded", 3), run.error


def test_mysql_sources_never_send_local_files(editor, mariadb_url):
    source = make_source(editor, mariadb_url, "mysql")
    with sources.connect(source) as conn:
        assert conn.connection.dbapi_connection._local_infile is False
        with pytest.raises(sa.exc.DBAPIError):  # the server asks for the file; the client refuses
            conn.exec_driver_sql("LOAD DATA LOCAL INFILE '/etc/hostname' INTO TABLE nowhere")


# --- concurrent writers ------------------------------------------------------------------------------
def test_concurrent_writers_of_one_new_key_do_not_collide_and_commit_in_sequence(datastore):
    """A writer reads which keys exist only once it holds the table's sequence: the second writer of
    a new key waits for the first and finds it (before: both inserted, the second failed on the
    primary key), and `_seq` order is commit order."""
    dataset = type(make_dataset()).objects.prefetch_related("columns").get()
    row = {"xm": "张三", "sfzh": "360603199001011234"}
    first_holds, second_started, results = threading.Event(), threading.Event(), {}

    def first():
        with datastore.transaction() as conn:
            results["first"] = datastore.upsert(dataset, [row], conn=conn)
            first_holds.set()
            second_started.wait(10)
            # keep the transaction open a moment while the second writer tries
            threading.Event().wait(0.5)

    def second():
        first_holds.wait(10)
        second_started.set()
        try:
            results["second"] = datastore.upsert(dataset, [dict(row, lxdh="13800001111"), {"sfzh": "2"}])
        except Exception as exc:  # noqa: BLE001
            results["second"] = exc

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results["first"] == datastore.UpsertResult(written=1, unchanged=0)
    assert results["second"] == datastore.UpsertResult(written=2, unchanged=0), results["second"]
    changes = datastore.changes_since(dataset, 0)
    assert [(c["_key"], c["_seq"]) for c in changes] == [("2", 2), ("360603199001011234", 3)] or \
        [(c["_key"], c["_seq"]) for c in changes] == [("360603199001011234", 2), ("2", 3)]
    assert datastore.stats(dataset) == (2, 3)


# --- one run of a job at a time ----------------------------------------------------------------------
def test_a_job_runs_once_at_a_time(editor, settings):
    url = f"sqlite:///{settings.DGOV_SOURCE_SQLITE_DIR / 'once.sqlite3'}"
    source_table(url)
    job = make_job(editor, make_source(editor, url, "sqlite"))
    # a run of this job going on in this (living) process
    LoadRun.objects.create(mapping=job, dataset=job.dataset, mode=job.mode, started_at=dt.datetime.now(dt.UTC),
                           runner=services._runner())
    with pytest.raises(Conflict) as exc:
        services.run_load(actor=editor, mapping=job)
    assert exc.value.code == "load_running"
    assert_error(api_client(editor).post(f"/api/v1/exchange/loads/jobs/{job.pk}/run"), 409, "load_running")
    assert datastore.count(job.dataset, []) == 0
    # once it is over, the job runs again
    LoadRun.objects.filter(mapping=job).update(status=LoadRun.Status.FAILED)
    assert services.run_load(actor=editor, mapping=job).status == "succeeded"


def test_a_scheduled_turn_skips_a_job_that_is_running(editor, settings):
    url = f"sqlite:///{settings.DGOV_SOURCE_SQLITE_DIR / 'sched.sqlite3'}"
    source_table(url)
    job = make_job(editor, make_source(editor, url, "sqlite"), schedule="hourly")
    SourceMapping.objects.filter(pk=job.pk).update(next_run_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
    LoadRun.objects.create(mapping=job, dataset=job.dataset, mode=job.mode, started_at=dt.datetime.now(dt.UTC),
                           runner=services._runner())
    assert services.run_due() == []
    assert LoadRun.objects.filter(mapping=job).count() == 1


# --- incremental loads -------------------------------------------------------------------------------
@pytest.fixture(params=["sqlite", "postgresql"])
def any_source(request, editor, settings):
    if request.param == "sqlite":
        url = f"sqlite:///{settings.DGOV_SOURCE_SQLITE_DIR / 'late.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = source_table(url)
    src = make_source(editor, url, request.param)
    src.engine = engine
    return src


def test_a_row_committed_late_with_an_earlier_update_time_is_not_lost(editor, any_source):
    """A source transaction stamps its row, the load reads the table and moves the watermark past the
    stamp, then the transaction commits: the next load still reads the row (the overlap)."""
    job = make_job(editor, any_source, mode="incremental", incremental_by="updated_at",
                   incremental_column="updated_at")
    assert services.run_load(actor=editor, mapping=job).rows_written == 3
    job.refresh_from_db()
    before = job.watermark
    late = ROWS[2][5] - dt.timedelta(minutes=2)  # stamped before the last row read, committed after the load
    insert(any_source.engine, [(9, "赵九", "360603199909099999", "13900009999", dt.date(2024, 9, 9), late)])
    run = services.run_load(actor=editor, mapping=job)
    assert (run.status, run.rows_written) == ("succeeded", 1), run.error
    assert datastore.count(job.dataset, [("sfzh", "eq", "360603199909099999")]) == 1
    job.refresh_from_db()
    assert job.watermark == before  # the late row's earlier stamp does not move the watermark back
    rerun = services.run_load(actor=editor, mapping=job)
    assert (rerun.rows_written, rerun.rows_unchanged) == (0, rerun.rows_read)


def test_overlap_bounds():
    assert services._overlap(dt.datetime(2025, 1, 3, 9, 0)) == dt.datetime(2025, 1, 3, 8, 55)
    assert services._overlap("2025-01-03 09:00:00") == "2025-01-03 08:55:00"
    assert services._overlap("2025-01-03T09:00:00.123") == "2025-01-03 08:55:00"
    assert services._overlap("2025-01-03T09:00:00") < "2025-01-03T08:56:00"  # a space sorts before "T"
    assert services._overlap("B-17") == "B-17"
    assert services._later("int:7", 5) == "int:7" and services._later("int:7", 9) == "int:9"
    assert services._later("", None) == ""


# --- full loads beside other jobs --------------------------------------------------------------------
def test_a_full_load_job_is_its_datasets_only_job(editor, settings):
    """A full load marks every row it did not read deleted: beside another job it would delete that
    job's rows on every run."""
    url = f"sqlite:///{settings.DGOV_SOURCE_SQLITE_DIR / 'full.sqlite3'}"
    source_table(url)
    source = make_source(editor, url, "sqlite")
    job = make_job(editor, source)
    with pytest.raises(ValidationError) as exc:
        services.mapping_save(actor=editor, instance=SourceMapping(
            dataset=job.dataset, name="文件补充", column_map={"sfzh": "公民身份号码"}, mode="incremental"))
    assert "dataset" in exc.value.details
    # incremental jobs may share a dataset; then none of them may become a full one
    job.mode, job.incremental_by, job.incremental_column = "incremental", "key", "id"
    services.mapping_save(actor=editor, instance=job)
    other = services.mapping_save(actor=editor, instance=SourceMapping(
        dataset=job.dataset, name="文件补充", column_map={"sfzh": "公民身份号码"}, mode="incremental"))
    other.mode = "full"
    with pytest.raises(ValidationError) as exc:
        services.mapping_save(actor=editor, instance=other)
    assert "mode" in exc.value.details


# --- values ------------------------------------------------------------------------------------------
def test_decimals_are_idempotent_and_read_back_whole(datastore):
    """On SQLite decimals are REAL: a value with more digits than a float holds was rewritten (a new
    `_seq`) on every load, and values were read back rounded to ten places (1e-12 as 0)."""
    ds = make_dataset(items=[item("编号", personal_data="none"), item("金额", data_type="decimal", length=None)],
                      columns=[{"name": "bh", "item_name": "编号", "is_key": True},
                               {"name": "je", "item_name": "金额"}])
    rows = [{"bh": "a", "je": Decimal("1.23456789012345678")}, {"bh": "b", "je": "0.000000000001"},
            {"bh": "c", "je": 5}, {"bh": "d", "je": "12.50"}]
    assert datastore.upsert(ds, rows).written == 4
    assert datastore.upsert(ds, rows) == datastore.UpsertResult(written=0, unchanged=4)
    got = {r["bh"]: r["je"] for r in datastore.select(ds, columns=["bh", "je"], limit=10)}
    assert got["b"] == "0.000000000001" and got["c"] == "5" and got["d"] == "12.5"
    assert got["a"] in ("1.23456789012345678", "1.2345678901234567")  # exact on PostgreSQL
    assert all(isinstance(v, str) for v in got.values())
    assert {c["je"] for c in datastore.changes_since(ds, 0)} == set(got.values())
    assert [r["bh"] for r in datastore.select(ds, columns=["bh"], where=[("je", "gt", "1e-13")], limit=9)] == \
        ["a", "b", "c", "d"]


def test_data_store_errors_do_not_carry_values(datastore):
    """Errors are logged with the failed load: their text must not hold the rows' values."""
    with pytest.raises(sa.exc.SQLAlchemyError) as exc, datastore.transaction() as conn:
        conn.execute(sa.text("SELECT :v FROM no_such_table"), {"v": "360603199001011234"})
    assert "360603199001011234" not in str(exc.value)


def test_source_errors_do_not_carry_values(editor, settings):
    url = f"sqlite:///{settings.DGOV_SOURCE_SQLITE_DIR / 'err.sqlite3'}"
    source_table(url)
    source = make_source(editor, url, "sqlite")
    with pytest.raises(sources.SourceError) as exc, sources.connect(source) as conn:
        conn.execute(sa.text("SELECT :v FROM no_such_table"), {"v": "360603199001011234"})
    assert "360603199001011234" not in str(exc.value)


def test_an_in_condition_is_bounded(datastore):
    """A consumer's filter reaches `select`: a list long enough to break the statement is refused as
    bad input instead (SQLite fails above 32766 parameters)."""
    ds = make_dataset()
    datastore.upsert(ds, [{"sfzh": "1"}])
    assert datastore.count(ds, [("sfzh", "in", [str(i) for i in range(datastore.MAX_IN)])]) == 1
    with pytest.raises(ValueError, match="at most"):
        datastore.select(ds, columns=["sfzh"], where=[("sfzh", "in", [str(i) for i in range(40000)])], limit=5)


def test_a_readers_first_use_of_a_table_takes_no_write_lock(datastore, monkeypatch):
    """On SQLite a load holds the data store's one write lock while it runs: a gateway process reading
    a table for the first time must not queue behind it (30 s, then an error) to find it exists."""
    ds = make_dataset()
    datastore.upsert(ds, [{"sfzh": "1", "xm": "张三"}])
    datastore._ensured.clear()  # a new process

    def no_write(*_args, **_kwargs):
        raise AssertionError("a write transaction")

    monkeypatch.setattr(datastore, "transaction", no_write)
    assert datastore.select(ds, columns=["xm"], limit=5) == [{"xm": "张三"}]
    assert datastore.changes_since(ds, 0)[0]["_key"] == "1"
