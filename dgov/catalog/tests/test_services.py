"""The catalog's write services: entries and their codes, the life cycle with its reasons and
permissions, versions, the negative list and its one check, and the search index kept in step."""

import pytest

from dgov.catalog import services
from dgov.catalog.models import CatalogEntry, Classification, EntryVersion, NegativeListItem, SearchTerm, Status
from dgov.catalog.testing import (
    GUIXI_CIVIL_AFFAIRS,
    YUJIANG_CIVIL_AFFAIRS,
    item,
    make_editor,
    make_entry,
    make_reviewer,
    make_superuser,
    move,
    negative_list,
)
from dgov.core.errors import Conflict, PermissionDenied, ValidationError
from dgov.core.models import AuditEntry
from dgov.orgs.models import Department

pytestmark = pytest.mark.django_db


def _new(actor, **fields) -> CatalogEntry:
    values = {"name": "婚姻登记信息", "summary": "婚姻登记记录。", "format": "database",
              "sharing_type": "conditional", "sharing_conditions": "用于婚姻状况核验", "sharing_method": "api",
              "open_type": "none", "update_cycle": "daily",
              "department": Department.objects.get(code=YUJIANG_CIVIL_AFFAIRS),
              "classification": Classification.objects.get(code="307"), **fields}
    return CatalogEntry(**values)


def _details(excinfo) -> dict:
    return excinfo.value.details


# --- codes --------------------------------------------------------------------------------------
def test_codes_are_generated_per_classification():
    first = make_entry(classification_code="307")
    second = make_entry(classification_code="307")
    other = make_entry(classification_code="203")
    assert (first.code, second.code, other.code) == ("307000000/000001", "307000000/000002", "203000000/000001")
    assert first.catalog_type == "3" and other.catalog_type == "2"


def test_next_code_follows_the_highest_existing_sequence():
    make_entry(classification_code="101", code="101000000/000041")
    assert make_entry(classification_code="101").code == "101000000/000042"


def test_a_given_code_is_kept_when_valid():
    assert make_entry(classification_code="203", code="203000000/000777").code == "203000000/000777"


@pytest.mark.parametrize("code", ["203000000-000001", "20300000/000001", "403000000/000001", "203000000/00001x"])
def test_malformed_codes_are_refused(code):
    with pytest.raises(ValidationError) as excinfo:
        make_entry(classification_code="203", code=code)
    assert "code" in _details(excinfo)
    assert not CatalogEntry.objects.exists()


def test_a_code_outside_its_classification_is_refused():
    with pytest.raises(ValidationError) as excinfo:
        make_entry(classification_code="203", code="101000000/000001")
    assert len(_details(excinfo)["code"]) == 1 and "203000000" in _details(excinfo)["code"][0]


def test_a_code_is_unique():
    make_entry(code="307000000/000005")
    with pytest.raises(ValidationError) as excinfo:
        make_entry(code="307000000/000005")
    assert "code" in _details(excinfo)


def test_a_code_never_changes():
    entry = make_entry()
    entry.code = "307000000/000099"
    with pytest.raises(ValidationError) as excinfo:
        services.entry_save(actor=make_superuser(), entry=entry, items=[item("名称")])
    assert "code" in _details(excinfo)


def test_next_code_runs_out_at_999999():
    make_entry(classification_code="101", code="101000000/999999")
    with pytest.raises(Conflict):
        make_entry(classification_code="101")


# --- entries and their data items ---------------------------------------------------------------
def test_a_new_entry_is_a_draft_in_its_departments_region():
    entry = services.entry_save(actor=make_editor(), entry=_new(None), items=[item("男方姓名"), item("女方姓名")])
    entry.refresh_from_db()
    assert entry.status == Status.DRAFT and entry.version == 1
    assert entry.region.code == "360603000000"
    assert list(entry.items.values_list("position", "name")) == [(1, "男方姓名"), (2, "女方姓名")]


@pytest.mark.parametrize(("items", "field"), [
    ([], "items"),
    ([item("姓名"), item("姓名")], "items"),
    ([item(" ")], "items"),
    ([item("姓名", data_type="blob")], "items[0].data_type"),
    ([item("姓名"), item("x" * 101)], "items[1].name"),
])
def test_data_items_are_validated(items, field):
    with pytest.raises(ValidationError) as excinfo:
        services.entry_save(actor=make_editor(), entry=_new(None), items=items)
    assert field in _details(excinfo)


