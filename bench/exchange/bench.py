"""The exchange gateway benchmark (run it through `bench/exchange/run`; see bench/README.md,
"Exchange gateway").

One run per database: a fresh data directory, `dgov init --demo`, the demo data service
城乡低保对象联系信息（归集演示）filled with 10 000 generated rows, the demo consumer application
granted six of its items (three masked) with limits the load cannot reach, and its demo HMAC-SM3
credential. Then `dgov serve` (its default workers) with the benchmark's settings
(`site/exchange_bench`: dgov's settings and URLs plus the baseline view), and `wrk` at 32
connections, interleaving for each query

  gateway  GET /exchange/v1/services/<code>?<query>     signed (a fresh nonce per request), grant,
                                                         row filter, masking, rate limit and quota
                                                         counters, exchange log, body digest
  bare     GET /bench/exchange/services/<code>?<query>  the same datastore.select and the same JSON
                                                         document from the same server, nothing else

Every gateway request is signed before the timed phase (each with its own nonce; timestamps within
the window), so the client's signing costs nothing during the measurement. Target: the gateway at
least 50 % of the bare view's requests/s, without errors. After the load: the exchange log rows
written per phase by status, and `dgov exchange-log verify`. Figures go to bench/exchange/results/
as JSON and Markdown. Exit status: 0 when every target is met, 1 when one is missed, 2 when the run
itself failed.
"""

import argparse
import json
import os
import platform
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/, for common.py
from common import (  # noqa: E402
    BenchError,
    cpu_model,
    cpu_stat,
    database_info,
    file_digest,
    http_get,
    loadavg,
    logger,
    memory_gb,
    pg_recreate,
    run_cmd,
    run_wrk,
    scrape_counters,
    serve_worker_class,
    start_server,
    stop_server,
    tail,
    tree_cpu_seconds,
    venv_versions,
    write_results,
    wrk_report_lua,
    wrk_version,
)

HERE = Path(__file__).resolve().parent
SITE = HERE / "site"
THROUGHPUT_TARGET = 0.50  # of the bare view's requests/s
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
PG_DATABASE = "dgov_bench_exchange"  # the application's database; the data store gets "<this>_store"

# name -> (query parameters, rows expected, what)
QUERIES = {
    "page": ([("bzlb", "农村低保"), ("limit", "100")], 100,
             "a page of 100 rows filtered on 保障类别 (half of the rows match)"),
    "lookup": ([("sfzh", "{lookup_key}")], 1, "one person by 公民身份号码 (the key column)"),
}

# wrk: each thread reads its share of the pre-signed requests (one per line: path?query, timestamp,
# nonce, signature) and sends each once; done() prints the figures as one JSON line.
WRK_LUA = r"""
local requests, n, i = {}, 0, 0
local count = 0
setup = function(thread)
  thread:set("id", count)
  count = count + 1
end
init = function(args)
  local file, app, key, threads = args[1], args[2], args[3], tonumber(args[4])
  local k = 0
  for line in io.lines(file) do
    if k % threads == id then
      local p, ts, nonce, sig = line:match("^(%S+)\t(%S+)\t(%S+)\t(%S+)$")
      n = n + 1
      requests[n] = wrk.format("GET", p, {["X-Dgov-App"] = app, ["X-Dgov-Key-Id"] = key,
        ["X-Dgov-Timestamp"] = ts, ["X-Dgov-Nonce"] = nonce, ["X-Dgov-Signature"] = sig})
    end
    k = k + 1
  end
end
request = function()
  i = i + 1
  if i > n then i = 1 end  -- only when the pool ran out: the driver detects it and fails the phase
  return requests[i]
end
""" + wrk_report_lua((50, 90, 95, 99))


log = logger("bench/exchange")


# --- machine ------------------------------------------------------------------------------------

def machine_info(venv_python: Path) -> dict:
    python, django, sqlalchemy = venv_versions(venv_python, "django", "sqlalchemy")
    return {
        "hostname": platform.node(), "nproc": os.cpu_count(), "cpu_model": cpu_model(), "memory_gb": memory_gb(),
        "kernel": platform.release(), "python": python, "django": django, "sqlalchemy": sqlalchemy,
        "wrk": wrk_version(), "loadavg_before": loadavg(),
    }


