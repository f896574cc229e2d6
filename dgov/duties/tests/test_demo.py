"""The demo list: loaded after the demo catalog, most duties linked to their department's entries,
a few flagged on purpose, every duty with its legal basis; loading twice creates nothing new."""

import pytest
from django.apps import apps

from dgov.core.models import AuditEntry
from dgov.duties import demo
from dgov.duties.models import DataDuty
from dgov.duties.selectors import UNLINKED, duty_queryset

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded(db):
    lines = []
    apps.get_app_config("catalog").load_demo(lines.append)
    apps.get_app_config("duties").load_demo(lines.append)
    return lines


def test_the_demo_list_links_most_duties_and_flags_a_few(loaded):
    planned = demo.planned()
    duties = duty_queryset()
    assert duties.count() == len(planned) and all(d.is_demo for d in duties)
    assert f"demo data responsibilities: {len(planned)} created" in loaded[-1]
    flagged = duties.filter(UNLINKED)
    intended = {(code, d.duty) for code, _area, d in planned if not d.entries}
    assert {(d.department.code, d.duty) for d in flagged} == intended
    assert 0 < flagged.count() < duties.count() / 4
    for duty in duties.exclude(UNLINKED):
        wanted = next(d for code, _a, d in planned if code == duty.department.code and d.duty == duty.duty)
        # every entry the plan names was found in the demo catalog, and only the department's own
        assert sorted(duty.entries.values_list("name", flat=True)) == sorted(wanted.entries)
        assert set(duty.entries.values_list("department", flat=True)) == {duty.department_id}
    assert all(d.legal_basis.startswith("《") and d.description.endswith(demo.DEMO_NOTE) for d in duties)
    # yj_data's department (余江区民政局) has linked duties and flagged ones
    yujiang = duties.filter(department__code="360603909")
    assert yujiang.filter(UNLINKED).exists() and yujiang.exclude(UNLINKED).exists()
    assert yujiang.get(duty="婚姻登记").entries.get().name == "婚姻登记信息"


def test_loading_twice_creates_nothing(loaded):
    before = list(DataDuty.objects.order_by("pk").values_list("pk", "department__code", "duty", "data_name"))
    links = DataDuty.entries.through.objects.count()
    result = apps.get_app_config("duties").load_demo(lambda line: None)
    assert result["created"] == 0
    assert list(DataDuty.objects.order_by("pk").values_list("pk", "department__code", "duty", "data_name")) == before
    assert DataDuty.entries.through.objects.count() == links
    assert AuditEntry.objects.filter(action="duties.demo.load").count() == 1