@pytest.mark.parametrize(("fields", "field"), [
    ({"sharing_type": "conditional", "sharing_conditions": " "}, "sharing_conditions"),
    ({"sharing_type": "unconditional", "sharing_method": ""}, "sharing_method"),
    ({"open_type": "conditional", "open_conditions": ""}, "open_conditions"),
])
def test_conditions_and_methods_are_required(fields, field):
    with pytest.raises(ValidationError) as excinfo:
        services.entry_save(actor=make_editor(), entry=_new(None, **fields), items=[item("姓名")])
    assert field in _details(excinfo)


def test_not_shared_needs_no_method():
    entry = services.entry_save(actor=make_editor(), entry=_new(None, sharing_type="none", sharing_method=""),
                                items=[item("姓名")])
    assert entry.pk


def test_a_department_creates_only_its_own_entries():
    entry = _new(None, department=Department.objects.get(code=GUIXI_CIVIL_AFFAIRS))
    with pytest.raises(PermissionDenied) as excinfo:
        services.entry_save(actor=make_editor(YUJIANG_CIVIL_AFFAIRS), entry=entry, items=[item("姓名")])
    assert excinfo.value.code == "out_of_scope"
    assert not CatalogEntry.objects.exists()


def test_a_department_edits_only_its_own_entries():
    entry = make_entry(department_code=GUIXI_CIVIL_AFFAIRS)
    entry.name = "改名"
    with pytest.raises(PermissionDenied):
        services.entry_save(actor=make_editor(YUJIANG_CIVIL_AFFAIRS), entry=entry, items=[item("姓名")])


def test_an_entry_cannot_be_moved_to_another_department():
    entry = make_entry(department_code=YUJIANG_CIVIL_AFFAIRS)
    entry.department = Department.objects.get(code=GUIXI_CIVIL_AFFAIRS)
    with pytest.raises(PermissionDenied):
        services.entry_save(actor=make_editor(YUJIANG_CIVIL_AFFAIRS), entry=entry, items=[item("姓名")])


@pytest.mark.parametrize("status", [Status.SUBMITTED, Status.REVIEWED, Status.PUBLISHED, Status.WITHDRAWN])
def test_only_drafts_can_be_edited(status):
    entry = make_entry(status=status)
    entry.name = "改名"
    with pytest.raises(Conflict):
        services.entry_save(actor=make_editor(), entry=entry, items=[item("名称")])
    entry.refresh_from_db()
    assert entry.name != "改名"


def test_every_change_is_a_version_with_its_snapshot():
    editor = make_editor()
    entry = services.entry_save(actor=editor, entry=_new(None), items=[item("男方姓名")], reason="首次编目")
    entry.name = "婚姻登记信息（2024版）"
    services.entry_save(actor=editor, entry=entry, items=[item("男方姓名"), item("登记日期", data_type="date")],
                        reason="增加登记日期")
    move(entry, Status.PUBLISHED)
    versions = list(EntryVersion.objects.filter(entry=entry).order_by("version"))
    assert [(v.version, v.action) for v in versions] == [
        (1, "create"), (2, "change"), (3, "submit"), (4, "approve"), (5, "publish")]
    first, second = versions[0], versions[1]
    assert (first.actor, first.reason) == (editor, "首次编目")
    assert first.snapshot["name"] == "婚姻登记信息" and [i["name"] for i in first.snapshot["items"]] == ["男方姓名"]
    assert second.snapshot["name"] == "婚姻登记信息（2024版）"
    assert [(i["name"], i["data_type"]) for i in second.snapshot["items"]] == [("男方姓名", "string"),
                                                                            ("登记日期", "date")]
    assert second.reason == "增加登记日期"
    assert versions[-1].snapshot["status"] == Status.PUBLISHED
    entry.refresh_from_db()
    assert entry.version == 5


def test_writes_are_audited():
    entry = make_entry(status=Status.PUBLISHED)
    actions = set(AuditEntry.objects.filter(object_id=str(entry.pk)).values_list("action", flat=True))
    assert {"catalog.catalogentry.create", "catalog.catalogentry.submit", "catalog.catalogentry.approve",
            "catalog.catalogentry.publish"} <= actions


# --- the life cycle -----------------------------------------------------------------------------
def test_the_whole_life_cycle():
    editor, reviewer = make_editor(), make_reviewer()
    entry = make_entry(actor=editor)
    entry = services.transition(actor=editor, entry=entry, action="submit")
    assert entry.status == Status.SUBMITTED
    entry = services.transition(actor=reviewer, entry=entry, action="approve")
    assert entry.status == Status.REVIEWED
    entry = services.transition(actor=reviewer, entry=entry, action="publish")
    assert entry.status == Status.PUBLISHED and entry.published_on is not None
    entry = services.transition(actor=reviewer, entry=entry, action="withdraw", reason="数据源停用")
    assert (entry.status, entry.status_reason) == (Status.WITHDRAWN, "数据源停用")
    entry = services.transition(actor=editor, entry=entry, action="reopen")
    assert entry.status == Status.DRAFT


