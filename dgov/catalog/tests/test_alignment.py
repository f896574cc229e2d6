"""Alignment with the provincial catalog: the import (xlsx and JSON, every row validated first,
errors by row and column, dry run, upsert by code, entries missing from a newer file withdrawn),
mapping (who may map what, versions and audit), suggestions by name similarity, the unmapped
report, and the API contract of every endpoint."""

import io
import json

import pytest
from django.utils import translation
from openpyxl import Workbook

from dgov.accounts.testing import api_client, make_user
from dgov.catalog import alignment, provincial, services
from dgov.catalog.models import (
    EntryVersion,
    MappingMethod,
    ProvincialEntry,
    ProvincialImport,
    ProvincialMapping,
    Status,
)
from dgov.catalog.testing import (
    GUIXI_CIVIL_AFFAIRS,
    YUJIANG_CIVIL_AFFAIRS,
    make_entry,
    make_provincial,
)
from dgov.core.errors import NotFound, PermissionDenied, ValidationError
from dgov.core.testing import ApiContract, Case, assert_error, audited, zh

pytestmark = pytest.mark.django_db
BASE = "/api/v1/catalog"
HEADER = ["资源代码", "资源名称", "提供方", "分类代码", "摘要", "共享类型", "更新周期"]


def xlsx(rows: list[list], header: list[str] = HEADER) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def row(code: str, name: str, **changes) -> list:
    values = {"code": code, "name": name, "provider": "江西省民政厅", "classification_code": "307",
              "summary": "全省的登记信息。", "sharing_type": "有条件共享", "update_cycle": "每日", **changes}
    return [values[k] for k in ("code", "name", "provider", "classification_code", "summary", "sharing_type",
                                "update_cycle")]


# --- the import -------------------------------------------------------------------------------
def test_an_xlsx_with_a_bad_row_is_refused_whole_with_errors_by_row_and_column(reviewer):
    data = xlsx([row("JX-307-001", "婚姻登记信息"), row("JX-307-002", "", update_cycle="每小时"),
                 row("JX 307", "收养登记信息"), row("JX-307-001", "重复的代码")])
    result = provincial.import_provincial(actor=reviewer, file=data, filename="province.xlsx", dry_run=False)
    assert not result["ok"] and result["created"] == 0
    assert {(e["row"], e["column"]) for e in result["errors"]} == {
        (3, "资源名称"), (3, "更新周期"), (4, "资源代码"), (5, "资源代码")}
    assert zh("Duplicate of row %(row)d.") % {"row": 2} in next(e["message"] for e in result["errors"] if e["row"] == 5)
    assert not ProvincialEntry.objects.exists()


def test_a_dry_run_writes_nothing_and_an_import_writes_every_row(reviewer):
    data = xlsx([row("JX-307-001", "婚姻登记信息"), row("JX-307-002", "收养登记信息", sharing_type="unconditional")])
    dry = provincial.import_provincial(actor=reviewer, file=data, filename="province.xlsx", dry_run=True)
    assert dry == {"ok": True, "created": 2, "updated": 0, "withdrawn": 0, "errors": []}
    assert not ProvincialEntry.objects.exists()
    done = provincial.import_provincial(actor=reviewer, file=data, filename="province.xlsx", dry_run=False)
    assert done["ok"] and done["created"] == 2
    entry = ProvincialEntry.objects.get(code="JX-307-002")
    assert (entry.name, entry.sharing_type, entry.update_cycle) == ("收养登记信息", "unconditional", "daily")
    batch = ProvincialImport.objects.get()
    assert entry.last_import == batch and batch.imported_by == reviewer and batch.created == 2
    assert audited("catalog.provincialentry.import", actor_username=reviewer.username).changes["created"] == 2


