"""Demo aggregation (`dgov init --demo`): 余江区民政局's made-up minimum-living-allowance database
(a SQLite file in `DGOV_SOURCE_SQLITE_DIR`, 48 people, names, ID numbers, phones and addresses all
invented), registered as a demo source; a published demo catalog entry 城乡低保对象联系信息（归集演示）
with personal-data items; its dataset; a daily full load job; and one load, so the data store holds
the rows at once. One source row carries an impossible date, so the demo run shows a rejected row
with its reason.

Like the other demos, rows of the application database are written directly in the command line's
system context (one `aggregation.demo.load` audit entry); the load itself goes through the service.
Running it again creates nothing new: the entry, source, dataset and job are found by their names.
"""

import datetime as dt
import random
import sqlite3
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dgov.aggregation import datastore, services
from dgov.aggregation.models import (
    Dataset,
    DatasetColumn,
    LoadMode,
    LoadRun,
    Schedule,
    SourceDatabase,
    SourceMapping,
    default_mask,
)
from dgov.catalog import search
from dgov.catalog import services as catalog_services
from dgov.catalog.models import CatalogEntry, Classification, DataItem, EntryVersion, Status
from dgov.core import audit
from dgov.orgs.models import Department

DEMO_DEPARTMENT = "360603909"  # 余江区民政局
DEMO_ENTRY_NAME = "城乡低保对象联系信息（归集演示）"
DEMO_SOURCE_NAME = "余江区低保信息系统（演示）"
DEMO_MAPPING_NAME = "低保对象每日全量归集（演示）"
DEMO_FILE = "demo-yujiang-dibao.sqlite3"
DEMO_TABLE = "dibao_person"
CLASSIFICATION = "203"
ROWS = 48
BAD_ROW = 17  # this row's 登记日期 is 2024-02-30, which the load rejects

#: (item, data type, length, personal data, column, source column, key)
ITEMS = [
    ("姓名", "string", 50, "personal", "xm", "name", False),
    ("公民身份号码", "string", 18, "sensitive", "sfzh", "id_no", True),
    ("联系电话", "string", 20, "personal", "lxdh", "phone", False),
    ("居住地址", "string", 200, "personal", "jzdz", "address", False),
    ("保障类别", "string", 20, "none", "bzlb", "category", False),
    ("月保障金额", "decimal", 10, "none", "ybzje", "monthly_amount", False),
    ("登记日期", "date", None, "none", "djrq", "registered_on", False),
    ("更新时间", "datetime", None, "none", "gxsj", "updated_at", False),
]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏"
GIVEN = ["建国", "秀英", "桂兰", "志强", "海燕", "春梅", "国华", "丽华", "明", "芳", "伟", "敏", "静", "磊", "洋", "勇",
         "军", "杰", "娟", "涛", "超", "霞", "平", "刚", "桂英", "玉兰", "文", "华", "金凤", "小红"]
TOWNS = ["邓埠镇", "锦江镇", "潢溪镇", "中童镇", "马荃镇", "画桥镇", "洪湖乡", "黄庄乡", "春涛镇", "杨溪乡", "刘家站镇"]
STREETS = ["新村", "老街", "幸福路", "建设路", "中心村"]
CATEGORIES = ["城市低保", "农村低保", "农村低保", "城市低保", "农村低保"]
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def _id_number(rng: random.Random) -> str:
    """A made-up ID number of 余江区 (360603) with a valid GB 11643 check character."""
    born = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randint(0, 365 * 60))
    body = f"360603{born:%Y%m%d}{rng.randint(0, 999):03d}"
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True)) % 11]
    return body + check


def source_rows() -> list[tuple]:
    """The demo source's rows, the same on every run."""
    rng = random.Random("dgov-aggregation-demo")
    rows, seen = [], set()
    while len(rows) < ROWS:
        id_no = _id_number(rng)
        if id_no in seen:
            continue
        seen.add(id_no)
        n = len(rows) + 1
        registered = (dt.date(2019, 1, 1) + dt.timedelta(days=rng.randint(0, 2000))).isoformat()
        if n == BAD_ROW:
            registered = "2024-02-30"
        updated = dt.datetime(2025, 1, 1, 8) + dt.timedelta(hours=rng.randint(0, 24 * 300))
        rows.append((
            rng.choice(SURNAMES) + rng.choice(GIVEN), id_no, f"1{rng.choice('3589')}{rng.randint(0, 999999999):09d}",
            f"鹰潭市余江区{rng.choice(TOWNS)}{rng.choice(STREETS)}{rng.randint(1, 199)}号",
            rng.choice(CATEGORIES), str(Decimal(rng.choice([420, 520, 610, 680, 735, 760])).quantize(Decimal("0.01"))),
            registered, updated.isoformat(sep=" ")))
    return rows


def demo_source_path() -> Path:
    return Path(settings.DGOV_SOURCE_SQLITE_DIR) / DEMO_FILE


