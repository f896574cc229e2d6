"""Set-up and capture steps of the open-data benchmark, run inside Django by bench/opendata/bench.py
(`python -m opendata_bench.tool setup|capture`, with DGOV_DATA_DIR and the databases of the run).

setup N ROWS  after `dgov init`: N catalog entries generated as bench/catalog does (departments, classifications,
              names, summaries, data items and the search index, from a fixed seed), all published and opened
              (every fifth 有条件开放, the rest 无条件开放), each an `OpenDataset` with one or two topics; and one
              of them with ROWS rows in the data store (generated inside PostgreSQL). Prints JSON.
capture DIR NAME PATH
              GET PATH once through Django's test client and record every SQL statement it sends to the
              application database and to the data store (savepoints aside) into DIR/NAME.pickle, for the
              baseline view to replay; prints the response's status and size as JSON.
"""

import datetime as dt
import importlib.util
import json
import os
import pickle
import random
import sys
import uuid
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opendata_bench.settings")

import django  # noqa: E402

django.setup()

import sqlalchemy as sa  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from dgov.core.context import RequestContext, use_context  # noqa: E402

BENCH = Path(__file__).resolve().parents[3]  # bench/
BIG_ITEMS = [("编号", "string", "bh", True), ("机构名称", "string", "jgmc", False), ("类别", "string", "lb", False),
             ("所在区县", "string", "szqx", False), ("数量", "integer", "sl", False), ("金额", "decimal", "je", False),
             ("登记日期", "date", "djrq", False)]


def _catalog_generator():
    """bench/catalog/bench.py's generator of catalog entries (imported by path: it is a script)."""
    sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location("catalog_bench", BENCH / "catalog" / "bench.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.generate


def setup(n: int, rows: int) -> dict:
    from dgov.aggregation import datastore
    from dgov.aggregation.models import Dataset, DatasetColumn
    from dgov.catalog.models import CatalogEntry, DataItem
    from dgov.opendata.models import DatasetStatus, OpenDataset, Topic
    from dgov.opendata.services import package_name

    stats = _catalog_generator()(n, 20261128)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE catalog_catalogentry SET status = 'published', "
                       "open_type = CASE WHEN id % 5 = 0 THEN 'conditional' ELSE 'unconditional' END, "
                       "open_conditions = CASE WHEN id % 5 = 0 THEN '签订数据利用协议后使用' ELSE '' END")
        cursor.execute("UPDATE catalog_dataitem SET open_type = ''")
    rng = random.Random("dgov-bench-opendata")
    topics = list(Topic.objects.all())
    now = timezone.now()
    entries = list(CatalogEntry.objects.order_by("pk").values_list("pk", "code", "name", "summary"))
    datasets = []
    for pk, code, name, summary in entries:
        modified = now - dt.timedelta(minutes=rng.randint(0, 60 * 24 * 700))
        datasets.append(OpenDataset(entry_id=pk, uuid=uuid.UUID(int=rng.getrandbits(128), version=4),
                                    name="yt-" + code.replace("/", "-"), title=name, description=summary,
                                    keywords=rng.sample(["民生", "统计", "名录", "信用", "企业", "医疗", "交通"], 2),
                                    status=DatasetStatus.PUBLISHED, published_at=modified, modified_at=modified))
    with transaction.atomic():
        OpenDataset.objects.bulk_create(datasets, batch_size=2000)
        through = OpenDataset.topics.through
        links = [through(opendataset_id=d.pk, topic_id=t.pk)
                 for d in datasets for t in rng.sample(topics, rng.randint(1, 2))]
        through.objects.bulk_create(links, batch_size=5000)
    # the big table: the first unconditional entry gets the items and the rows
    big = CatalogEntry.objects.filter(open_type="unconditional").order_by("pk").first()
    with transaction.atomic():
        big.items.all().delete()
        DataItem.objects.bulk_create(DataItem(entry=big, position=i, name=item, data_type=kind)
                                     for i, (item, kind, _c, _k) in enumerate(BIG_ITEMS, 1))
        dataset = Dataset.objects.create(entry=big, table_name=Dataset.table_name_for(big))
        DatasetColumn.objects.bulk_create(
            DatasetColumn(dataset=dataset, name=column, item_name=item, data_type=kind, is_key=key, position=i)
            for i, (item, kind, column, key) in enumerate(BIG_ITEMS, 1))
    table = datastore.ensure_table(dataset)
    with datastore.engine().begin() as conn:
        conn.execute(sa.text(
            f"INSERT INTO {table.name} (_key, _seq, _loaded_at, _deleted, bh, jgmc, lb, szqx, sl, je, djrq) "
            "SELECT lpad(g::text, 8, '0'), g, now(), false, lpad(g::text, 8, '0'), '机构' || g, "
            "'类别' || (g % 10), (ARRAY['月湖区','余江区','贵溪市','龙虎山风景名胜区','鹰潭高新区'])[1 + g % 5], "
            "g % 1000, (g % 100000) / 100.0, DATE '2000-01-01' + (g % 9000) "
            "FROM generate_series(1, :rows) AS g"), {"rows": rows})
        conn.execute(sa.text(f"ANALYZE {table.name}"))
    Dataset.objects.filter(pk=dataset.pk).update(row_count=rows, last_loaded_at=timezone.now())
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return {"datasets": len(datasets), "catalog": {k: v for k, v in stats.items() if k.endswith("_s")
                                                   or k in ("entries", "items", "search_terms")},
            "big": {"name": package_name(big), "rows": rows, "columns": [c for _i, _k, c, _ in BIG_ITEMS]}}


def capture(directory: str, name: str, path: str) -> dict:
    from django.test import Client

    from dgov.aggregation import datastore

    recorded = []

    def django_wrapper(execute, sql, params, many, context):
        if not sql.lstrip().upper().startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")):
            recorded.append(("django", sql, params))
        return execute(sql, params, many, context)

    def store_listener(conn, cursor, statement, parameters, context, executemany):
        recorded.append(("store", statement, parameters))

    engine = datastore.engine()
    sa.event.listen(engine, "before_cursor_execute", store_listener)
    client = Client(HTTP_HOST="127.0.0.1")
    client.get(path)  # a first call warms the process caches, as the server's workers are warm
    recorded.clear()
    try:
        with connection.execute_wrapper(django_wrapper):
            response = client.get(path)
    finally:
        sa.event.remove(engine, "before_cursor_execute", store_listener)
    Path(directory, f"{name}.pickle").write_bytes(pickle.dumps(recorded))
    return {"status": response.status_code, "bytes": len(response.content), "statements": len(recorded),
            "django": sum(r[0] == "django" for r in recorded), "store": sum(r[0] == "store" for r in recorded)}


def main(argv: list[str]) -> None:
    with use_context(RequestContext(source="cli")):
        if argv[0] == "setup":
            result = setup(int(argv[1]), int(argv[2]))
        elif argv[0] == "capture":
            result = capture(argv[1], argv[2], argv[3])
        else:
            raise SystemExit(f"unknown step {argv[0]!r}")
    sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