@pytest.mark.parametrize("start", [Status.SUBMITTED, Status.REVIEWED])
def test_reject_needs_a_reason_and_returns_to_draft(start):
    reviewer = make_reviewer()
    entry = make_entry(status=start)
    for reason in ("", "   "):
        with pytest.raises(ValidationError) as excinfo:
            services.transition(actor=reviewer, entry=entry, action="reject", reason=reason)
        assert "reason" in _details(excinfo)
    entry.refresh_from_db()
    assert entry.status == start
    entry = services.transition(actor=reviewer, entry=entry, action="reject", reason="缺少共享条件说明")
    assert (entry.status, entry.status_reason) == (Status.DRAFT, "缺少共享条件说明")
    version = EntryVersion.objects.get(entry=entry, version=entry.version)
    assert (version.action, version.reason) == ("reject", "缺少共享条件说明")


def test_withdraw_needs_a_reason():
    entry = make_entry(status=Status.PUBLISHED)
    with pytest.raises(ValidationError) as excinfo:
        services.transition(actor=make_reviewer(), entry=entry, action="withdraw")
    assert "reason" in _details(excinfo)
    entry.refresh_from_db()
    assert entry.status == Status.PUBLISHED


@pytest.mark.parametrize(("status", "action"), [
    (Status.DRAFT, "approve"), (Status.DRAFT, "publish"), (Status.DRAFT, "withdraw"), (Status.SUBMITTED, "publish"),
    (Status.PUBLISHED, "submit"), (Status.PUBLISHED, "reject"), (Status.REVIEWED, "reopen"),
    (Status.WITHDRAWN, "publish"),
])
def test_transitions_only_from_their_states(status, action):
    entry = make_entry(status=status)
    with pytest.raises(Conflict):
        services.transition(actor=make_superuser(), entry=entry, action=action, reason="理由")


def test_unknown_action_is_refused():
    with pytest.raises(ValidationError):
        services.transition(actor=make_superuser(), entry=make_entry(), action="delete")


def test_departments_do_not_review_and_reviewers_do_not_submit():
    editor, reviewer = make_editor(), make_reviewer()
    submitted = make_entry(status=Status.SUBMITTED)
    for action in ("approve", "reject"):
        with pytest.raises(PermissionDenied):
            services.transition(actor=editor, entry=submitted, action=action, reason="理由")
    with pytest.raises(PermissionDenied):
        services.transition(actor=reviewer, entry=make_entry(), action="submit")


def test_a_department_submits_only_its_own_entries():
    entry = make_entry(department_code=GUIXI_CIVIL_AFFAIRS)
    with pytest.raises(PermissionDenied) as excinfo:
        services.transition(actor=make_editor(YUJIANG_CIVIL_AFFAIRS), entry=entry, action="submit")
    assert excinfo.value.code == "out_of_scope"


# --- the negative list --------------------------------------------------------------------------
def test_a_listed_resource_can_be_neither_shared_nor_opened():
    negative_list("307000000/000001", legal_basis="《婚姻登记条例》")
    with pytest.raises(ValidationError) as excinfo:
        make_entry(code="307000000/000001", sharing_type="unconditional", open_type="conditional",
                   open_conditions="申请")
    details = _details(excinfo)
    assert set(details) == {"sharing_type", "open_type"}
    assert "《婚姻登记条例》" in details["sharing_type"][0]
    assert excinfo.value.code == "invalid"
    entry = make_entry(code="307000000/000001", sharing_type="none", sharing_method="", open_type="none")
    assert entry.pk


def test_a_listed_item_cannot_be_shared_with_its_entry():
    negative_list("307000000/000001", "身份证号")
    with pytest.raises(ValidationError) as excinfo:
        make_entry(code="307000000/000001", items=[item("姓名"), item("身份证号")])
    assert list(_details(excinfo)) == ["items"]
    assert "身份证号" in _details(excinfo)["items"][0]


def test_a_listed_item_restricted_to_none_is_allowed():
    negative_list("307000000/000001", "身份证号")
    entry = make_entry(code="307000000/000001", sharing_type="unconditional", open_type="unconditional",
                       items=[item("姓名"), item("身份证号", sharing_type="none", open_type="none")])
    assert entry.sharing_type == "unconditional"


