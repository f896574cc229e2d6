"""Liveness, readiness and metrics endpoints (no authentication, no session, no personal data)."""

import ipaddress
import secrets

from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpResponseForbidden, JsonResponse
from django.views.decorators.cache import never_cache

from dgov.core.metrics import metrics_view
from dgov.core.middleware import client_ip

_migrations_ok = False


def migrations_pending() -> list[str]:
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{m.app_label}.{m.name}" for m, _ in plan]


@never_cache
def healthz(request):
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request):
    """Ready when the database answers and every migration is applied (checked until it first
    succeeds: migrations are not rolled back under a running server)."""
    global _migrations_ok
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # report, don't raise: this endpoint exists to say what is wrong
        checks["database"] = f"error: {type(exc).__name__}"
    if checks["database"] == "ok" and not _migrations_ok:
        pending = migrations_pending()
        _migrations_ok = not pending
        checks["migrations"] = "ok" if _migrations_ok else f"{len(pending)} pending"
    elif _migrations_ok:
        checks["migrations"] = "ok"
    ready = all(v == "ok" for v in checks.values())
    return JsonResponse({"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503)


def _metrics_allowed(request) -> bool:
    token = getattr(settings, "DGOV_METRICS_TOKEN", "")
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if token and secrets.compare_digest(header, f"Bearer {token}"):
        return True
    try:
        return ipaddress.ip_address(client_ip(request) or "").is_loopback
    except ValueError:
        return False


@never_cache
def metrics(request):
    """Prometheus metrics, for scrapers on this host or holding DGOV_METRICS_TOKEN."""
    if not _metrics_allowed(request):
        return HttpResponseForbidden("metrics are available from loopback or with the metrics token\n")
    return metrics_view(request)
