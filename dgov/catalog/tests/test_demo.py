"""The demo catalog: a few hundred realistic entries, deterministic, idempotent, searchable, and
consistent with the negative list and the life cycle."""

import datetime as dt

import pytest
from django.apps import apps
from django.utils import timezone

from dgov.catalog import search, services
from dgov.catalog.demo import read_resources
from dgov.catalog.models import UPDATE_CYCLE_DAYS, CatalogEntry, EntryVersion, NegativeListItem, SearchTerm
from dgov.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded(db):
    lines = []
    apps.get_app_config("catalog").load_demo(lines.append)
    return lines


def test_demo_catalog_spans_the_departments_and_obeys_the_rules(loaded):
    entries = CatalogEntry.objects.all()
    assert 250 <= entries.count() <= 400
    assert not entries.filter(is_demo=False).exists()
    assert "demo catalog entries: 300 created" in loaded[0]
    assert entries.values("department").distinct().count() >= 50
    regions = set(entries.values_list("department__region__code", flat=True))
    assert {"360600000000", "360602000000", "360603000000", "360681000000"} <= regions
    statuses = dict.fromkeys(entries.values_list("status", flat=True))
    assert {"published", "reviewed", "submitted", "draft", "withdrawn"} <= set(statuses)
    assert entries.filter(status="published").count() > entries.count() / 2
    assert set(entries.values_list("sharing_type", flat=True)) == {"unconditional", "conditional", "none"}
    assert set(entries.values_list("open_type", flat=True)) == {"unconditional", "conditional", "none"}
    assert entries.filter(items__personal_data="sensitive").distinct().count() > 50
    assert AuditEntry.objects.filter(action="catalog.demo.load").count() == 1

    # every entry obeys the rules of the services
    for entry in CatalogEntry.objects.prefetch_related("items"):
        assert services.code_errors(entry.code, entry.classification) == []
        items = [services.ItemAttributes(i.name, i.sharing_type, i.open_type) for i in entry.items.all()]
        assert services.negative_list_errors(entry.code, entry.sharing_type, entry.open_type, items) == {}
        if entry.sharing_type != "none":
            assert entry.sharing_method
        if entry.sharing_type == "conditional":
            assert entry.sharing_conditions
        if entry.open_type == "conditional":
            assert entry.open_conditions
        versions = list(entry.versions.order_by("version").values_list("action", "snapshot"))
        assert len(versions) == entry.version and versions[0][0] == "create"
        assert versions[-1][1]["status"] == entry.status
        if entry.status in ("published", "withdrawn"):
            assert entry.published_on is not None
        assert SearchTerm.objects.filter(entry=entry).exists()

    # the negative list holds items and whole resources, with their legal basis
    listed = NegativeListItem.objects.all()
    assert listed.count() >= 10
    assert listed.filter(item_name="").exists() and listed.exclude(item_name="").exists()
    assert all(item.legal_basis.startswith("《") for item in listed)
    marriage = CatalogEntry.objects.get(department__code="360600007", name="婚姻登记信息")
    assert set(listed.filter(resource_code=marriage.code).values_list("item_name", flat=True)) == {
        "男方身份证号", "女方身份证号"}
    assert marriage.sharing_type == "conditional"
    assert marriage.items.get(name="男方身份证号").sharing_type == "none"
    assert "个人信息保护法" in listed.filter(resource_code=marriage.code).first().legal_basis

    # some entries' data is older than their update cycle
    today = timezone.localdate()
    stale = [e for e in CatalogEntry.objects.exclude(update_cycle="irregular")
             if e.data_updated_on < today - dt.timedelta(days=UPDATE_CYCLE_DAYS[e.update_cycle])]
    assert 10 <= len(stale) <= CatalogEntry.objects.count() / 3


