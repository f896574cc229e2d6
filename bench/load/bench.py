"""Load benchmark: aggregation (数据归集) and federation (sync pull) load speed in rows per second into a
PostgreSQL data store, against PostgreSQL's COPY of the same rows in the same run (see bench/README.md,
"Aggregation and federation load speed"). Run it through `bench/load/run`.

One run (a temporary data directory; its own databases, dropped and re-created, never `dgov` or
`test_dgov`): the data store is PostgreSQL `dgov_bench_load_store` (`DGOV_DATASTORE_URL`), the real
sources are PostgreSQL `dgov_bench_load_src` and MariaDB `dgov_bench_load_src`, the application
database is SQLite in the data directory (or PostgreSQL `dgov_bench_load`, `--app-db postgresql`).

1. `dgov init --no-static`; a worker process (this script with `--worker`) generates `--rows` rows
   (200 000) of a realistic dataset from a fixed seed: 姓名, 公民身份号码 (18 characters, the key),
   联系电话, 居住地址, 保障类别, 月保障金额 (decimal), 登记日期 (date), 更新时间 (timestamp), and
   writes them into each source's table (untimed setup).
2. Baseline: `COPY … FROM STDIN` (psycopg `cursor.copy`, `write_row`) of the same rows, with the
   values the data store holds (system columns included), into a fresh table of the same structure
   as the dataset's (`CREATE TABLE … (LIKE <dataset table> INCLUDING ALL)`: the `_key` primary key
   and the `_seq` index), one transaction, commit included. `--copy-repeat` times before the loads
   and as many after; the median is the baseline. Also timed, for reference: the same COPY into a
   table without indexes, and a source-to-store pipe (`COPY (SELECT …) TO STDOUT` on the source
   into `COPY … FROM STDIN` on the store).
3. Aggregation, through the service the UI, the API and `dgov aggregate run` call
   (`dgov.aggregation.services.run_load`, actor None as the command line passes): a full load job
   from the PostgreSQL source into an empty dataset, the same job again (nothing changed), an
   incremental job (by the update-time column) run once to set its watermark, then 10 % of the
   source rows changed (`--changed`) and the incremental job run again (the full job switched to
   incremental: a dataset with a full job has no other); from MariaDB a full load
   into a second dataset and its rerun.
4. Federation (`dgov.federation`): this node paired with itself in process (the real protocol:
   signed requests and answers, batch digests, the node endpoints through Django's test client, no
   HTTP socket), the aggregated dataset published, a local entry subscribed to it, one signed
   request to load the URL map (untimed: once per process), and `services.pull` (what `dgov sync
   pull` runs, `--fed-batch` changes a batch) timed: the full dataset, then the 10 % change.
5. The results are checked: each dataset holds exactly the source's rows (an `EXCEPT` both ways on
   the data columns), the federation target exactly the aggregated dataset's.
6. Profile (`--profile-rows`, default 30 000; 0 skips it): a full load and a pull of that many rows
   again under cProfile, with every SQL statement timed (SQLAlchemy cursor events), to say where the
   time goes.

rows/s = rows the run read (aggregation) or applied (federation) ÷ its wall-clock time. The ratio is
that ÷ the COPY baseline's rows/s. PASS when every full load (aggregation from each source, the
federation pull) reaches `--target` (25 %) of COPY.

Exit status: 0 all full loads met the target, 1 one did not, 2 the run itself failed (a load failed,
or a dataset does not hold exactly the source's rows).
"""

import argparse
import cProfile
import datetime as dt
import hashlib
import io
import json
import logging
import os
import platform
import pstats
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

SEED = 20261127
TARGET = 0.25
#: dgov.federation.protocol.DEFAULT_BATCH and MAX_BATCH (the orchestrator does not load Django)
FED_BATCH = 5000
FED_MAX_BATCH = 10000
PG = "postgresql://postgres@127.0.0.1:5432/"
DEFAULT_STORE_URL = PG + "dgov_bench_load_store"
DEFAULT_PG_SOURCE_URL = PG + "dgov_bench_load_src"
DEFAULT_APP_URL = PG + "dgov_bench_load"
DEFAULT_MYSQL_SOURCE_URL = "mysql://root@127.0.0.1:3306/dgov_bench_load_src"
FORBIDDEN_DBS = {"dgov", "test_dgov", "postgres", "template0", "template1", "mysql", "information_schema",
                 "performance_schema", "sys"}
SOURCE_TABLE = "bench_person"
PROFILE_TABLE = "bench_person_profile"
DEPARTMENT = "360603909"  # 余江区民政局

#: (item, data type, personal data, dataset column, source column, key)
ITEMS = [
    ("姓名", "string", "personal", "xm", "name", False),
    ("公民身份号码", "string", "sensitive", "sfzh", "id_no", True),
    ("联系电话", "string", "personal", "lxdh", "phone", False),
    ("居住地址", "string", "personal", "jzdz", "address", False),
    ("保障类别", "string", "none", "bzlb", "category", False),
    ("月保障金额", "decimal", "none", "ybzje", "monthly_amount", False),
    ("登记日期", "date", "none", "djrq", "registered_on", False),
    ("更新时间", "datetime", "none", "gxsj", "updated_at", False),
]
DATA_COLUMNS = [c[3] for c in ITEMS]
SOURCE_DDL = {
    "postgresql": f"CREATE TABLE {SOURCE_TABLE} (id bigint PRIMARY KEY, name varchar(50) NOT NULL, "
                  "id_no varchar(18) NOT NULL UNIQUE, phone varchar(20), address varchar(200), category varchar(20), "
                  "monthly_amount numeric(10, 2), registered_on date, updated_at timestamp NOT NULL)",
    "mysql": f"CREATE TABLE {SOURCE_TABLE} (id bigint PRIMARY KEY, name varchar(50) NOT NULL, "
             "id_no varchar(18) NOT NULL UNIQUE, phone varchar(20), address varchar(200), category varchar(20), "
             "monthly_amount decimal(10, 2), registered_on date, updated_at datetime NOT NULL, KEY (updated_at)) "
             "CHARACTER SET utf8mb4",
}
SOURCE_COLUMNS = ["id", "name", "id_no", "phone", "address", "category", "monthly_amount", "registered_on",
                  "updated_at"]
