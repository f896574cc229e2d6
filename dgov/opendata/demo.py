"""Demo open data (`dgov init --demo`): three published catalog entries opened to the public, with made-up rows in
the data store, every name marked （开放演示）:

- 余江区养老机构名录 (余江区民政局, 无条件开放, 民生服务): 36 homes with their beds, town, office telephone;
- 鹰潭市医疗机构名录 (市卫生健康委, 无条件开放, 公共卫生): 40 clinics and hospitals;
- 余江区临时救助月度统计 (余江区民政局, 有条件开放, 民生服务): cases and amounts per town and month, opened to
  applicants 余江区民政局 approves (the demo's `yj_data` decides; the demo `citizen` can apply).

Rows of the application database are written directly in the command line's system context (one
`opendata.demo.load` audit entry), like the other demos; the data store rows go through `datastore.upsert`.
Running it again creates nothing new: entries are found by their names.
"""

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from dgov.aggregation import datastore
from dgov.aggregation.models import Dataset, DatasetColumn
from dgov.catalog import search
from dgov.catalog import services as catalog_services
from dgov.catalog.models import CatalogEntry, Classification, DataItem, EntryVersion, Status
from dgov.core import audit
from dgov.opendata.models import DatasetStatus, OpenDataset, OpenDatasetEvent, Topic
from dgov.opendata.services import package_name, scan_entry

TOWNS = ["邓埠镇", "锦江镇", "潢溪镇", "中童镇", "马荃镇", "画桥镇", "洪湖乡", "黄庄乡", "春涛镇", "杨溪乡", "刘家站镇"]
KINDS = ["公办养老机构", "民办养老机构", "农村敬老院"]
CLINICS = ["社区卫生服务中心", "乡镇卫生院", "诊所", "门诊部", "医院"]


def _homes(rng: random.Random) -> list[dict]:
    return [{"jgmc": f"余江区{town}{['幸福', '康乐', '颐和', '福寿'][i % 4]}{KINDS[i % 3][-3:]}",
             "tyshxydm": f"52360603MJD{i:06d}X", "jgxz": KINDS[i % 3], "cws": rng.randint(20, 260),
             "szxz": town, "dz": f"鹰潭市余江区{town}{rng.randint(1, 199)}号",
             "bgdh": f"0701-58{rng.randint(10000, 99999)}", "clrq": dt.date(2005, 1, 1) + dt.timedelta(days=97 * i)}
            for i, town in ((i, TOWNS[i % len(TOWNS)]) for i in range(36))]


def _clinics(rng: random.Random) -> list[dict]:
    districts = ["月湖区", "余江区", "贵溪市", "龙虎山风景名胜区", "鹰潭高新区"]
    return [{"jgmc": f"鹰潭市{districts[i % 5]}{['东湖', '白露', '滨江', '梅园', '四青'][i % 5]}{CLINICS[i % 5]}",
             "jglb": CLINICS[i % 5], "ssqx": districts[i % 5],
             "cws": 0 if CLINICS[i % 5] == "诊所" else rng.randint(5, 600),
             "dz": f"鹰潭市{districts[i % 5]}{rng.randint(1, 300)}号", "bgdh": f"0701-62{rng.randint(10000, 99999)}",
             "jgdm": f"PDY{i:05d}36060{i % 10}"} for i in range(40)]


def _relief(rng: random.Random) -> list[dict]:
    return [{"tjyf": f"2026-{month:02d}", "szxz": town, "jzrc": rng.randint(0, 40),
             "jzje": round(rng.uniform(0, 60000), 2), "key": f"2026-{month:02d}-{town}"}
            for month in range(1, 11) for town in TOWNS]


