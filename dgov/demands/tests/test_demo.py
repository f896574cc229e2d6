"""The demo supply–demand list: every state, two overdue demands, idempotent, after the demo catalog."""

import pytest

from dgov.catalog.demo import load_demo as load_catalog_demo
from dgov.core.testing import audited
from dgov.demands.demo import DEMANDS, DEMO_NOTE, load_demo
from dgov.demands.models import DataDemand, DemandEvent, State


@pytest.fixture
def catalog(db):
    load_catalog_demo()


def test_the_demo_covers_every_state_and_loads_once(catalog):
    assert load_demo() == {"created": len(DEMANDS), "total": len(DEMANDS)}
    demands = DataDemand.objects.all()
    assert {d.state for d in demands} == set(State.values)
    assert all(d.is_demo and d.scenario.endswith(DEMO_NOTE) for d in demands)
    overdue = DataDemand.objects.overdue()
    assert overdue.count() == 2
    assert all(d.due_on and d.provider for d in overdue)
    for demand in demands.exclude(state=State.OPEN):
        events = list(demand.events.order_by("created_at", "pk"))
        assert events[0].action == DemandEvent.Action.FILE and events[-1].state == demand.state
    rejected = demands.filter(state=State.REJECTED)
    assert all(d.reason for d in rejected) and rejected.filter(provider__isnull=True).exists()
    assert all(d.answer for d in demands.filter(state__in=[State.CONFIRMED, State.FULFILLED]))
    assert audited("demands.demo.load").changes == {"demands": len(DEMANDS)}
    numbers = list(demands.order_by("created_at").values_list("number", flat=True))
    assert len(set(numbers)) == len(DEMANDS)

    assert load_demo() == {"created": 0, "total": len(DEMANDS)}
    assert DataDemand.objects.count() == len(DEMANDS)
