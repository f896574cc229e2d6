"""The baseline of the open-data benchmark: the same SQL as the API request, without the API.

`tool.py capture` ran each benchmark request once inside Django and recorded every statement it sent, in order:
to the application database (through Django's connection) and to the data store (through SQLAlchemy), with its
parameters, leaving out transaction control (savepoints). GET /bench/opendata/<name> replays exactly those
statements on the same server, in the same order, against the same databases, and answers their rows as JSON.
What it leaves out is what the benchmark prices: parsing and checking the CKAN parameters, the ORM building the
queries, the permission and negative-list logic in Python, and serialising CKAN's documents.
"""

import json
import os
import pickle
from functools import cache
from pathlib import Path

from django.db import connection
from django.http import HttpResponse

from dgov.aggregation import datastore

CAPTURES = Path(os.environ.get("DGOV_BENCH_OPENDATA_CAPTURES", "."))


@cache
def statements(name: str) -> list:
    return pickle.loads((CAPTURES / f"{name}.pickle").read_bytes())


def bare(request, name: str):
    try:
        recorded = statements(name)
    except FileNotFoundError:
        return HttpResponse(status=404)
    out = []
    store = None
    try:
        for target, sql, params in recorded:
            if target == "django":
                with connection.cursor() as cursor:
                    cursor.execute(sql, params)
                    out.append(cursor.fetchall() if cursor.description else cursor.rowcount)
            else:
                store = store or datastore.engine().connect()
                result = store.exec_driver_sql(sql, params)
                out.append([tuple(r) for r in result] if result.returns_rows else result.rowcount)
        if store is not None:
            store.commit()
    finally:
        if store is not None:
            store.close()
    body = json.dumps({"statements": len(recorded), "results": out}, ensure_ascii=False, default=str)
    return HttpResponse(body.encode(), content_type="application/json; charset=utf-8")