def code_digest(repo: Path) -> dict:
    """Which code was measured: the commit, whether the tree had changes, and the sha256
    of the modules measured (the exchange app was under review while these runs were made)."""
    def git(*args):
        out = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
        return out.stdout.strip() if out.returncode == 0 else ""

    files = ["dgov/exchange/gateway.py", "dgov/exchange/limits.py", "dgov/exchange/chain.py",
             "dgov/exchange/signing.py", "dgov/exchange/masking.py", "dgov/aggregation/datastore.py",
             "dgov/sharing/selectors.py"]
    return {"commit": git("rev-parse", "--short", "HEAD"),
            "dirty": bool(git("status", "--porcelain", "--", "dgov")),
            "sha256": {f: file_digest(repo / f, 12) for f in files if (repo / f).exists()}}


# --- databases ----------------------------------------------------------------------------------

def recreate_pg(names: list[str], *, create: bool = True) -> None:
    for name in names:
        pg_recreate(f"{PG_SERVER}/{name}", create=create)


# --- requests -----------------------------------------------------------------------------------

class Service:
    """The service under test and how to sign for it."""

    def __init__(self, setup: dict):
        from dgov.exchange import signing  # the repo's own signing code, as a consumer would copy it

        self.signing = signing
        self.setup = setup
        self.gateway_path = f"/exchange/v1/services/{setup['service']}"
        self.bare_path = f"/bench/exchange/services/{setup['service']}"

    def query(self, name: str) -> str:
        params, _rows, _what = QUERIES[name]
        return urllib.parse.urlencode([(k, v.format(**self.setup)) for k, v in params])

    def sign(self, query: str, timestamp: str | None = None) -> tuple[str, str, str]:
        timestamp = timestamp or str(int(time.time()))
        nonce = secrets.token_hex(16)
        message = self.signing.string_to_sign("GET", self.gateway_path, query, timestamp, nonce, b"")
        return timestamp, nonce, self.signing.hmac_signature(self.setup["secret"], message)

    def headers(self, query: str) -> dict:
        timestamp, nonce, signature = self.sign(query)
        return self.signing.signed_headers(app=self.setup["app"], key_id=self.setup["key_id"], timestamp=timestamp,
                                           nonce=nonce, signature=signature)

    def write_pool(self, path: Path, side: str, query: str, count: int) -> float:
        """`count` requests, each signed with its own nonce now; returns the seconds it took."""
        started = time.perf_counter()
        target = (self.gateway_path if side == "gateway" else self.bare_path) + "?" + query
        timestamp = str(int(time.time()))
        with path.open("w") as out:
            for _ in range(count):
                out.write("\t".join([target, *self.sign(query, timestamp)]) + "\n")
        return time.perf_counter() - started


def check_answers(base: str, service: Service, name: str) -> dict:
    """One gateway and one bare request before the load: both 200, the same rows, the gateway's
    masked where the grant says so and equal elsewhere, so that the load never measures errors and
    both sides answer the same query."""
    from dgov.exchange.masking import mask

    query = service.query(name)
    status_g, body_g = http_get(f"{base}{service.gateway_path}?{query}", service.headers(query))
    status_b, body_b = http_get(f"{base}{service.bare_path}?{query}", service.headers(query))
    if status_g != 200 or status_b != 200:
        raise BenchError(f"{name}: gateway answered {status_g} {body_g[:300]!r}, bare {status_b} {body_b[:300]!r}")
    gateway, bare = json.loads(body_g), json.loads(body_b)
    expected = QUERIES[name][1]
    if len(gateway["items"]) != expected or len(bare["items"]) != expected:
        raise BenchError(f"{name}: expected {expected} rows, gateway gave {len(gateway['items'])}, "
                         f"bare {len(bare['items'])}")
    for key in ("service", "name", "limit", "offset", "has_more"):
        if gateway[key] != bare[key]:
            raise BenchError(f"{name}: {key} differs: gateway {gateway[key]!r}, bare {bare[key]!r}")
    masks = service.setup["masks"]
    for row_g, row_b in zip(gateway["items"], bare["items"], strict=True):
        if list(row_g) != service.setup["columns"] or list(row_b) != service.setup["columns"]:
            raise BenchError(f"{name}: columns differ: gateway {list(row_g)}, bare {list(row_b)}")
        for column, value in row_b.items():
            want = mask(masks[column], value) if column in masks else value
            if row_g[column] != want:
                raise BenchError(f"{name}: {column} is {row_g[column]!r} at the gateway, expected {want!r}")
    return {"query": query, "rows": expected, "gateway_bytes": len(body_g), "bare_bytes": len(body_b)}


# --- one database -------------------------------------------------------------------------------

