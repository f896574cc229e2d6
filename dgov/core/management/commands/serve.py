import gc
import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from gunicorn.app.base import BaseApplication

from dgov.core.views_health import migrations_pending
from dgov.crypto.keys import verify_master_key


def _workers() -> int:
    return int(os.environ.get("DGOV_WORKERS") or (os.cpu_count() or 1) * 2 + 1)


class Command(BaseCommand):
    help = "Serve dgov with a multi-worker production server (gunicorn); static files are served by the app."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("DGOV_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("DGOV_PORT", "8000")))
        parser.add_argument("--workers", type=int, default=_workers())
        # One thread per worker: dgov's requests are CPU-bound Python, and threads of one process
        # take turns on the GIL, which showed as p99 latency 1.5-2x higher in bench/ (5 workers x 4
        # threads vs x 1). Deployments whose requests wait on slow I/O can raise DGOV_THREADS.
        parser.add_argument("--threads", type=int, default=int(os.environ.get("DGOV_THREADS", "1")))

    def handle(self, *args, host, port, workers, threads, **options):
        if settings.DEBUG:
            raise CommandError("DGOV_DEBUG is on: refusing to serve in production mode. Unset it.")
        pending = migrations_pending()
        if pending:
            raise CommandError(f"{len(pending)} database migrations are not applied: run `dgov init` first.")
        try:
            verify_master_key()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        if not (settings.STATIC_ROOT / "staticfiles.json").exists():
            call_command("collectstatic", interactive=False, verbosity=0)
        connections.close_all()  # no connection may cross the fork into the workers
        self.stdout.write(f"dgov serving on http://{host}:{port}/ with {workers} workers × {threads} "
                          f"thread{'' if threads == 1 else 's'} each")
        self.stdout.flush()
        DgovServer({
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": threads,
            # gunicorn's own "gthread" is the fallback (docs/deployment.md, DGOV_WORKER_CLASS)
            "worker_class": os.environ.get("DGOV_WORKER_CLASS") or "dgov.core.serving.BalancedWorker",
            "timeout": 60,
            "graceful_timeout": 20,
            "keepalive": 5,  # seconds a connection may wait to send its request (each is closed after one)
            "accesslog": None,  # dgov writes its own structured access log
            "errorlog": "-",
            "loglevel": "warning",
            "child_exit": _child_exit,
            "post_worker_init": _post_worker_init,
            "forwarded_allow_ips": os.environ.get("DGOV_FORWARDED_ALLOW_IPS", "127.0.0.1"),
        }).run()


def _post_worker_init(worker):
    # Everything loaded so far (Django, the URL conf, the API schema) lives as long as the worker:
    # move it out of the cyclic collector's reach so that collections stay short (tail latency).
    gc.collect()
    gc.freeze()


def _child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


class DgovServer(BaseApplication):
    def __init__(self, options):
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from dgov.wsgi import application

        return application
