"""In-process cost of each benchmarked endpoint, run by bench/bench.py after the HTTP load.

Through Django's test client (the whole middleware stack and the same data, no server, no
sockets), per request: Python function calls (deterministic: a cost measure that does not depend
on what else the machine is doing), database queries, and CPU time of this one thread (the best of
several rounds). Prints one JSON object. Needs DGOV_DATA_DIR (an initialised data directory),
BENCH_TOKEN and DGOV_BENCH_BARE_VIEW=1.
"""

import json
import logging
import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dgov.settings.base")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


def calls_per_request(client, path: str, n: int) -> float:
    calls = 0

    def count(frame, event, arg):
        nonlocal calls
        if event in ("call", "c_call"):
            calls += 1

    sys.setprofile(count)
    try:
        for _ in range(n):
            client.get(path)
    finally:
        sys.setprofile(None)
    return calls / n


def cpu_ms_per_request(client, path: str, n: int, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(n):
            client.get(path)
        best = min(best, (time.process_time() - started) / n)
    return best * 1000


def main() -> None:
    endpoints = json.loads(sys.argv[1])  # {"name": ["path", authenticated], ...}
    # Keep formatting the access log (the server does it too) but write it nowhere.
    devnull = open(os.devnull, "w")  # noqa: SIM115  (lives as long as the process)
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(devnull)
    anonymous = Client(HTTP_HOST="127.0.0.1")
    bearer = Client(HTTP_HOST="127.0.0.1", headers={"Authorization": f"Bearer {os.environ['BENCH_TOKEN']}"})
    result = {}
    for name, (path, authenticated) in endpoints.items():
        client = bearer if authenticated else anonymous
        for _ in range(20):  # warm up; every answer must be a 200
            status = client.get(path).status_code
            if status != 200:
                raise SystemExit(f"GET {path} answered {status}")
        with CaptureQueriesContext(connection) as queries:
            client.get(path)
        query_count = len(queries.captured_queries)  # before the next request resets the log
        result[name] = {
            "python_calls_per_request": round(calls_per_request(client, path, 20)),
            "queries_per_request": query_count,
            "cpu_ms_per_request": round(cpu_ms_per_request(client, path, 50, 5), 3),
        }
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
