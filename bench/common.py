"""Helpers shared by the benchmark scripts: bench/bench.py and bench/<name>/bench.py (see bench/README.md).

A script in bench/ imports this module directly; one in bench/<name>/ first puts bench/ on sys.path:

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/, for common.py

Standard library only; psycopg is imported by the PostgreSQL helpers, Django by the worker helper, when
called.
"""

import hashlib
import json
import os
import platform
import re
import resource
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

#: databases a benchmark never drops, whatever its options say
FORBIDDEN_DBS = {"dgov", "test_dgov", "postgres", "template0", "template1"}


class BenchError(Exception):
    """The run itself failed (exit status 2)."""


def logger(prefix: str) -> Callable[[str], None]:
    """A `log(message)` that writes "<prefix>: message" to stderr."""

    def log(message: str) -> None:
        sys.stderr.write(f"{prefix}: {message}\n")
        sys.stderr.flush()

    return log


# --- machine --------------------------------------------------------------------------------------

def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def cpus_usable() -> int | None:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return None


def memory_gb(kib_per_gb: float = 2**20) -> float | None:
    """The machine's memory (MemTotal), to one decimal: GiB by default, GB with kib_per_gb=1e6."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / kib_per_gb, 1)
    except (OSError, ValueError, IndexError):
        pass
    return None


def loadavg() -> list[float]:
    """The 1, 5 and 15-minute load averages, to two decimals."""
    return [round(x, 2) for x in os.getloadavg()]


def cpu_stat() -> tuple[int, int, int] | None:
    """(busy, total, steal) jiffies of all CPUs, from /proc/stat."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError, IndexError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    steal = fields[7] if len(fields) > 7 else 0
    total = sum(fields[:8])
    return total - idle, total, steal


def busy_cpus(stat0: tuple | None, stat1: tuple | None, seconds: float) -> float | None:
    """How many CPUs the whole machine kept busy between two cpu_stat() readings `seconds` apart."""
    if not (stat0 and stat1):
        return None
    return round((stat1[0] - stat0[0]) / os.sysconf("SC_CLK_TCK") / seconds, 2)


def venv_versions(python: Path, *modules: str) -> list[str]:
    """[Python's version, each module's __version__] in the interpreter `python` ("?" when unknown)."""
    code = (f"import sys{''.join(f', {m}' for m in modules)}; "
            f"print(sys.version.split()[0]{''.join(f', {m}.__version__' for m in modules)})")
    out = subprocess.run([str(python), "-c", code], capture_output=True, text=True)
    return (out.stdout.split() + ["?"] * (len(modules) + 1))[:len(modules) + 1]


def wrk_version() -> str:
    out = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    return ((out.stdout + out.stderr).strip().splitlines() or ["unknown"])[0]


def file_digest(path: Path, length: int = 16) -> str:
    """The first `length` hex digits of the file's SHA-256 ("missing" when it cannot be read)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:length]
    except OSError:
        return "missing"


# --- databases ------------------------------------------------------------------------------------

def pg_database(url: str, *, source: str = "--postgres-url") -> str:
    """The database named in `url`, when it is one a benchmark may drop: 'bench' in its name, never dgov's."""
    name = urllib.parse.urlsplit(url).path.lstrip("/")
    if not name or name in FORBIDDEN_DBS or "bench" not in name:
        raise BenchError(f"refusing to use database {name!r}: the benchmark drops and re-creates its database, so "
                         f"{source} must name a dedicated one with 'bench' in its name (not dgov or test_dgov)")
    return name


def pg_recreate(url: str, *, create: bool = True, source: str = "--postgres-url") -> None:
    """Drop the benchmark's own PostgreSQL database in `url`, and create it again when `create`."""
    import psycopg
    from psycopg import sql

    name = pg_database(url, source=source)
    admin = urllib.parse.urlunsplit(urllib.parse.urlsplit(url)._replace(path="/postgres"))
    try:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            if create:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error as exc:
        raise BenchError(f"PostgreSQL at {urllib.parse.urlsplit(admin).netloc}: {exc}") from exc


