"""The open-data API benchmark of issue 7 (run it through `bench/opendata/run`; see bench/README.md, "Open-data
API").

One run on PostgreSQL (the application database `dgov_bench_opendata` and the data store
`dgov_bench_opendata_store`, both dropped and re-created): `dgov init`; 20 000 catalog entries generated as
bench/catalog does, all published and opened (every fifth 有条件开放), each an open dataset with one or two
topics; one of them with 1 000 000 rows in the data store. Each query is then recorded once inside Django
(`opendata_bench.tool capture`: every SQL statement it sends, to both databases), and `dgov serve` (its default
workers) with the benchmark's settings (`site/opendata_bench`: dgov's settings and URLs plus the baseline view)
is loaded by `wrk` at 16 connections, interleaving for each query

  api   GET /api/3/action/<action>?<query>    the CKAN-compatible Action API, anonymous, as ckanapi calls it
  bare  GET /bench/opendata/<query name>      the same SQL statements replayed on the same server, rows as JSON

Reported per query and side: requests/s and p50/p90/p95/p99 latency (medians over rounds), the API's p95 and
throughput against the bare view's. The issue asks to record the figures; no target is set. Exit status: 0 when
the run completed without errors, 1 when a phase had errors, 2 when the run itself failed.
"""

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/, for common.py
from common import (  # noqa: E402
    BenchError,
    cpu_model,
    http_get,
    loadavg,
    logger,
    memory_gb,
    pg_recreate,
    run_cmd,
    run_wrk,
    start_server,
    stop_server,
    tail,
    venv_versions,
    write_results,
    wrk_report_lua,
    wrk_version,
)

HERE = Path(__file__).resolve().parent
SITE = HERE / "site"
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
PG_DATABASE = "dgov_bench_opendata"
FACETS = json.dumps(["organization", "groups", "res_format", "license_id"])

# name -> (action, query parameters, what)
QUERIES = {
    "search_words": ("package_search", [("q", "社保"), ("facet.field", FACETS), ("rows", "20")],
                     "package_search: words (社保), four facets, the first 20 datasets"),
    "search_facet": ("package_search", [("fq", "groups:livelihood"), ("facet.field", FACETS), ("rows", "20"),
                                        ("sort", "metadata_modified desc")],
                     "package_search: one topic (民生服务), four facets, the 20 most recently modified"),
    "rows_filter": ("datastore_search", [("resource_id", "{resource_id}"), ("filters", json.dumps({"lb": "类别3"})),
                                         ("limit", "100")],
                    "datastore_search: 100 rows of the 1 000 000 filtered on one column (a tenth match)"),
    "rows_page": ("datastore_search", [("resource_id", "{resource_id}"), ("limit", "100"), ("offset", "5000")],
                  "datastore_search: the 51st page of 100 rows, no filter"),
    "rows_q": ("datastore_search", [("resource_id", "{resource_id}"), ("q", "机构12345"), ("limit", "100")],
               "datastore_search: full-text q (机构12345) over the 1 000 000 rows, 11 match"),
    "rows_sort": ("datastore_search", [("resource_id", "{resource_id}"), ("sort", "sl desc, djrq"),
                                       ("limit", "100")],
                  "datastore_search: the first 100 of the 1 000 000 rows sorted on two unindexed columns"),
}
#: what the issue asks for; rows_q and rows_sort scan the whole table on every call (run them at few connections)
DEFAULT_QUERIES = ("search_words", "search_facet", "rows_filter", "rows_page")
log = logger("bench/opendata")


def query_path(name: str, setup: dict) -> str:
    action, params, _what = QUERIES[name]
    return f"/api/3/action/{action}?" + urllib.parse.urlencode(
        [(k, v.replace("{resource_id}", setup.get("resource_id", ""))) for k, v in params])


def resource_id(base: str, name: str) -> str:
    """The id of the dataset's resource that datastore_search reads (CKAN's datastore_active)."""
    status, body = http_get(f"{base}/api/3/action/package_show?id={name}")
    if status != 200:
        raise BenchError(f"package_show {name}: {status} {body[:300]!r}")
    resources = [r for r in json.loads(body)["result"]["resources"] if r.get("datastore_active")]
    if not resources:
        raise BenchError(f"package_show {name}: no resource with datastore_active")
    return resources[0]["id"]


