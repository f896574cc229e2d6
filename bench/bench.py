"""The dgov benchmark (run it through `bench/run`; see bench/README.md).

One run: a fresh data directory, `dgov init --demo`, an API token for the demo `official`, then
`dgov serve` (its default workers and threads) with the bare baseline view switched on, and `wrk`
at 32 connections against

  bare     GET /bench/bare                                    same server and middleware, no auth, no DB
  me       GET /api/v1/me                                     bearer token
  regions  GET /api/v1/regions?within=360600&level=village&limit=50   bearer token, subtree query

Each endpoint's throughput is compared with the baseline's (target: at least 60 %) and its p99
latency with 50 ms. Figures go to bench/results/ as JSON and Markdown. Exit status: 0 when every
target is met, 1 when one is missed, 2 when the run itself failed.

Only the standard library (and psycopg, to re-create a PostgreSQL benchmark database) is used.
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.parse
from datetime import datetime
from pathlib import Path

from common import (
    BenchError,
    cpu_model,
    database_info,
    http_get,
    loadavg,
    logger,
    pg_recreate,
    run_cmd,
    run_wrk,
    scrape_counters,
    serve_worker_class,
    start_server,
    stop_server,
    tree_cpu_seconds,
    venv_versions,
    write_results,
    wrk_report_lua,
    wrk_version,
)

THROUGHPUT_TARGET = 0.60  # of the bare view's requests/s
P99_TARGET_MS = 50.0

ENDPOINTS = [
    # name, path, authenticated, description
    ("bare", "/bench/bare", False, "bare Django view (baseline): same server and middleware, no auth, no DB"),
    ("me", "/api/v1/me", True, "GET /api/v1/me with a bearer token"),
    ("regions", "/api/v1/regions?within=360600&level=village&limit=50", True,
     "region subtree: villages under Yingtan (360600), first page of 50, with count"),
]

WRK_REPORT_LUA = wrk_report_lua((50, 75, 90, 99))
# what a result records of each wrk run (common.run_wrk measures more)
WRK_FIELDS = ("requests", "seconds", "rps", "errors", "latency_ms", "wrk_output")


log = logger("bench")


# --- machine ----------------------------------------------------------------------------------

def machine_info(venv_python: Path) -> dict:
    python, django = venv_versions(venv_python, "django")
    return {
        "hostname": platform.node(),
        "nproc": os.cpu_count(),
        "cpu_model": cpu_model(),
        "kernel": platform.release(),
        "python": python,
        "django": django,
        "wrk": wrk_version(),
        "loadavg_before": loadavg(),
    }


def bearer(token: str | None) -> dict:
    return {"Authorization": f"Bearer {token}"} if token else {}


# --- load -------------------------------------------------------------------------------------

def check_responses(base: str, token: str) -> dict[str, dict]:
    """One request per endpoint before the load: each must answer 200 with the expected content,
    so that the benchmark never measures error responses."""
    found = {}
    for name, path, auth, _ in ENDPOINTS:
        status, body = http_get(base + path, bearer(token if auth else None))
        if status != 200:
            raise BenchError(f"GET {path} answered {status}: {body[:300]!r}")
        data = json.loads(body)
        if name == "me" and data.get("username") != "official":
            raise BenchError(f"GET {path} did not return the official: {body[:300]!r}")
        if name == "regions" and (len(data.get("items", [])) != 50 or not data.get("count")):
            raise BenchError(f"GET {path} did not return a page of 50 villages: {body[:300]!r}")
        found[name] = {"status": status, "bytes": len(body), **({"count": data["count"]} if name == "regions" else {})}
    return found


def measure_inprocess(venv_python: Path, env: dict, token: str) -> dict:
    endpoints = {name: [path, auth] for name, path, auth, _ in ENDPOINTS}
    out = subprocess.run([str(venv_python), str(Path(__file__).with_name("inprocess.py")), json.dumps(endpoints)],
                         env={**env, "BENCH_TOKEN": token, "DJANGO_SETTINGS_MODULE": "dgov.settings.base"},
                         capture_output=True, text=True)
    if out.returncode:
        raise BenchError(f"the in-process measurement failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def load_endpoint(server, base: str, path: str, headers: dict, **load) -> dict:
    """One wrk run against `base + path`, with the server's CPU time and database queries per request."""
    before, cpu_before = scrape_counters(base), tree_cpu_seconds(server.pid)
    run = run_wrk(base + path, headers=headers, **load)
    figures = {k: run[k] for k in WRK_FIELDS}
    cpu_after, after = tree_cpu_seconds(server.pid), scrape_counters(base)
    figures["server_cpu_ms_per_request"] = round((cpu_after - cpu_before) * 1000 / max(figures["requests"], 1), 3)
    served_requests = after.get("requests", 0) - before.get("requests", 0) - 1  # minus one scrape
    if before and served_requests > 0:
        figures["queries_per_request"] = round((after["queries"] - before["queries"]) / served_requests, 2)
    return figures