def database_info(python: Path, env: dict, *, imports: tuple[str, ...] = (), extra: dict | None = None) -> dict:
    """The application database of dgov in `env`: vendor, version, name and CONN_MAX_AGE; then `extra`
    (name: a Python expression evaluated after django.setup() and `imports`)."""
    fields = "".join(f", {name!r}: {expression}" for name, expression in (extra or {}).items())
    code = "\n".join([
        "import json, django",
        "django.setup()",
        "from django.db import connection",
        *imports,
        "with connection.cursor() as c:",
        "    c.execute('select sqlite_version()' if connection.vendor == 'sqlite' else 'show server_version')",
        "    version = c.fetchone()[0]",
        "s = connection.settings_dict",
        "print(json.dumps({'vendor': connection.vendor, 'version': version,",
        "                  'name': str(s['NAME']).rsplit('/', 1)[-1], 'conn_max_age': s.get('CONN_MAX_AGE')"
        f"{fields}}}))",
    ])
    out = subprocess.run([str(python), "-c", code], env=env, capture_output=True, text=True)
    if out.returncode:
        raise BenchError(f"cannot read the database settings:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def worker_env(data_dir: Path, database_url: str | None = None) -> dict:
    """The environment of `dgov init` and of a worker process (the script again with --worker) for one
    database: this one's, with its own data directory and dgov's settings; SQLite unless `database_url`."""
    env = {k: v for k, v in os.environ.items() if k not in ("PROMETHEUS_MULTIPROC_DIR", "DGOV_DATABASE_URL")}
    env.update({"DGOV_DATA_DIR": str(data_dir), "DGOV_DEBUG": "0", "DJANGO_SETTINGS_MODULE": "dgov.settings.base"})
    if database_url:
        env["DGOV_DATABASE_URL"] = database_url
    return env


def run_worker(cmd: list[str], env: dict, out_file: Path, *, db: str, started: datetime) -> dict:
    """Run a worker process that writes its result as JSON to `out_file`; the result, with `started` (UTC) and
    the worker's exit status."""
    done = subprocess.run(cmd, env=env)
    if not out_file.exists():
        raise BenchError(f"the {db} worker failed (exit {done.returncode})")
    result = json.loads(out_file.read_text())
    result["started"], result["worker_exit"] = started.strftime("%Y-%m-%d %H:%M:%S UTC"), done.returncode
    return result


def django_setup(repo: Path) -> dict:
    """In a worker process: Django set up with dgov's settings from `repo`; the database's vendor and version."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dgov.settings.base")
    sys.path.insert(0, str(repo))
    import django

    django.setup()
    from django.db import connection

    with connection.cursor() as c:
        c.execute("SELECT sqlite_version()" if connection.vendor == "sqlite" else "SHOW server_version")
        return {"vendor": connection.vendor, "version": c.fetchone()[0]}


# --- commands and the server ----------------------------------------------------------------------

def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def run_cmd(cmd: list[str], env: dict, logfile: Path, *, stdout_to_log: bool = False) -> str:
    """Run `cmd`, its stderr (and with stdout_to_log its stdout) appended to `logfile`; returns its stdout."""
    with logfile.open("a") as err:
        err.write(f"$ {' '.join(cmd)}\n")
        err.flush()
        out = subprocess.run(cmd, env=env, stdout=err if stdout_to_log else subprocess.PIPE, stderr=err, text=True)
    if out.returncode:
        raise BenchError(f"`{' '.join(cmd)}` failed (exit {out.returncode}); see {logfile}:\n{tail(logfile)}")
    return out.stdout or ""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url: str, headers: dict | None = None, timeout: float = 10) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
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
            if http_get(base + "/readyz", timeout=2)[0] == 200:
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


def start_server(dgov: Path, env: dict, logfile: Path, *, workers: int | None, threads: int | None,
                 announce: Callable[[str], None]) -> tuple[subprocess.Popen, str, int | None, int | None]:
    """`dgov serve` on a free local port, in its own session, with its output in `logfile`, once it is ready
    (`announce` is given the command first). Returns the process, its base URL, and its workers and threads
    per worker as the server reports them (else the ones asked for)."""
    port = free_port()
    serve = ["serve", "--host", "127.0.0.1", "--port", str(port)]
    if workers:
        serve += ["--workers", str(workers)]
    if threads:
        serve += ["--threads", str(threads)]
    announce(f"dgov {' '.join(serve)}")
    with logfile.open("w") as out:
        proc = subprocess.Popen([str(dgov), *serve], env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(proc, base, logfile)
    except BaseException:
        stop_server(proc)
        raise
    served = re.search(r"with (\d+) workers × (\d+) threads?", logfile.read_text(errors="replace"))
    if served:
        workers, threads = int(served.group(1)), int(served.group(2))
    return proc, base, workers, threads


def serve_worker_class(env: dict) -> str:
    """The gunicorn worker class `dgov serve` runs with this environment (its default, or DGOV_WORKER_CLASS)."""
    return env.get("DGOV_WORKER_CLASS") or "dgov.core.serving.BalancedWorker"


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
    """Totals of the server's request and (Django ORM) query counters over all workers."""
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


# --- wrk ------------------------------------------------------------------------------------------

# wrk calls done() once at the end; it prints the figures as one JSON line that run_wrk parses exactly.
_WRK_DONE_LUA = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"mean": %.1f, "stdev": %.1f, @KEYS@"max": %d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency.stdev, @VALUES@latency.max))
end
"""


def wrk_report_lua(percentiles: tuple[int, ...]) -> str:
    """wrk's done() hook, reporting these latency percentiles (as p50, p90, ...) for run_wrk."""
    return (_WRK_DONE_LUA.replace("@KEYS@", "".join(f'"p{p}": %d, ' for p in percentiles))
            .replace("@VALUES@", "".join(f"latency:percentile({p}), " for p in percentiles)))


