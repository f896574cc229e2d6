"""The benchmark's baseline view (bench/run).

Mounted at /bench/bare only when DGOV_BENCH_BARE_VIEW is on. It goes through the same server and
the same middleware stack as every other request, but does no authentication and touches no
database, so the benchmark can report what the API endpoints cost on top of the bare stack.
"""

from django.http import JsonResponse


def bare(request):
    return JsonResponse({"status": "ok"})
