"""The case benchmark (run it through `bench/cases/run`; see bench/README.md, "Cases").

One run: a fresh data directory, `dgov init --demo` (PostgreSQL by default: the database
`dgov_bench_cases`, dropped and re-created, never dgov's own), then, untimed, in a worker process
(this script with `--setup`):

- the table `bench_insert` for the baseline view, created with raw SQL;
- an implementation that needs no material (so a submission needs no upload) and has a one-question
  form, made through the services layer (`implementation_save` + `publish`, as the demo `admin`) as a
  copy of a published demo implementation in the region where the demo `official` holds the case roles;
- `--citizens` citizens (default 64) with an API token each, and a token for the demo `official`.

Then `dgov serve` (its default workers and threads) with DGOV_BENCH_BARE_VIEW=1, one checked request of
each kind, and `wrk` at `--connections` (default 64) clients against

  insert   POST /bench/insert                   the bare view: one INSERT of the body, no auth (baseline)
  submit   POST /api/v1/services/cases          {"implementation", "answers", "submit": true}, each request
                                                with the next citizen's bearer token: a draft, its answers,
                                                the submission (reference, clock, event, audit, notice)
  inbox    GET /api/v1/services/cases?limit=20  the official's scoped inbox: count + the most urgent 20
                                                (it grows with every submission of the run)

warm-up, then `--rounds` rounds interleaved (the order reversed every other round), medians over rounds:
requests/s, p50/p90/p99 latency, errors, server CPU and ORM queries per request, and each one's
throughput as a share of the bare insert's. After the load: the cases and rows written, checked against
wrk's counts. No target: the issue asks for the figures. Results go to bench/cases/results/ as JSON and
Markdown. Exit status: 0 when the run completed without errors, 1 when a phase had errors, 2 when the
run itself failed.
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
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/, for common.py
from common import (  # noqa: E402
    BenchError,
    cpu_model,
    cpu_stat,
    database_info,
    django_setup,
    file_digest,
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
PG_URL = "postgresql://postgres@127.0.0.1:5432/dgov_bench_cases"
BARE_TABLE_SQL = {
    "postgresql": "CREATE TABLE bench_insert (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL, "
                  "body text NOT NULL)",
    "sqlite": "CREATE TABLE bench_insert (id integer PRIMARY KEY AUTOINCREMENT, created_at datetime NOT NULL, "
              "body text NOT NULL)",
}
FORM = {"version": 1, "pages": [{"key": "reason", "title": "申请事由", "fields": [
    {"key": "reason", "label": "申请事由", "type": "text", "required": True}]}]}
ANSWERS = {"reason": "压力测试：办理证明"}
INBOX_PATH = "/api/v1/services/cases?limit=20"
SUBMIT_PATH = "/api/v1/services/cases"
INSERT_PATH = "/bench/insert"
SIDES = {
    "insert": "POST /bench/insert: bare view, one INSERT, no auth (baseline)",
    "submit": "POST /api/v1/services/cases with submit=true, a citizen's bearer token",
    "inbox": "GET /api/v1/services/cases?limit=20, the official's bearer token (scoped inbox)",
}

# wrk: each request carries the next bearer token of the file in args[1] (one per line: the citizens' for
# `submit`, the official's alone for `inbox`; "-": none, for the bare insert). args[2]: method, args[3]: path,
# args[4]: body file or "-". (wrk.format with a headers table ignores wrk's -H headers.)
WRK_LUA = r"""
local tokens, n, i = {}, 0, 0
local method, path, body = "GET", "/", nil
init = function(args)
  method, path = args[2], args[3]
  if args[4] ~= "-" then
    local f = io.open(args[4], "r"); body = f:read("*a"); f:close()
  end
  if args[1] ~= "-" then
    for line in io.lines(args[1]) do n = n + 1; tokens[n] = line end
  end
