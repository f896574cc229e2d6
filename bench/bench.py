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
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime
from pathlib import Path

THROUGHPUT_TARGET = 0.60  # of the bare view's requests/s
P99_TARGET_MS = 50.0

ENDPOINTS = [
    # name, path, authenticated, description
    ("bare", "/bench/bare", False, "bare Django view (baseline): same server and middleware, no auth, no DB"),
    ("me", "/api/v1/me", True, "GET /api/v1/me with a bearer token"),
    ("regions", "/api/v1/regions?within=360600&level=village&limit=50", True,
     "region subtree: villages under Yingtan (360600), first page of 50, with count"),
]

# wrk calls done() once at the end; print the figures as one JSON line that we can parse exactly.
WRK_REPORT_LUA = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"mean": %.1f, "stdev": %.1f, "p50": %d, "p75": %d, "p90": %d, "p99": %d, "max": %d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency.stdev, latency:percentile(50), latency:percentile(75),
    latency:percentile(90), latency:percentile(99), latency.max))
end
"""


class BenchError(Exception):
    pass


def log(message: str) -> None:
    sys.stderr.write(f"bench: {message}\n")
    sys.stderr.flush()


# --- machine ----------------------------------------------------------------------------------

def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def wrk_version() -> str:
    out = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    text = (out.stdout + out.stderr).strip().splitlines()
    return text[0] if text else "unknown"


def machine_info(venv_python: Path) -> dict:
    python = subprocess.run([str(venv_python), "-c", "import sys, django; "
                             "print(sys.version.split()[0], django.get_version())"],
                            capture_output=True, text=True, check=True).stdout.split()
    return {
        "hostname": platform.node(),
        "nproc": os.cpu_count(),
        "cpu_model": cpu_model(),
        "kernel": platform.release(),
        "python": python[0],
        "django": python[1],
        "wrk": wrk_version(),
        "loadavg_before": [round(x, 2) for x in os.getloadavg()],
    }


# --- database ---------------------------------------------------------------------------------

def reset_postgres(url: str) -> None:
    """Drop and re-create the PostgreSQL database in `url`: each run starts from a fresh data
    directory (so a fresh master key), and data encrypted under another key cannot be reused."""
    import psycopg
    from psycopg import sql

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    if not name or "bench" not in name:
        raise BenchError(f"refusing to drop database {name!r}: the benchmark drops and re-creates its "
                         "database, so DGOV_DATABASE_URL must name a dedicated one with 'bench' in its name")
    admin_url = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def database_info(venv_python: Path, env: dict) -> dict:
    code = "\n".join([
        "import json, django",
        "django.setup()",
        "from django.db import connection",
        "with connection.cursor() as c:",
        "    c.execute('select sqlite_version()' if connection.vendor == 'sqlite' else 'show server_version')",
        "    version = c.fetchone()[0]",
        "s = connection.settings_dict",
        "print(json.dumps({'vendor': connection.vendor, 'version': version,",
        "                  'name': str(s['NAME']).rsplit('/', 1)[-1], 'conn_max_age': s.get('CONN_MAX_AGE')}))",
    ])
    out = subprocess.run([str(venv_python), "-c", code], env={**env, "DJANGO_SETTINGS_MODULE": "dgov.settings.base"},
                         capture_output=True, text=True)
    if out.returncode:
        raise BenchError(f"cannot read the database settings:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- server -----------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_dgov(dgov: Path, args: list[str], env: dict, logfile: Path) -> str:
    with logfile.open("a") as err:
        out = subprocess.run([str(dgov), *args], env=env, stdout=subprocess.PIPE, stderr=err, text=True)
    if out.returncode:
        raise BenchError(f"`dgov {' '.join(args)}` failed (exit {out.returncode}); see {logfile}")
    return out.stdout


def http_get(url: str, token: str | None = None, timeout: float = 10) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def wait_ready(proc: subprocess.Popen, base: str, logfile: Path, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"dgov serve exited with {proc.returncode}:\n{tail(logfile)}")
        try:
            status, _ = http_get(base + "/readyz", timeout=2)
            if status == 200:
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        try:  # wait on the server: returns at once if it dies
            proc.wait(timeout=0.25)
        except subprocess.TimeoutExpired:
            pass
    raise BenchError(f"dgov serve was not ready within {timeout:.0f} s:\n{tail(logfile)}")


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)  # the server runs in its own session: master and workers
    try:
        proc.wait(timeout=40)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def tree_cpu_seconds(root: int) -> float:
    """User + system CPU time of `root` and its descendants (Linux /proc), in seconds."""
    children: dict[int, list[int]] = {}
    stats: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            text = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()  # after "pid (comm) "
        ppid, utime, stime = int(fields[1]), int(fields[11]), int(fields[12])
        children.setdefault(ppid, []).append(int(entry))
        stats[int(entry)] = (utime + stime) / tick
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += stats.get(pid, 0.0)
        todo.extend(children.get(pid, []))
    return total


def scrape_counters(base: str) -> dict[str, float]:
    """Totals of the server's request and database-query counters (all workers)."""
    status, body = http_get(base + "/metrics")
    if status != 200:
        return {}
    totals = {"requests": 0.0, "queries": 0.0}
    for line in body.decode().splitlines():
        if line.startswith("dgov_http_requests_total{"):
            totals["requests"] += float(line.rsplit(" ", 1)[1])
        elif line.startswith("dgov_db_queries_total{"):
            totals["queries"] += float(line.rsplit(" ", 1)[1])
    return totals