CODE_MEASURED = ["aggregation/datastore.py", "aggregation/copytext.py", "aggregation/services.py",
                 "aggregation/sources.py",
                 "federation/apply.py", "federation/feeds.py", "federation/services.py", "federation/protocol.py",
                 "federation/server.py"]


class BenchError(Exception):
    pass


def log(message: str) -> None:
    sys.stderr.write(f"bench/load: {message}\n")
    sys.stderr.flush()


# --- the rows ---------------------------------------------------------------------------------------
SURNAMES = "王李张刘陈杨黄赵吴周徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏"
GIVEN = ["建国", "秀英", "桂兰", "志强", "海燕", "春梅", "国华", "丽华", "明", "芳", "伟", "敏", "静", "磊", "洋", "勇",
         "军", "杰", "娟", "涛", "超", "霞", "平", "刚", "桂英", "玉兰", "文", "华", "金凤", "小红", "子涵", "浩然"]
TOWNS = ["邓埠镇", "锦江镇", "潢溪镇", "中童镇", "马荃镇", "画桥镇", "洪湖乡", "黄庄乡", "春涛镇", "杨溪乡", "刘家站镇",
         "平定乡"]
STREETS = ["新村", "老街", "幸福路", "建设路", "中心村", "解放路", "人民路", "团结村"]
CATEGORIES = ["城市低保", "农村低保", "农村低保", "特困供养", "农村低保", "城市低保", "临时救助"]
AMOUNTS = [Decimal(v) for v in ("420.00", "520.00", "610.00", "680.00", "735.00", "760.00", "385.50", "912.25")]
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
COUNTIES = ["360602", "360603", "360681"]


def id_number(born: dt.date, county: str, serial: int) -> str:
    """A made-up ID number with a valid GB 11643 check character."""
    body = f"{county}{born:%Y%m%d}{serial:03d}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


def generate_rows(n: int) -> list[tuple]:
    """`n` source rows (SOURCE_COLUMNS order), the same for the same n."""
    rng = random.Random(SEED)
    rows, seen = [], set()
    base_born, base_reg = dt.date(1940, 1, 1), dt.date(2015, 1, 1)
    base_upd = dt.datetime(2025, 1, 1, 8, 0, 0)
    while len(rows) < n:
        sfzh = id_number(base_born + dt.timedelta(days=rng.randrange(365 * 65)), rng.choice(COUNTIES),
                         rng.randrange(1000))
        if sfzh in seen:
            continue
        seen.add(sfzh)
        i = len(rows) + 1
        rows.append((i, rng.choice(SURNAMES) + rng.choice(GIVEN), sfzh,
                     f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
                     f"江西省鹰潭市余江区{rng.choice(TOWNS)}{rng.choice(STREETS)}{rng.randrange(1, 300)}号",
                     rng.choice(CATEGORIES), rng.choice(AMOUNTS),
                     base_reg + dt.timedelta(days=rng.randrange(3650)),
                     base_upd + dt.timedelta(seconds=rng.randrange(300 * 86400))))
    return rows


# --- measurement helpers ------------------------------------------------------------------------------
def cpu_stat() -> tuple[int, int] | None:
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError, IndexError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields[:8]) - idle, sum(fields[:8])


class Timer:
    """Wall clock, this process's CPU time, and how many of the machine's CPUs were busy."""

    def __enter__(self):
        self.cpu0, self.stat0, self.t0 = time.process_time(), cpu_stat(), time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.t0
        self.cpu = time.process_time() - self.cpu0
        stat1 = cpu_stat()
        ncpu = os.cpu_count() or 1
        self.machine_busy = (round((stat1[0] - self.stat0[0]) / max(1, stat1[1] - self.stat0[1]) * ncpu, 2)
                             if stat1 and self.stat0 else None)
        return False

    def as_dict(self, rows: int) -> dict:
        return {"rows": rows, "seconds": round(self.seconds, 3), "rows_per_s": round(rows / self.seconds),
                "client_cpu_s": round(self.cpu, 2), "machine_cpus_busy": self.machine_busy}


def file_digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    except OSError:
        return "missing"


def psycopg_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