def test_a_listed_item_restricted_only_from_sharing_is_still_refused_when_opened():
    negative_list("307000000/000001", "身份证号")
    with pytest.raises(ValidationError) as excinfo:
        make_entry(code="307000000/000001", open_type="unconditional",
                   items=[item("身份证号", sharing_type="none")])
    assert "items" in _details(excinfo)


def test_the_check_covers_every_write_path():
    """negative_list_errors is the one check; check_negative_list raises with code negative_list."""
    negative_list("307000000/000001")
    assert services.negative_list_errors("307000000/000001", "none", "none") == {}
    assert set(services.negative_list_errors("307000000/000001", "conditional", "none")) == {"sharing_type"}
    with pytest.raises(ValidationError) as excinfo:
        services.check_negative_list("307000000/000001", "none", "unconditional")
    assert excinfo.value.code == "negative_list"
    assert services.negative_list_errors("307000000/000002", "unconditional", "unconditional") == {}


def test_submitting_and_publishing_recheck_the_list():
    """A list that grew by another path (here: a direct write) stops the entry from going further."""
    entry = make_entry(status=Status.REVIEWED)
    NegativeListItem.objects.create(resource_code=entry.code, legal_basis="依法不予共享")
    with pytest.raises(ValidationError) as excinfo:
        services.transition(actor=make_reviewer(), entry=entry, action="publish")
    assert excinfo.value.code == "negative_list"
    entry.refresh_from_db()
    assert entry.status == Status.REVIEWED


def test_the_list_cannot_contradict_a_shared_resource():
    entry = make_entry(sharing_type="conditional", sharing_conditions="核验", items=[item("姓名"), item("住址")])
    reviewer = make_reviewer()
    with pytest.raises(ValidationError) as excinfo:
        negative_list(entry.code, actor=reviewer)
    assert "resource_code" in _details(excinfo)
    with pytest.raises(ValidationError):
        negative_list(entry.code, "住址", actor=reviewer)
    assert not NegativeListItem.objects.exists()
    # An item the catalog does not have, and a resource the catalog does not have, can be listed.
    assert negative_list(entry.code, "指纹", actor=reviewer).pk
    assert negative_list("101000000/000001", actor=reviewer).pk


def test_the_list_accepts_an_item_already_restricted():
    entry = make_entry(open_type="none", items=[item("姓名"), item("住址", sharing_type="none")])
    assert negative_list(entry.code, "住址").pk
    with pytest.raises(ValidationError):
        negative_list(entry.code, "姓名")


def test_the_list_accepts_a_resource_neither_shared_nor_opened():
    entry = make_entry(sharing_type="none", sharing_method="", open_type="none")
    listed = negative_list(entry.code)
    assert listed.pk and AuditEntry.objects.filter(action="catalog.negativelistitem.create").exists()


def test_only_reviewers_keep_the_list():
    with pytest.raises(PermissionDenied):
        negative_list("101000000/000001", actor=make_editor())


def test_a_list_entry_is_unique_and_its_code_valid():
    negative_list("101000000/000001", "姓名")
    with pytest.raises(ValidationError):
        negative_list("101000000/000001", "姓名")
    with pytest.raises(ValidationError) as excinfo:
        negative_list("101-1")
    assert "resource_code" in _details(excinfo)


# --- the search index ---------------------------------------------------------------------------
def test_the_index_follows_every_save():
    entry = make_entry(name="婚姻登记信息", summary="登记记录", items=[item("男方姓名")])
    terms = set(SearchTerm.objects.filter(entry=entry).values_list("term", flat=True))
    assert {"婚姻", "登记", "男方", "姓名", "婚"} <= terms
    entry.name, entry.summary = "社保缴费信息", "缴费记录"
    services.entry_save(actor=make_superuser(), entry=entry, items=[item("参保人")])
    terms = set(SearchTerm.objects.filter(entry=entry).values_list("term", flat=True))
    assert {"社保", "缴费", "参保"} <= terms
    assert not {"婚姻", "男方"} & terms


def test_a_refused_save_changes_nothing():
    entry = make_entry(name="婚姻登记信息")
    entry.name = "社保缴费信息"
    with pytest.raises(ValidationError):
        services.entry_save(actor=make_superuser(), entry=entry, items=[])
    entry.refresh_from_db()
    assert entry.name == "婚姻登记信息" and entry.version == 1
    assert SearchTerm.objects.filter(entry=entry, term="婚姻").exists()
    assert EntryVersion.objects.filter(entry=entry).count() == 1