#: name, department, classification, open type, conditions, topics, summary, items (name, type, column, key),
#: rows
DATASETS = [
    ("余江区养老机构名录（开放演示）", "360603909", "203", "unconditional", "", ["livelihood"],
     "余江区公办、民办养老机构和农村敬老院的名录：床位数、所在乡镇、地址和办公电话（演示数据，机构均为虚构）。",
     [("机构名称", "string", "jgmc", False), ("统一社会信用代码", "string", "tyshxydm", True),
      ("机构性质", "string", "jgxz", False), ("床位数", "integer", "cws", False), ("所在乡镇", "string", "szxz", False),
      ("地址", "string", "dz", False), ("办公电话", "string", "bgdh", False), ("成立日期", "date", "clrq", False)],
     _homes),
    ("鹰潭市医疗机构名录（开放演示）", "360600020", "203", "unconditional", "", ["health"],
     "鹰潭市医院、卫生院、社区卫生服务中心、门诊部和诊所的名录（演示数据，机构均为虚构）。",
     [("机构名称", "string", "jgmc", False), ("机构类别", "string", "jglb", False),
      ("所属区县", "string", "ssqx", False), ("床位数", "integer", "cws", False), ("地址", "string", "dz", False),
      ("办公电话", "string", "bgdh", False),
      ("机构代码", "string", "jgdm", True)],
     _clinics),
    ("余江区临时救助月度统计（有条件开放演示）", "360603909", "203", "conditional",
     "用于学术研究或公益项目，签订数据利用协议、经余江区民政局审核同意后使用。（演示）", ["livelihood"],
     "余江区各乡镇每月临时救助的人次和金额（演示数据，数字均为虚构）。",
     [("统计月份", "string", "tjyf", False), ("所在乡镇", "string", "szxz", False),
      ("救助人次", "integer", "jzrc", False), ("救助金额", "decimal", "jzje", False),
      ("统计键", "string", "key", True)],
     _relief),
]


def _entry(name, department_code, classification_code, open_type, conditions, summary, items) -> CatalogEntry:
    from dgov.orgs.models import Department

    department = Department.objects.get(code=department_code)
    classification = Classification.objects.get(code=classification_code)
    today = timezone.localdate()
    entry = CatalogEntry(
        code=catalog_services.next_code(classification), classification=classification, name=name,
        department=department, region=department.region, summary=summary, format="database",
        sharing_type="unconditional", sharing_method="api", open_type=open_type, open_conditions=conditions,
        update_cycle="monthly", status=Status.PUBLISHED, published_on=today, data_updated_on=today, is_demo=True)
    entry.full_clean(exclude=["classification", "department", "region"])
    entry.save()
    DataItem.objects.bulk_create(DataItem(entry=entry, position=n, name=item, data_type=data_type)
                                 for n, (item, data_type, _column, _key) in enumerate(items, 1))
    EntryVersion.objects.create(entry=entry, version=1, action="publish", reason="",
                                snapshot=catalog_services.snapshot(entry))
    search.index_entry(entry)
    return entry


def load_demo() -> dict:
    """Create what is missing; returns counts."""
    rng = random.Random("dgov-opendata-demo")
    created = rows = 0
    for name, department, classification, open_type, conditions, topics, summary, items, make in DATASETS:
        values = make(rng)
        if CatalogEntry.objects.filter(is_demo=True, name=name).exists():
            continue
        with transaction.atomic():
            entry = _entry(name, department, classification, open_type, conditions, summary, items)
            dataset = Dataset.objects.create(entry=entry, table_name=Dataset.table_name_for(entry), is_demo=True)
            DatasetColumn.objects.bulk_create(
                DatasetColumn(dataset=dataset, name=column, item_name=item, data_type=data_type, is_key=key,
                              position=n) for n, (item, data_type, column, key) in enumerate(items, 1))
        datastore.upsert(dataset, values)
        Dataset.objects.filter(pk=dataset.pk).update(row_count=len(values), last_loaded_at=timezone.now())
        now = timezone.now()
        open_dataset = OpenDataset.objects.create(
            entry=entry, name=package_name(entry), title=name, description=summary, keywords=[name[:2], "演示"],
            status=DatasetStatus.PUBLISHED, published_at=now, modified_at=now, is_demo=True,
            scan=scan_entry(entry))
        open_dataset.topics.set(Topic.objects.filter(code__in=topics))
        OpenDatasetEvent.objects.create(dataset=open_dataset, action=OpenDatasetEvent.Action.PUBLISH,
                                        note="演示数据")
        created += 1
        rows += len(values)
    if created:
        audit.record("opendata.demo.load", audit.Target("opendata.opendataset", "demo", "demo"),
                     changes={"created": created, "rows": rows})
    return {"created": created, "rows": rows}