def run_database(args, db: str, repo: Path, machine: dict) -> dict:
    venv_bin = repo / ".venv" / "bin"
    workdir = Path(tempfile.mkdtemp(prefix=f"dgov-bench-exchange-{db}-"))
    server_log, setup_log = workdir / "server.log", workdir / "setup.log"
    env = {k: v for k, v in os.environ.items()
           if k not in ("PROMETHEUS_MULTIPROC_DIR", "DJANGO_SETTINGS_MODULE", "DGOV_DATABASE_URL",
                        "DGOV_DATASTORE_URL", "DGOV_REDIS_URL", "PYTHONPATH")}
    env.update({"DGOV_DATA_DIR": str(workdir / "data"), "DGOV_DEBUG": "0"})
    if args.redis_url:
        env["DGOV_REDIS_URL"] = args.redis_url
    pg_names = [PG_DATABASE, f"{PG_DATABASE}_store"]
    if db == "postgresql":
        env["DGOV_DATABASE_URL"] = f"{PG_SERVER}/{pg_names[0]}"
        env["DGOV_DATASTORE_URL"] = f"{PG_SERVER}/{pg_names[1]}"
        log(f"re-creating the PostgreSQL databases {', '.join(pg_names)}")
        recreate_pg(pg_names)
    site_env = {**env, "PYTHONPATH": str(SITE), "DJANGO_SETTINGS_MODULE": "exchange_bench.settings"}
    proc = None
    try:
        log(f"{db}: data directory {workdir / 'data'}; dgov init --demo")
        run_cmd([str(venv_bin / "dgov"), "init", "--demo"], env, setup_log)
        log(f"{db}: {args.rows} rows into the demo data service, grant and credential")
        setup = json.loads(run_cmd([str(venv_bin / "python"), "-m", "exchange_bench.tool", "setup", str(args.rows)],
                                   site_env, setup_log).strip().splitlines()[-1])
        database = database_info(
            venv_bin / "python", site_env, imports=("from dgov.aggregation import datastore",),
            extra={"datastore": "datastore.engine().dialect.name",
                   "cache": "django.conf.settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]"})
        service = Service(setup)

        proc, base, workers, threads = start_server(
            venv_bin / "dgov", {**site_env, "DGOV_BENCH_EXCHANGE_COLUMNS": ",".join(setup["columns"])}, server_log,
            workers=args.workers, threads=args.threads, announce=lambda command: log(f"{db}: {command}"))
        answers = {name: check_answers(base, service, name) for name in args.queries}

        lua = workdir / "exchange.lua"
        lua.write_text(WRK_LUA)
        load = {"connections": args.connections, "threads": args.wrk_threads, "lua": lua}
        pool = workdir / "requests.tsv"
        rates: dict[tuple[str, str], float] = {}
        windows: dict[str, list[str]] = {}

        def phase(name: str, side: str, seconds: int, label: str) -> dict:
            # Enough pre-signed requests for twice the rate seen so far (a nonce is accepted once).
            count = int(max(rates.get((name, side), 0), 800) * seconds * 2) + 4 * args.connections
            sign_s = service.write_pool(pool, side, service.query(name), count)
            counters0 = scrape_counters(base)
            cpu0, busy0, started = tree_cpu_seconds(proc.pid), cpu_stat(), datetime.now(UTC)
            figures = run_wrk(base + "/", seconds=seconds, **load, script_args=[
                str(pool), service.setup["app"], service.setup["key_id"], str(args.wrk_threads)])
            del figures["wrk_output"]
            ended, busy1, cpu1 = datetime.now(UTC), cpu_stat(), tree_cpu_seconds(proc.pid)
            counters1 = scrape_counters(base)
            served = counters1.get("requests", 0) - counters0.get("requests", 0) - 1  # minus one scrape
            if counters0 and served > 0:
                figures["orm_queries_per_request"] = round((counters1["queries"] - counters0["queries"]) / served, 2)
            figures.update(pool=count, signing_s=round(sign_s, 2), started=started.isoformat(),
                           server_cpu_ms_per_request=round((cpu1 - cpu0) * 1000 / max(figures["requests"], 1), 3),
                           machine_busy_cpus=round((busy1[0] - busy0[0]) / max(busy1[1] - busy0[1], 1)
                                                   * (os.cpu_count() or 1), 2))
            if figures["requests"] + args.connections > count:
                raise BenchError(f"{label}: the pool of {count} pre-signed requests ran out "
                                 f"({figures['requests']} sent)")
            rates[(name, side)] = max(rates.get((name, side), 0), figures["rps"])
            if side == "gateway":
                windows[label] = [started.isoformat(), ended.isoformat()]
            log(f"{label}: {figures['rps']:.0f} req/s, p99 {figures['latency_ms']['p99']:.1f} ms, "
                f"{figures['error_count']} errors")
            return figures

        for name in args.queries:
            for side in ("gateway", "bare"):
                log(f"{db}: warm-up {name} {side} ({args.warmup} s)")
                phase(name, side, args.warmup, f"warmup-{name}-{side}")
        rounds = []
        for number in range(1, args.rounds + 1):
            figures: dict[str, dict] = {}
            # Alternate which side goes first, so that a drift of the machine's load during a round
            # does not always favour the same side.
            order = ("gateway", "bare") if number % 2 else ("bare", "gateway")
            for name in args.queries:
                figures[name] = {}
                for side in order:
                    label = f"round{number}-{name}-{side}"
                    log(f"{db}: round {number}/{args.rounds}: {name} {side} ({args.duration} s)")
                    figures[name][side] = phase(name, side, args.duration, label)
            rounds.append(figures)
        machine_after = loadavg()
        stop_server(proc)

        log(f"{db}: exchange log rows per phase; dgov exchange-log verify")
        counts = json.loads(run_cmd([str(venv_bin / "python"), "-m", "exchange_bench.tool", "log-counts",
                                     json.dumps(windows)], site_env, setup_log).strip().splitlines()[-1])
        verify = subprocess.run([str(venv_bin / "dgov"), "exchange-log", "verify"], env=env, capture_output=True,
                                text=True)
    except BenchError:
        log(f"{db}: server log tail:\n{tail(server_log)}")
        raise
    finally:
        if proc is not None:
            stop_server(proc)
        if args.keep:
            log(f"kept {workdir}" + (f" and the databases {', '.join(pg_names)}" if db == "postgresql" else ""))
        else:
            shutil.rmtree(workdir, ignore_errors=True)
            if db == "postgresql":
                recreate_pg(pg_names, create=False)

    summary = summarise(args, rounds, counts)
    logged = sum(sum(v.values()) for k, v in counts.items() if not k.startswith(("_", "warmup")))
    sent = sum(r[n]["gateway"]["requests"] for r in rounds for n in args.queries)
    return {
        "database": database,
        "setup": {k: v for k, v in setup.items() if k != "secret"},
        "server": {"workers": workers, "threads": threads, "worker_class": serve_worker_class(env)},
        "answers": answers,
        "summary": summary,
        "targets_met": all(s["pass"] for s in summary.values()),
        "exchange_log": {"per_phase": {k: v for k, v in counts.items() if not k.startswith("_")},
                         "total_rows": counts["_total"], "unsealed_after_run": counts["_unsealed"],
                         "measured_calls_logged": logged, "measured_calls_completed_by_wrk": sent,
                         "verify_exit": verify.returncode, "verify_output": (verify.stdout + verify.stderr).strip()},
        "rounds": rounds,
        "loadavg_after": machine_after,
    }