def without_wrk_output(rounds: list[dict]) -> list[dict]:
    return [{name: {k: v for k, v in f.items() if k != "wrk_output"} for name, f in r.items()} for r in rounds]


# --- report -----------------------------------------------------------------------------------

def summarise(rounds: list[dict[str, dict]]) -> dict[str, dict]:
    """Per endpoint: the median over rounds of requests/s and p99 (one round: its figures)."""
    summary = {}
    for name, *_ in ENDPOINTS:
        runs = [r[name] for r in rounds]
        summary[name] = {
            "rps": round(statistics.median(r["rps"] for r in runs), 1),
            "p50_ms": round(statistics.median(r["latency_ms"]["p50"] for r in runs), 2),
            "p90_ms": round(statistics.median(r["latency_ms"]["p90"] for r in runs), 2),
            "p99_ms": round(statistics.median(r["latency_ms"]["p99"] for r in runs), 2),
            "max_ms": max(r["latency_ms"]["max"] for r in runs),
            "requests": sum(r["requests"] for r in runs),
            "errors": sum(sum(r["errors"].values()) for r in runs),
            "queries_per_request": runs[-1].get("queries_per_request"),
            "server_cpu_ms_per_request": round(statistics.median(r["server_cpu_ms_per_request"] for r in runs), 3),
        }
    bare = summary["bare"]["rps"]
    for name, figures in summary.items():
        figures["throughput_vs_bare"] = round(figures["rps"] / bare, 3) if bare else None
        if name == "bare":
            figures["pass"] = figures["errors"] == 0
        else:
            figures["pass"] = (figures["errors"] == 0 and figures["throughput_vs_bare"] >= THROUGHPUT_TARGET
                               and figures["p99_ms"] < P99_TARGET_MS)
    return summary


