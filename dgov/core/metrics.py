"""Prometheus metrics. Under `dgov serve` (several worker processes) prometheus_client runs in
multiprocess mode with PROMETHEUS_MULTIPROC_DIR set, and /metrics aggregates every worker."""

import os
import time

from django.db import connection
from django.http import HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

REQUESTS = Counter("dgov_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "dgov_http_request_duration_seconds", "HTTP request duration", ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
DB_QUERIES = Counter("dgov_db_queries_total", "Database queries executed", ["vendor"])
AUDIT_ENTRIES = Counter("dgov_audit_entries_total", "Audit entries written", ["outcome"])
LOGINS = Counter("dgov_logins_total", "Login attempts", ["channel", "outcome"])


def _route(request) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return match.route or match.view_name or "unknown"


class _QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


class MetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        counter = _QueryCounter()
        with connection.execute_wrapper(counter):
            response = self.get_response(request)
        route = _route(request)
        REQUESTS.labels(request.method, route, str(response.status_code)).inc()
        LATENCY.labels(request.method, route).observe(time.perf_counter() - started)
        if counter.count:
            DB_QUERIES.labels(connection.vendor).inc(counter.count)
        return response


def metrics_view(request):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY as registry
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
