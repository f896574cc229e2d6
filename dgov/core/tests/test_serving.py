"""`dgov serve`'s worker (dgov.core.serving.BalancedWorker) in a real gunicorn, serving a probe
application (serving_app.py) over real sockets."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from dgov.core.serving import BalancedWorker

WORKER = f"{BalancedWorker.__module__}.{BalancedWorker.__name__}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def serve(tmp_path):
    """Start gunicorn with the balanced worker: serve(workers=, threads=, timeout=) -> port."""
    started = []

    def start(*, workers=1, threads=1, timeout=30):
        port = _free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--worker-class", WORKER, "--workers", str(workers),
             "--threads", str(threads), "--timeout", str(timeout), "--keep-alive", "5",
             "--bind", f"127.0.0.1:{port}", "dgov.core.tests.serving_app:app"],
            env={"PATH": "/usr/bin:/bin", "SERVING_PROBE_DIR": str(tmp_path)},
            stdout=subprocess.DEVNULL, stderr=(tmp_path / "gunicorn.log").open("w"))
        started.append(proc)
        for _ in range(300):
            assert proc.poll() is None, (tmp_path / "gunicorn.log").read_text()
            try:
                # one answer from each worker: all have booted
                if len({get(port) for _ in range(workers * 10)}) == workers:
                    return port
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError("gunicorn did not answer:\n" + (tmp_path / "gunicorn.log").read_text())

    yield start
    for proc in started:
        proc.terminate()
        proc.wait(timeout=30)


def exchange(sock: socket.socket, path: str) -> bytes:
    """Send one request on `sock` and read until the server closes it."""
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: probe\r\n\r\n".encode())
    answer = b""
    while chunk := sock.recv(65536):
        answer += chunk
    return answer


def get(port: int, path: str = "/", timeout: float = 10) -> int:
    """The pid of the worker that answered `path` on a new connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        answer = exchange(sock, path)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), answer
    return int(body)


def hold(port, tmp_path, name, pool):
    """Start a request that keeps its worker busy until release(); returns (future pid, worker pid)."""
    answer = pool.submit(get, port, f"/hold?name={name}", 60)
    started = tmp_path / f"{name}.started"
    for _ in range(1000):
        if started.exists() and started.read_text():
            return answer, int(started.read_text())
        time.sleep(0.01)
    raise AssertionError(f"/hold?name={name} did not start")


def release(tmp_path, name):
    (tmp_path / f"{name}.release").touch()


def test_each_response_closes_its_connection(serve):
    port = serve()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        answer = exchange(sock, "/")  # returns only because the server closed the connection
    assert b"\r\nconnection: close\r\n" in answer.lower()


def test_a_busy_worker_takes_no_new_connection(serve, tmp_path):
    """With one worker held, every new connection is answered by the other one, at once: none waits
    behind the held request (gunicorn's gthread worker would accept about half of them)."""
    port = serve(workers=2)
    with ThreadPoolExecutor(4) as pool:
        held, busy = hold(port, tmp_path, "a", pool)
        try:
            answered = [get(port, timeout=5) for _ in range(20)]
        finally:
            release(tmp_path, "a")
        assert held.result() == busy
    assert busy not in answered
    assert len(set(answered)) == 1


def test_an_idle_connection_does_not_hold_the_worker(serve):
    """A client that connects and sends nothing (a browser's preconnect) waits in the poller: the only
    worker goes on answering, and answers the idle connection once its request arrives."""
    port = serve(workers=1)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as idle:
        # the listen queue is first in, first out: the worker accepts the idle connection before any below
        pids = {get(port, timeout=3) for _ in range(5)}
        answer = exchange(idle, "/")
    assert answer.startswith(b"HTTP/1.1 200")
    assert pids == {int(answer.partition(b"\r\n\r\n")[2])}


def test_a_long_response_outlives_the_arbiter_timeout(serve):
    """The arbiter stops a worker that has not reported for --timeout seconds. Serving inline, the
    worker's loop is inside the request: the heartbeat thread reports for it, so the request is
    answered and the worker is not replaced."""
    port = serve(workers=1, timeout=2)
    first = get(port, "/sleep?seconds=5", timeout=30)
    assert get(port) == first


def test_threads_serve_requests_side_by_side(serve, tmp_path):
    port = serve(workers=1, threads=2)
    with ThreadPoolExecutor(2) as pool:
        held, busy = hold(port, tmp_path, "b", pool)
        try:
            assert get(port, timeout=5) == busy  # the second thread of the same worker
        finally:
            release(tmp_path, "b")
        assert held.result() == busy


def test_a_worker_stops_gracefully_after_the_request_in_flight(serve, tmp_path):
    """SIGTERM (systemctl stop, a reload) lets the request in flight finish."""
    port = serve(workers=1)
    with ThreadPoolExecutor(1) as pool:
        held, busy = hold(port, tmp_path, "c", pool)
        os.kill(busy, signal.SIGTERM)
        threading.Timer(0.5, release, (tmp_path, "c")).start()
        assert held.result() == busy
