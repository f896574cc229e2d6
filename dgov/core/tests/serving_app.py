"""A WSGI application for test_serving.py: each response says which worker process answered.

`/hold?name=N` writes `N.started` (holding the worker's pid) in `$SERVING_PROBE_DIR` and answers only
once the test has written `N.release` there; `/sleep?seconds=S` answers after S seconds; any other
path answers at once.
"""

import os
import time
from pathlib import Path
from urllib.parse import parse_qs


def app(environ, start_response):
    query = parse_qs(environ.get("QUERY_STRING", ""))
    if environ["PATH_INFO"] == "/hold":
        probe = Path(os.environ["SERVING_PROBE_DIR"]) / query["name"][0]
        probe.with_suffix(".started").write_text(str(os.getpid()))
        deadline = time.monotonic() + 60
        while not probe.with_suffix(".release").exists() and time.monotonic() < deadline:
            time.sleep(0.01)
    elif environ["PATH_INFO"] == "/sleep":
        time.sleep(float(query["seconds"][0]))
    body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