def summarise(args, rounds: list[dict], counts: dict) -> dict:
    """Per query and side: the median over rounds; the ratio of the medians and each round's own."""
    summary = {}
    for name in args.queries:
        sides = {}
        for side in ("gateway", "bare"):
            runs = [r[name][side] for r in rounds]
            sides[side] = {
                "rps": round(statistics.median(r["rps"] for r in runs), 1),
                **{f"{p}_ms": round(statistics.median(r["latency_ms"][p] for r in runs), 2)
                   for p in ("p50", "p90", "p95", "p99")},
                "max_ms": max(r["latency_ms"]["max"] for r in runs),
                "requests": sum(r["requests"] for r in runs),
                "errors": sum(r["error_count"] for r in runs),
                "server_cpu_ms_per_request": round(statistics.median(r["server_cpu_ms_per_request"] for r in runs), 3),
                "client_cpu_share": round(statistics.median(r["client_cpu_share"] for r in runs), 3),
                "machine_busy_cpus": round(statistics.median(r["machine_busy_cpus"] for r in runs), 2),
                "bytes_per_response": runs[-1]["bytes_per_response"],
                "orm_queries_per_request": runs[-1].get("orm_queries_per_request"),
            }
        ratio = sides["gateway"]["rps"] / sides["bare"]["rps"] if sides["bare"]["rps"] else 0.0
        per_round = [round(r[name]["gateway"]["rps"] / r[name]["bare"]["rps"], 3) for r in rounds
                     if r[name]["bare"]["rps"]]
        not_ok = sum(n for k, v in counts.items() if k.startswith("round") and f"-{name}-" in k
                     for status, n in v.items() if status != "200")
        summary[name] = {"what": QUERIES[name][2], **sides, "throughput_ratio": round(ratio, 3),
                         "ratio_per_round": per_round, "gateway_non_200_logged": not_ok,
                         "pass": ratio >= THROUGHPUT_TARGET and sides["gateway"]["errors"] == 0
                         and sides["bare"]["errors"] == 0 and not_ok == 0}
    return summary


