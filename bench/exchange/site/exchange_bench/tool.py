"""Set-up and after-run steps of the exchange benchmark, run inside Django by bench/exchange/bench.py
(`python -m exchange_bench.tool setup|log-counts`, with DGOV_DATA_DIR and the databases of the run).

setup       after `dgov init --demo`: fills the demo data service 城乡低保对象联系信息（归集演示）with
            generated rows (made up, deterministic), gives the demo consumer application a grant of
            six of its eight items (three of them masked) with limits the load cannot reach, and
            prints the service code, the demo HMAC-SM3 credential and the granted columns as JSON.
log-counts  exchange log rows by status within each of the given time windows, and how many are
            still unsealed; prints JSON.
"""

import datetime as dt
import json
import os
import random
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exchange_bench.settings")

import django  # noqa: E402

django.setup()

from django.db import transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.utils import timezone  # noqa: E402

from dgov.core.context import RequestContext, use_context  # noqa: E402

#: The items granted: three masked (姓名, 公民身份号码, 联系电话) and three not; 居住地址 and 更新时间 are not.
GRANTED = ["姓名", "公民身份号码", "联系电话", "保障类别", "月保障金额", "登记日期"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏"
GIVEN = ["建国", "秀英", "桂兰", "志强", "海燕", "春梅", "国华", "丽华", "明", "芳", "伟", "敏", "静", "磊", "洋"]
TOWNS = ["邓埠镇", "锦江镇", "潢溪镇", "中童镇", "马荃镇", "画桥镇", "洪湖乡", "黄庄乡", "春涛镇", "杨溪乡"]
CATEGORIES = ["城市低保", "农村低保", "农村低保", "城市低保", "农村低保", "特困供养"]
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def _id_number(rng: random.Random) -> str:
    """A made-up ID number of 余江区 (360603) with a valid check character."""
    born = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randint(0, 365 * 60))
    body = f"360603{born:%Y%m%d}{rng.randint(0, 999):03d}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


def generated_rows(n: int) -> list[dict]:
    rng = random.Random("dgov-bench-exchange")
    rows, seen = [], set()
    while len(rows) < n:
        id_no = _id_number(rng)
        if id_no in seen:
            continue
        seen.add(id_no)
        rows.append({
            "xm": rng.choice(SURNAMES) + rng.choice(GIVEN), "sfzh": id_no,
            "lxdh": f"1{rng.choice('3589')}{rng.randint(0, 999999999):09d}",
            "jzdz": f"鹰潭市余江区{rng.choice(TOWNS)}{rng.randint(1, 199)}号", "bzlb": rng.choice(CATEGORIES),
            "ybzje": rng.choice(["420.00", "520.00", "610.00", "680.00", "735.00"]),
            "djrq": (dt.date(2019, 1, 1) + dt.timedelta(days=rng.randint(0, 2000))).isoformat(),
            "gxsj": (dt.datetime(2025, 1, 1, 8) + dt.timedelta(minutes=rng.randint(0, 600000))).isoformat(sep=" "),
        })
    return rows


def setup(rows: int) -> dict:
    from dgov.aggregation import datastore
    from dgov.aggregation import services as aggregation_services
    from dgov.aggregation.demo import DEMO_DEPARTMENT, DEMO_ENTRY_NAME
    from dgov.aggregation.models import Dataset
    from dgov.exchange.demo import DEMO_APPLICATION, demo_file
    from dgov.exchange.models import ConsumerCredential
    from dgov.sharing.models import GrantStatus
    from dgov.sharing.services import QUOTA_MAX, RATE_MAX, grant_create

    dataset = Dataset.objects.select_related("entry").get(entry__department__code=DEMO_DEPARTMENT,
                                                          entry__name=DEMO_ENTRY_NAME)
    data = generated_rows(rows)
    for start in range(0, len(data), 2000):
        datastore.upsert(dataset, data[start:start + 2000])
    aggregation_services.refresh_stats(dataset)
    credential = json.loads(demo_file().read_text(encoding="utf-8"))[0]
    stored = ConsumerCredential.objects.select_related("application").get(key_id=credential["key_id"])
    assert stored.application.code == DEMO_APPLICATION and stored.enabled
    now = timezone.now()
    # Replaces the demo grant (30 calls a minute) by one whose limits the load cannot reach: the
    # counters are still taken on every call, as they are for any grant.
    with transaction.atomic():  # grant_create locks the application's active grant on the entry
        grant = grant_create(actor=None, request=None, application=stored.application, entry=dataset.entry,
                             items=GRANTED, valid_from=now - dt.timedelta(minutes=5),
                             expires_at=now + dt.timedelta(days=1), daily_quota=QUOTA_MAX, rate_limit=RATE_MAX)
    assert grant.status == GrantStatus.ACTIVE
    columns = [c.name for c in dataset.columns.order_by("position") if c.item_name in GRANTED]
    masks = {c.name: c.mask for c in dataset.columns.all() if c.item_name in GRANTED and c.mask not in ("", "none")}
    live = sorted(r["sfzh"] for r in data)
    return {"service": dataset.entry.code, "entry": dataset.entry.name, "table": dataset.table_name,
            "rows": dataset.row_count, "app": credential["application"], "key_id": credential["key_id"],
            "secret": credential["secret"], "grant": grant.pk, "columns": columns, "masks": masks,
            "lookup_key": live[len(live) // 2], "daily_quota": QUOTA_MAX, "rate_limit": RATE_MAX,
            "categories": {c: sum(r["bzlb"] == c for r in data) for c in sorted(set(CATEGORIES))}}


def log_counts(windows: dict) -> dict:
    from dgov.exchange.models import ExchangeLogEntry

    out = {}
    for name, (start, end) in windows.items():
        rows = (ExchangeLogEntry.objects.filter(occurred_at__gte=dt.datetime.fromisoformat(start),
                                                occurred_at__lte=dt.datetime.fromisoformat(end))
                .values("status").annotate(n=Count("id")).order_by("status"))
        out[name] = {str(r["status"]): r["n"] for r in rows}
    out["_total"] = ExchangeLogEntry.objects.count()
    out["_unsealed"] = ExchangeLogEntry.objects.filter(seq__isnull=True).count()
    return out


def main(argv: list[str]) -> None:
    with use_context(RequestContext(source="cli")):
        if argv[0] == "setup":
            result = setup(int(argv[1]))
        elif argv[0] == "log-counts":
            result = log_counts(json.loads(argv[1]))
        else:
            raise SystemExit(f"unknown step {argv[0]!r}")
    sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