def run_wrk(url: str, *, seconds: int, connections: int, threads: int, lua: Path, headers: dict | None = None,
            script_args: list[str] | tuple = ()) -> dict:
    """One wrk run with the script `lua` (ending in wrk_report_lua's done()): requests, seconds, rps, errors,
    error_count, latency_ms, bytes_per_response, client_cpu_share (wrk's CPU time ÷ wall time) and wrk_output
    (wrk's own report)."""
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s",
           "-s", str(lua)]
    for name, value in (headers or {}).items():
        cmd += ["-H", f"{name}: {value}"]
    cmd.append(url)
    if script_args:
        cmd += ["--", *script_args]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(cmd, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode:
        raise BenchError(f"wrk failed ({out.returncode}): {out.stderr.strip()}")
    match = re.search(r"^BENCH_JSON (.*)$", out.stdout, re.M)
    if not match:
        raise BenchError(f"no figures in wrk's output:\n{out.stdout}\n{out.stderr}")
    data = json.loads(match.group(1))
    seconds_run = data["duration_us"] / 1e6
    return {
        "requests": data["requests"], "seconds": round(seconds_run, 3),
        "rps": round(data["requests"] / seconds_run, 1),
        "errors": data["errors"], "error_count": sum(data["errors"].values()),
        "latency_ms": {k: round(v / 1000, 2) for k, v in data["latency_us"].items()},
        "bytes_per_response": round(data["bytes"] / max(data["requests"], 1)),
        "client_cpu_share": round((after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
                                  / seconds_run, 3),
        "wrk_output": out.stdout.replace(match.group(0), "").strip(),
    }


# --- in-process measurement -----------------------------------------------------------------------

def measure(fn: Callable[[], object], seconds: float, nbytes: int | None = None) -> dict:
    """Call fn() until `seconds` of wall-clock time have elapsed (at least once, after one untimed call):
    ops, wall_s, cpu_s, cpu_share (process CPU ÷ wall), rate and rate_cpu (per CPU second), in operations
    per second, or MB/s (10^6 bytes/s) when each call processes `nbytes`."""
    fn()
    perf, proc = time.perf_counter, time.process_time
    n = 0
    c0 = proc()
    t0 = perf()
    deadline = t0 + seconds
    while True:
        fn()
        n += 1
        t = perf()
        if t >= deadline:
            break
    cpu = proc() - c0
    wall = t - t0
    scale = nbytes / 1e6 if nbytes else 1.0
    return {
        "ops": n, "wall_s": round(wall, 3), "cpu_s": round(cpu, 3), "cpu_share": round(min(cpu / wall, 1.0), 3),
        "rate": n * scale / wall, "rate_cpu": n * scale / cpu if cpu > 0 else None,
    }


def median(values) -> float | None:
    """The median of the values that are not None (None when there are none)."""
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


# --- report ---------------------------------------------------------------------------------------

def num(v: int) -> str:
    """An integer with a space between thousands: 100 000."""
    return f"{v:,}".replace(",", " ")


def figure(v: float | None) -> str:
    """A rate or time for a table: whole and grouped by thousands from 100, one decimal below, – for None."""
    if v is None:
        return "–"
    return f"{v:,.0f}".replace(",", " ") if v >= 100 else f"{v:.1f}"


def write_results(directory: Path, stem: str, result: dict, md: str, *, indent: int = 2,
                  latest: tuple[str, ...] = ("latest.json",)) -> None:
    """<stem>.json and <stem>.md in `directory`, and the JSON again as each of `latest`."""
    directory.mkdir(parents=True, exist_ok=True)
    text = json.dumps(result, indent=indent, ensure_ascii=False) + "\n"
    (directory / f"{stem}.json").write_text(text)
    (directory / f"{stem}.md").write_text(md)
    for name in latest:
        (directory / name).write_text(text)