# --- report -------------------------------------------------------------------------------------

def markdown(result: dict) -> str:
    m, c = result["machine"], result["config"]
    lines = [f"# dgov exchange gateway benchmark, {result['started_at']}", "",
             f"Target: the gateway at least {THROUGHPUT_TARGET:.0%} of the bare view's requests/s (same query, same "
             f"server, same run) at {c['connections']} concurrent connections, without errors. Overall: "
             f"**{'PASS' if result['targets_met'] else 'FAIL'}**.", ""]
    if c.get("note"):
        lines += [f"Note: {c['note']}", ""]
    for db, r in result["databases"].items():
        d = r["database"]
        lines += [f"## {db}: {d['vendor']} {d['version']} (data store: {d['datastore']}; cache {d['cache']}); "
                  f"`dgov serve` {r['server']['workers']} workers × {r['server']['threads']} thread(s)", "",
                  "| query | side | requests/s | gateway ÷ bare | p50 ms | p95 ms | p99 ms | max ms | errors "
                  "| server CPU ms/req | ORM queries/req | wrk CPU share | busy CPUs | bytes/resp | target |",
                  "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
        for name, s in r["summary"].items():
            for side in ("gateway", "bare"):
                f = s[side]
                ratio = f"{s['throughput_ratio'] * 100:.0f} % (rounds: " + ", ".join(
                    f"{x * 100:.0f}" for x in s["ratio_per_round"]) + ")" if side == "gateway" else ""
                target = ("PASS" if s["pass"] else "FAIL") if side == "gateway" else "baseline"
                lines.append(f"| {name} | {side} | {f['rps']:.0f} | {ratio} | {f['p50_ms']:.1f} | {f['p95_ms']:.1f} | "
                             f"{f['p99_ms']:.1f} | {f['max_ms']:.0f} | {f['errors']} | "
                             f"{f['server_cpu_ms_per_request']:.2f} | {f['orm_queries_per_request'] or ''} | "
                             f"{f['client_cpu_share']:.2f} | "
                             f"{f['machine_busy_cpus']:.2f} | {f['bytes_per_response']} | {target} |")
        log_ = r["exchange_log"]
        queries = "; ".join(f"{n}: `?{a['query']}` ({QUERIES[n][2]})" for n, a in r["answers"].items())
        lines += ["", f"Queries: {queries}.",
                  "", f"Exchange log: {log_['measured_calls_logged']} rows written by the measured gateway phases "
                  f"(wrk counted {log_['measured_calls_completed_by_wrk']} completed; calls in flight when a phase "
                  f"ended are logged but not counted by wrk), {log_['total_rows']} rows in all, "
                  f"{log_['unsealed_after_run']} unsealed when the server stopped; statuses per phase: "
                  + ", ".join(f"{k} {v}" for k, v in log_["per_phase"].items() if not k.startswith("warmup")) + ".",
                  f"`dgov exchange-log verify`: exit {log_['verify_exit']}: {log_['verify_output']}", ""]
    lines += [
        f"- load: `wrk -t{c['wrk_threads']} -c{c['connections']} -d{c['duration_s']}s`, each gateway request "
        f"pre-signed (own nonce) before its phase; {c['warmup_s']} s warm-up per query and side; {c['rounds']} "
        "round(s), gateway and bare interleaved (order alternating per round); medians over rounds",
        f"- data: {c['rows']} generated rows in the demo data service; grant of 6 of its 8 items (3 masked), "
        "limits far above the load (the counters are still taken on every call); nonces and counters in the "
        "application database unless the cache is Redis",
        f"- machine: {m['nproc']} CPUs, {m['cpu_model']}, {m['memory_gb']} GB, Linux {m['kernel']}; load average "
        f"before {m['loadavg_before']}, after {m.get('loadavg_after')}",
        f"- software: Python {m['python']}, Django {m['django']}, SQLAlchemy {m['sqlalchemy']}, {m['wrk']}",
        f"- code: commit {result['code']['commit']}"
        f"{' with uncommitted changes in dgov/' if result['code']['dirty'] else ''}, sha256 "
        + ", ".join(f"{Path(k).name} {v}" for k, v in result["code"]["sha256"].items()),
        "- wrk, the server and the database share the machine's CPUs; \"busy CPUs\" is the whole machine's "
        "during the phase (other processes included), \"wrk CPU share\" the load generator's.",
        "",
    ]
    return "\n".join(lines)


# --- main ---------------------------------------------------------------------------------------

def parse_args(argv):
    p = argparse.ArgumentParser(prog="bench/exchange/run", description=__doc__.split("\n\n")[0])
    p.add_argument("--repo", type=Path, required=True, help=argparse.SUPPRESS)
    p.add_argument("--db", choices=["postgresql", "sqlite", "both"], default="postgresql",
                   help="database(s) to run on (default postgresql; the data store on the same kind)")
    p.add_argument("--duration", type=int, default=20, help="seconds of load per query, side and round (default 20)")
    p.add_argument("--warmup", type=int, default=5, help="warm-up seconds per query and side (default 5)")
    p.add_argument("--rounds", type=int, default=3, help="rounds, gateway and bare interleaved (default 3)")
    p.add_argument("--connections", type=int, default=32, help="concurrent connections (default 32)")
    p.add_argument("--wrk-threads", type=int, default=1, help="wrk threads (default 1: on 2 CPUs a second one "
                   "mostly takes CPU from the server)")
    p.add_argument("--rows", type=int, default=10000, help="generated rows in the data service (default 10000)")
    p.add_argument("--queries", default="page,lookup", help=f"comma-separated, of {', '.join(QUERIES)} "
                   "(default both)")
    p.add_argument("--workers", type=int, help="server workers (default: dgov serve's, 2 × CPUs + 1)")
    p.add_argument("--threads", type=int, help="server threads per worker (default: dgov serve's)")
    p.add_argument("--redis-url", help="run with DGOV_REDIS_URL (nonces, counters and cache generations in Redis)")
    p.add_argument("--note", default="", help="a remark stored with the results (e.g. that the machine was busy)")
    p.add_argument("--results", type=Path, help="output directory (default bench/exchange/results)")
    p.add_argument("--keep", action="store_true", help="keep the data directory, logs and PostgreSQL databases")
    args = p.parse_args(argv)
    args.queries = [q for q in args.queries.split(",") if q]
    unknown = [q for q in args.queries if q not in QUERIES]
    if unknown or not args.queries:
        p.error(f"unknown queries {unknown}; choose from {', '.join(QUERIES)}")
    if args.duration < 1 or args.warmup < 1 or args.rounds < 1 or args.connections < 1:
        p.error("--duration, --warmup, --rounds and --connections are at least 1")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    repo = args.repo.resolve()
    sys.path.insert(0, str(repo))
    results_dir = (args.results or HERE / "results").resolve()
    started = datetime.now(UTC)
    databases = ["postgresql", "sqlite"] if args.db == "both" else [args.db]
    try:
        machine = machine_info(repo / ".venv" / "bin" / "python")
        code = code_digest(repo)
        results = {db: run_database(args, db, repo, machine) for db in databases}
    except BenchError as exc:
        log(f"FAILED: {exc}")
        return 2
    machine["loadavg_after"] = loadavg()
    result = {
        "started_at": started.isoformat(timespec="seconds"),
        "target": {"throughput_vs_bare_min": THROUGHPUT_TARGET, "errors": 0},
        "targets_met": all(r["targets_met"] for r in results.values()),
        "config": {"duration_s": args.duration, "warmup_s": args.warmup, "rounds": args.rounds,
                   "connections": args.connections, "wrk_threads": args.wrk_threads, "rows": args.rows,
                   "queries": {q: QUERIES[q][2] for q in args.queries}, "redis": bool(args.redis_url),
                   "note": args.note},
        "machine": machine, "code": code, "databases": results,
    }
    stamp = started.strftime("%Y-%m-%dT%H%M%SZ")
    md = markdown(result)
    write_results(results_dir, stamp, result, md)
    sys.stdout.write(md)
    log(f"results written to {results_dir}/{stamp}.{{json,md}} and latest.json")
    return 0 if result["targets_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