def test_social_insurance_and_marriage_registration_are_findable(loaded):
    everything = CatalogEntry.objects.all()
    social = search.filter_query(everything, "社保")
    assert social.count() >= 5
    assert social.filter(name="社会保险参保登记信息", department__code="360600010", status="published").exists()
    marriage = search.filter_query(everything, "婚姻登记")
    assert marriage.filter(name="婚姻登记信息").count() == 4  # the city and each county
    assert set(search.filter_query(everything, "婚姻").values_list("pk", flat=True)) >= set(
        marriage.values_list("pk", flat=True))


def test_loading_again_creates_no_duplicates_and_recreates_a_missing_entry(loaded):
    before = (CatalogEntry.objects.count(), NegativeListItem.objects.count(), EntryVersion.objects.count(),
              SearchTerm.objects.count(), AuditEntry.objects.count())
    codes = dict(CatalogEntry.objects.values_list("pk", "code"))
    lines = []
    apps.get_app_config("catalog").load_demo(lines.append)
    assert "0 created" in lines[0]
    assert (CatalogEntry.objects.count(), NegativeListItem.objects.count(), EntryVersion.objects.count(),
            SearchTerm.objects.count(), AuditEntry.objects.count()) == before
    assert dict(CatalogEntry.objects.values_list("pk", "code")) == codes

    entry = CatalogEntry.objects.get(department__code="360603909", name="婚姻登记信息")
    code, status = entry.code, entry.status
    NegativeListItem.objects.filter(resource_code=code).delete()
    entry.delete()
    lines = []
    apps.get_app_config("catalog").load_demo(lines.append)
    assert "1 created" in lines[0]
    again = CatalogEntry.objects.get(department__code="360603909", name="婚姻登记信息")
    assert again.status == status  # the same seeded draw
    assert NegativeListItem.objects.filter(resource_code=again.code).count() == 2


def test_generation_is_deterministic(loaded):
    first = list(CatalogEntry.objects.order_by("code").values_list(
        "code", "department__code", "name", "status", "record_count", "sharing_type", "open_type", "data_updated_on"))
    CatalogEntry.objects.all().delete()
    NegativeListItem.objects.all().delete()
    apps.get_app_config("catalog").load_demo(lambda line: None)
    second = list(CatalogEntry.objects.order_by("code").values_list(
        "code", "department__code", "name", "status", "record_count", "sharing_type", "open_type", "data_updated_on"))
    assert first == second


def test_the_demo_file_names_known_departments_and_unique_resources():
    resources = read_resources()
    keys = [(r.scope, r.dept, r.name) for r in resources]
    assert len(keys) == len(set(keys))
    assert {r.scope for r in resources} == {"市", "区县"}


def test_the_demo_provincial_catalog_maps_most_entries_and_leaves_some_for_the_worklist(loaded):
    from dgov.catalog.models import ProvincialEntry, ProvincialMapping

    provincial = ProvincialEntry.objects.all()
    assert 150 <= provincial.count() <= 300 and not provincial.filter(is_demo=False).exists()
    assert all(p.summary.endswith("（演示数据）") for p in provincial)
    assert set(provincial.values_list("provider", flat=True)) >= {"江西省民政厅", "江西省人力资源和社会保障厅"}
    entries = CatalogEntry.objects.count()
    mapped = ProvincialMapping.objects.count()
    assert entries * 0.6 <= mapped <= entries * 0.9
    marriage = ProvincialMapping.objects.filter(entry__name="婚姻登记信息").select_related("provincial")
    assert {m.provincial.name for m in marriage} <= {"婚姻登记信息", "婚姻登记数据", "婚姻登记"} and marriage.exists()
    assert provincial.filter(mappings__isnull=True).exists()  # provincial-only resources
    one = ProvincialMapping.objects.select_related("entry").first()
    newest = one.entry.versions.order_by("-version").first()
    assert newest.action == "map" and newest.snapshot["provincial_code"] == one.provincial.code
    # idempotent
    before = (ProvincialEntry.objects.count(), mapped, EntryVersion.objects.count())
    apps.get_app_config("catalog").load_demo(lambda line: None)
    assert (ProvincialEntry.objects.count(), ProvincialMapping.objects.count(), EntryVersion.objects.count()) == before