def test_reimporting_updates_by_code_and_withdraws_what_is_missing(reviewer):
    provincial.import_provincial(actor=reviewer, filename="a.xlsx", dry_run=False, file=xlsx(
        [row("JX-1", "婚姻登记信息"), row("JX-2", "收养登记信息"), row("JX-3", "殡葬服务信息")]))
    mapped_to = make_entry(status=Status.PUBLISHED)
    services.map_to_provincial(actor=reviewer, entry=mapped_to, provincial_code="JX-3")
    result = provincial.import_provincial(actor=reviewer, filename="b.xlsx", dry_run=False, file=xlsx(
        [row("JX-1", "婚姻登记信息"), row("JX-2", "收养登记信息（新）"), row("JX-4", "低保信息")]))
    assert (result["created"], result["updated"], result["withdrawn"]) == (1, 1, 1)
    assert ProvincialEntry.objects.get(code="JX-2").name == "收养登记信息（新）"
    withdrawn = ProvincialEntry.objects.get(code="JX-3")
    assert withdrawn.withdrawn and ProvincialMapping.objects.get(entry=mapped_to).provincial == withdrawn
    # back in a later file: current again
    again = provincial.import_provincial(actor=reviewer, filename="c.json", dry_run=False, file=json.dumps(
        [{"code": "JX-1", "name": "婚姻登记信息", "provider": "江西省民政厅", "classification_code": "307",
          "summary": "全省的登记信息。", "sharing_type": "conditional", "update_cycle": "daily"},
         {"code": "JX-3", "name": "殡葬服务信息"}]).encode())
    assert (again["created"], again["updated"], again["withdrawn"]) == (0, 1, 2)
    assert not ProvincialEntry.objects.get(code="JX-3").withdrawn


def test_json_files_are_a_list_or_an_object_with_entries_and_errors_name_the_key(reviewer):
    ok = provincial.import_provincial(actor=reviewer, filename="p.json", dry_run=True, file=json.dumps(
        {"note": "演示", "entries": [{"code": "JX-1", "资源名称": "婚姻登记信息", "update_cycle": "每月"}]}).encode())
    assert ok["ok"] and ok["created"] == 1
    bad = provincial.import_provincial(actor=reviewer, filename="p.json", dry_run=False, file=json.dumps(
        [{"code": "JX-1", "name": "婚姻登记信息"}, {"code": "JX-2", "name": "x", "colour": "red"},
         {"code": "JX-3", "name": ["a"]}, "JX-4"]).encode())
    assert {(e["row"], e["column"]) for e in bad["errors"]} == {(2, "colour"), (3, "name"), (4, "")}
    not_json = provincial.import_provincial(actor=reviewer, filename="p.json", dry_run=False, file=b"{oops")
    assert not_json["errors"][0]["row"] == 0 and not not_json["ok"]
    wrong = provincial.import_provincial(actor=reviewer, filename="p.csv", dry_run=False, file=b"a,b")
    assert wrong["errors"][0]["row"] == 0
    assert not ProvincialEntry.objects.exists()


def test_a_missing_required_column_and_an_empty_sheet_are_errors(reviewer):
    result = provincial.import_provincial(actor=reviewer, filename="p.xlsx", dry_run=False,
                                          file=xlsx([["JX-1"]], header=["资源代码", "颜色"]))
    assert {(e["row"], e["column"]) for e in result["errors"]} == {(1, "颜色"), (1, "资源名称")}
    empty = provincial.import_provincial(actor=reviewer, filename="p.xlsx", dry_run=False, file=xlsx([]))
    assert not empty["ok"] and empty["errors"][0]["row"] == 1


def test_only_holders_of_the_permission_import(editor):
    with pytest.raises(PermissionDenied):
        provincial.import_provincial(actor=editor, filename="p.json", dry_run=True, file=b"[]")


# --- mapping ----------------------------------------------------------------------------------
def test_an_editor_maps_own_entries_and_each_change_is_a_version_and_audited(editor):
    make_provincial("JX-1", "婚姻登记信息")
    entry = make_entry(actor=editor, status=Status.PUBLISHED)
    version = entry.version
    mapping = services.map_to_provincial(actor=editor, entry=entry, provincial_code="JX-1",
                                         method=MappingMethod.SUGGESTION)
    assert (mapping.provincial.code, mapping.method, mapping.mapped_by) == ("JX-1", "suggestion", editor)
    entry.refresh_from_db()
    assert entry.version == version + 1
    newest = EntryVersion.objects.filter(entry=entry).order_by("-version").first()
    assert (newest.action, newest.snapshot["provincial_code"], newest.actor) == ("map", "JX-1", editor)
    assert audited("catalog.catalogentry.map_provincial").changes["provincial_code"] == ["", "JX-1"]
    # the same again changes nothing
    services.map_to_provincial(actor=editor, entry=entry, provincial_code="JX-1")
    entry.refresh_from_db()
    assert entry.version == version + 1
    assert services.map_to_provincial(actor=editor, entry=entry, provincial_code=None) is None
    assert not ProvincialMapping.objects.exists()
    assert EntryVersion.objects.filter(entry=entry).order_by("-version").first().action == "unmap"


