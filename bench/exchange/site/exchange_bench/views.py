"""The baseline of the exchange benchmark: the gateway's query without the gateway.

GET /bench/exchange/services/<code>?<column>=v&<column>__<op>=v&limit=&offset= runs the same
`datastore.select` as GET /exchange/v1/services/<code> does for the same query string (same
columns, conditions, limit + 1 to see whether there is more, offset) and answers the same JSON
document, serialised the same way, from the same server. It leaves out what the benchmark is to
price: the signature check and nonce, the credential, catalog entry and grant look-ups, the grant's
row filter, masking, the rate-limit and quota counters, the body digest and the exchange log.

It resolves the service code to its dataset with the dataset's columns prefetched (two queries per
request, as a plain view written for this one query would; the gateway keeps the same lookup in a
per-process cache, which is part of what is being priced). The
columns served are the granted ones, which the benchmark passes in
DGOV_BENCH_EXCHANGE_COLUMNS (comma-separated column names) since this view looks up no grant.
"""

import json
import os

from django.http import HttpResponse
from ninja.responses import NinjaJSONEncoder

from dgov.aggregation import datastore
from dgov.aggregation.models import Dataset

COLUMNS = [c for c in os.environ.get("DGOV_BENCH_EXCHANGE_COLUMNS", "").split(",") if c]
DEFAULT_LIMIT = 100  # the gateway's


def _json(status: int, payload) -> HttpResponse:
    body = json.dumps(payload, cls=NinjaJSONEncoder, ensure_ascii=False).encode("utf-8")
    return HttpResponse(body, status=status, content_type="application/json; charset=utf-8")


def bare(request, code: str):
    limit, offset, where = DEFAULT_LIMIT, 0, []
    try:
        for name, values in request.GET.lists():
            if name == "limit":
                limit = int(values[-1])
            elif name == "offset":
                offset = int(values[-1])
            else:
                column, _sep, op = name.partition("__")
                where += [(column, op or "eq", v.split(",") if op == "in" else v) for v in values]
    except ValueError:
        return _json(400, {"code": "bad_request", "message": "limit and offset are whole numbers", "details": {}})
    dataset = (Dataset.objects.filter(entry__code=code).select_related("entry").prefetch_related("columns")
               .first())
    entry = dataset.entry if dataset is not None else None
    if dataset is None:
        return _json(404, {"code": "not_found", "message": "no such data service", "details": {}})
    try:
        rows = datastore.select(dataset, columns=COLUMNS, where=where, limit=limit + 1, offset=offset)
    except ValueError as exc:
        return _json(422, {"code": "validation_error", "message": str(exc), "details": {}})
    has_more = len(rows) > limit
    return _json(200, {"service": entry.code, "name": entry.name, "limit": limit, "offset": offset,
                       "has_more": has_more, "items": rows[:limit]})