def table(s: dict) -> str:
    rows = ["| endpoint | requests/s | % of bare | p50 ms | p90 ms | p99 ms | server CPU ms/req | DB queries/req "
            "| errors | target |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for name, path, _, _ in ENDPOINTS:
        f = s[name]
        q = f["queries_per_request"]
        target = "baseline" if name == "bare" else ("met" if f["pass"] else "MISSED")
        rows.append(f"| `{path}` | {f['rps']:.0f} | {f['throughput_vs_bare'] * 100:.0f} % | {f['p50_ms']:.1f} | "
                    f"{f['p90_ms']:.1f} | {f['p99_ms']:.1f} | {f['server_cpu_ms_per_request']:.2f} | "
                    f"{'' if q is None else f'{q:.2f}'} | {f['errors']} | {target} |")
    return "\n".join(rows)


def inprocess_table(result: dict) -> str:
    rows = ["| endpoint | Python calls/req | bare's calls ÷ these | DB queries/req | CPU ms/req (one thread) |",
            "|---|---:|---:|---:|---:|"]
    for name, path, _, _ in ENDPOINTS:
        f = result["inprocess"][name]
        rows.append(f"| `{path}` | {f['python_calls_per_request']} | {f['bare_calls_over_calls'] * 100:.0f} % | "
                    f"{f['queries_per_request']} | {f['cpu_ms_per_request']:.2f} |")
    return "\n".join(rows)


def markdown(result: dict) -> str:
    m, d, c = result["machine"], result["database"], result["config"]
    lines = [
        f"# dgov benchmark, {result['started_at']} ({d['vendor']})",
        "",
        f"Targets: at least {THROUGHPUT_TARGET:.0%} of the bare view's requests/s and p99 under "
        f"{P99_TARGET_MS:.0f} ms at {c['connections']} concurrent connections. "
        f"Overall: **{'met' if result['targets_met'] else 'MISSED'}**.",
        "",
        table(result["summary"]),
        "",
        *(["The same endpoints in the same rounds on a second `dgov serve` with gunicorn's own gthread worker "
           "(`DGOV_WORKER_CLASS=gthread`: keeps connections alive, accepts while busy), for comparison; "
           "% of bare is of its own bare view:", "", table(result["compared"]["summary"]), ""]
          if result.get("compared") else []),
        "In-process cost (Django test client, same middleware and data, no server; Python calls are "
        "deterministic, so this table does not depend on the machine's load):",
        "",
        inprocess_table(result),
        "",
        f"- load: `wrk -t{c['wrk_threads']} -c{c['connections']} -d{c['duration_s']}s --latency`, "
        f"{c['warmup_s']} s warm-up per endpoint, {c['rounds']} round(s) (median reported)",
        f"- server: `dgov serve`, {c['worker_class']}, {c['server_workers']} workers × {c['server_threads']} threads",
        f"- database: {d['vendor']} {d['version']} (`{d['name']}`, CONN_MAX_AGE {d['conn_max_age']})",
        f"- machine: {m['nproc']} CPUs, {m['cpu_model']}, Linux {m['kernel']}; load average before "
        f"{m['loadavg_before']}, after {m.get('loadavg_after')}",
        f"- software: Python {m['python']}, Django {m['django']}, {m['wrk']}",
        "- wrk and the server share the machine's CPUs.",
        "",
    ]
    return "\n".join(lines)


# --- main -------------------------------------------------------------------------------------

def parse_args(argv):
    p = argparse.ArgumentParser(prog="bench/run", description=__doc__.split("\n\n")[0])
    p.add_argument("--repo", type=Path, required=True, help=argparse.SUPPRESS)
    p.add_argument("--duration", type=int, default=int(os.environ.get("BENCH_DURATION", "10")),
                   help="seconds of load per endpoint and round (default 10)")
    p.add_argument("--warmup", type=int, default=5, help="warm-up seconds per endpoint (default 5)")
    p.add_argument("--connections", type=int, default=32, help="concurrent connections (default 32)")
    # One wrk thread drives the 32 connections: on a 2-CPU machine a second one mostly takes CPU
    # from the server being measured (bench/README.md, "Method").
    p.add_argument("--wrk-threads", type=int, default=1, help="wrk threads (default 1)")
    p.add_argument("--rounds", type=int, default=3, help="measure every endpoint this many times, interleaved; "
                   "the median is reported (default 3)")
    p.add_argument("--workers", type=int, help="server workers (default: dgov serve's, 2 × CPUs + 1)")
    p.add_argument("--threads", type=int, help="server threads per worker (default: dgov serve's)")
    p.add_argument("--compare-gthread", action="store_true",
                   help="also measure a second dgov serve with gunicorn's gthread worker, in the same rounds")
    p.add_argument("--results", type=Path, help="output directory (default bench/results)")
    p.add_argument("--keep", action="store_true", help="keep the temporary data directory and server log")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    repo = args.repo.resolve()
    venv_bin = repo / ".venv" / "bin"
    dgov = venv_bin / "dgov"
    results_dir = (args.results or repo / "bench" / "results").resolve()
    started = datetime.now().astimezone()
    workdir = Path(tempfile.mkdtemp(prefix="dgov-bench-"))
    server_log, setup_log = workdir / "server.log", workdir / "setup.log"
    env = {k: v for k, v in os.environ.items() if k not in ("PROMETHEUS_MULTIPROC_DIR", "DJANGO_SETTINGS_MODULE")}
    env.update({"DGOV_DATA_DIR": str(workdir / "data"), "DGOV_BENCH_BARE_VIEW": "1", "DGOV_DEBUG": "0"})
    servers = {}
    try:
        machine = machine_info(venv_bin / "python")
        db_url = env.get("DGOV_DATABASE_URL", "")
        if db_url.startswith(("postgres://", "postgresql://")):
            log(f"re-creating the PostgreSQL database {urllib.parse.urlsplit(db_url).path.lstrip('/')}")
            pg_recreate(db_url, source="DGOV_DATABASE_URL")
        log(f"data directory {workdir / 'data'}; dgov init --demo")
        run_cmd([str(dgov), "init", "--demo"], env, setup_log)
        database = database_info(venv_bin / "python", {**env, "DJANGO_SETTINGS_MODULE": "dgov.settings.base"})
        token = run_cmd([str(dgov), "token", "create", "official"], env, setup_log).strip().splitlines()[-1]

        proc, base, workers, threads = start_server(
            dgov, env, server_log, workers=args.workers, threads=args.threads,
            announce=lambda command: log(f"{command} ({database['vendor']})"))
        servers[""] = (proc, base)
        responses = check_responses(base, token)

        lua = workdir / "report.lua"
        lua.write_text(WRK_REPORT_LUA)
        load = {"connections": args.connections, "threads": args.wrk_threads, "lua": lua}
        if args.compare_gthread:
            metrics = workdir / "metrics-gthread"  # its own Prometheus files: dgov serve clears its default
            metrics.mkdir()
            other, other_base, *_ = start_server(
                dgov, {**env, "DGOV_WORKER_CLASS": "gthread", "PROMETHEUS_MULTIPROC_DIR": str(metrics)},
                workdir / "server-gthread.log",
                workers=args.workers, threads=args.threads, announce=lambda command: log(f"{command} (gthread)"))
            servers[" (gthread)"] = (other, other_base)
            check_responses(other_base, token)
        rounds = {label: [] for label in servers}
        for label, (_, server_base) in servers.items():
            for name, path, auth, _ in ENDPOINTS:
                log(f"warm-up {name}{label} ({args.warmup} s)")
                run_wrk(server_base + path, headers=bearer(token if auth else None), seconds=args.warmup, **load)
        for number in range(1, args.rounds + 1):
            for label, (server, server_base) in servers.items():
                figures = {}
                for name, path, auth, _ in ENDPOINTS:
                    log(f"round {number}/{args.rounds}: {name}{label} ({args.duration} s at {args.connections} "
                        "connections)")
                    figures[name] = load_endpoint(server, server_base, path, bearer(token if auth else None),
                                                  seconds=args.duration, **load)
                rounds[label].append(figures)
        machine["loadavg_after"] = loadavg()
        for server, _ in servers.values():
            stop_server(server)
        log("in-process cost per request (Python calls, queries, CPU)")
        inprocess = measure_inprocess(venv_bin / "python", env, token)
    except BenchError as exc:
        log(f"FAILED: {exc}")
        return 2
    finally:
        for server, _ in servers.values():
            stop_server(server)
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    summary = summarise(rounds[""])
    bare_calls = inprocess["bare"]["python_calls_per_request"]
    for figures in inprocess.values():
        figures["bare_calls_over_calls"] = round(bare_calls / figures["python_calls_per_request"], 3)
    result = {
        "started_at": started.isoformat(timespec="seconds"),
        "targets": {"throughput_vs_bare_min": THROUGHPUT_TARGET, "p99_ms_max": P99_TARGET_MS},
        "targets_met": all(f["pass"] for f in summary.values()),
        "summary": summary,
        "inprocess": inprocess,
        "machine": machine,
        "database": database,
        "config": {"duration_s": args.duration, "warmup_s": args.warmup, "connections": args.connections,
                   "wrk_threads": args.wrk_threads, "rounds": args.rounds, "server_workers": workers,
                   "server_threads": threads, "worker_class": serve_worker_class(env)},
        "endpoints": {name: {"path": path, "bearer_token": auth, "what": what, **responses[name]}
                      for name, path, auth, what in ENDPOINTS},
        "rounds": without_wrk_output(rounds[""]),
        "wrk_output": {name: rounds[""][-1][name]["wrk_output"] for name, *_ in ENDPOINTS},
        "compared": ({"worker_class": "gthread", "summary": summarise(rounds[" (gthread)"]),
                      "rounds": without_wrk_output(rounds[" (gthread)"])} if args.compare_gthread else None),
    }
    stem = f"{started.strftime('%Y-%m-%d-%H%M%S')}-{database['vendor']}"
    md = markdown(result)
    write_results(results_dir, stem, result, md, latest=("latest.json", f"latest-{database['vendor']}.json"))
    sys.stdout.write(md)
    log(f"results written to {results_dir}/{stem}.{{json,md}} and latest.json")
    return 0 if result["targets_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