def test_an_editor_cannot_map_another_departments_entry_but_the_centre_can(editor, reviewer, world):
    make_provincial("JX-1", "婚姻登记信息")
    other = make_entry(department_code=GUIXI_CIVIL_AFFAIRS, status=Status.PUBLISHED)
    with pytest.raises(PermissionDenied) as refused:
        services.map_to_provincial(actor=editor, entry=other, provincial_code="JX-1")
    assert refused.value.code == "out_of_scope"
    with pytest.raises(NotFound):
        alignment.entry_for_mapping(editor, other.code)
    with pytest.raises(PermissionDenied):
        alignment.entry_for_mapping(world.official, other.code)
    services.map_to_provincial(actor=reviewer, entry=other, provincial_code="JX-1")
    assert ProvincialMapping.objects.get(entry=other).mapped_by == reviewer


def test_unknown_and_withdrawn_provincial_codes_are_refused(reviewer):
    make_provincial("JX-OLD", "婚姻登记信息", withdrawn=True)
    entry = make_entry()
    for code in ("JX-NONE", "JX-OLD"):
        with pytest.raises(ValidationError) as refused:
            services.map_to_provincial(actor=reviewer, entry=entry, provincial_code=code)
        assert "provincial_code" in refused.value.details


# --- suggestions and the report -----------------------------------------------------------------
def test_suggestions_rank_by_name_similarity_and_classification():
    make_provincial("JX-1", "全省婚姻登记信息")
    make_provincial("JX-2", "婚姻登记数据", classification_code="101")
    make_provincial("JX-3", "收养登记信息")
    make_provincial("JX-4", "婚姻登记信息（已撤回）", withdrawn=True)
    make_provincial("JX-5", "道路运输许可信息")
    entry = make_entry(name="余江区婚姻登记信息")
    found = alignment.suggestions([entry])[entry.pk]
    assert [s.provincial.code for s in found][:2] == ["JX-1", "JX-2"]
    assert found[0].score == 1.0 and found[0].score > found[1].score
    assert "JX-4" not in {s.provincial.code for s in found} and "JX-5" not in {s.provincial.code for s in found}
    assert alignment.name_bigrams("余江区婚姻登记信息") == alignment.name_bigrams("婚姻登记信息")


def test_the_unmapped_report_lists_published_entries_first_within_the_scope(editor, reviewer):
    make_provincial("JX-1", "婚姻登记信息")
    make_provincial("JX-9", "省里独有的资源")
    draft = make_entry(name="低保对象信息")
    published = make_entry(name="婚姻登记信息", status=Status.PUBLISHED)
    mapped = make_entry(name="收养登记信息", status=Status.PUBLISHED)
    make_entry(name="撤回的资源", status=Status.WITHDRAWN)
    other = make_entry(department_code=GUIXI_CIVIL_AFFAIRS, status=Status.PUBLISHED)
    services.map_to_provincial(actor=reviewer, entry=mapped, provincial_code="JX-1")
    assert list(alignment.unmapped_entries(editor)) == [published, draft]
    assert set(alignment.unmapped_entries(reviewer)) == {published, draft, other}
    assert list(alignment.unmapped_entries(reviewer, department=GUIXI_CIVIL_AFFAIRS)) == [other]
    with pytest.raises(NotFound):
        alignment.unmapped_entries(editor, department=GUIXI_CIVIL_AFFAIRS)
    summary = {d["code"]: d for d in alignment.alignment_summary(reviewer)}
    assert (summary[YUJIANG_CIVIL_AFFAIRS]["total"], summary[YUJIANG_CIVIL_AFFAIRS]["mapped"],
            summary[YUJIANG_CIVIL_AFFAIRS]["unmapped"]) == (3, 1, 2)
    assert list(alignment.unreferenced_provincial(reviewer).values_list("code", flat=True)) == ["JX-9"]


