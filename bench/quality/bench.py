"""The quality-engine benchmark of issue 6 (run it through `bench/quality/run`).

16 rules (data.py) over the `people` table (10 000 000 rows by default, generated inside PostgreSQL and reused
while it has the right row count) in the database `dgov_bench_quality`, timed in the same run:

  engine        dgov.quality.engine.run(conn, table, checks, sample_size=0)
  engine+samp   the same with sample_size=5 (a LIMITed sample query per failing row-level rule)
  hand SQL      the fastest of the hand-written variants in handsql.py (each timed, the fastest by median kept);
                its counts must equal the engine's, or the run fails
  GX            Great Expectations (GX Core 1.x), .venv-gx, gx_worker.py
  Soda          Soda Core (soda-core-postgres, SodaCL), .venv-soda, soda_worker.py
  DuckDB        the hand-written SQL in DuckDB over a Parquet copy (.data/), duck_worker.py: the columnar limit

Every tool runs --rounds times after one untimed warm-up round; the order is reversed every other round. The
libraries run in their own processes: their import and set-up time is recorded apart from the timed run.
work_mem is set for the database (ALTER DATABASE … SET), so every client, the engine's SET LOCAL included, uses
the same value. Exit status: 0 when the engine is within --target × the hand SQL, 1 when not, 2 on failure.
"""

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))  # bench/, for common.py
import data  # noqa: E402
import handsql  # noqa: E402
from common import BenchError, cpu_model, cpus_usable, loadavg, logger, memory_gb, write_results  # noqa: E402

