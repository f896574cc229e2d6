"""The worker of `dgov serve`: gunicorn's threaded worker, balanced across processes.

Gunicorn's gthread worker accepts every connection it can, whether its threads are free or not, and
keeps each one alive for the client's next request. Under load the connections pile up unevenly:
a worker holding ten clients answers each after the other nine while its neighbour idles, and the
tail latency follows (bench/: median p99 28-97 ms at 32 clients on 2 CPUs, against 23-37 ms with this
worker). Worse, a request the platform sends to itself (the payment sandbox) can be queued behind
the very request that sends it.

This worker keeps what gthread does well and changes three things:

- **It accepts only while it has a thread free**, so a new connection waits in the kernel's listen
  queue for whichever worker is free: the balance of a pre-fork server (gunicorn's sync worker,
  uWSGI behind nginx).
- **It closes the connection after each response** (`Connection: close`), so a client's next
  request also goes to a free worker instead of the one it last used. Browsers keep their
  connections alive with nginx, which terminates TLS in front of dgov (docs/deployment.md).
- **With one thread (the default) it serves each request in its own event loop**, with no hand-off
  to a pool thread and back, and a heartbeat thread tells the arbiter it is alive while a long
  response (a large download) is written: the arbiter's timeout stops a stuck event loop, never a
  request, as with gthread. A connection that has not sent its request yet still waits in the
  poller (up to gunicorn's `keepalive` seconds), not in the worker.

It subclasses gunicorn's internals (`_DEFER`, `enqueue_req`, `finish_request`), so pyproject.toml
pins gunicorn's major version and dgov/core/tests/test_serving.py checks each of these behaviours
against a real gunicorn.
"""

import select
import threading
import time
from concurrent.futures import Future

from gunicorn.workers.gthread import _DEFER, ThreadWorker

HEARTBEAT_SECONDS = 1.0


class BalancedWorker(ThreadWorker):
    def run(self):
        self.in_flight = 0  # connections handed to a thread and not finished
        if self.cfg.threads == 1:
            threading.Thread(target=self._heartbeat, name="heartbeat", daemon=True).start()
        super().run()

    def _heartbeat(self):
        while self.alive:
            self.notify()
            time.sleep(HEARTBEAT_SECONDS)

    def wait_for_and_dispatch_events(self, timeout):
        self.set_accept_enabled(self.in_flight < self.cfg.threads and self.nr_conns < self.worker_connections)
        super().wait_for_and_dispatch_events(timeout)

    def enqueue_req(self, conn):
        self.in_flight += 1
        if self.cfg.threads > 1:
            super().enqueue_req(conn)
            return
        # Inline: a connection whose request has not arrived goes back to the poller (_DEFER).
        if not (conn.initialized or conn.data_ready):
            conn.data_ready = bool(select.select([conn.sock], (), (), 0)[0])
        done = Future()
        done.set_result(self.handle(conn) if conn.initialized or conn.data_ready else _DEFER)
        self.finish_request(conn, done)

    def finish_request(self, conn, fs):
        self.in_flight -= 1
        super().finish_request(conn, fs)

    def handle_request(self, req, conn):
        req.must_close = True  # the next request goes to whichever worker is free
        return super().handle_request(req, conn)