end
request = function()
  local headers = {["Content-Type"] = "application/json"}
  if n > 0 then
    i = i % n + 1
    headers["Authorization"] = "Bearer " .. tokens[i]
  end
  return wrk.format(method, path, headers, body)
end
""" + wrk_report_lua((50, 90, 99))

log = logger("bench/cases")


# --- the setup, in a worker process ----------------------------------------------------------------

def setup_worker(repo: Path, citizens: int) -> dict:
    """Untimed: the bare table, the implementation, the citizens' and the official's tokens."""
    db = django_setup(repo)
    from django.db import connection, transaction

    from dgov.accounts.models import RoleAssignment, User
    from dgov.accounts.services import token_create
    from dgov.accounts.testing import make_citizen
    from dgov.services import services
    from dgov.services.models import Implementation

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_insert")
        cursor.execute(BARE_TABLE_SQL[connection.vendor])
    admin, official = User.objects.get(username="admin"), User.objects.get(username="official")
    grant = (RoleAssignment.objects.filter(user=official, role__code="case_intake", region__isnull=False)
             .select_related("region").order_by("pk").first())
    if grant is None or grant.region is None:
        raise SystemExit("the demo official has no case_intake role over a region: was `dgov init --demo` run?")
    source = (Implementation.objects.filter(status="published", online_apply=True, region=grant.region,
                                            service_object__in=("person", "both"), case_kind="promised",
                                            result_license_type=None)
              .select_related("item", "department", "region").order_by("code").first())
    if source is None:
        raise SystemExit(f"no published promised implementation in {grant.region.name} to copy")
    data = {k: v for k, v in services.snapshot(source).items()
            if k in services.FIELDS and k not in ("code", "name", "supervising_department")}
    data.update(name=f"{source.name}（压力测试）", form=FORM, handling_code="90001", online_apply=True,
                is_demo=False)
    from dgov.core.errors import ValidationError

    try:
        with transaction.atomic():
            impl = services.implementation_save(actor=admin, data=data, materials=[], reason="bench/cases")
            impl = services.publish(actor=admin, implementation=impl, reason="bench/cases")
    except ValidationError as exc:
        raise SystemExit(f"the bench implementation was refused: {exc.details}") from None
    with transaction.atomic():
        tokens = []
        for n in range(citizens):
            citizen = make_citizen(f"bench_citizen{n:03d}", phone=f"139{n:08d}", verified=True)
            tokens.append(token_create(user=citizen, name="bench/cases")[1])
        official_token = token_create(user=official, name="bench/cases")[1]
    return {"database": db, "implementation": impl.code, "implementation_name": impl.name,
            "department": impl.department.name, "region": grant.region.name, "tokens": tokens,
            "official_token": official_token}


def count_worker(repo: Path, implementation: str) -> dict:
    django_setup(repo)
    from django.db import connection

    from dgov.cases.models import Case

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM bench_insert")
        rows = cursor.fetchone()[0]
    cases = Case.objects.filter(implementation__code=implementation)
    return {"bench_insert_rows": rows, "cases_submitted": cases.exclude(state="draft").count(),
            "drafts": cases.filter(state="draft").count()}


# --- the driver -------------------------------------------------------------------------------------

def machine_info(venv_python: Path) -> dict:
    python, django = venv_versions(venv_python, "django")
    return {"hostname": platform.node(), "nproc": os.cpu_count(), "cpu_model": cpu_model(),
            "memory_gb": memory_gb(), "kernel": platform.release(), "python": python, "django": django,
            "wrk": wrk_version(), "loadavg_before": loadavg()}


def code_digest(repo: Path) -> dict:
    def git(*args):
        out = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
        return out.stdout.strip() if out.returncode == 0 else ""

    files = ["dgov/cases/api.py", "dgov/cases/services.py", "dgov/cases/selectors.py", "dgov/core/views_bench.py"]
    return {"commit": git("rev-parse", "--short", "HEAD"), "dirty": bool(git("status", "--porcelain", "--", "dgov")),
            "sha256": {f: file_digest(repo / f, 12) for f in files}}


def request(base: str, method: str, path: str, token: str | None = None, body: bytes | None = None):
    import urllib.error
    import urllib.request

    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(base + path, data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()[:500]


def drain(pid: int, *, idle_cpu_s: float = 0.05, step: float = 0.5, limit: float = 120.0) -> float:
    """Wait until the server is idle (its processes used under `idle_cpu_s` of CPU in `step` seconds): wrk
    stops counting when a phase ends, but the requests still queued (64 clients' worth) are served after,
    and must not run into the next phase. Returns the seconds waited."""
    import time

    started = time.monotonic()
    last = tree_cpu_seconds(pid)
    while time.monotonic() - started < limit:
        time.sleep(step)
        now = tree_cpu_seconds(pid)
        if now - last < idle_cpu_s:
            break
        last = now
    return round(time.monotonic() - started, 1)


def check_answers(base: str, setup: dict, body: bytes) -> dict:
    """One request of each kind before the load: the load never measures error responses."""
    status, submitted = request(base, "POST", SUBMIT_PATH, setup["tokens"][0], body)
    if status != 201 or submitted.get("state") != "submitted" or not submitted.get("reference"):
        raise BenchError(f"submission answered {status}: {submitted!r}")
    status, inbox = request(base, "GET", INBOX_PATH, setup["official_token"])
    references = [c["reference"] for c in inbox["items"]] if status == 200 else []
    if status != 200 or not inbox["count"]:
        raise BenchError(f"the inbox answered {status}: {inbox!r}")
    status, inserted = request(base, "POST", INSERT_PATH, None, body)
    if status != 201:
        raise BenchError(f"the bare insert answered {status}: {inserted!r}")
    return {"submitted": submitted["reference"], "inbox_count": inbox["count"], "inbox_page": len(references),
            "submitted_in_inbox_page": submitted["reference"] in references}


def run(args, repo: Path) -> dict:
    venv_bin = repo / ".venv" / "bin"
    workdir = Path(tempfile.mkdtemp(prefix=f"dgov-bench-cases-{args.db}-"))
    server_log, setup_log = workdir / "server.log", workdir / "setup.log"
    env = {k: v for k, v in os.environ.items()
           if k not in ("PROMETHEUS_MULTIPROC_DIR", "DJANGO_SETTINGS_MODULE", "DGOV_DATABASE_URL", "PYTHONPATH")}
    env.update({"DGOV_DATA_DIR": str(workdir / "data"), "DGOV_DEBUG": "0"})
    if args.db == "postgresql":
        env["DGOV_DATABASE_URL"] = args.postgres_url
        log(f"re-creating the PostgreSQL database of {args.postgres_url}")
        pg_recreate(args.postgres_url, source="--postgres-url")
    worker = [str(venv_bin / "python"), str(Path(__file__).resolve()), "--repo", str(repo)]
    proc = None
    try:
        log(f"data directory {workdir / 'data'}; dgov init --demo")
        run_cmd([str(venv_bin / "dgov"), "init", "--demo"], env, setup_log)
        log(f"setup: the bare table, the implementation, {args.citizens} citizens with tokens")
        setup = json.loads(run_cmd([*worker, "--setup", "--citizens", str(args.citizens)],
                                   {**env, "DJANGO_SETTINGS_MODULE": "dgov.settings.base"},
                                   setup_log).strip().splitlines()[-1])
        database = database_info(venv_bin / "python", {**env, "DJANGO_SETTINGS_MODULE": "dgov.settings.base"})
        body = json.dumps({"implementation": setup["implementation"], "answers": ANSWERS, "submit": True},
                          ensure_ascii=False).encode()
        body_file, tokens_file, lua = workdir / "body.json", workdir / "tokens.txt", workdir / "cases.lua"
        official_file = workdir / "official.txt"
        body_file.write_bytes(body)
        tokens_file.write_text("\n".join(setup["tokens"]) + "\n")
        official_file.write_text(setup["official_token"] + "\n")
        lua.write_text(WRK_LUA)
        proc, base, workers, threads = start_server(
            venv_bin / "dgov", {**env, "DGOV_BENCH_BARE_VIEW": "1"}, server_log, workers=args.workers,
            threads=args.threads, announce=lambda command: log(command))
        answers = check_answers(base, setup, body)
        scripts = {"insert": ["-", "POST", INSERT_PATH, str(body_file)],
                   "submit": [str(tokens_file), "POST", SUBMIT_PATH, str(body_file)],
                   "inbox": [str(official_file), "GET", INBOX_PATH, "-"]}

        def phase(side: str, seconds: int, label: str) -> dict:
            drained = drain(proc.pid)
            in_inbox = (request(base, "GET", INBOX_PATH, setup["official_token"])[1]["count"] if side == "inbox"
                        else None)
            counters0 = scrape_counters(base)
            cpu0, busy0, started = tree_cpu_seconds(proc.pid), cpu_stat(), datetime.now(UTC)
            figures = run_wrk(base + "/", seconds=seconds, connections=args.connections, threads=args.wrk_threads,
                              lua=lua, script_args=scripts[side])
            del figures["wrk_output"]
            busy1, cpu1 = cpu_stat(), tree_cpu_seconds(proc.pid)
            counters1 = scrape_counters(base)
            served = counters1.get("requests", 0) - counters0.get("requests", 0) - 1  # minus one scrape
            if counters0 and served > 0:
                figures["orm_queries_per_request"] = round((counters1["queries"] - counters0["queries"]) / served, 2)
            figures.update(started=started.isoformat(), drained_before_s=drained,
                           server_cpu_ms_per_request=round((cpu1 - cpu0) * 1000 / max(figures["requests"], 1), 3),
                           machine_busy_cpus=round((busy1[0] - busy0[0]) / max(busy1[1] - busy0[1], 1)
                                                   * (os.cpu_count() or 1), 2))
            if side == "inbox":
                figures["cases_in_inbox_before"] = in_inbox
            log(f"{label}: {figures['rps']:.0f} req/s, p50 {figures['latency_ms']['p50']:.1f} ms, "
                f"p99 {figures['latency_ms']['p99']:.1f} ms, {figures['error_count']} errors")
            return figures

        warmup = {}
        for side in SIDES:
            log(f"warm-up {side} ({args.warmup} s)")
            warmup[side] = phase(side, args.warmup, f"warmup-{side}")
        rounds = []
        for number in range(1, args.rounds + 1):
            order = list(SIDES) if number % 2 else list(reversed(SIDES))
            figures = {}
            for side in order:
                log(f"round {number}/{args.rounds}: {side} ({args.duration} s)")
                figures[side] = phase(side, args.duration, f"round{number}-{side}")
            rounds.append(figures)
        loadavg_after = loadavg()
        stop_server(proc)
        counts = json.loads(run_cmd([*worker, "--count", "--implementation", setup["implementation"]],
                                    {**env, "DJANGO_SETTINGS_MODULE": "dgov.settings.base"},
                                    setup_log).strip().splitlines()[-1])
    except BenchError:
        log(f"server log tail:\n{tail(server_log)}")
        raise
    finally:
        if proc is not None:
            stop_server(proc)
        if args.keep:
            log(f"kept {workdir}" + (" and the database" if args.db == "postgresql" else ""))
        else:
            shutil.rmtree(workdir, ignore_errors=True)
            if args.db == "postgresql":
                pg_recreate(args.postgres_url, create=False, source="--postgres-url")
    sent = {side: warmup[side]["requests"] + sum(r[side]["requests"] for r in rounds) for side in SIDES}
    return {
        "database": database,
        "server": {"workers": workers, "threads": threads, "worker_class": serve_worker_class(env)},
        "setup": {k: v for k, v in setup.items() if k not in ("tokens", "official_token")},
        "answers": answers, "summary": summarise(rounds), "rounds": rounds, "warmup": warmup,
        "written": {**counts, "completed_by_wrk": sent,
                    "note": "one case and one row were written by the checks before the load; requests in flight "
                            "when a phase ended are written but not counted by wrk"},
        "loadavg_after": loadavg_after,
    }


def summarise(rounds: list[dict]) -> dict:
    summary = {}
    for side in SIDES:
        runs = [r[side] for r in rounds]
        summary[side] = {
            "rps": round(statistics.median(r["rps"] for r in runs), 1),
            **{f"{p}_ms": round(statistics.median(r["latency_ms"][p] for r in runs), 2) for p in ("p50", "p90", "p99")},
            "max_ms": max(r["latency_ms"]["max"] for r in runs),
            "requests": sum(r["requests"] for r in runs), "errors": sum(r["error_count"] for r in runs),
            "server_cpu_ms_per_request": round(statistics.median(r["server_cpu_ms_per_request"] for r in runs), 3),
            "orm_queries_per_request": runs[-1].get("orm_queries_per_request"),
            "client_cpu_share": round(statistics.median(r["client_cpu_share"] for r in runs), 3),
            "machine_busy_cpus": round(statistics.median(r["machine_busy_cpus"] for r in runs), 2),
        }
        if side == "inbox":
            summary[side]["cases_in_inbox"] = [r["cases_in_inbox_before"] for r in runs]
    bare = summary["insert"]["rps"]
    for side in SIDES:
        summary[side]["vs_insert"] = round(summary[side]["rps"] / bare, 3) if bare else None
        summary[side]["vs_insert_per_round"] = [round(r[side]["rps"] / r["insert"]["rps"], 3) for r in rounds
                                                if r["insert"]["rps"]]
    return summary


def markdown(result: dict) -> str:
    m, c, r = result["machine"], result["config"], result["result"]
    d = r["database"]
    lines = [f"# dgov case benchmark, {result['started_at']}", "",
             f"{d['vendor']} {d['version']}; `dgov serve` {r['server']['workers']} workers × "
             f"{r['server']['threads']} thread(s); `wrk -t{c['wrk_threads']} -c{c['connections']} "
             f"-d{c['duration_s']}s`, {c['rounds']} rounds interleaved (medians), {c['warmup_s']} s warm-up each; "
             f"{c['citizens']} citizens' tokens in rotation.", ""]
    if c.get("note"):
        lines += [f"Note: {c['note']}", ""]
    lines += ["| side | request | requests/s | ÷ bare insert (rounds) | p50 ms | p90 ms | p99 ms | max ms | errors "
              "| server CPU ms/req | ORM queries/req | busy CPUs |",
              "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for side, what in SIDES.items():
        s = r["summary"][side]
        ratio = f"{s['vs_insert'] * 100:.0f} % ({', '.join(f'{x * 100:.0f}' for x in s['vs_insert_per_round'])})"
        lines.append(f"| {side} | {what} | {s['rps']:.0f} | {ratio} | {s['p50_ms']:.1f} | {s['p90_ms']:.1f} | "
                     f"{s['p99_ms']:.1f} | {s['max_ms']:.0f} | {s['errors']} | {s['server_cpu_ms_per_request']:.2f} | "
                     f"{s['orm_queries_per_request'] if s['orm_queries_per_request'] is not None else ''} | "
                     f"{s['machine_busy_cpus']:.2f} |")
    w = r["written"]
    lines += ["", f"Implementation `{r['setup']['implementation']}` ({r['setup']['implementation_name']}, "
              f"{r['setup']['department']}); the inbox held {r['summary']['inbox']['cases_in_inbox']} cases "
              "at the start of each round's inbox phase.",
              f"Written: {w['cases_submitted']} cases submitted ({w['drafts']} drafts left), {w['bench_insert_rows']} "
              f"bare rows; wrk completed {w['completed_by_wrk']} (warm-up included).", "",
              f"- machine: {m['nproc']} CPUs, {m['cpu_model']}, {m['memory_gb']} GiB, Linux {m['kernel']}; load "
              f"average before {m['loadavg_before']}, after {r['loadavg_after']}",
              f"- software: Python {m['python']}, Django {m['django']}, {m['wrk']}",
              f"- code: commit {result['code']['commit']}"
              f"{' with uncommitted changes in dgov/' if result['code']['dirty'] else ''}",
              "- wrk, the server and the database share the machine's CPUs; \"busy CPUs\" is the whole machine's "
              "during the phase, other processes included.", ""]
    return "\n".join(lines)


def parse_args(argv):
    p = argparse.ArgumentParser(prog="bench/cases/run", description=__doc__.split("\n\n")[0])
    p.add_argument("--repo", type=Path, required=True, help=argparse.SUPPRESS)
    p.add_argument("--setup", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--count", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--implementation", default="", help=argparse.SUPPRESS)
    p.add_argument("--db", choices=["postgresql", "sqlite"], default="postgresql", help="default postgresql")
    p.add_argument("--postgres-url", default=PG_URL, help=f"dropped and re-created (default {PG_URL}); its name "
                   "must contain 'bench'")
    p.add_argument("--duration", type=int, default=10, help="seconds of load per side and round (default 10)")
    p.add_argument("--warmup", type=int, default=5, help="warm-up seconds per side (default 5)")
    p.add_argument("--rounds", type=int, default=3, help="rounds, the sides interleaved (default 3)")
    p.add_argument("--connections", type=int, default=64, help="concurrent clients (default 64)")
    p.add_argument("--wrk-threads", type=int, default=1, help="wrk threads (default 1)")
    p.add_argument("--citizens", type=int, default=64, help="citizens whose tokens submit in rotation (default 64)")
    p.add_argument("--workers", type=int, help="server workers (default: dgov serve's)")
    p.add_argument("--threads", type=int, help="server threads per worker (default: dgov serve's)")
    p.add_argument("--note", default="", help="a remark stored with the results (e.g. that the machine was busy)")
    p.add_argument("--results", type=Path, help="output directory (default bench/cases/results)")
    p.add_argument("--keep", action="store_true", help="keep the data directory, the logs and the database")
    args = p.parse_args(argv)
    if min(args.duration, args.warmup, args.rounds, args.connections, args.citizens) < 1:
        p.error("--duration, --warmup, --rounds, --connections and --citizens are at least 1")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    repo = args.repo.resolve()
    if args.setup or args.count:  # a worker process: its result as the last line of stdout
        print(json.dumps(setup_worker(repo, args.citizens) if args.setup
                         else count_worker(repo, args.implementation)))
        return 0
    results_dir = (args.results or HERE / "results").resolve()
    started = datetime.now(UTC)
    try:
        machine = machine_info(repo / ".venv" / "bin" / "python")
        code = code_digest(repo)
        outcome = run(args, repo)
    except BenchError as exc:
        log(f"FAILED: {exc}")
        return 2
    result = {
        "started_at": started.isoformat(timespec="seconds"),
        "config": {"db": args.db, "duration_s": args.duration, "warmup_s": args.warmup, "rounds": args.rounds,
                   "connections": args.connections, "wrk_threads": args.wrk_threads, "citizens": args.citizens,
                   "sides": SIDES, "note": args.note},
        "machine": machine, "code": code, "result": outcome,
    }
    stamp = started.strftime("%Y-%m-%dT%H%M%SZ")
    md = markdown(result)
    write_results(results_dir, stamp, result, md)
    sys.stdout.write(md)
    log(f"results written to {results_dir}/{stamp}.{{json,md}} and latest.json")
    return 0 if all(s["errors"] == 0 for s in outcome["summary"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
