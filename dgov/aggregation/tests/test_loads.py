"""Loads from real source databases (SQLite, MariaDB and PostgreSQL on loopback) and from files: the
counts, reruns that change nothing, rejected rows with reasons, deletions, increments by update time
and by key, a crashed load that leaves nothing behind, schedules and the command line."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from dgov.aggregation import datastore, services
from dgov.aggregation.models import LoadRun, Schedule, SourceMapping
from dgov.aggregation.testing import make_dataset
from dgov.core.errors import ValidationError
from dgov.core.testing import audited

from .helpers import COLUMN_MAP, ROWS, execute, insert, make_job, make_source, source_table

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["sqlite", "mysql", "postgresql"])
def source(request, editor, settings):
    """A source database of each kind holding the `residents` table."""
    if request.param == "sqlite":
        url = f"sqlite:///{settings.DGOV_SOURCE_SQLITE_DIR / 'residents.sqlite3'}"
    else:
        url = request.getfixturevalue("mariadb_url" if request.param == "mysql" else "postgres_url")
    engine = source_table(url)
    src = make_source(editor, url, request.param)
    src.engine = engine
    return src


def test_full_load_and_rerun(editor, source):
    job = make_job(editor, source)
    run = services.run_load(actor=editor, mapping=job)
    assert (run.status, run.rows_read, run.rows_written, run.rows_unchanged, run.rows_rejected) == \
        ("succeeded", 3, 3, 0, 0), run.error
    dataset = job.dataset
    dataset.refresh_from_db()
    assert dataset.row_count == 3 and dataset.last_seq == 3 and dataset.last_loaded_at is not None
    rows = datastore.select(dataset, columns=["xm", "sfzh", "djrq"], where=[], limit=10, offset=0)
    assert rows == [{"xm": "王五", "sfzh": "360603198503033456", "djrq": "2023-05-06"},
                    {"xm": "张三", "sfzh": "360603199001011234", "djrq": "2024-01-02"},
                    {"xm": "李四", "sfzh": "360603199202022345", "djrq": "2024-03-04"}]
    entry = audited("aggregation.loadrun.run", object_id=str(run.pk))
    assert entry.changes["written"] == 3 and entry.actor_id == editor.pk

    again = services.run_load(actor=editor, mapping=job)
    assert (again.rows_read, again.rows_written, again.rows_unchanged) == (3, 0, 3)
    dataset.refresh_from_db()
    assert dataset.last_seq == 3  # nothing rewritten, no new sequence numbers

    execute(source.engine, "UPDATE residents SET phone = '13800009999' WHERE id = 1")
    execute(source.engine, "DELETE FROM residents WHERE id = 3")
    third = services.run_load(actor=editor, mapping=job)
    assert (third.rows_read, third.rows_written, third.rows_unchanged, third.rows_deleted) == (2, 1, 1, 1)
    assert datastore.count(dataset, []) == 2
    changes = datastore.changes_since(dataset, 3)
    assert [(c["_seq"], c["_key"], c["_deleted"]) for c in changes] == [
        (4, "360603199001011234", False), (5, "360603198503033456", True)]
    assert changes[0]["lxdh"] == "13800009999"


def test_rejected_rows_are_listed_with_reasons(editor, source):
    insert(source.engine, [(4, "赵六", None, "13600004444", dt.date(2024, 1, 1), dt.datetime(2025, 1, 4)),
                           (5, "钱七", "360603199001011234", "13500005555", None, dt.datetime(2025, 1, 5))])
    job = make_job(editor, source)
    run = services.run_load(actor=editor, mapping=job)
    assert (run.status, run.rows_read, run.rows_written, run.rows_rejected) == ("succeeded", 5, 3, 2)
    reasons = {r["row"]: r for r in run.rejects}
    assert len(reasons) == 2
    assert any("sfzh" in r["reason"] for r in run.rejects)  # the empty key
    repeated = [r for r in run.rejects if r["key"]]
    assert repeated and repeated[0]["key"] == "3606**********1234"  # an ID number is kept masked


def test_bad_value_rejects_the_row_without_quoting_personal_data(editor, settings):
    url = f"sqlite:///{settings.DGOV_SOURCE_SQLITE_DIR / 'bad.sqlite3'}"
    engine = source_table(url)
    execute(engine, "UPDATE residents SET registered_on = '2024-02-30' WHERE id = 2")
    job = make_job(editor, make_source(editor, url, "sqlite"))
    run = services.run_load(actor=editor, mapping=job)
    assert run.rows_written == 2 and run.rows_rejected == 1
    assert run.rejects[0]["reason"].startswith("djrq:") and "2024-02-30" in run.rejects[0]["reason"]
    assert datastore.count(job.dataset, [("sfzh", "eq", "360603199202022345")]) == 0


def test_incremental_by_update_time(editor, source):
    job = make_job(editor, source, mode="incremental", incremental_by="updated_at", incremental_column="updated_at")
    first = services.run_load(actor=editor, mapping=job)
    assert (first.rows_read, first.rows_written) == (3, 3)
    job.refresh_from_db()
    # typed where the driver types it (SQLite hands back the stored text)
    assert job.watermark in ("datetime:2025-01-03T09:00:00", "str:2025-01-03 09:00:00")
    execute(source.engine, "UPDATE residents SET phone = '13300000000', updated_at = :u WHERE id = 2",
            u="2025-02-01 10:00:00")
    second = services.run_load(actor=editor, mapping=job)
    # the row of the last watermark's instant is read again (and found unchanged), the changed one written
    assert (second.rows_read, second.rows_written, second.rows_unchanged, second.rows_deleted) == (2, 1, 1, 0)
    assert datastore.select(job.dataset, columns=["lxdh"], where=[("sfzh", "eq", "360603199202022345")],
                            limit=1, offset=0) == [{"lxdh": "13300000000"}]


def test_incremental_by_key(editor, source):
    job = make_job(editor, source, mode="incremental", incremental_by="key", incremental_column="id")
    assert services.run_load(actor=editor, mapping=job).rows_written == 3
    insert(source.engine, [(7, "孙八", "360603197707077777", "13100007777", dt.date(2024, 7, 7),
                            dt.datetime(2025, 1, 7))])
    run = services.run_load(actor=editor, mapping=job)
    assert (run.rows_read, run.rows_written, run.watermark_before, run.watermark_after) == (1, 1, "int:3", "int:7")
    assert datastore.count(job.dataset, []) == 4


def test_unreachable_source_fails_the_run_without_credentials(editor):
    from dgov.aggregation.models import SourceDatabase
    from dgov.orgs.models import Department

    source = services.source_save(actor=editor, instance=SourceDatabase(
        department=Department.objects.get(code="360603909"), name="不通的库", kind="postgresql",
        url="postgresql://u:s3cret-pw@127.0.0.1:1/nowhere"))
    job = make_job(editor, source)
    run = services.run_load(actor=editor, mapping=job)
    assert run.status == "failed" and run.rows_written == 0
    assert "s3cret" not in run.error and "OperationalError" in run.error
    ok, message = services.source_test(actor=editor, source=source)
    assert not ok and "s3cret" not in message
    assert "s3cret" not in str(audited("aggregation.sourcedatabase.create").changes)


def test_a_crashed_load_leaves_nothing_and_is_marked_failed(editor, source, monkeypatch):
    job = make_job(editor, source)
    original = datastore.mark_deleted

    def crash(*args, **kwargs):
        raise RuntimeError("the process died here")

    monkeypatch.setattr(datastore, "mark_deleted", crash)
    run = services.run_load(actor=editor, mapping=job)
    assert run.status == "failed" and "RuntimeError" in run.error
    assert datastore.count(job.dataset, []) == 0  # the rows upserted before the crash were rolled back
    monkeypatch.setattr(datastore, "mark_deleted", original)

    # a run left `running` by a process that no longer exists is failed by the next run of its job
    dead = LoadRun.objects.create(mapping=job, dataset=job.dataset, mode="full", started_at=run.started_at,
                                  runner=f"{services.socket.gethostname()}:999999999")
    assert services.run_load(actor=editor, mapping=job).status == "succeeded"
    dead.refresh_from_db()
    assert dead.status == "failed" and "interrupted" in dead.error
    assert datastore.count(job.dataset, []) == 3


def test_scheduled_jobs_run_when_due(editor, source):
    job = make_job(editor, source, schedule=Schedule.HOURLY)
    assert job.next_run_at is not None
    assert services.run_due() == []
    later = job.next_run_at + dt.timedelta(minutes=1)
    runs = services.run_due(now=later)
    assert [r.trigger for r in runs] == ["schedule"] and runs[0].status == "succeeded"
    job.refresh_from_db()
    assert job.next_run_at == later + dt.timedelta(hours=1)
    assert services.run_due(now=later) == []  # taken: not run twice


def test_command_line(editor, source):
    job = make_job(editor, source)
    out = io.StringIO()
    call_command("aggregate", "run", str(job.pk), stdout=out)
    assert "succeeded, read 3, written 3" in out.getvalue()
    out = io.StringIO()
    call_command("aggregate", "list", stdout=out)
    assert f"{job.pk}\t测试归集" in out.getvalue()
    SourceMapping.objects.filter(pk=job.pk).update(schedule="daily", next_run_at=job.created_at)
    out = io.StringIO()
    call_command("aggregate", "due", stdout=out)
    assert "scheduled load jobs run: 1" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("aggregate", "run", "999999")


# --- files --------------------------------------------------------------------------------------------
def _file_job(editor):
    dataset = make_dataset(actor=editor)
    return services.mapping_save(actor=editor, instance=SourceMapping(
        dataset=dataset, name="文件归集", column_map={"xm": "姓名", "sfzh": "公民身份号码", "lxdh": "联系电话",
                                                     "djrq": "登记日期"}))


def _xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


HEADER = ["姓名", "公民身份号码", "联系电话", "登记日期"]


def test_file_upload_loads_all_or_nothing(editor):
    job = _file_job(editor)
    bad = _xlsx([HEADER, ["张三", "360603199001011234", "13800001111", "2024-01-02"],
                 ["李四", "360603199202022345", "13900002222", "不是日期"]])
    run = services.load_file(actor=editor, mapping=job, name="bad.xlsx", data=bad)
    assert run.status == "failed" and run.rows_rejected == 1 and run.rejects[0]["row"] == 3
    assert datastore.count(job.dataset, []) == 0

    good = "\n".join([",".join(HEADER), "张三,360603199001011234,13800001111,2024-01-02",
                      "李四,360603199202022345,13900002222,2024-03-04"]).encode("gb18030")
    run = services.load_file(actor=editor, mapping=job, name="good.csv", data=good)
    assert (run.status, run.rows_written, run.file_name) == ("succeeded", 2, "good.csv")
    assert datastore.count(job.dataset, []) == 2
    assert services.load_file(actor=editor, mapping=job, name="good.csv", data=good).rows_unchanged == 2


def test_file_without_a_mapped_header_fails(editor):
    job = _file_job(editor)
    run = services.load_file(actor=editor, mapping=job, name="x.csv", data="姓名,电话\n张三,1\n".encode())
    assert run.status == "failed" and "公民身份号码" in run.error


def test_database_job_refuses_files_and_file_job_refuses_runs(editor, settings):
    url = f"sqlite:///{settings.DGOV_SOURCE_SQLITE_DIR / 'r.sqlite3'}"
    source_table(url)
    job = make_job(editor, make_source(editor, url, "sqlite"))
    with pytest.raises(ValidationError):
        services.load_file(actor=editor, mapping=job, name="a.csv", data=b"a\n1\n")
    with pytest.raises(ValidationError):
        services.run_load(actor=editor, mapping=_file_job(editor))


def test_mapping_rules(editor, settings):
    url = f"sqlite:///{settings.DGOV_SOURCE_SQLITE_DIR / 'm.sqlite3'}"
    source_table(url)
    source = make_source(editor, url, "sqlite")
    dataset = make_dataset(actor=editor)
    with pytest.raises(ValidationError) as exc:
        services.mapping_save(actor=editor, instance=SourceMapping(
            dataset=dataset, source=source, name="x", source_table="residents",
            column_map={k: v for k, v in COLUMN_MAP.items() if k != "sfzh"} | {"nope": "a"}))
    assert "column_map" in exc.value.details
    with pytest.raises(ValidationError) as exc:
        services.mapping_save(actor=editor, instance=SourceMapping(
            dataset=dataset, source=source, name="x", source_table="residents", column_map=COLUMN_MAP,
            mode="incremental"))
    assert {"incremental_by", "incremental_column"} <= set(exc.value.details)
    with pytest.raises(ValidationError) as exc:
        services.mapping_save(actor=editor, instance=SourceMapping(
            dataset=dataset, name="x", column_map=COLUMN_MAP, schedule="daily"))
    assert "schedule" in exc.value.details


def test_rows_in_the_source_that_the_mapping_names_must_exist(editor, settings):
    url = f"sqlite:///{settings.DGOV_SOURCE_SQLITE_DIR / 'c.sqlite3'}"
    source_table(url)
    job = make_job(editor, make_source(editor, url, "sqlite"), column_map=COLUMN_MAP | {"lxdh": "mobile"})
    run = services.run_load(actor=editor, mapping=job)
    assert run.status == "failed" and "mobile" in run.error
    assert ROWS  # the table itself was there
