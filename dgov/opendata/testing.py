"""Test helpers of dgov.opendata: an opened, published dataset with rows in the data store."""

import datetime as dt

from dgov.aggregation import datastore
from dgov.catalog.models import Status
from dgov.catalog.testing import YUJIANG_CIVIL_AFFAIRS, item, make_entry, make_reviewer, make_superuser


def make_open_entry(*, name: str = "养老机构名录", open_type: str = "unconditional", rows: int = 30,
                    department_code: str = YUJIANG_CIVIL_AFFAIRS, items: list[dict] | None = None,
                    columns: list[dict] | None = None, values=None, **fields):
    """A published catalog entry opened to the public (`open_type`) and its data-store dataset with `rows`
    rows: 机构名称, 统一社会信用代码 (key), 床位数, 所在乡镇, 成立日期 and 负责人手机 (masked as a phone number).
    `values(i)` gives row i (default: made-up homes)."""
    from dgov.aggregation.testing import make_dataset

    actor = make_superuser()
    conditions = "签订数据利用协议后使用" if open_type == "conditional" else ""
    entry = make_entry(actor=actor, status=Status.PUBLISHED, name=name, department_code=department_code,
                       open_type=open_type, open_conditions=conditions,
                       items=items or [item("机构名称"), item("统一社会信用代码", length=18),
                                       item("床位数", data_type="integer", length=None),
                                       item("所在乡镇"), item("成立日期", data_type="date", length=None),
                                       item("负责人手机", length=11, personal_data="personal")],
                       **fields)
    dataset = make_dataset(entry=entry, actor=actor, columns=columns or [
        {"name": "jgmc", "item_name": "机构名称"},
        {"name": "tyshxydm", "item_name": "统一社会信用代码", "is_key": True},
        {"name": "cws", "item_name": "床位数"}, {"name": "szxz", "item_name": "所在乡镇"},
        {"name": "clrq", "item_name": "成立日期"}, {"name": "fzrsj", "item_name": "负责人手机", "mask": "phone"}])
    make = values or (lambda i: {"jgmc": f"余江区第{i + 1}养老院", "tyshxydm": f"52360603MJ{i:07d}X",
                                 "cws": 20 + i, "szxz": ["邓埠镇", "锦江镇", "潢溪镇"][i % 3],
                                 "clrq": dt.date(2010, 1, 1) + dt.timedelta(days=37 * i),
                                 "fzrsj": f"139{i:08d}"})
    datastore.upsert(dataset, [make(i) for i in range(rows)])
    type(dataset).objects.filter(pk=dataset.pk).update(row_count=rows)  # as a load run keeps it
    return entry


def make_published(entry=None, *, topics=("livelihood",), **fields):
    """`entry` (default `make_open_entry(**fields)`) opened and published through the services."""
    from dgov.catalog.testing import make_editor
    from dgov.opendata import services

    entry = entry or make_open_entry(**fields)
    editor = make_editor(entry.department.code)
    dataset = services.prepare(actor=editor, entry=entry, topics=list(topics), keywords=["养老", "民政"])
    services.submit(actor=editor, dataset=dataset)
    return services.review(actor=make_reviewer(), dataset=dataset, approve=True)