def write_source_file(path: Path) -> None:
    """(Re)create the demo department's SQLite database."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    with sqlite3.connect(tmp) as conn:
        conn.execute(f"CREATE TABLE {DEMO_TABLE} (id INTEGER PRIMARY KEY, name TEXT NOT NULL, id_no TEXT NOT NULL "
                     "UNIQUE, phone TEXT, address TEXT, category TEXT, monthly_amount NUMERIC, registered_on TEXT, "
                     "updated_at TEXT)")
        conn.executemany(f"INSERT INTO {DEMO_TABLE} (name, id_no, phone, address, category, monthly_amount, "
                         "registered_on, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", source_rows())
    conn.close()
    tmp.replace(path)


def _entry(department: Department) -> tuple[CatalogEntry, bool]:
    entry = CatalogEntry.objects.filter(is_demo=True, department=department, name=DEMO_ENTRY_NAME).first()
    if entry is not None:
        return entry, False
    classification = Classification.objects.get(code=CLASSIFICATION)
    today = timezone.localdate()
    entry = CatalogEntry(
        code=catalog_services.next_code(classification), classification=classification, name=DEMO_ENTRY_NAME,
        department=department, region=department.region,
        summary="余江区城乡最低生活保障对象的联系信息，由余江区低保信息系统每日归集到市数据平台（演示数据，人员均为虚构）。",
        format="database", sharing_type="conditional", sharing_method="api",
        sharing_conditions="限政务部门依法履职使用，经余江区民政局审核同意后共享，不得转作他用。（演示数据）",
        open_type="none", update_cycle="daily", source_system=DEMO_SOURCE_NAME, record_count=ROWS,
        status=Status.PUBLISHED, published_on=today, data_updated_on=today, is_demo=True)
    entry.full_clean(exclude=["classification", "department", "region"])
    entry.save()
    DataItem.objects.bulk_create(
        DataItem(entry=entry, position=n, name=name, data_type=data_type, length=length, personal_data=personal)
        for n, (name, data_type, length, personal, *_rest) in enumerate(ITEMS, 1))
    snapshot = catalog_services.snapshot(entry)
    EntryVersion.objects.bulk_create(
        EntryVersion(entry=entry, version=n, action=action, reason="", snapshot={**snapshot, "version": n,
                                                                                  "status": status})
        for n, (action, status) in enumerate([("create", Status.DRAFT), ("submit", Status.SUBMITTED),
                                               ("approve", Status.REVIEWED), ("publish", Status.PUBLISHED)], 1))
    CatalogEntry.objects.filter(pk=entry.pk).update(version=4)
    search.index_entry(entry)
    return entry, True


def load_demo() -> dict:
    """Create what is missing of the demo and load the demo job once. Returns counts."""
    department = Department.objects.get(code=DEMO_DEPARTMENT)
    path = demo_source_path()
    if not path.exists():
        write_source_file(path)
    created = 0
    with transaction.atomic():
        entry, new = _entry(department)
        created += new
        source = SourceDatabase.objects.filter(department=department, name=DEMO_SOURCE_NAME).first()
        if source is None:
            source = SourceDatabase.objects.create(
                department=department, name=DEMO_SOURCE_NAME, kind=SourceDatabase.Kind.SQLITE,
                url=f"sqlite:///{path}", description="余江区民政局低保信息系统的演示库（虚构数据）。", is_demo=True)
            created += 1
        dataset = Dataset.objects.filter(entry=entry).first()
        if dataset is None:
            dataset = Dataset.objects.create(entry=entry, table_name=Dataset.table_name_for(entry), is_demo=True)
            DatasetColumn.objects.bulk_create(
                DatasetColumn(dataset=dataset, name=column, item_name=name, data_type=data_type, is_key=key,
                              mask=default_mask(name, personal), position=n)
                for n, (name, data_type, _length, personal, column, _src, key) in enumerate(ITEMS, 1))
            created += 1
        mapping = SourceMapping.objects.filter(dataset=dataset, name=DEMO_MAPPING_NAME).first()
        if mapping is None:
            mapping = SourceMapping.objects.create(
                name=DEMO_MAPPING_NAME, dataset=dataset, source=source, source_table=DEMO_TABLE,
                column_map={column: src for _n, _t, _l, _p, column, src, _k in ITEMS}, mode=LoadMode.FULL,
                schedule=Schedule.DAILY, next_run_at=timezone.now() + dt.timedelta(days=1), is_demo=True)
            created += 1
        if created:
            audit.record("aggregation.demo.load", audit.Target("aggregation.dataset", str(dataset.pk), "demo"),
                         changes={"created": created, "entry": entry.code})
    datastore.ensure_table(dataset)
    if not mapping.runs.filter(status=LoadRun.Status.SUCCEEDED).exists():
        services.run_load(actor=None, mapping=mapping)
    dataset.refresh_from_db()
    return {"created": created, "code": entry.code, "rows": dataset.row_count}