log = logger("bench/quality")
PG_SETTINGS = ("work_mem", "shared_buffers", "effective_cache_size", "max_parallel_workers_per_gather",
               "max_parallel_workers", "max_worker_processes", "jit", "random_page_cost", "hash_mem_multiplier",
               "effective_io_concurrency", "server_version")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repo", type=Path, default=HERE.parents[1])
    p.add_argument("--database", default="dgov_bench_quality")
    p.add_argument("--rows", type=int, default=10_000_000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--work-mem", default="64MB", help="PostgreSQL work_mem for every client (the engine's default)")
    p.add_argument("--regenerate", action="store_true", help="re-create the table even if it exists")
    p.add_argument("--skip", default="", help="comma-separated tools to leave out: gx,soda,duckdb")
    p.add_argument("--variants", default="v4,v3,v2", help="the hand-written SQL variants to time (handsql.py)")
    p.add_argument("--target", type=float, default=1.25)
    p.add_argument("--results", type=Path, default=HERE / "results")
    return p.parse_args()


# --- PostgreSQL -------------------------------------------------------------------------------------------------
def pg_url(db: str, driver: str = "") -> str:
    return f"postgresql{'+' + driver if driver else ''}://postgres@127.0.0.1:5432/{db}"


def ensure_database(db: str):
    if "bench" not in db:
        raise BenchError(f"refusing database {db!r}: its name must contain 'bench'")
    import psycopg

    with psycopg.connect(pg_url("postgres"), autocommit=True) as c:
        if not c.execute("SELECT 1 FROM pg_database WHERE datname = %s", (db,)).fetchone():
            c.execute(f'CREATE DATABASE "{db}"')


def ensure_table(db: str, table: str, rows: int, regenerate: bool) -> dict:
    import psycopg

    with psycopg.connect(pg_url(db), autocommit=True) as c:
        exists = c.execute("SELECT to_regclass(%s) IS NOT NULL AND to_regclass('regions') IS NOT NULL",
                           (table,)).fetchone()[0]
        if exists and not regenerate and c.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == rows:
            log(f"reusing {table} ({rows} rows)")
            return {"generated": False}
        setup, insert, finish = data.generate_sql(table)
        log(f"generating {table}: {rows} rows inside PostgreSQL")
        started = time.perf_counter()
        for s in setup:
            c.execute(s)
    chunk = max(1, min(1_000_000, -(-rows // 4)))
    ranges = [(a, min(rows, a + chunk - 1)) for a in range(1, rows + 1, chunk)]
    errors = []

    def worker():
        with psycopg.connect(pg_url(db), autocommit=True) as w:
            w.execute("SET synchronous_commit = off")
            while True:
                try:
                    first, last = ranges.pop(0)
                except IndexError:
                    return
                try:
                    w.execute(insert.format(first=first, last=last))
                except Exception as exc:  # noqa: BLE001 - reported below
                    errors.append(exc)
                    return

    threads = [threading.Thread(target=worker) for _ in range(max(1, cpus_usable() or 1))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise BenchError(f"generating the table failed: {errors[0]}")
    inserted = time.perf_counter() - started
    with psycopg.connect(pg_url(db), autocommit=True) as c:
        for s in finish:
            c.execute(s)
        size = c.execute("SELECT pg_total_relation_size(%s)", (table,)).fetchone()[0]
    return {"generated": True, "insert_s": round(inserted, 1), "total_s": round(time.perf_counter() - started, 1),
            "bytes": size}


def pg_facts(db: str, table: str, work_mem: str) -> dict:
    import psycopg

    with psycopg.connect(pg_url(db), autocommit=True) as c:
        c.execute(f"ALTER DATABASE \"{db}\" SET work_mem = '{work_mem}'")
    with psycopg.connect(pg_url(db), autocommit=True) as c:
        out = {s: c.execute(f"SHOW {s}").fetchone()[0] for s in PG_SETTINGS}
        out["table_bytes"] = c.execute("SELECT pg_relation_size(%s)", (table,)).fetchone()[0]
        out["table_total_bytes"] = c.execute("SELECT pg_total_relation_size(%s)", (table,)).fetchone()[0]
    return out


# --- the tools ----------------------------------------------------------------------------------------------------
class Engine:
    def __init__(self, db: str, table: str, sample_size: int):
        import sqlalchemy as sa
        from django.conf import settings

        if not settings.configured:
            settings.configure(DGOV_QUALITY_WORK_MEM=None, USE_TZ=True)
        from dgov.quality import engine

        self.engine = engine
        self.sa = sa.create_engine(pg_url(db, "psycopg"))
        self.conn = self.sa.connect()
        self.table, self.sample_size = table, sample_size
        self.checks = [engine.Check(key, kind, cols, params, personal=tuple(c for c in cols if c in data.PERSONAL))
                       for key, kind, cols, params in data.RULES]

    def statements(self) -> list[str]:
        return self.engine.statements(self.conn, self.table, self.checks, now=data.NOW)

    def __call__(self) -> dict:
        started = time.perf_counter()
        out = self.engine.run(self.conn, self.table, self.checks, sample_size=self.sample_size, now=data.NOW)
        seconds = time.perf_counter() - started
        counts = {"rows": out.rows}
        for o in out.outcomes:
            if o.error:
                raise BenchError(f"engine: rule {o.key}: {o.error}")
            counts[o.key] = {"checked": o.checked, "failed": o.failed, **{k: v for k, v in o.details.items()
                                                                          if k in ("nulls", "empty", "groups")}}
            if o.sample:
                counts[o.key]["sample_rows"] = len(o.sample)
        return {"seconds": seconds, "counts": counts, "statements": out.statements}


class Hand:
    def __init__(self, db: str, table: str, variant: str):
        import psycopg
        from psycopg.rows import dict_row

        self.conn = psycopg.connect(pg_url(db), autocommit=True, row_factory=dict_row)
        self.statements = handsql.variants(table)[variant]
        self.variant = variant

    def __call__(self) -> dict:
        started = time.perf_counter()
        merged = {}
        for sql in self.statements:
            merged.update({k: int(v) if k != "latest" and v is not None else v
                           for k, v in self.conn.execute(sql).fetchone().items()})
        seconds = time.perf_counter() - started
        return {"seconds": seconds, "counts": handsql.collect(merged), "statements": len(self.statements)}


class Worker:
    """A library run in its own virtualenv: one process per timed run."""

    def __init__(self, python: Path, args: list[str], name: str):
        self.cmd = [str(python), *args]
        self.name = name

    def __call__(self) -> dict:
        env = {**os.environ, "GX_ANALYTICS_ENABLED": "false", "PYTHONWARNINGS": "ignore"}
        proc = subprocess.run(self.cmd, capture_output=True, text=True, env=env, cwd=HERE)
        if proc.returncode:
            raise BenchError(f"{self.name} failed:\n{proc.stderr[-3000:]}")
        try:
            return json.loads(proc.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            raise BenchError(f"{self.name}: no result:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}") from None


# --- comparing counts ---------------------------------------------------------------------------------------------
def compare(reference: dict, other: dict, name: str, keys=("checked", "failed", "nulls", "empty", "groups")):
    diffs = []
    if reference["rows"] != other["rows"]:
        diffs.append(f"rows {reference['rows']} != {other['rows']}")
    for rule, ref in reference.items():
        if rule == "rows":
            continue
        for k in keys:
            if k in ref and k in other.get(rule, {}) and ref[k] != other[rule][k]:
                diffs.append(f"{rule}.{k}: hand SQL {ref[k]}, {name} {other[rule][k]}")
            elif k in ref and k not in other.get(rule, {}) and k in ("checked", "failed"):
                diffs.append(f"{rule}.{k}: missing in {name}")
    return diffs


def library_counts(hand: dict, lib: dict, lib_name: str) -> tuple[dict, list[str]]:
    """Each library's reported value per rule next to the hand SQL's rows / groups; notes where they differ."""
    table, notes = {}, []
    for key, _, _, _ in data.RULES:
        ref = hand[key]
        got = (lib.get("rules") or {}).get(key, {})
        value = got.get("failed")
        value = int(value) if isinstance(value, (int, float)) else value
        agrees = value == ref["failed"]
        if not agrees and key.startswith("unique") and value == ref.get("groups"):
            agrees = "groups"
        table[key] = {"value": value, "hand_failed": ref["failed"], "hand_groups": ref.get("groups"),
                      "agrees": agrees, "how": got.get("how", "")}
        if agrees is False:
            notes.append(f"{lib_name} {key}: reports {value}, hand SQL failed={ref['failed']}")
    return table, notes


# --- main ---------------------------------------------------------------------------------------------------------
def timed(name: str, results: dict, fn, rnd: int):
    out = fn()
    results.setdefault(name, []).append(out)
    log(f"round {rnd}: {name:<14} {out['seconds']:8.2f} s")
    return out


def summary(runs: list[dict]) -> dict:
    secs = [r["seconds"] for r in runs]
    return {"median_s": statistics.median(secs), "min_s": min(secs), "runs_s": [round(s, 3) for s in secs]}


def main() -> int:
    args = parse_args()
    sys.path.insert(0, str(args.repo))
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    started = dt.datetime.now(dt.UTC)
    table = data.table_name(args.rows)
    load0 = loadavg()
    ensure_database(args.database)
    generation = ensure_table(args.database, table, args.rows, args.regenerate)
    facts = pg_facts(args.database, table, args.work_mem)
    os.environ["DGOV_QUALITY_WORK_MEM"] = ""  # the database default (args.work_mem) applies to the engine too

    tools = {"engine": Engine(args.database, table, 0)}
    engine_statements = tools["engine"].statements()
    variants = [v for v in args.variants.split(",") if v in handsql.variants(table)]
    for v in variants:
        tools[f"hand_{v}"] = Hand(args.database, table, v)
    tools["engine_samples"] = Engine(args.database, table, 5)
    versions = {}
    if "duckdb" not in skip:
        duck_py = HERE / ".venv-duckdb/bin/python"
        directory = HERE / ".data"
        marker = directory / f"{table}.json"
        if not marker.exists() or json.loads(marker.read_text()).get("rows") != args.rows or generation["generated"]:
            log("exporting the table to Parquet for DuckDB")
            exported = Worker(duck_py, ["duck_worker.py", "export", pg_url(args.database), table, str(directory)],
                              "duckdb export")()
            marker.write_text(json.dumps(exported))
        generation["parquet"] = json.loads(marker.read_text())
        tools["duckdb"] = Worker(duck_py, ["duck_worker.py", "run", str(directory), table, "v3"], "duckdb")
    if "gx" not in skip:
        tools["gx"] = Worker(HERE / ".venv-gx/bin/python", ["gx_worker.py", pg_url(args.database, "psycopg2"), table],
                             "gx")
    if "soda" not in skip:
        tools["soda"] = Worker(HERE / ".venv-soda/bin/python", ["soda_worker.py", args.database, table], "soda")

    # warm-up (untimed): the table into the page cache, the engine and the first hand SQL variant once, their
    # counts compared (every tool's counts are compared again in each timed round)
    log("warm-up round")
    warm = {name: tools[name]() for name in ("engine", f"hand_{variants[0]}")}
    hand = warm[f"hand_{variants[0]}"]["counts"]
    problems = []
    for name, out in warm.items():
        if name.startswith(("engine", "hand", "duckdb")):
            problems += compare(hand, out["counts"], name)
    if problems:
        for p in problems:
            log("COUNT MISMATCH " + p)
        raise BenchError("the counts differ from the hand-written SQL's (see above)")
    results: dict[str, list] = {}
    order = list(tools)
    for rnd in range(1, args.rounds + 1):
        for name in (order if rnd % 2 else order[::-1]):
            out = timed(name, results, tools[name], rnd)
            if name.startswith(("engine", "hand", "duckdb")):
                bad = compare(hand, out["counts"], name)
                if bad:
                    raise BenchError(f"round {rnd}: {name}: counts differ: {bad[:5]}")

    stats = {name: summary(runs) for name, runs in results.items()}
    best = min(variants, key=lambda v: stats[f"hand_{v}"]["median_s"])
    base = stats[f"hand_{best}"]["median_s"]
    base_min = stats[f"hand_{best}"]["min_s"]
    for s in stats.values():
        s["ratio_median"] = s["median_s"] / base
        s["ratio_min"] = s["min_s"] / base_min
    lib_tables, lib_notes = {}, []
    for lib in ("gx", "soda"):
        if lib in results:
            out = results[lib][-1]
            lib_tables[lib], notes = library_counts(hand, out, lib)
            lib_notes += notes
            versions[lib] = out.get("version")
            stats[lib]["setup_median_s"] = statistics.median(r["setup_s"] for r in results[lib])
    if "duckdb" in results:
        versions["duckdb"] = results["duckdb"][-1]["version"]
        stats["duckdb"]["threads"] = results["duckdb"][-1].get("threads")
    ratio = stats["engine"]["ratio_median"]
    met = ratio <= args.target
    result = {
        "started": started.isoformat(timespec="seconds"), "finished": dt.datetime.now(dt.UTC).isoformat(
            timespec="seconds"),
        "table": table, "rows": args.rows,
        "rules": [dict(zip(("key", "kind", "columns", "params"), r, strict=True)) for r in data.RULES],
        "generation": generation, "rounds": args.rounds, "target": args.target, "engine_ratio": ratio, "met": met,
        "hand_best_variant": best, "hand_statements": {v: handsql.variants(table)[v] for v in variants},
        "engine_statements": engine_statements, "engine_statement_count": results["engine"][-1]["statements"],
        "engine_samples_statement_count": results["engine_samples"][-1]["statements"],
        "stats": stats, "counts": hand, "library_counts": lib_tables, "library_notes": lib_notes,
        "versions": {**versions, "python": platform.python_version(), **{k: facts[k] for k in ("server_version",)}},
        "machine": {"cpus": cpus_usable(), "cpu_model": cpu_model(), "memory_gb": memory_gb(),
                    "kernel": platform.release(), "loadavg_before": load0, "loadavg_after": loadavg()},
        "postgresql": facts,
    }
    md = markdown(result)
    print(md)
    stem = started.strftime("%Y-%m-%dT%H%M%SZ") + ("" if args.rows == 10_000_000 else f"-{args.rows}")
    write_results(args.results, stem, result, md)
    return 0 if met else 1


def mark(cell: dict) -> str:
    """How a library's figure relates to the hand SQL's: equal (nothing), the duplicate groups, or different."""
    if not cell or cell.get("agrees") is True:
        return ""
    return " (groups)" if cell.get("agrees") == "groups" else " ≠"


def markdown(r: dict) -> str:
    s = r["stats"]
    best = r["hand_best_variant"]
    names = [("engine", f"engine, sample_size=0 ({r['engine_statement_count']} statements)"),
             ("engine_samples", f"engine, sample_size=5 ({r['engine_samples_statement_count']} statements)")]
    names += [(k, f"hand SQL {k[5:]} ({len(r['hand_statements'][k[5:]])} statements)"
               + (" — baseline (a)" if k == f"hand_{best}" else "")) for k in s if k.startswith("hand_")]
    names += [("gx", f"Great Expectations {r['versions'].get('gx', '')}"),
              ("soda", f"Soda Core {r['versions'].get('soda', '')}"),
              ("duckdb", f"DuckDB {r['versions'].get('duckdb', '')} over Parquet (columnar limit)")]
    pg = r["postgresql"]
    m = r["machine"]
    lines = [f"# Quality-engine benchmark, {r['started']}", "",
             f"16 rules over `{r['table']}` ({r['rows']:,} rows), PostgreSQL {pg['server_version']}, "
             f"{r['rounds']} rounds after a warm-up, order reversed every other round. "
             f"Target: engine ≤ {r['target']}× hand SQL → **{'met' if r['met'] else 'missed'}** "
             f"({r['engine_ratio']:.2f}×).", "",
             "| tool | median s | min s | × hand SQL (median) | × hand SQL (min) |", "|---|---:|---:|---:|---:|"]
    for key, label in names:
        if key in s:
            lines.append(f"| {label} | {s[key]['median_s']:.2f} | {s[key]['min_s']:.2f} | "
                         f"{s[key]['ratio_median']:.2f} | {s[key]['ratio_min']:.2f} |")
    lines += ["", "Library set-up (imports, context, suite) is not in the timed figure: "
              + ", ".join(f"{k} {s[k]['setup_median_s']:.1f} s" for k in ("gx", "soda") if k in s) + ".", "",
              f"Machine: {m['cpus']} CPUs ({m['cpu_model']}), {m['memory_gb']} GiB, load {m['loadavg_before']} → "
              f"{m['loadavg_after']}. PostgreSQL: " + ", ".join(f"{k}={pg[k]}" for k in PG_SETTINGS
                                                               if k != "server_version") + ".", ""]
    if r["library_counts"]:
        lines += ["| rule | hand SQL failed rows (groups) | GX | Soda |", "|---|---:|---:|---:|"]
        for key, *_ in data.RULES:
            g = r["library_counts"].get("gx", {}).get(key, {})
            so = r["library_counts"].get("soda", {}).get(key, {})
            h = r["counts"][key]
            lines.append(f"| {key} | {h['failed']}" + (f" ({h['groups']})" if "groups" in h else "")
                         + f" | {g.get('value', '–')}{mark(g)} | {so.get('value', '–')}{mark(so)} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        log(f"FAILED: {exc}")
        sys.exit(2)