# --- the API contract ------------------------------------------------------------------------------
def _multipart(client, url: str, name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(url, {"file": SimpleUploadedFile(name, data)})


class TestImportProvincial(ApiContract):
    @pytest.fixture
    def case(self, editor, reviewer):
        return Case(method="post", url=f"{BASE}/provincial/import", authorised=reviewer, unauthorised=editor,
                    bad_url=f"{BASE}/provincial/import?dry_run=perhaps")

    test_out_of_scope = None  # the provincial catalog is reference data without scope

    def test_unauthorised(self, case):
        response = _multipart(api_client(case.unauthorised), case.url, "p.json", b"[]")
        assert_error(response, 403)

    def test_in_scope(self, case):
        data = xlsx([row("JX-1", "婚姻登记信息"), row("JX-2", "", sharing_type="有时共享")])
        refused = _multipart(api_client(case.authorised), case.url + "?dry_run=false", "p.xlsx", data).json()
        assert not refused["ok"] and {(e["row"], e["column"]) for e in refused["errors"]} == {
            (3, "资源名称"), (3, "共享类型")}
        data = xlsx([row("JX-1", "婚姻登记信息"), row("JX-2", "收养登记信息")])
        dry = _multipart(api_client(case.authorised), case.url + "?dry_run=true", "p.xlsx", data)
        assert dry.status_code == 200 and dry.json()["created"] == 2 and not ProvincialEntry.objects.exists()
        done = _multipart(api_client(case.authorised), case.url, "p.xlsx", data).json()
        assert done == {"ok": True, "created": 2, "updated": 0, "withdrawn": 0, "errors": []}


class TestListProvincial(ApiContract):
    @pytest.fixture
    def case(self, editor, world):
        make_provincial("JX-1", "婚姻登记信息")
        make_provincial("JX-2", "收养登记信息")
        return Case(method="get", url=f"{BASE}/provincial?q=婚姻", authorised=editor, unauthorised=world.official,
                    bad_url=f"{BASE}/provincial?withdrawn=perhaps")

    test_out_of_scope = None  # reference data: every reader sees all of it

    def test_in_scope(self, case):
        body = api_client(case.authorised).get(case.url).json()
        assert body["count"] == 1 and body["items"][0]["code"] == "JX-1" and body["items"][0]["mapped_entries"] == 0


class TestGetMapping(ApiContract):
    @pytest.fixture
    def case(self, editor, world):
        make_provincial("JX-1", "婚姻登记信息")
        own = make_entry(name="余江区婚姻登记信息", status=Status.PUBLISHED)
        other = make_entry(department_code=GUIXI_CIVIL_AFFAIRS, status=Status.PUBLISHED)
        return Case(method="get", url=f"{BASE}/resources/{own.code}/provincial", authorised=editor,
                    unauthorised=world.official, out_of_scope_url=f"{BASE}/resources/{other.code}/provincial",
                    bad_url=f"{BASE}/resources/307-1/provincial")

    def test_in_scope(self, case):
        body = api_client(case.authorised).get(case.url).json()
        assert body["provincial_code"] is None and body["suggestions"][0]["code"] == "JX-1"


class TestPutMapping(ApiContract):
    @pytest.fixture
    def case(self, editor, world):
        make_provincial("JX-1", "婚姻登记信息")
        own = make_entry(status=Status.PUBLISHED)
        other = make_entry(department_code=GUIXI_CIVIL_AFFAIRS, status=Status.PUBLISHED)
        return Case(method="put", url=f"{BASE}/resources/{own.code}/provincial", authorised=editor,
                    unauthorised=world.official, out_of_scope_url=f"{BASE}/resources/{other.code}/provincial",
                    payload={"provincial_code": "JX-1", "method": "suggestion"},
                    bad_payload={"provincial_code": "JX-NONE"}, extra={"entry": own})

    def test_in_scope(self, case):
        body = api_client(case.authorised).put(case.url, data=json.dumps(case.payload),
                                               content_type="application/json").json()
        assert body["provincial_code"] == "JX-1" and body["method"] == "suggestion"
        assert ProvincialMapping.objects.get(entry=case.extra["entry"]).mapped_by == case.authorised
        cleared = api_client(case.authorised).put(case.url, data=json.dumps({"provincial_code": None}),
                                                  content_type="application/json").json()
        assert cleared["provincial_code"] is None and not ProvincialMapping.objects.exists()


class TestUnmapped(ApiContract):
    @pytest.fixture
    def case(self, editor, world):
        make_provincial("JX-1", "婚姻登记信息")
        make_entry(name="余江区婚姻登记信息", status=Status.PUBLISHED)
        make_entry(department_code=GUIXI_CIVIL_AFFAIRS, status=Status.PUBLISHED)
        return Case(method="get", url=f"{BASE}/alignment/unmapped", authorised=editor, unauthorised=world.official,
                    out_of_scope_url=f"{BASE}/alignment/unmapped?department={GUIXI_CIVIL_AFFAIRS}",
                    bad_url=f"{BASE}/alignment/unmapped?limit=0")

    def test_in_scope(self, case):
        body = api_client(case.authorised).get(case.url).json()
        assert body["count"] == 1 and body["items"][0]["suggestions"][0]["code"] == "JX-1"
        assert [d["code"] for d in body["departments"]] == [YUJIANG_CIVIL_AFFAIRS]
        assert body["departments"][0]["unmapped"] == 1 and body["unreferenced_provincial"] == 1


def test_a_reviewer_scoped_to_a_county_maps_only_there():
    county = make_user("gx_reviewer", department_code="360681000", roles=[("catalog_reviewer", "region", "360681")])
    make_provincial("JX-1", "婚姻登记信息")
    inside = make_entry(department_code=GUIXI_CIVIL_AFFAIRS)
    outside = make_entry()
    client = api_client(county)
    assert client.put(f"{BASE}/resources/{inside.code}/provincial", data=json.dumps({"provincial_code": "JX-1"}),
                      content_type="application/json").status_code == 200
    assert_error(client.put(f"{BASE}/resources/{outside.code}/provincial",
                            data=json.dumps({"provincial_code": "JX-1"}), content_type="application/json"), 404)


def test_entries_mapped_to_a_provincial_entry_withdrawn_since_are_unmapped_again(reviewer):
    provincial.import_provincial(actor=reviewer, filename="a.xlsx", dry_run=False, file=xlsx(
        [row("JX-1", "婚姻登记信息"), row("JX-3", "殡葬服务信息")]))
    kept, orphaned = make_entry(name="婚姻登记信息"), make_entry(name="殡葬服务信息")
    services.map_to_provincial(actor=reviewer, entry=kept, provincial_code="JX-1")
    services.map_to_provincial(actor=reviewer, entry=orphaned, provincial_code="JX-3")
    assert not alignment.unmapped_entries(reviewer).exists()
    provincial.import_provincial(actor=reviewer, filename="b.xlsx", dry_run=False, file=xlsx(
        [row("JX-1", "婚姻登记信息")]))

    assert list(alignment.unmapped_entries(reviewer)) == [orphaned]
    summary = {d["code"]: d for d in alignment.alignment_summary(reviewer)}[YUJIANG_CIVIL_AFFAIRS]
    assert (summary["total"], summary["mapped"], summary["unmapped"]) == (2, 1, 1)


def test_the_worklist_says_which_withdrawn_provincial_entry_an_entry_was_mapped_to(reviewer):
    from dgov.core.testing import signed_in

    provincial.import_provincial(actor=reviewer, filename="a.xlsx", dry_run=False,
                                 file=xlsx([row("JX-1", "婚姻登记信息"), row("JX-3", "殡葬服务信息")]))
    services.map_to_provincial(actor=reviewer, entry=make_entry(name="殡葬服务信息"), provincial_code="JX-3")
    provincial.import_provincial(actor=reviewer, filename="b.xlsx", dry_run=False,
                                 file=xlsx([row("JX-1", "婚姻登记信息")]))
    html = signed_in(reviewer).get("/data/catalog/alignment/").content.decode()
    assert zh("Mapped to %(code)s, withdrawn by the province") % {"code": "JX-3"} in html


def test_two_imports_at_once_are_a_clear_error_not_a_crash(reviewer, monkeypatch):
    """Another import creating the same new code between this one's read and its write."""
    from dgov.catalog.models import ProvincialImport
    from dgov.catalog.testing import make_provincial

    create = ProvincialImport.objects.create

    def concurrent(**fields):
        make_provincial("JX-1", "婚姻登记信息")
        return create(**fields)

    monkeypatch.setattr(ProvincialImport.objects, "create", concurrent)
    with translation.override("en"):
        result = provincial.import_provincial(actor=reviewer, filename="a.xlsx", dry_run=False,
                                              file=xlsx([row("JX-1", "婚姻登记信息"), row("JX-2", "收养登记信息")]))
    assert result["ok"] is False and (result["created"], result["updated"]) == (0, 0)
    assert [(e["row"], e["column"]) for e in result["errors"]] == [(0, "")]
    assert "at the same time" in result["errors"][0]["message"]
    assert not ProvincialEntry.objects.exists()  # (the other import's entry went with the rolled-back test write)


def test_json_values_must_be_text_or_numbers(reviewer):
    data = json.dumps([{"code": "JX-1", "name": "婚姻登记信息", "summary": True}]).encode()
    result = provincial.import_provincial(actor=reviewer, file=data, filename="p.json", dry_run=True)
    assert [(e["row"], e["column"]) for e in result["errors"]] == [(1, "summary")]


def test_a_provincial_workbook_unpacking_to_too_much_is_refused(reviewer):
    from dgov.catalog.tests.test_importer import _zip_bomb

    with translation.override("en"):
        result = provincial.import_provincial(actor=reviewer, file=_zip_bomb(), filename="p.xlsx", dry_run=True)
    assert result["ok"] is False and "unpacks to more than" in result["errors"][0]["message"]
