"""Test helpers for the supply–demand list: demands filed through the services and brought to any
state, and the officials on both sides."""

import itertools

from dgov.catalog.models import Status as EntryStatus
from dgov.catalog.testing import YUJIANG_CIVIL_AFFAIRS, item, make_entry, make_superuser
from dgov.demands import services
from dgov.demands.models import DataDemand, State
from dgov.orgs.models import Department

YUJIANG_HRSS = "360603905"  # 余江区人力资源和社会保障局
_seq = itertools.count(1)


def marriage_entry(department_code: str = YUJIANG_CIVIL_AFFAIRS, **fields):
    """A published 婚姻登记 entry with the usual data items."""
    values = {"sharing_type": "conditional", "sharing_conditions": "依法履职使用", **fields}
    items = values.pop("items", None) or [
        item("男方姓名"), item("男方身份证号"), item("女方姓名"), item("女方身份证号"), item("婚姻状况"),
        item("登记日期", data_type="date", length=None)]
    return make_entry(name=values.pop("name", "婚姻登记信息"), summary="结婚登记、离婚登记和补领婚姻登记证的记录。",
                      department_code=department_code, status=EntryStatus.PUBLISHED, items=items, **values)


def make_demand(*, department_code: str = YUJIANG_HRSS, actor=None, title: str = "居民婚姻状况核验",
                fields=("姓名", "身份证号", "婚姻状况"), state: str = State.OPEN, entry=None,
                **values) -> DataDemand:
    """A demand filed by `department_code` (as a superuser unless `actor`) and brought to `state`
    (matched to `entry`, default a new published 婚姻登记 entry of 余江区民政局)."""
    actor = actor or make_superuser()
    demand = DataDemand(department=Department.objects.get(code=department_code), title=title, fields=list(fields),
                        purpose=values.pop("purpose", "办理社会救助时核验申请人的婚姻状况。"),
                        legal_basis=values.pop("legal_basis", "《社会救助暂行办法》第十一条"),
                        sharing_method=values.pop("sharing_method", "api"), **values)
    services.demand_save(actor=actor, instance=demand)
    if state == State.OPEN:
        return demand
    demand = services.match(actor=actor, demand=demand, entry=entry or marriage_entry())
    if state == State.MATCHED:
        return demand
    if state == State.REJECTED:
        return services.reject(actor=actor, demand=demand, reason="测试：不能提供")
    demand = services.confirm(actor=actor, demand=demand, answer="测试：同意通过接口提供")
    if state == State.CONFIRMED:
        return demand
    return services.fulfil(actor=actor, demand=demand, fulfilment="测试：已开通接口")
