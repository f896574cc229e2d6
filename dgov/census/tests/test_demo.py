"""The demo census: the open 2026 campaign with twelve departments in a mix of states, each
submitted one with its upload, counts taken from the catalog; loading twice creates nothing twice."""

import pytest
from django.apps import apps

from dgov.catalog.testing import YUJIANG_CIVIL_AFFAIRS, make_entry, make_reviewer
from dgov.census import selectors
from dgov.census.demo import NAME, load_demo
from dgov.census.models import CensusAssignment, CensusCampaign, CensusUpload
from dgov.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_demo_census_is_realistic_and_idempotent(db):
    make_entry(name="民政测试资源", department_code="360600007")
    lines = []
    result = apps.get_app_config("census").load_demo(lines.append)
    assert result == {"year": 2026, "assignments": 12} and "12 assignments" in lines[0]
    campaign = CensusCampaign.objects.get(name=NAME)
    assert campaign.state == "open" and campaign.is_demo and "演示数据" in campaign.instructions
    assert campaign.opens_on < campaign.due_on
    states = dict(campaign.assignments.values_list("department__code", "state"))
    assert states[YUJIANG_CIVIL_AFFAIRS] == "assigned"
    progress = selectors.progress(make_reviewer(), campaign)
    assert progress["by_state"] == {"assigned": 4, "submitted": 3, "accepted": 4, "returned": 1}
    assert progress["rate"] == 58.3
    civil = campaign.assignments.get(department__code="360600007")
    assert (civil.entries_before, civil.confirmed, civil.entries_after) == (1, 1, 1)
    assert civil.uploads.get().ok and len(civil.uploads.get().digest) == 64
    assert CensusUpload.objects.count() == 8
    assert campaign.assignments.get(state="returned").return_reason

    assert load_demo() == {"year": 2026, "assignments": 0}
    assert CensusCampaign.objects.count() == 1 and CensusAssignment.objects.count() == 12
    assert CensusUpload.objects.count() == 8
    assert AuditEntry.objects.filter(action="census.demo.load").count() == 1


def test_every_demo_departments_prefilled_template_imports_back_unchanged(db):
    """The census asks each department to confirm its entries as they are: the pre-filled template
    of every department of the demo catalog passes the importer and changes nothing."""
    from dgov.catalog.demo import load_demo as load_demo_catalog
    from dgov.catalog.importer import import_catalog, template_xlsx
    from dgov.catalog.models import CatalogEntry
    from dgov.catalog.testing import make_superuser
    from dgov.orgs.models import Department

    load_demo_catalog()
    actor = make_superuser()
    codes = CatalogEntry.objects.order_by().values_list("department", flat=True).distinct()
    departments = list(Department.objects.filter(pk__in=codes))
    assert len(departments) > 20
    for department in departments:
        entries = CatalogEntry.objects.filter(department=department).select_related(
            "classification", "department").prefetch_related("items")
        result = import_catalog(actor=actor, file=template_xlsx(entries), filename="t.xlsx", dry_run=True,
                                mode="upsert", department=department)
        assert result == {"ok": True, "created": 0, "updated": 0, "unchanged": entries.count(), "not_in_file": [],
                          "errors": []}, (
            department.name, result["errors"][:3])