def run(args, repo: Path) -> dict:
    venv_bin = repo / ".venv" / "bin"
    workdir = Path(tempfile.mkdtemp(prefix="dgov-bench-opendata-"))
    server_log, setup_log, captures = workdir / "server.log", workdir / "setup.log", workdir / "captures"
    captures.mkdir()
    env = {k: v for k, v in os.environ.items()
           if k not in ("PROMETHEUS_MULTIPROC_DIR", "DJANGO_SETTINGS_MODULE", "DGOV_DATABASE_URL",
                        "DGOV_DATASTORE_URL", "DGOV_REDIS_URL", "PYTHONPATH")}
    names = [PG_DATABASE, f"{PG_DATABASE}_store"]
    env.update({"DGOV_DATA_DIR": str(workdir / "data"), "DGOV_DEBUG": "0", "DGOV_ALLOWED_HOSTS": "127.0.0.1,localhost",
                "DGOV_DATABASE_URL": f"{PG_SERVER}/{names[0]}", "DGOV_DATASTORE_URL": f"{PG_SERVER}/{names[1]}"})
    site_env = {**env, "PYTHONPATH": str(SITE), "DJANGO_SETTINGS_MODULE": "opendata_bench.settings",
                "DGOV_BENCH_OPENDATA_CAPTURES": str(captures)}
    proc = None
    try:
        log(f"re-creating the PostgreSQL databases {', '.join(names)}; dgov init")
        for name in names:
            pg_recreate(f"{PG_SERVER}/{name}")
        run_cmd([str(venv_bin / "dgov"), "init"], env, setup_log)
        log(f"{args.datasets} open datasets and {args.rows} rows (takes a few minutes)")
        tool = [str(venv_bin / "python"), "-m", "opendata_bench.tool"]
        setup = json.loads(run_cmd([*tool, "setup", str(args.datasets), str(args.rows)], site_env,
                                   setup_log).strip().splitlines()[-1])
        proc, base, workers, threads = start_server(venv_bin / "dgov", site_env, server_log, workers=args.workers,
                                                    threads=args.threads, announce=lambda c: log(c))
        setup["resource_id"] = resource_id(base, setup["big"]["name"])
        paths, recorded = {}, {}
        for name in args.queries:
            paths[name] = query_path(name, setup)
            recorded[name] = json.loads(run_cmd([*tool, "capture", str(captures), name, paths[name]], site_env,
                                                setup_log).strip().splitlines()[-1])
            for side, path in (("api", paths[name]), ("bare", f"/bench/opendata/{name}")):
                status, body = http_get(base + path)
                if status != 200 or (side == "api" and not json.loads(body).get("success")):
                    raise BenchError(f"{name} {side}: {status} {body[:300]!r}")
            log(f"{name}: {recorded[name]['statements']} statements recorded "
                f"({recorded[name]['django']} application database, {recorded[name]['store']} data store)")
        lua = workdir / "report.lua"
        lua.write_text(wrk_report_lua((50, 90, 95, 99)))

        def phase(path: str, seconds: int, label: str) -> dict:
            figures = run_wrk(base + path, seconds=seconds, connections=args.connections, threads=args.wrk_threads,
                              lua=lua)
            del figures["wrk_output"]
            log(f"{label}: {figures['rps']:.0f} req/s, p95 {figures['latency_ms']['p95']:.1f} ms, "
                f"{figures['error_count']} errors")
            return figures

        sides = {name: {"api": paths[name], "bare": f"/bench/opendata/{name}"} for name in args.queries}
        for name in args.queries:
            for side, path in sides[name].items():
                phase(path, args.warmup, f"warm-up {name} {side}")
        rounds = []
        for number in range(1, args.rounds + 1):
            order = ("api", "bare") if number % 2 else ("bare", "api")
            rounds.append({name: {side: phase(sides[name][side], args.duration, f"round {number} {name} {side}")
                                  for side in order} for name in args.queries})
        database = run_cmd([str(venv_bin / "python"), "-c", "import psycopg; print(psycopg.connect("
                            f"'{PG_SERVER}/{names[0]}').info.server_version)"], env, setup_log).strip()
    except BenchError:
        log(f"server log tail:\n{tail(server_log)}")
        raise
    finally:
        if proc is not None:
            stop_server(proc)
        if args.keep:
            log(f"kept {workdir} and the databases {', '.join(names)}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
            for name in names:
                pg_recreate(f"{PG_SERVER}/{name}", create=False)
    return {"setup": setup, "recorded": recorded, "paths": paths, "rounds": rounds, "postgresql": database,
            "server": {"workers": workers, "threads": threads}, "summary": summarise(args, rounds)}


def summarise(args, rounds: list[dict]) -> dict:
    out = {}
    for name in args.queries:
        sides = {}
        for side in ("api", "bare"):
            runs = [r[name][side] for r in rounds]
            sides[side] = {"rps": round(statistics.median(r["rps"] for r in runs), 1),
                           **{f"{p}_ms": round(statistics.median(r["latency_ms"][p] for r in runs), 2)
                              for p in ("p50", "p90", "p95", "p99")},
                           "errors": sum(r["error_count"] for r in runs),
                           "bytes_per_response": runs[-1]["bytes_per_response"]}
        out[name] = {"what": QUERIES[name][2], **sides,
                     "p95_ratio": round(sides["api"]["p95_ms"] / sides["bare"]["p95_ms"], 2)
                     if sides["bare"]["p95_ms"] else None,
                     "throughput_ratio": round(sides["api"]["rps"] / sides["bare"]["rps"], 3)
                     if sides["bare"]["rps"] else None}
    return out


def markdown(result: dict) -> str:
    r, m, c = result["result"], result["machine"], result["config"]
    lines = [f"# dgov open-data API benchmark, {result['started_at']}", "",
             f"{r['setup']['datasets']} open datasets; one of {r['setup']['big']['rows']} rows in the data store. "
             f"PostgreSQL {r['postgresql']}; `dgov serve` {r['server']['workers']} workers × {r['server']['threads']} "
             f"thread(s); `wrk -c{c['connections']} -t{c['wrk_threads']} -d{c['duration_s']}s`, {c['rounds']} "
             "rounds (api and bare interleaved, order alternating), medians over rounds.", "",
             "| query | side | requests/s | p50 ms | p90 ms | p95 ms | p99 ms | errors | bytes/resp | api ÷ bare |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for name, s in r["summary"].items():
        for side in ("api", "bare"):
            f = s[side]
            ratio = "baseline" if side == "bare" else (
                f"p95 {s['p95_ratio']}×, throughput {s['throughput_ratio'] * 100:.0f} %"
                if s["p95_ratio"] is not None and s["throughput_ratio"] is not None else "no baseline figures")
            lines.append(f"| {name} | {side} | {f['rps']:.0f} | {f['p50_ms']:.1f} | {f['p90_ms']:.1f} | "
                         f"{f['p95_ms']:.1f} | {f['p99_ms']:.1f} | {f['errors']} | {f['bytes_per_response']} | "
                         f"{ratio} |")
    lines += [""] + [f"- `{name}`: {s['what']}; `{r['paths'][name]}`; the baseline replays "
                     f"{r['recorded'][name]['statements']} statements" for name, s in r["summary"].items()]
    lines += ["", f"Machine: {m['nproc']} CPUs ({m['cpu_model']}), {m['memory_gb']} GB; load {m['loadavg_before']} → "
              f"{m.get('loadavg_after')}; Python {m['python']}, Django {m['django']}, {m['wrk']}. wrk, the server and "
              "PostgreSQL share the machine's CPUs.", ""]
    return "\n".join(lines)


def parse_args(argv):
    p = argparse.ArgumentParser(prog="bench/opendata/run", description=__doc__.split("\n\n")[0])
    p.add_argument("--repo", type=Path, required=True, help=argparse.SUPPRESS)
    p.add_argument("--datasets", type=int, default=20000, help="open datasets (default 20000)")
    p.add_argument("--rows", type=int, default=1000000, help="rows of the big table (default 1000000)")
    p.add_argument("--duration", type=int, default=15, help="seconds per query, side and round (default 15)")
    p.add_argument("--warmup", type=int, default=3, help="warm-up seconds per query and side (default 3)")
    p.add_argument("--rounds", type=int, default=3, help="rounds (default 3)")
    p.add_argument("--connections", type=int, default=16, help="concurrent connections (default 16)")
    p.add_argument("--wrk-threads", type=int, default=1, help="wrk threads (default 1)")
    p.add_argument("--queries", default=",".join(DEFAULT_QUERIES),
                   help=f"comma-separated, of {', '.join(QUERIES)} (default {', '.join(DEFAULT_QUERIES)})")
    p.add_argument("--workers", type=int, help="server workers (default: dgov serve's)")
    p.add_argument("--threads", type=int, help="server threads per worker (default: dgov serve's)")
    p.add_argument("--note", default="", help="a remark stored with the results")
    p.add_argument("--results", type=Path, help="output directory (default bench/opendata/results)")
    p.add_argument("--keep", action="store_true", help="keep the data directory and the PostgreSQL databases")
    args = p.parse_args(argv)
    args.queries = [q for q in args.queries.split(",") if q]
    if any(q not in QUERIES for q in args.queries) or not args.queries:
        p.error(f"choose queries from {', '.join(QUERIES)}")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    repo = args.repo.resolve()
    started = datetime.now(UTC)
    python, django = venv_versions(repo / ".venv" / "bin" / "python", "django")
    machine = {"nproc": os.cpu_count(), "cpu_model": cpu_model(), "memory_gb": memory_gb(), "python": python,
               "django": django, "wrk": wrk_version(), "loadavg_before": loadavg()}
    try:
        result = run(args, repo)
    except BenchError as exc:
        log(f"FAILED: {exc}")
        return 2
    machine["loadavg_after"] = loadavg()
    report = {"started_at": started.isoformat(timespec="seconds"), "machine": machine, "result": result,
              "config": {"duration_s": args.duration, "warmup_s": args.warmup, "rounds": args.rounds,
                         "connections": args.connections, "wrk_threads": args.wrk_threads, "note": args.note}}
    stamp = started.strftime("%Y-%m-%dT%H%M%SZ")
    md = markdown(report)
    write_results((args.results or HERE / "results").resolve(), stamp, report, md)
    sys.stdout.write(md)
    errors = sum(s[side]["errors"] for s in result["summary"].values() for side in ("api", "bare"))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
