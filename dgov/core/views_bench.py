"""The benchmarks' baseline views (bench/run, bench/cases/run).

Mounted only when DGOV_BENCH_BARE_VIEW is on. They go through the same server and the same middleware
stack as every other request, but do no authentication:

- `bare` (/bench/bare) touches no database, so the benchmark can report what the API endpoints cost on
  top of the bare stack;
- `bare_insert` (POST /bench/insert) does exactly one INSERT of the request's body into the table
  `bench_insert`, which the case benchmark (bench/cases) creates with raw SQL before it starts the
  server: what one database write costs on the same server, the baseline of case submission.
"""

from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

#: created by bench/cases/bench.py (see BARE_TABLE_SQL there); never by a migration
INSERT_TABLE = "bench_insert"


def bare(request):
    return JsonResponse({"status": "ok"})


@csrf_exempt
@require_POST
def bare_insert(request):
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {INSERT_TABLE} (created_at, body) VALUES (%s, %s)",  # noqa: S608 - a constant
                       [timezone.now(), request.body[:4000].decode("utf-8", "replace")])
    return JsonResponse({"status": "ok"}, status=201)