# --- load -------------------------------------------------------------------------------------

def run_wrk(url: str, token: str | None, *, seconds: int, connections: int, threads: int, lua: Path) -> dict:
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s",
           "-s", str(lua)]
    if token:
        cmd += ["-H", f"Authorization: Bearer {token}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True)
    if out.returncode:
        raise BenchError(f"wrk failed ({out.returncode}): {out.stderr.strip()}")
    match = re.search(r"^BENCH_JSON (.*)$", out.stdout, re.M)
    if not match:
        raise BenchError(f"no figures in wrk's output:\n{out.stdout}")
    data = json.loads(match.group(1))
    seconds_run = data["duration_us"] / 1e6
    lat = data["latency_us"]
    return {
        "requests": data["requests"],
        "seconds": round(seconds_run, 3),
        "rps": round(data["requests"] / seconds_run, 1),
        "errors": data["errors"],
        "latency_ms": {k: round(v / 1000, 2) for k, v in lat.items()},
        "wrk_output": out.stdout.replace(match.group(0), "").strip(),
    }


def check_responses(base: str, token: str) -> dict[str, dict]:
    """One request per endpoint before the load: each must answer 200 with the expected content,
    so that the benchmark never measures error responses."""
    found = {}
    for name, path, auth, _ in ENDPOINTS:
        status, body = http_get(base + path, token if auth else None)
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


def table(result: dict) -> str:
    s = result["summary"]
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
        table(result),
        "",
        "In-process cost (Django test client, same middleware and data, no server; Python calls are "
        "deterministic, so this table does not depend on the machine's load):",
        "",
        inprocess_table(result),
        "",
        f"- load: `wrk -t{c['wrk_threads']} -c{c['connections']} -d{c['duration_s']}s --latency`, "
        f"{c['warmup_s']} s warm-up per endpoint, {c['rounds']} round(s) (median reported)",
        f"- server: `dgov serve`, gunicorn gthread, {c['server_workers']} workers × {c['server_threads']} threads",
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
    proc = None
    try:
        machine = machine_info(venv_bin / "python")
        db_url = env.get("DGOV_DATABASE_URL", "")
        if db_url.startswith(("postgres://", "postgresql://")):
            log(f"re-creating the PostgreSQL database {urllib.parse.urlsplit(db_url).path.lstrip('/')}")
            reset_postgres(db_url)
        log(f"data directory {workdir / 'data'}; dgov init --demo")
        run_dgov(dgov, ["init", "--demo"], env, setup_log)
        database = database_info(venv_bin / "python", env)
        token = run_dgov(dgov, ["token", "create", "official"], env, setup_log).strip().splitlines()[-1]

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        serve = ["serve", "--host", "127.0.0.1", "--port", str(port)]
        if args.workers:
            serve += ["--workers", str(args.workers)]
        if args.threads:
            serve += ["--threads", str(args.threads)]
        log(f"dgov {' '.join(serve)} ({database['vendor']})")
        with server_log.open("w") as out:
            proc = subprocess.Popen([str(dgov), *serve], env=env, stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        wait_ready(proc, base, server_log)
        served = re.search(r"with (\d+) workers × (\d+) threads", server_log.read_text(errors="replace"))
        workers, threads = (int(served.group(1)), int(served.group(2))) if served else (args.workers, args.threads)
        responses = check_responses(base, token)

        lua = workdir / "report.lua"
        lua.write_text(WRK_REPORT_LUA)
        load = {"connections": args.connections, "threads": args.wrk_threads, "lua": lua}
        for name, path, auth, _ in ENDPOINTS:
            log(f"warm-up {name} ({args.warmup} s)")
            run_wrk(base + path, token if auth else None, seconds=args.warmup, **load)
        rounds = []
        for number in range(1, args.rounds + 1):
            figures = {}
            for name, path, auth, _ in ENDPOINTS:
                log(f"round {number}/{args.rounds}: {name} ({args.duration} s at {args.connections} connections)")
                before, cpu_before = scrape_counters(base), tree_cpu_seconds(proc.pid)
                figures[name] = run_wrk(base + path, token if auth else None, seconds=args.duration, **load)
                cpu_after, after = tree_cpu_seconds(proc.pid), scrape_counters(base)
                figures[name]["server_cpu_ms_per_request"] = round(
                    (cpu_after - cpu_before) * 1000 / max(figures[name]["requests"], 1), 3)
                served_requests = after.get("requests", 0) - before.get("requests", 0) - 1  # minus one scrape
                if before and served_requests > 0:
                    figures[name]["queries_per_request"] = round(
                        (after["queries"] - before["queries"]) / served_requests, 2)
            rounds.append(figures)
        machine["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
        stop_server(proc)
        log("in-process cost per request (Python calls, queries, CPU)")
        inprocess = measure_inprocess(venv_bin / "python", env, token)
    except BenchError as exc:
        log(f"FAILED: {exc}")
        return 2
    finally:
        if proc is not None:
            stop_server(proc)
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    summary = summarise(rounds)
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
                   "server_threads": threads, "worker_class": "gthread"},
        "endpoints": {name: {"path": path, "bearer_token": auth, "what": what, **responses[name]}
                      for name, path, auth, what in ENDPOINTS},
        "rounds": [{name: {k: v for k, v in f.items() if k != "wrk_output"} for name, f in r.items()}
                   for r in rounds],
        "wrk_output": {name: rounds[-1][name]["wrk_output"] for name, *_ in ENDPOINTS},
    }
    results_dir.mkdir(parents=True, exist_ok=True)
    stamp = started.strftime("%Y-%m-%d-%H%M%S")
    text = json.dumps(result, indent=2, ensure_ascii=False) + "\n"
    (results_dir / "latest.json").write_text(text)
    (results_dir / f"latest-{database['vendor']}.json").write_text(text)
    (results_dir / f"{stamp}-{database['vendor']}.json").write_text(text)
    md = markdown(result)
    (results_dir / f"{stamp}-{database['vendor']}.md").write_text(md)
    sys.stdout.write(md)
    log(f"results written to {results_dir}/{stamp}-{database['vendor']}.{{json,md}} and latest.json")
    return 0 if result["targets_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