# --- the worker: sources ------------------------------------------------------------------------------
def fill_pg_source(url: str, rows: list[tuple]) -> dict:
    import psycopg

    with Timer() as t, psycopg.connect(url) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {SOURCE_TABLE}, {PROFILE_TABLE}")
        conn.execute(SOURCE_DDL["postgresql"])
        with conn.cursor().copy(f"COPY {SOURCE_TABLE} ({', '.join(SOURCE_COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        conn.execute(f"CREATE INDEX ON {SOURCE_TABLE} (updated_at)")
        conn.commit()
        conn.autocommit = True
        conn.execute(f"VACUUM ANALYZE {SOURCE_TABLE}")
    return {"seconds": round(t.seconds, 1)}


def fill_mysql_source(url: str, rows: list[tuple]) -> dict:
    import pymysql

    parts = urllib.parse.urlsplit(url)
    with Timer() as t:
        conn = pymysql.connect(host=parts.hostname, port=parts.port or 3306, user=parts.username or "root",
                               password=parts.password or "", database=parts.path.lstrip("/"), charset="utf8mb4")
        try:
            with conn.cursor() as c:
                c.execute(f"DROP TABLE IF EXISTS {SOURCE_TABLE}")
                c.execute(SOURCE_DDL["mysql"])
                sql = f"INSERT INTO {SOURCE_TABLE} ({', '.join(SOURCE_COLUMNS)}) VALUES ({', '.join(['%s'] * 9)})"
                for start in range(0, len(rows), 5000):
                    c.executemany(sql, rows[start:start + 5000])
                c.execute(f"ANALYZE TABLE {SOURCE_TABLE}")
            conn.commit()
        finally:
            conn.close()
    return {"seconds": round(t.seconds, 1)}


def change_pg_source(url: str, share: float) -> int:
    """Change `share` of the rows (amount, phone and update time), as a department's system would."""
    import psycopg

    every = max(1, round(1 / share))
    with psycopg.connect(url) as conn:
        changed = conn.execute(
            f"UPDATE {SOURCE_TABLE} SET monthly_amount = monthly_amount + 10, "
            "phone = '139' || lpad((id * 7919 % 100000000)::text, 8, '0'), "
            "updated_at = TIMESTAMP '2026-01-05 09:00:00' + (id % 3600) * INTERVAL '1 second' "
            f"WHERE id % {every} = 0").rowcount
        conn.commit()
        conn.autocommit = True
        conn.execute(f"VACUUM ANALYZE {SOURCE_TABLE}")
    return changed


# --- the worker: dgov objects -------------------------------------------------------------------------
def make_published_entry(actor, name: str):
    from dgov.catalog.models import Status
    from dgov.catalog.testing import item, make_entry

    items = [item(name, data_type=data_type, personal_data=personal,
                  length=None if data_type in ("decimal", "date", "datetime") else (18 if col == "sfzh" else 200))
             for name, data_type, personal, col, _src, _key in ITEMS]
    return make_entry(actor=actor, name=name, status=Status.PUBLISHED, items=items, department_code=DEPARTMENT,
                      summary="装载性能测试用的数据资源（基准测试数据，非真实数据）。")


def make_dataset(actor, name: str):
    from dgov.aggregation import services

    entry = make_published_entry(actor, name)
    return services.dataset_create(actor=actor, entry=entry, columns=[
        {"name": col, "item_name": item, "is_key": key} for item, _t, _p, col, _src, key in ITEMS])


def make_source(actor, name: str, kind: str, url: str):
    from dgov.aggregation import services
    from dgov.aggregation.models import SourceDatabase
    from dgov.orgs.models import Department

    return services.source_save(actor=actor, instance=SourceDatabase(
        department=Department.objects.get(code=DEPARTMENT), name=name, kind=kind, url=url))


def make_job(actor, name: str, dataset, source, table: str):
    from dgov.aggregation import services
    from dgov.aggregation.models import LoadMode, Schedule, SourceMapping

    mapping = SourceMapping(name=name, dataset=dataset, source=source, source_table=table,
                            column_map={col: src for _i, _t, _p, col, src, _k in ITEMS},
                            mode=LoadMode.FULL, schedule=Schedule.MANUAL)
    return services.mapping_save(actor=actor, instance=mapping)


def make_incremental(actor, mapping):
    from dgov.aggregation import services
    from dgov.aggregation.models import LoadMode, SourceMapping

    mapping = SourceMapping.objects.get(pk=mapping.pk)
    mapping.mode = LoadMode.INCREMENTAL
    mapping.incremental_by = SourceMapping.IncrementalBy.UPDATED_AT
    mapping.incremental_column = "updated_at"
    return services.mapping_save(actor=actor, instance=mapping)


def timed_load(label: str, mapping) -> dict:
    from dgov.aggregation import services

    log(f"  {label} …")
    with Timer() as t:
        run = services.run_load(actor=None, mapping=mapping)
    if run.status != "succeeded":
        raise BenchError(f"{label}: the load failed: {run.error}")
    out = {"what": label, **t.as_dict(run.rows_read), "read": run.rows_read, "written": run.rows_written,
           "unchanged": run.rows_unchanged, "rejected": run.rows_rejected, "deleted": run.rows_deleted,
           "run_id": run.pk}
    log(f"    {out['rows']} rows read, {out['written']} written, {out['unchanged']} unchanged in "
        f"{out['seconds']:.1f} s: {out['rows_per_s']} rows/s")
    return out


def timed_pull(label: str, subscription, batch: int) -> dict:
    from dgov.federation import services as fed

    log(f"  {label} …")
    with Timer() as t:
        run = fed.pull(subscription, batch=batch)
    if run.status != "succeeded":
        raise BenchError(f"{label}: the pull failed: {run.error}")
    rows = run.rows_applied + run.rows_deleted
    out = {"what": label, **t.as_dict(rows), "batch": batch, "batches": run.batches,
           "applied": run.rows_applied, "deleted": run.rows_deleted, "to_seq": run.to_seq}
    log(f"    {rows} changes applied in {run.batches} batches in {out['seconds']:.1f} s: {out['rows_per_s']} rows/s")
    return out


# --- the worker: COPY baselines -----------------------------------------------------------------------
def store_values(rows: list[tuple]) -> list[tuple]:
    """The rows as the data store holds them after a load, in (_key, _seq, _loaded_at, _deleted,
    data columns) order, computed with the data store's own coercion before any timing."""
    from dgov.aggregation import datastore

    now = dt.datetime.now(UTC).replace(tzinfo=None)
    out = []
    for seq, row in enumerate(rows, start=1):
        gxsj = datastore.coerce(row[8], "datetime")
        out.append((row[2], seq, now, False, row[1], row[2], row[3], row[4], row[5], row[6], row[7], gxsj))
    return out


COPY_COLUMNS = ["_key", "_seq", "_loaded_at", "_deleted", *DATA_COLUMNS]


def copy_baseline(store_url: str, like_table: str, values: list[tuple], *, indexed: bool) -> dict:
    import psycopg

    name = "bench_copy_" + ("same" if indexed else "bare")
    with psycopg.connect(store_url) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {name}")
        conn.execute(f"CREATE TABLE {name} (LIKE {like_table} INCLUDING ALL)" if indexed
                     else f"CREATE TABLE {name} (LIKE {like_table} INCLUDING DEFAULTS)")
        conn.commit()
        with Timer() as t:
            with conn.cursor().copy(f"COPY {name} ({', '.join(COPY_COLUMNS)}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
            conn.commit()
        count = conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
        conn.execute(f"DROP TABLE {name}")
        conn.commit()
    if count != len(values):
        raise BenchError(f"COPY wrote {count} rows, not {len(values)}")
    return {"what": "COPY FROM STDIN, same structure" if indexed else "COPY FROM STDIN, no index",
            **t.as_dict(len(values))}


def copy_pipe(source_url: str, store_url: str, like_table: str, n: int) -> dict:
    """Source to store by COPY alone: the database-to-database floor."""
    import psycopg

    name = "bench_copy_pipe"
    select = (f"SELECT id_no, id, now()::timestamp, false, name, id_no, phone, address, category, monthly_amount, "
              f"registered_on, updated_at FROM {SOURCE_TABLE}")
    with psycopg.connect(store_url) as dst, psycopg.connect(source_url) as src:
        dst.execute(f"DROP TABLE IF EXISTS {name}")
        dst.execute(f"CREATE TABLE {name} (LIKE {like_table} INCLUDING ALL)")
        dst.commit()
        with Timer() as t:
            with src.cursor().copy(f"COPY ({select}) TO STDOUT") as out, \
                    dst.cursor().copy(f"COPY {name} ({', '.join(COPY_COLUMNS)}) FROM STDIN") as into:
                for block in out:
                    into.write(block)
            dst.commit()
        dst.execute(f"DROP TABLE {name}")
        dst.commit()
    return {"what": "COPY source TO STDOUT → store FROM STDIN, same structure", **t.as_dict(n)}


# --- the worker: checks -------------------------------------------------------------------------------
def differences_with_source(store_url: str, table: str, source_url: str, n: int) -> int:
    """Rows of the dataset not in the source and the other way round (0 when identical)."""
    import psycopg

    with psycopg.connect(source_url) as src:
        source_rows = src.execute(f"SELECT id_no, name, phone, address, category, monthly_amount, registered_on, "
                                  f"updated_at FROM {SOURCE_TABLE}").fetchall()
    with psycopg.connect(store_url) as conn:
        conn.execute("CREATE TEMP TABLE src_rows (sfzh text, xm text, lxdh text, jzdz text, bzlb text, "
                     "ybzje numeric, djrq date, gxsj timestamp)")
        with conn.cursor().copy("COPY src_rows FROM STDIN") as copy:
            for row in source_rows:
                copy.write_row(row)
        # gxsj is stored in UTC; the source's naive times are Asia/Shanghai (the platform's zone)
        cols = "sfzh, xm, lxdh, jzdz, bzlb, ybzje, djrq, gxsj"
        live = (f"SELECT sfzh, xm, lxdh, jzdz, bzlb, ybzje, djrq, (gxsj AT TIME ZONE 'UTC') AT TIME ZONE "
                f"'Asia/Shanghai' FROM {table} WHERE NOT _deleted")
        a = conn.execute(f"SELECT count(*) FROM ({live} EXCEPT SELECT {cols} FROM src_rows) x").fetchone()[0]
        b = conn.execute(f"SELECT count(*) FROM (SELECT {cols} FROM src_rows EXCEPT {live}) x").fetchone()[0]
        total = conn.execute(f"SELECT count(*) FROM {table} WHERE NOT _deleted").fetchone()[0]
    return a + b + abs(total - len(source_rows))


def differences_between(store_url: str, table_a: str, table_b: str) -> int:
    import psycopg

    cols = ", ".join(["_key", *DATA_COLUMNS])
    with psycopg.connect(store_url) as conn:
        a = conn.execute(f"SELECT count(*) FROM (SELECT {cols} FROM {table_a} WHERE NOT _deleted EXCEPT "
                         f"SELECT {cols} FROM {table_b} WHERE NOT _deleted) x").fetchone()[0]
        b = conn.execute(f"SELECT count(*) FROM (SELECT {cols} FROM {table_b} WHERE NOT _deleted EXCEPT "
                         f"SELECT {cols} FROM {table_a} WHERE NOT _deleted) x").fetchone()[0]
    return a + b


# --- the worker: profile ------------------------------------------------------------------------------
class SqlClock:
    """Time spent inside cursor.execute/executemany, per database and statement kind."""

    def __init__(self):
        import sqlalchemy as sa

        self.sa = sa
        self.totals: dict[str, list] = {}

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        conn.info.setdefault("bench_t0", []).append(time.perf_counter())

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        elapsed = time.perf_counter() - conn.info["bench_t0"].pop()
        words = statement.split()
        kind = words[0].upper() if words else "?"
        table = next((w.strip('"') for w in words[1:12] if w.strip('"').startswith(("ds_", "bench_", "_dgov"))), "")
        key = f"{conn.engine.url.database or 'sqlite'}: {kind} {table}{' (many)' if executemany else ''}"
        entry = self.totals.setdefault(key, [0, 0.0])
        entry[0] += 1
        entry[1] += elapsed

    def __enter__(self):
        self.sa.event.listen(self.sa.engine.Engine, "before_cursor_execute", self._before)
        self.sa.event.listen(self.sa.engine.Engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *exc):
        self.sa.event.remove(self.sa.engine.Engine, "before_cursor_execute", self._before)
        self.sa.event.remove(self.sa.engine.Engine, "after_cursor_execute", self._after)
        return False

    def report(self) -> list[dict]:
        return [{"statement": k, "calls": v[0], "seconds": round(v[1], 2)}
                for k, v in sorted(self.totals.items(), key=lambda kv: -kv[1][1])]


def profile_call(fn) -> tuple[object, dict]:
    profiler = cProfile.Profile()
    clock = SqlClock()
    t0 = time.perf_counter()
    with clock:
        profiler.enable()
        try:
            result = fn()
        finally:
            profiler.disable()
    wall = time.perf_counter() - t0
    stats = pstats.Stats(profiler, stream=io.StringIO())
    rows = []
    for (filename, line, func), (_cc, nc, tt, ct, _callers) in stats.stats.items():
        rows.append({"function": f"{_short(filename)}:{line}({func})", "calls": nc, "tottime": round(tt, 2),
                     "cumtime": round(ct, 2)})
    by_tot = sorted(rows, key=lambda r: -r["tottime"])[:30]
    by_cum = [r for r in sorted(rows, key=lambda r: -r["cumtime"]) if "dgov/" in r["function"]][:30]
    return result, {"wall_s_under_profiler": round(wall, 2), "sql": clock.report(), "top_tottime": by_tot,
                    "top_cumtime_dgov": by_cum}


def _short(filename: str) -> str:
    for marker in ("/dgov/", "/site-packages/", "/lib/python"):
        if marker in filename:
            return marker.strip("/") + "/" + filename.split(marker, 1)[1]
    return filename


# --- the worker -------------------------------------------------------------------------------------------
def worker(args) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dgov.settings.base")
    sys.path.insert(0, str(args.repo))
    import django

    django.setup()
    import psycopg
    from django.conf import settings

    from dgov.aggregation import datastore

    store_url = psycopg_url(datastore.sqlalchemy_url(settings.DGOV_DATASTORE_URL).replace("+psycopg", ""))
    out: dict = {"code": {name: file_digest(args.repo / "dgov" / name) for name in CODE_MEASURED}}
    with psycopg.connect(store_url) as conn:
        out["postgresql"] = {"version": conn.execute("SHOW server_version").fetchone()[0]}
        for name in ("shared_buffers", "synchronous_commit", "wal_level", "max_wal_size", "fsync", "work_mem"):
            out["postgresql"][name] = conn.execute(f"SHOW {name}").fetchone()[0]
    from django.db import connection as app_connection

    out["app_database"] = app_connection.vendor
    sources = [s for s in args.sources.split(",") if s]

    log(f"generating {args.rows} rows")
    with Timer() as t:
        rows = generate_rows(args.rows)
    out["generate_s"] = round(t.seconds, 1)
    out["setup"] = {}
    log("filling the PostgreSQL source")
    out["setup"]["pg_source_fill"] = fill_pg_source(args.pg_source_url, rows)
    if "mariadb" in sources:
        log("filling the MariaDB source")
        out["setup"]["mysql_source_fill"] = fill_mysql_source(args.mysql_source_url, rows)

    from dgov.catalog.testing import make_superuser

    actor = make_superuser("bench_load")
    ds_pg = make_dataset(actor, "归集装载性能测试（PostgreSQL源，基准测试）")
    src_pg = make_source(actor, "装载基准测试源库（PostgreSQL）", "postgresql", args.pg_source_url)
    job_full = make_job(actor, "基准测试全量归集（PostgreSQL）", ds_pg, src_pg, SOURCE_TABLE)
    values = store_values(rows)
    table_pg = ds_pg.table_name

    copies = []

    def copy_round(when: str):
        for i in range(args.copy_repeat):
            log(f"  COPY baseline ({when}, {i + 1}/{args.copy_repeat}) …")
            copies.append({"when": when, **copy_baseline(store_url, table_pg, values, indexed=True)})
            log(f"    {copies[-1]['rows_per_s']} rows/s")
        copies.append({"when": when, **copy_baseline(store_url, table_pg, values, indexed=False)})
        copies.append({"when": when, **copy_pipe(args.pg_source_url, store_url, table_pg, len(rows))})

    log("COPY baselines, before the loads")
    copy_round("before")
    loads, pulls = [], []
    log("aggregation from PostgreSQL")
    loads.append({"source": "postgresql", "kind": "full", **timed_load("full load, empty dataset", job_full)})
    loads.append({"source": "postgresql", "kind": "rerun", **timed_load("full load again, nothing changed", job_full)})
    # A dataset has either one full job or incremental ones (services._clean_mapping): the job
    # becomes incremental (by the update time), which starts it without a watermark.
    job_inc = make_incremental(actor, job_full)
    loads.append({"source": "postgresql", "kind": "incremental-first",
                  **timed_load("incremental job, first run (no watermark yet: reads every row)", job_inc)})

    fed = None
    if args.federation:
        fed = setup_federation(actor, ds_pg)
        log("federation pull")
        pulls.append({"kind": "full", **timed_pull("pull, full dataset", fed["subscription"], args.fed_batch)})

    log(f"changing {args.changed:.0%} of the source rows")
    out["changed_rows"] = change_pg_source(args.pg_source_url, args.changed)
    loads.append({"source": "postgresql", "kind": "incremental",
                  **timed_load(f"incremental load, {args.changed:.0%} of the rows changed", job_inc)})
    if fed:
        pulls.append({"kind": "incremental",
                      **timed_pull(f"pull, the {args.changed:.0%} changed", fed["subscription"], args.fed_batch)})

    checks = {"postgresql_dataset_vs_source": differences_with_source(store_url, table_pg, args.pg_source_url,
                                                                      len(rows))}
    if fed:
        checks["federation_target_vs_dataset"] = differences_between(store_url, table_pg,
                                                                     fed["subscription"].dataset.table_name)

    if "mariadb" in sources:
        log("aggregation from MariaDB")
        ds_my = make_dataset(actor, "归集装载性能测试（MariaDB源，基准测试）")
        src_my = make_source(actor, "装载基准测试源库（MariaDB）", "mysql", args.mysql_source_url)
        job_my = make_job(actor, "基准测试全量归集（MariaDB）", ds_my, src_my, SOURCE_TABLE)
        loads.append({"source": "mariadb", "kind": "full", **timed_load("full load, empty dataset", job_my)})
        loads.append({"source": "mariadb", "kind": "rerun", **timed_load("full load again, nothing changed", job_my)})
        # the MariaDB source holds the rows before the change
        checks["mariadb_dataset_rows"] = datastore.stats(ds_my)[0]
        if checks["mariadb_dataset_rows"] != len(rows):
            raise BenchError(f"the MariaDB dataset holds {checks['mariadb_dataset_rows']} rows, not {len(rows)}")

    log("COPY baselines, after the loads")
    copy_round("after")
    out.update(copies=copies, loads=loads, pulls=pulls, checks=checks)
    bad = {k: v for k, v in checks.items() if k != "mariadb_dataset_rows" and v}
    if bad:
        out["error"] = f"the loaded data differ from the source: {bad}"

    if args.profile_rows:
        out["profile"] = profile(args, actor, min(args.profile_rows, len(rows)))
    Path(args.out).write_text(json.dumps(out, ensure_ascii=False, default=str))
    return 2 if "error" in out else 0


def setup_federation(actor, dataset) -> dict:
    """This node paired with itself (dgov.federation.testing: the caller's and the remote's peer rows
    both hold this node's key; the node endpoints answer through Django's test client), the dataset
    published to the caller, and a new local entry subscribed to the feed."""
    from dgov.federation import node, protocol
    from dgov.federation import services as fed
    from dgov.federation.models import PeerRole
    from dgov.federation.testing import REMOTE, client_transport, peer_row

    protocol.transport = client_transport
    # One access-log line per in-process node request would flood the run's output.
    logging.getLogger("dgov.access").setLevel(logging.WARNING)
    caller = peer_row(node.code(), role=PeerRole.DOWNSTREAM, name="本节点（基准测试对端）")
    remote = peer_row(REMOTE, name="省级节点（基准测试，本进程）")
    fed.publish(peer=caller, entry_code=dataset.entry.code, system=True)
    target = make_published_entry(actor, "回流装载性能测试（基准测试）")
    subscription = fed.subscribe(peer=remote, feed=dataset.entry.code, entry_code=target.code, system=True)
    # One signed request first: the process loads the URL map and the API (a second or more, once per
    # process: a running node has done it long before its first sync).
    protocol.call(remote, "GET", "/federation/v1/feeds")
    return {"caller": caller, "remote": remote, "subscription": subscription}


def profile(args, actor, n: int) -> dict:
    import psycopg

    from dgov.aggregation import services

    log(f"profile: a full load and a pull of {n} rows under cProfile")
    with psycopg.connect(args.pg_source_url) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {PROFILE_TABLE}")
        conn.execute(f"CREATE TABLE {PROFILE_TABLE} AS SELECT * FROM {SOURCE_TABLE} ORDER BY id LIMIT {n}")
    ds = make_dataset(actor, "归集装载性能剖析（基准测试）")
    src = make_source(actor, "装载剖析源库（PostgreSQL）", "postgresql", args.pg_source_url)
    job = make_job(actor, "剖析全量归集", ds, src, PROFILE_TABLE)
    run, load_profile = profile_call(lambda: services.run_load(actor=None, mapping=job))
    out = {"rows": n, "load": {"status": run.status, "read": run.rows_read, "written": run.rows_written,
                               **load_profile}}
    _r, rerun_profile = profile_call(lambda: services.run_load(actor=None, mapping=job))
    out["rerun"] = rerun_profile
    if args.federation:
        from dgov.federation import node
        from dgov.federation import services as fed
        from dgov.federation.models import Peer
        from dgov.federation.testing import REMOTE

        caller, remote = Peer.objects.get(code=node.code()), Peer.objects.get(code=REMOTE)
        fed.publish(peer=caller, entry_code=ds.entry.code, system=True)
        target = make_published_entry(actor, "回流装载性能剖析（基准测试）")
        sub = fed.subscribe(peer=remote, feed=ds.entry.code, entry_code=target.code, system=True)
        pulled, pull_profile = profile_call(lambda: fed.pull(sub, batch=args.fed_batch))
        out["pull"] = {"status": pulled.status, "applied": pulled.rows_applied, **pull_profile}
    return out


# --- the orchestrator ---------------------------------------------------------------------------------------
def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_info(python: Path) -> dict:
    code = "import django, sys, sqlalchemy, psycopg; print(sys.version.split()[0], django.__version__, " \
           "sqlalchemy.__version__, psycopg.__version__)"
    versions = subprocess.run([str(python), "-c", code], capture_output=True, text=True).stdout.split() + ["?"] * 4
    try:
        mem_gb = round(int(Path("/proc/meminfo").read_text().split()[1]) / 1e6, 1)
    except (OSError, ValueError, IndexError):
        mem_gb = None
    return {"cpu_model": cpu_model(), "nproc": os.cpu_count(), "memory_gb": mem_gb, "kernel": platform.release(),
            "python": versions[0], "django": versions[1], "sqlalchemy": versions[2], "psycopg": versions[3],
            "loadavg_before": [round(x, 2) for x in os.getloadavg()]}


def db_name(url: str) -> str:
    name = urllib.parse.urlsplit(url).path.lstrip("/")
    if not name or name in FORBIDDEN_DBS or "bench" not in name:
        raise BenchError(f"refusing to use database {name!r}: the benchmark drops and re-creates its databases, so "
                         "each must be a dedicated one with 'bench' in its name (not dgov or test_dgov)")
    return name


def pg_recreate(url: str, *, create: bool) -> None:
    import psycopg
    from psycopg import sql

    name = db_name(url)
    admin = urllib.parse.urlunsplit(urllib.parse.urlsplit(url)._replace(path="/postgres"))
    try:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            if create:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error as exc:
        raise BenchError(f"PostgreSQL at {urllib.parse.urlsplit(admin).netloc}: {exc}") from exc


def mysql_recreate(url: str, *, create: bool) -> None:
    import pymysql

    name = db_name(url)
    parts = urllib.parse.urlsplit(url)
    try:
        conn = pymysql.connect(host=parts.hostname, port=parts.port or 3306, user=parts.username or "root",
                               password=parts.password or "", charset="utf8mb4")
    except pymysql.Error as exc:
        raise BenchError(f"MariaDB at {parts.netloc}: {exc} (or leave it out: --sources postgresql)") from exc
    try:
        with conn.cursor() as c:
            c.execute(f"DROP DATABASE IF EXISTS `{name}`")
            if create:
                c.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    finally:
        conn.close()


def run(args, repo: Path) -> dict:
    python = repo / ".venv" / "bin" / "python"
    workdir = Path(tempfile.mkdtemp(prefix="dgov-bench-load-"))
    data = workdir / "data"
    sources = [s for s in args.sources.split(",") if s]
    pg_dbs = [args.store_url, args.pg_source_url] + ([args.app_url] if args.app_db == "postgresql" else [])
    env = {k: v for k, v in os.environ.items() if k not in ("PROMETHEUS_MULTIPROC_DIR", "DGOV_DATABASE_URL")}
    env.update({"DGOV_DATA_DIR": str(data), "DGOV_DEBUG": "0", "DJANGO_SETTINGS_MODULE": "dgov.settings.base",
                "DGOV_DATASTORE_URL": args.store_url, "DGOV_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver"})
    if args.app_db == "postgresql":
        env["DGOV_DATABASE_URL"] = args.app_url
    try:
        for url in pg_dbs:
            log(f"re-creating the PostgreSQL database {db_name(url)}")
            pg_recreate(url, create=True)
        if "mariadb" in sources:
            log(f"re-creating the MariaDB database {db_name(args.mysql_source_url)}")
            mysql_recreate(args.mysql_source_url, create=True)
        log(f"data directory {data}; dgov init --no-static (migrations, reference data)")
        with (workdir / "setup.log").open("a") as err:
            done = subprocess.run([str(repo / ".venv" / "bin" / "dgov"), "init", "--no-static"], env=env,
                                  stdout=err, stderr=subprocess.STDOUT)
        if done.returncode:
            raise BenchError(f"dgov init failed (exit {done.returncode}); see {workdir / 'setup.log'} (kept)")
        out_file = workdir / "worker.json"
        cmd = [str(python), str(Path(__file__).resolve()), "--worker", "--repo", str(repo), "--out", str(out_file),
               *worker_args(args)]
        done = subprocess.run(cmd, env=env)
        if not out_file.exists():
            raise BenchError(f"the worker failed (exit {done.returncode})")
        result = json.loads(out_file.read_text())
        result["worker_exit"] = done.returncode
        return result
    finally:
        if args.keep:
            log(f"kept {workdir} and the databases")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
            for url in pg_dbs:
                try:
                    pg_recreate(url, create=False)
                except Exception as exc:  # noqa: BLE001  (report and go on: the figures are what matters)
                    log(f"could not drop {db_name(url)}: {exc}")
            if "mariadb" in sources:
                try:
                    mysql_recreate(args.mysql_source_url, create=False)
                except Exception as exc:  # noqa: BLE001
                    log(f"could not drop the MariaDB database: {exc}")


def worker_args(args) -> list[str]:
    out = ["--rows", str(args.rows), "--changed", str(args.changed), "--sources", args.sources,
           "--pg-source-url", args.pg_source_url, "--mysql-source-url", args.mysql_source_url,
           "--copy-repeat", str(args.copy_repeat), "--fed-batch", str(args.fed_batch),
           "--profile-rows", str(args.profile_rows), "--target", str(args.target)]
    if not args.federation:
        out.append("--no-federation")
    return out


def summarise(result: dict, target: float) -> dict:
    same = [c["rows_per_s"] for c in result["copies"] if c["what"].endswith("same structure")
            and c["what"].startswith("COPY FROM")]
    baseline = statistics.median(same)
    judged = []
    for item in result["loads"] + result["pulls"]:
        item["ratio"] = round(item["rows_per_s"] / baseline, 3)
        if item["kind"] == "full":
            item["judged"] = True
            item["met"] = item["ratio"] >= target
            judged.append(item["met"])
    return {"copy_rows_per_s": round(baseline), "copy_samples": same, "target": target,
            "met": bool(judged) and all(judged)}


def fmt(n) -> str:
    return f"{n:,}".replace(",", " ") if isinstance(n, int) else str(n)


def markdown(report: dict) -> str:
    r, s, m = report["result"], report["summary"], report["machine"]
    lines = [f"# dgov load benchmark: aggregation and federation into PostgreSQL vs COPY — {report['started']}", "",
             f"{fmt(report['rows'])} rows; {m['cpu_model']}, {m['nproc']} CPUs, {m['memory_gb']} GB, kernel "
             f"{m['kernel']}; Python {m['python']}, Django {m['django']}, SQLAlchemy {m['sqlalchemy']}, psycopg "
             f"{m['psycopg']}; PostgreSQL {r['postgresql']['version']} "
             f"({', '.join(f'{k}={v}' for k, v in r['postgresql'].items() if k != 'version')}); application "
             f"database {r['app_database']}. Load average before {m['loadavg_before']}, after "
             f"{m.get('loadavg_after')}.", "",
             f"Baseline: COPY FROM STDIN into a table of the dataset table's structure, median of "
             f"{len(s['copy_samples'])}: **{fmt(s['copy_rows_per_s'])} rows/s** (samples {s['copy_samples']}). "
             f"Target: {s['target']:.0%} of it.", "",
             "| what | rows | s | rows/s | vs COPY | verdict | client CPU s | CPUs busy |",
             "|---|---:|---:|---:|---:|---|---:|---:|"]
    for c in r["copies"]:
        lines.append(f"| {c['what']} ({c['when']}) | {fmt(c['rows'])} | {c['seconds']} | {fmt(c['rows_per_s'])} | "
                     f"{c['rows_per_s'] / s['copy_rows_per_s']:.2f} | | {c['client_cpu_s']} | "
                     f"{c['machine_cpus_busy']} |")
    for item in r["loads"]:
        verdict = ("**PASS**" if item["met"] else "**FAIL**") if item.get("judged") else ""
        lines.append(f"| aggregation from {item['source']}: {item['what']} (written {fmt(item['written'])}, "
                     f"unchanged {fmt(item['unchanged'])}) | {fmt(item['rows'])} | {item['seconds']} | "
                     f"{fmt(item['rows_per_s'])} | {item['ratio']:.1%} | {verdict} | {item['client_cpu_s']} | "
                     f"{item['machine_cpus_busy']} |")
    for item in r["pulls"]:
        verdict = ("**PASS**" if item["met"] else "**FAIL**") if item.get("judged") else ""
        lines.append(f"| federation (in process): {item['what']} (batch {item['batch']}, {item['batches']} batches) | "
                     f"{fmt(item['rows'])} | {item['seconds']} | {fmt(item['rows_per_s'])} | {item['ratio']:.1%} | "
                     f"{verdict} | {item['client_cpu_s']} | {item['machine_cpus_busy']} |")
    if r.get("error"):
        lines += ["", f"**The run failed its checks: {r['error']}**"]
    lines += ["", f"**Verdict: {'met' if s['met'] else 'not met'}** (every full load ≥ {s['target']:.0%} of COPY).",
              "", f"Checks (0 = identical): {r['checks']}; source rows changed for the incremental load: "
              f"{r.get('changed_rows')}.", "",
              "Code measured (sha256, first 16 hex): " + ", ".join(f"`{k}` {v}" for k, v in r["code"].items()), ""]
    prof = r.get("profile")
    if prof:
        lines += [f"## Profile ({fmt(prof['rows'])} rows, cProfile: times inflated, shares indicative)", ""]
        for part in ("load", "rerun", "pull"):
            p = prof.get(part)
            if not p:
                continue
            lines += [f"### {part}: {p['wall_s_under_profiler']} s under the profiler", "",
                      "SQL statements (time inside cursor execute):", "", "| statement | calls | s |",
                      "|---|---:|---:|"]
            lines += [f"| {x['statement']} | {x['calls']} | {x['seconds']} |" for x in p["sql"][:10]]
            lines += ["", "Functions by own time:", "", "| function | calls | own s | cumulative s |",
                      "|---|---:|---:|---:|"]
            lines += [f"| `{x['function']}` | {x['calls']} | {x['tottime']} | {x['cumtime']} |"
                      for x in p["top_tottime"][:18]]
            lines += ["", "dgov functions by cumulative time:", "", "| function | calls | own s | cumulative s |",
                      "|---|---:|---:|---:|"]
            lines += [f"| `{x['function']}` | {x['calls']} | {x['tottime']} | {x['cumtime']} |"
                      for x in p["top_cumtime_dgov"][:15]]
            lines.append("")
    return "\n".join(lines) + "\n"


def parse_args(argv):
    p = argparse.ArgumentParser(prog="bench/load/run", description=__doc__.split("\n\n")[0])
    p.add_argument("--repo", type=Path, default=Path(__file__).resolve().parents[2], help=argparse.SUPPRESS)
    p.add_argument("--rows", type=int, default=200_000, help="rows of the dataset (default 200000)")
    p.add_argument("--changed", type=float, default=0.10, help="share of rows changed before the incremental load")
    p.add_argument("--sources", default="postgresql,mariadb",
                   help="source databases: postgresql[,mariadb] (default both)")
    p.add_argument("--store-url", default=DEFAULT_STORE_URL, help=f"the data store (default {DEFAULT_STORE_URL})")
    p.add_argument("--pg-source-url", default=DEFAULT_PG_SOURCE_URL, help=f"default {DEFAULT_PG_SOURCE_URL}")
    p.add_argument("--mysql-source-url", default=DEFAULT_MYSQL_SOURCE_URL, help=f"default {DEFAULT_MYSQL_SOURCE_URL}")
    p.add_argument("--app-db", choices=["sqlite", "postgresql"], default="sqlite",
                   help="the application database (default sqlite, in the data directory)")
    p.add_argument("--app-url", default=DEFAULT_APP_URL, help=f"with --app-db postgresql (default {DEFAULT_APP_URL})")
    p.add_argument("--copy-repeat", type=int, default=2, help="COPY baselines before and after the loads (default 2)")
    p.add_argument("--fed-batch", type=int, default=FED_BATCH,
                   help=f"changes per federation batch (default {FED_BATCH}, as dgov sync pull; at most "
                        f"{FED_MAX_BATCH})")
    p.add_argument("--no-federation", dest="federation", action="store_false", help="skip the federation pull")
    p.add_argument("--profile-rows", type=int, default=30_000, help="rows of the profiled load (0: no profile)")
    p.add_argument("--target", type=float, default=TARGET, help="share of COPY's rows/s to reach (default 0.25)")
    p.add_argument("--results", type=Path, help="output directory (default bench/load/results)")
    p.add_argument("--keep", action="store_true", help="keep the data directory and the databases")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if (args.rows < 1000 or not 0 < args.changed <= 1 or args.copy_repeat < 1
            or not 1 <= args.fed_batch <= FED_MAX_BATCH):
        p.error(f"--rows ≥ 1000, 0 < --changed ≤ 1, --copy-repeat ≥ 1, "
                f"1 ≤ --fed-batch ≤ {FED_MAX_BATCH}")
    if set(args.sources.split(",")) - {"postgresql", "mariadb"} or "postgresql" not in args.sources.split(","):
        p.error("--sources: postgresql, optionally with mariadb")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    repo = args.repo.resolve()
    if args.worker:
        try:
            return worker(args)
        except BenchError as exc:
            log(f"FAILED: {exc}")
            return 2
    results_dir = (args.results or repo / "bench" / "load" / "results").resolve()
    started = datetime.now(UTC)
    machine = machine_info(repo / ".venv" / "bin" / "python")
    try:
        for url in [args.store_url, args.pg_source_url, args.mysql_source_url, args.app_url]:
            db_name(url)
        result = run(args, repo)
    except BenchError as exc:
        log(f"FAILED: {exc}")
        return 2
    machine["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    if not result.get("loads") or not result.get("copies"):
        log(f"FAILED: {result.get('error') or 'the worker failed'}")
        return 2
    report = {"benchmark": "dgov aggregation and federation load speed into PostgreSQL vs COPY",
              "started": started.strftime("%Y-%m-%d %H:%M:%S UTC"), "rows": args.rows, "changed": args.changed,
              "sources": args.sources, "fed_batch": args.fed_batch, "seed": SEED, "machine": machine,
              "result": result}
    report["summary"] = summarise(result, args.target)
    md = markdown(report)
    sys.stdout.write(md)
    stamp = started.strftime("%Y-%m-%dT%H%M%SZ")
    results_dir.mkdir(parents=True, exist_ok=True)
    text = json.dumps(report, indent=1, ensure_ascii=False, default=str) + "\n"
    (results_dir / f"{stamp}.json").write_text(text)
    (results_dir / f"{stamp}.md").write_text(md)
    (results_dir / "latest.json").write_text(text)
    log(f"results written to {results_dir}/{stamp}.{{json,md}} and latest.json")
    if "error" in result or result.get("worker_exit"):
        log(f"FAILED: {result.get('error') or 'the worker failed'}")
        return 2
    return 0 if report["summary"]["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
