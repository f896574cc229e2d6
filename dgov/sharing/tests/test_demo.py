"""The demo sharing data: the consumer application, requests in every state (one overdue), the
active grant on the aggregation demo dataset's entry, idempotent."""

import pytest

from dgov.catalog.testing import item
from dgov.core.testing import audited
from dgov.sharing import selectors
from dgov.sharing.demo import APP_CODE, DATASET_ENTRY, DEMO_NOTE, REQUESTS, load_demo
from dgov.sharing.models import SharingRequest, Status
from dgov.sharing.testing import population_entry


@pytest.fixture
def entries(db):
    dataset = population_entry(name=DATASET_ENTRY, items=[
        item(n) for n in ("姓名", "公民身份号码", "联系电话", "居住地址", "保障类别", "月保障金额", "登记日期")])
    marriage = population_entry(name="婚姻登记信息", items=[
        item(n) for n in ("男方姓名", "女方姓名", "登记类型", "登记日期")])
    return dataset, marriage


def test_the_demo_covers_every_status_and_loads_once(entries):
    dataset, _ = entries
    assert load_demo() == {"created": len(REQUESTS), "total": len(REQUESTS), "grants": 1}
    requests = SharingRequest.objects.all()
    assert {r.status for r in requests} == set(Status.values)
    assert all(r.is_demo and r.scenario.endswith(DEMO_NOTE) and r.application.code == APP_CODE for r in requests)
    assert requests.filter(status=Status.SUBMITTED).get().is_overdue
    assert SharingRequest.objects.overdue().count() == 1
    for r in requests:
        events = list(r.events.order_by("created_at", "pk"))
        assert events[0].action == "submit" and events[-1].status == r.status
        assert all(e.text for e in events if e.action.endswith(("approve", "reject")) or e.action == "withdraw")
    grant = selectors.active_grant(requests.get(status=Status.GRANTED).application, dataset)
    assert grant is not None and grant.items == ["姓名", "保障类别"] and grant.is_demo
    assert audited("sharing.demo.load").changes["requests"] == len(REQUESTS)
    assert load_demo() == {"created": 0, "total": len(REQUESTS), "grants": 0}
    assert SharingRequest.objects.count() == len(REQUESTS)


def test_missing_entries_are_left_out(db):
    assert load_demo()["created"] == 0
