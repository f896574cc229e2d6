"""The catalog importer: every row validated first, errors by row and column, all or nothing,
through the entry service (versions, audit, search index, negative list, scope)."""

import csv
import io

import pytest
from django.utils import translation
from openpyxl import Workbook, load_workbook

from dgov.accounts.testing import api_client, make_user
from dgov.catalog import search
from dgov.catalog.importer import COLUMNS, format_items, import_catalog, parse_items, template_xlsx
from dgov.catalog.models import CatalogEntry, DataItem, EntryVersion, NegativeListItem
from dgov.core.errors import PermissionDenied
from dgov.core.models import AuditEntry
from dgov.core.testing import ApiContract, Case, assert_error

pytestmark = pytest.mark.django_db

HEADERS = [c.header for c in COLUMNS]
CITY_DEPTS = ["360600007", "360600010", "360600025", "360600006", "360600020", "360600028"]
LISTED_CODE = "101000000/000777"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def editor(db):
    """A catalog editor for the whole city."""
    return make_user("cat_editor", department_code="360600036", roles=[("catalog_editor", "all", None)])


@pytest.fixture
def mz_editor(db):
    """The civil affairs bureau's own editor (department scope)."""
    return make_user("mz_editor", department_code="360600007", roles=[("catalog_editor", "department", "360600007")])


def row(n: int, **values) -> dict:
    """A valid row; keyword arguments (column keys) replace cells."""
    base = {
        "code": "", "name": f"导入测试资源{n:04d}", "classification": "307",
        "department": CITY_DEPTS[n % len(CITY_DEPTS)],
        "summary": f"第{n}条测试目录：社保参保与婚姻登记相关的业务数据。", "format": ["电子表格", "database"][n % 2],
        "sharing_type": ["有条件共享", "unconditional", "不予共享"][n % 3],
        "sharing_conditions": "限政务部门依法履职使用",
        "sharing_method": ["接口", "file"][n % 2], "open_type": "不予开放", "open_conditions": "",
        "update_cycle": ["每月", "daily", "每年"][n % 3], "published_on": "2024-03-01", "data_updated_on": "2024/06/30",
        "related_codes": "", "source_system": "测试系统", "record_count": str(1000 + n),
        "items": "姓名:string:50:个人信息; 身份证号:string:18:敏感个人信息; 登记日期:date; 备注:string:200",
    }
    base.update(values)
    return base


def catalog_rows(count: int = 500) -> list[dict]:
    rows = [row(n) for n in range(count)]
    for n in range(0, count, 50):  # every 50th row brings its own code
        rows[n]["code"], rows[n]["classification"] = f"101000000/{900000 + n:06d}", "101"
    return rows


def xlsx(rows: list[dict], headers=HEADERS) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    keys = {c.header: c.key for c in COLUMNS}
    for r in rows:
        ws.append([r.get(keys.get(h, h), "") for h in headers])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def csv_bytes(rows: list[dict], *, bom: bool = True) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    for r in rows:
        writer.writerow([r[c.key] for c in COLUMNS])
    return buffer.getvalue().encode("utf-8-sig" if bom else "utf-8")


def located(result) -> list[tuple[int, str]]:
    return [(e["row"], e["column"]) for e in result["errors"]]


def test_500_rows_three_bad_refused_as_a_whole_then_all_import(editor):
    NegativeListItem.objects.create(resource_code=LISTED_CODE, item_name="身份证号",
                                    legal_basis="《中华人民共和国个人信息保护法》第二十八条")
    rows = catalog_rows()
    rows[120]["code"] = "10100000/01"                             # spreadsheet row 122: an invalid code
    rows[250]["department"] = ""                                  # row 252: no provider
    rows[377].update(code=LISTED_CODE, classification="101",      # row 379: a negative-listed item shared
                     sharing_type="无条件共享", sharing_method="接口")

    result = import_catalog(actor=editor, file=xlsx(rows), filename="目录.xlsx", dry_run=False)

    assert result["ok"] is False and result["created"] == 0
    assert located(result) == [(122, "资源代码"), (252, "提供方部门代码"), (379, "信息项")]
    assert "negative list" in result["errors"][2]["message"] and "身份证号" in result["errors"][2]["message"]
    assert CatalogEntry.objects.count() == 0 and EntryVersion.objects.count() == 0

    rows[120]["code"] = ""                                        # generated instead
    rows[250]["department"] = "360600010"
    rows[377]["items"] = "姓名:string:50:个人信息; 身份证号:string:18:敏感个人信息:不予共享; 登记日期:date"
    result = import_catalog(actor=editor, file=xlsx(rows), filename="目录.xlsx", dry_run=False)

    assert result == {"ok": True, "created": 500, "errors": []}
    assert CatalogEntry.objects.count() == 500
    assert EntryVersion.objects.filter(action="create").count() == 500
    assert AuditEntry.objects.filter(action="catalog.catalogentry.create").count() == 500
    assert AuditEntry.objects.filter(action="catalog.catalogentry.import").count() == 1
    listed = CatalogEntry.objects.get(code=LISTED_CODE)
    assert listed.sharing_type == "unconditional" and listed.status == "draft"
    assert listed.items.get(name="身份证号").sharing_type == "none"
    assert listed.items.get(name="姓名").sharing_type == ""
    assert search.filter_query(CatalogEntry.objects.all(), "婚姻").count() == 500


def test_dry_run_writes_nothing(editor):
    before = AuditEntry.objects.count()
    result = import_catalog(actor=editor, file=xlsx(catalog_rows(40)), filename="a.xlsx", dry_run=True)
    assert result == {"ok": True, "created": 40, "errors": []}
    assert CatalogEntry.objects.count() == 0 and DataItem.objects.count() == 0
    assert AuditEntry.objects.count() == before


@pytest.mark.parametrize("bom", [True, False])
def test_csv_with_and_without_bom(editor, bom):
    result = import_catalog(actor=editor, file=io.BytesIO(csv_bytes(catalog_rows(12), bom=bom)),
                            filename="catalog.CSV", dry_run=False)
    assert result == {"ok": True, "created": 12, "errors": []}
    entry = CatalogEntry.objects.get(name="导入测试资源0001")
    assert (entry.format, entry.sharing_type, entry.sharing_method, entry.update_cycle) == \
           ("database", "unconditional", "file", "daily")
    assert entry.department.code == "360600010" and entry.region == entry.department.region
    assert entry.record_count == 1001 and entry.data_updated_on.isoformat() == "2024-06-30"
    assert [(i.name, i.data_type, i.length, i.personal_data) for i in entry.items.all()][:2] == [
        ("姓名", "string", 50, "personal"), ("身份证号", "string", 18, "sensitive")]


def test_choice_columns_take_chinese_labels_and_codes(editor):
    rows = [row(1, format="自描述格式", sharing_type="conditional", sharing_method="数据库", open_type="有条件开放",
                open_conditions="实名注册后申请", update_cycle="每季度"),
            row(2, format="Spreadsheet", sharing_type="none", sharing_method="", open_type="unconditional",
                update_cycle="IRREGULAR")]
    assert import_catalog(actor=editor, file=xlsx(rows), filename="a.xlsx", dry_run=False)["ok"]
    first, second = CatalogEntry.objects.order_by("name")
    assert (first.format, first.sharing_type, first.sharing_method, first.open_type, first.update_cycle) == \
           ("self_describing", "conditional", "database", "conditional", "quarterly")
    assert (second.format, second.sharing_type, second.open_type, second.update_cycle) == \
           ("spreadsheet", "none", "unconditional", "irregular")


def test_generated_codes_follow_the_classification_and_skip_codes_the_file_gives(editor):
    rows = [row(1, classification="203"), row(2, classification="203", code="203000000/000002"),
            row(3, classification="203")]
    assert import_catalog(actor=editor, file=xlsx(rows), filename="a.xlsx", dry_run=False)["ok"]
    codes = dict(CatalogEntry.objects.values_list("name", "code"))
    assert codes == {"导入测试资源0001": "203000000/000001", "导入测试资源0002": "203000000/000002",
                     "导入测试资源0003": "203000000/000003"}
    assert import_catalog(actor=editor, file=xlsx([row(4, classification="203")]), filename="a.xlsx",
                          dry_run=False)["ok"]
    assert CatalogEntry.objects.get(name="导入测试资源0004").code == "203000000/000004"


def test_out_of_scope_department_is_a_row_error(mz_editor):
    rows = [row(1, department="360600007"), row(2, department="360600010"), row(3, department="360603909")]
    result = import_catalog(actor=mz_editor, file=xlsx(rows), filename="a.xlsx", dry_run=False)
    assert result["ok"] is False
    assert located(result) == [(3, "提供方部门代码"), (4, "提供方部门代码")]
    assert "outside your data scope" in result["errors"][0]["message"]
    assert CatalogEntry.objects.count() == 0
    result = import_catalog(actor=mz_editor, file=xlsx(rows[:1]), filename="a.xlsx", dry_run=False)
    assert result == {"ok": True, "created": 1, "errors": []}


def test_actor_without_the_permission_is_refused(world):
    with pytest.raises(PermissionDenied):
        import_catalog(actor=world.official, file=xlsx([row(1)]), filename="a.xlsx", dry_run=True)


def test_duplicate_and_existing_codes(editor):
    assert import_catalog(actor=editor, file=xlsx([row(1, code="307000000/000010")]), filename="a.xlsx",
                          dry_run=False)["ok"]
    rows = [row(2, code="307000000/000011"), row(3, code="307000000/000011"), row(4, code="307000000/000010"),
            row(5, code="101000000/000001")]  # of another classification than the row's 307
    result = import_catalog(actor=editor, file=xlsx(rows), filename="a.xlsx", dry_run=True)
    assert located(result) == [(3, "资源代码"), (4, "资源代码"), (5, "资源代码")]
    messages = [e["message"] for e in result["errors"]]
    assert "already used in row 2" in messages[0]
    assert "already exists" in messages[1]
    assert "307000000" in messages[2]


def test_bad_headers(editor):
    headers = [h for h in HEADERS if h != "摘要"] + ["资源名称", "备注栏"]
    result = import_catalog(actor=editor, file=xlsx([row(1)], headers=headers), filename="a.xlsx", dry_run=False)
    assert result["ok"] is False
    assert sorted(located(result)) == [(1, "备注栏"), (1, "摘要"), (1, "资源名称")]
    assert CatalogEntry.objects.count() == 0


def test_header_marks_and_optional_columns_may_be_left_out(editor):
    required = [c for c in COLUMNS if c.required]
    headers = [c.header + "*" for c in required] + ["共享方式", "共享条件"]
    r = row(1)
    result = import_catalog(actor=editor, file=xlsx([{**r, **{c.header + "*": r[c.key] for c in required},
                                                      "共享方式": "接口", "共享条件": "限依法履职"}],
                                                    headers=headers),
                            filename="a.xlsx", dry_run=False)
    assert result == {"ok": True, "created": 1, "errors": []}


def test_every_problem_of_every_row_is_reported(editor):
    rows = [row(1, name="", format="纸质", sharing_type="有条件共享", sharing_conditions="", sharing_method="",
                update_cycle="每十年", published_on="2024-13-45", record_count="-5", related_codes="abc; 101000000/1",
                items="姓名; 年龄:整数:abc; 照片:二进制:个人信息:个人信息"),
            row(2, classification="999", department="999999999", summary="", open_type="有条件开放",
                items="姓名:string:50; 姓名:string:20")]
    result = import_catalog(actor=editor, file=xlsx(rows), filename="a.xlsx", dry_run=True)
    assert located(result) == [
        (2, "资源名称"), (2, "资源格式"), (2, "共享条件"), (2, "共享方式"), (2, "更新周期"), (2, "发布日期"),
        (2, "关联资源代码"), (2, "记录数"), (2, "信息项"), (2, "信息项"), (2, "信息项"),
        (3, "分类代码"), (3, "提供方部门代码"), (3, "摘要"), (3, "开放条件"), (3, "信息项")]


def test_whole_resource_on_the_negative_list(editor):
    NegativeListItem.objects.create(resource_code="101000000/000001", legal_basis="《中华人民共和国民法典》")
    rows = [row(1, code="101000000/000001", classification="101", sharing_type="有条件共享", open_type="不予开放")]
    result = import_catalog(actor=editor, file=xlsx(rows), filename="a.xlsx", dry_run=True)
    assert located(result) == [(2, "共享类型")]
    rows[0].update(sharing_type="不予共享", sharing_method="")
    assert import_catalog(actor=editor, file=xlsx(rows), filename="a.xlsx", dry_run=False)["ok"]


def test_blank_rows_keep_the_spreadsheet_numbering(editor):
    wb = Workbook()
    ws = wb.active
    ws.append(HEADERS)
    ws.append([row(1)[c.key] for c in COLUMNS])
    ws.append([])
    ws.append([row(2, department="")[c.key] for c in COLUMNS])
    out = io.BytesIO()
    wb.save(out)
    result = import_catalog(actor=editor, file=out.getvalue(), filename="a.xlsx", dry_run=True)
    assert located(result) == [(4, "提供方部门代码")]


@pytest.mark.parametrize("name,data", [("a.txt", b"x"), ("a.xlsx", b"not a workbook"), ("a.csv", b"")])
def test_unreadable_files(editor, name, data):
    result = import_catalog(actor=editor, file=data, filename=name, dry_run=True)
    assert result["ok"] is False and result["created"] == 0
    assert located(result) == [(0, "")]


def test_template_has_the_headers_and_an_example_that_imports(editor):
    data = template_xlsx()
    wb = load_workbook(io.BytesIO(data))
    assert [c.value for c in wb.worksheets[0][1]] == HEADERS
    assert len(wb.worksheets) == 2
    result = import_catalog(actor=editor, file=data, filename="template.xlsx", dry_run=False)
    assert result == {"ok": True, "created": 1, "errors": []}
    entry = CatalogEntry.objects.get()
    assert entry.items.filter(sharing_type="none").count() == 2


def test_item_format():
    items, errors = parse_items("姓名:string:50:personal; 身份证号：字符串：18：敏感个人信息：不予共享：不予开放；"
                                "出生日期:date:说明=公历:数据元=DE00002\n照片:binary")
    assert errors == []
    assert items[0] == {"name": "姓名", "data_type": "string", "length": 50, "personal_data": "personal",
                        "sharing_type": "", "open_type": "", "data_element": "", "description": ""}
    assert items[1] == {"name": "身份证号", "data_type": "string", "length": 18, "personal_data": "sensitive",
                        "sharing_type": "none", "open_type": "none", "data_element": "", "description": ""}
    assert (items[2]["data_element"], items[2]["description"], items[2]["length"]) == ("DE00002", "公历", None)
    assert [i["name"] for i in items] == ["姓名", "身份证号", "出生日期", "照片"]
    assert parse_items(format_items(items)) == (items, [])
    _items, errors = parse_items("姓名; 年龄:整数:abc; 照片:二进制:0:18")
    assert len(errors) == 4  # no type; unknown part; length 0; a second length


# --- the pre-filled template and the upsert mode (used by the yearly census) ----------------------
def _sheet_rows(data: bytes) -> list[list]:
    return [list(r) for r in load_workbook(io.BytesIO(data)).worksheets[0].iter_rows(values_only=True)]


def _save_sheet(rows: list[list]) -> bytes:
    wb = Workbook()
    for r in rows:
        wb.active.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.fixture
def yujiang():
    """余江区民政局's editor and entries in several states, with every column filled somewhere."""
    from dgov.catalog.testing import YUJIANG_CIVIL_AFFAIRS, item, make_editor, make_entry

    editor = make_editor(YUJIANG_CIVIL_AFFAIRS)
    draft = make_entry(name="低保救助对象信息", summary="余江区最低生活保障对象的救助信息。\n按月更新。",
                       sharing_type="conditional", sharing_conditions="限民政、人社部门使用", sharing_method="file",
                       open_type="conditional", open_conditions="脱敏后申请", update_cycle="quarterly",
                       data_updated_on="2025-12-31", record_count=3120, source_system="=低保系统",
                       related_codes=["101000000/000001", "101000000/000002"],
                       items=[item("姓名", personal_data="personal"),
                              item("身份证号", length=18, personal_data="sensitive", sharing_type="none",
                                   open_type="none", data_element="DE0001", description="公民身份号码"),
                              {"name": "救助金额", "data_type": "decimal"}])
    published = make_entry(name="婚姻登记信息", status="published", items=[item("登记日期", data_type="date",
                                                                               length=None)])
    other = make_entry(name="贵溪市养老机构信息", department_code="360681909")
    return {"editor": editor, "draft": draft, "published": published, "other": other,
            "department": draft.department}


def _upsert(actor, data, department, *, dry_run=False):
    return import_catalog(actor=actor, file=data, filename="普查.xlsx", dry_run=dry_run, mode="upsert",
                          department=department, reason="2026年数据资源普查")


def test_prefilled_template_round_trips_unchanged(yujiang):
    entries = CatalogEntry.objects.filter(department=yujiang["department"]).prefetch_related("items")
    data = template_xlsx(entries)
    rows = _sheet_rows(data)
    assert rows[0] == HEADERS and len(rows) == 3
    draft_row = next(r for r in rows if r[0] == yujiang["draft"].code)
    assert draft_row[HEADERS.index("共享类型")] == "有条件共享" and draft_row[HEADERS.index("更新周期")] == "每季度"
    assert draft_row[HEADERS.index("信息项")].startswith(
        "姓名:string:50:个人信息; 身份证号:string:18:敏感个人信息:不予共享")
    versions = EntryVersion.objects.count()

    result = _upsert(yujiang["editor"], data, yujiang["department"])

    assert result == {"ok": True, "created": 0, "updated": 0, "unchanged": 2, "not_in_file": [], "errors": []}
    assert EntryVersion.objects.count() == versions
    assert AuditEntry.objects.filter(action="catalog.catalogentry.import").get().changes == {
        "created": 0, "updated": 0, "unchanged": 2, "not_in_file": 0}


def test_one_edited_row_is_one_update_with_a_version_and_a_new_row_is_created(yujiang):
    draft = yujiang["draft"]
    rows = _sheet_rows(template_xlsx(CatalogEntry.objects.filter(department=yujiang["department"])))
    edited = next(r for r in rows if r[0] == draft.code)
    edited[HEADERS.index("记录数")] = 3500
    new = [row(1, department="360603909")[c.key] for c in COLUMNS]
    data = _save_sheet([*rows, new])

    assert _upsert(yujiang["editor"], data, yujiang["department"], dry_run=True) == {
        "ok": True, "created": 1, "updated": 1, "unchanged": 1, "not_in_file": [], "errors": []}
    assert CatalogEntry.objects.count() == 3
    result = _upsert(yujiang["editor"], data, yujiang["department"])

    assert result == {"ok": True, "created": 1, "updated": 1, "unchanged": 1, "not_in_file": [], "errors": []}
    draft.refresh_from_db()
    assert draft.record_count == 3500 and draft.version == 2
    assert draft.versions.first().reason == "2026年数据资源普查"
    assert [i["name"] for i in draft.versions.first().snapshot["items"]] == ["姓名", "身份证号", "救助金额"]
    assert CatalogEntry.objects.get(name="导入测试资源0001").department == yujiang["department"]
    assert yujiang["published"].versions.count() == 4  # create, submit, approve, publish: not touched


def test_upsert_bad_rows_write_nothing_and_name_row_and_column(yujiang):
    rows = _sheet_rows(template_xlsx(CatalogEntry.objects.filter(department=yujiang["department"])))
    published = next(r for r in rows if r[0] == yujiang["published"].code)
    published[HEADERS.index("摘要")] = "改过的摘要"                     # a published entry changed
    draft = next(r for r in rows if r[0] == yujiang["draft"].code)
    draft[HEADERS.index("记录数")] = 1
    rows += [[yujiang["other"].code] + published[1:],                  # another department's entry
             ["307000000/999999"] + published[1:],                     # no such entry
             [row(2, department="360600007")[c.key] for c in COLUMNS]]  # a row of another department
    result = _upsert(yujiang["editor"], _save_sheet(rows), yujiang["department"])

    assert result["ok"] is False and (result["created"], result["updated"], result["unchanged"]) == (0, 0, 0)
    by_row = {(e["row"], e["column"]) for e in result["errors"]}
    published_row = rows.index(published) + 1
    assert by_row == {(published_row, "资源代码"), (4, "资源代码"), (5, "资源代码"), (6, "提供方部门代码")}
    messages = " ".join(e["message"] for e in result["errors"])
    assert "only a draft can be changed" in messages and "belongs to" in messages
    assert "No entry has the code" in messages
    assert CatalogEntry.objects.get(pk=yujiang["draft"].pk).record_count == 3120
    assert CatalogEntry.objects.count() == 3


def test_create_mode_keeps_refusing_existing_codes_and_its_answer(yujiang):
    data = template_xlsx(CatalogEntry.objects.filter(department=yujiang["department"]))
    result = import_catalog(actor=yujiang["editor"], file=data, filename="a.xlsx", dry_run=True)
    assert set(result) == {"ok", "created", "errors"}
    assert [e["column"] for e in result["errors"]] == ["资源代码", "资源代码"]
    assert "already exists" in result["errors"][0]["message"]


# --- POST /api/v1/catalog/import ------------------------------------------------------------------
IMPORT_URL = "/api/v1/catalog/import"


def _upload(user, name: str, data: bytes, query: str = ""):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return api_client(user).post(IMPORT_URL + query, {"file": SimpleUploadedFile(name, data)})


class TestImportApi(ApiContract):
    @pytest.fixture
    def case(self, mz_editor):
        return Case(method="post", url=IMPORT_URL, authorised=mz_editor,
                    unauthorised=make_user("imp_staff", department_code="360600007", roles=[("staff", "all", None)]),
                    bad_url=IMPORT_URL + "?dry_run=perhaps")

    def test_unauthorised(self, case):
        assert_error(_upload(case.unauthorised, "目录.xlsx", xlsx([row(1)])), 403)
        assert not CatalogEntry.objects.exists()

    def test_out_of_scope(self, case):
        """Rows for a department outside the caller's scope are row errors, and nothing is written."""
        rows = [row(0, department="360600007"), row(1, department="360600010")]
        body = _upload(case.authorised, "目录.xlsx", xlsx(rows)).json()
        assert body["ok"] is False and body["created"] == 0
        assert located(body) == [(3, "提供方部门代码")]
        assert not CatalogEntry.objects.exists()

    def test_in_scope(self, case):
        rows = [row(n, department="360600007") for n in range(3)]
        dry = _upload(case.authorised, "目录.xlsx", xlsx(rows), "?dry_run=true")
        assert dry.status_code == 200 and dry.json() == {"ok": True, "created": 3, "errors": []}
        assert not CatalogEntry.objects.exists()
        done = _upload(case.authorised, "目录.csv", csv_bytes(rows))
        assert done.status_code == 200 and done.json() == {"ok": True, "created": 3, "errors": []}
        assert CatalogEntry.objects.filter(department__code="360600007", status="draft").count() == 3

    def test_bad_input(self, case):
        assert_error(_upload(case.authorised, "目录.xlsx", xlsx([row(1)]), "?dry_run=perhaps"), (400, 422))
        no_file = api_client(case.authorised).post(IMPORT_URL, {})
        assert_error(no_file, (400, 422))
        not_a_sheet = _upload(case.authorised, "目录.xlsx", b"not a workbook").json()
        assert not_a_sheet["ok"] is False and not_a_sheet["errors"][0]["row"] == 0


def test_the_acceptance_spreadsheet_through_the_api(editor):
    """Issue 4: 500 rows with three bad ones refused as a whole, named by row and column; after
    fixing, all 500 import — through POST /api/v1/catalog/import."""
    NegativeListItem.objects.create(resource_code=LISTED_CODE, item_name="身份证号",
                                    legal_basis="《中华人民共和国个人信息保护法》第二十八条")
    rows = catalog_rows()
    rows[120]["code"] = "10100000/01"
    rows[250]["department"] = ""
    rows[377].update(code=LISTED_CODE, classification="101", sharing_type="无条件共享", sharing_method="接口")
    refused = _upload(editor, "目录.xlsx", xlsx(rows)).json()
    assert refused["ok"] is False and refused["created"] == 0
    assert located(refused) == [(122, "资源代码"), (252, "提供方部门代码"), (379, "信息项")]
    assert not CatalogEntry.objects.exists()
    rows[120]["code"], rows[250]["department"] = "", "360600010"
    rows[377]["items"] = "姓名:string:50:个人信息; 身份证号:string:18:敏感个人信息:不予共享; 登记日期:date"
    assert _upload(editor, "目录.xlsx", xlsx(rows)).json() == {"ok": True, "created": 500, "errors": []}
    assert CatalogEntry.objects.count() == 500


# --- review findings: left-out columns, writes racing the validation --------------------------------
def test_upsert_columns_left_out_of_the_file_keep_the_stored_values(yujiang):
    rows = _sheet_rows(template_xlsx(CatalogEntry.objects.filter(department=yujiang["department"])))
    dropped = [HEADERS.index("数据更新日期"), HEADERS.index("来源系统"), HEADERS.index("关联资源代码")]
    rows = [[cell for n, cell in enumerate(r) if n not in dropped] for r in rows]

    result = _upsert(yujiang["editor"], _save_sheet(rows), yujiang["department"])

    assert result == {"ok": True, "created": 0, "updated": 0, "unchanged": 2, "not_in_file": [], "errors": []}
    draft = CatalogEntry.objects.get(pk=yujiang["draft"].pk)
    assert draft.source_system == "=低保系统" and str(draft.data_updated_on) == "2025-12-31"
    assert draft.related_codes == ["101000000/000001", "101000000/000002"] and draft.version == 1


def test_a_code_generated_in_validation_but_taken_before_the_write_is_not_a_crash(editor, monkeypatch):
    """Another import (another department's census upload) may take the next code of a
    classification between this file's validation and its write: codes are drawn at the write."""
    from dgov.catalog import importer
    from dgov.catalog.testing import make_entry

    generate = importer._Context.generate_code

    def taken_meanwhile(self, classification):
        code = generate(self, classification)
        make_entry(code=code, department_code="360600007")
        return code

    monkeypatch.setattr(importer._Context, "generate_code", taken_meanwhile)
    result = import_catalog(actor=editor, file=xlsx([row(1), row(2)]), filename="a.xlsx", dry_run=False)

    assert result["ok"] is True and result["created"] == 2
    codes = list(CatalogEntry.objects.filter(name__startswith="导入测试资源").values_list("code", flat=True))
    assert len(codes) == 2 and all(c.startswith("307000000/") for c in codes)
    assert CatalogEntry.objects.count() == 4


def test_a_given_code_taken_before_the_write_is_a_row_error(editor, monkeypatch):
    from dgov.catalog import importer
    from dgov.catalog.testing import make_entry

    given = "101000000/000555"
    validate = importer._validate

    def taken_meanwhile(row, ctx, seen_codes):
        validate(row, ctx, seen_codes)
        if row.values.get("code") == given:
            make_entry(code=given, classification_code="101", department_code="360600007")

    monkeypatch.setattr(importer, "_validate", taken_meanwhile)
    result = import_catalog(actor=editor, file=xlsx([row(1), row(2, code=given, classification="101")]),
                            filename="a.xlsx", dry_run=False)

    assert result["ok"] is False and result["created"] == 0
    assert [(e["row"], e["column"]) for e in result["errors"]] == [(3, "资源代码")]
    assert "already exists" in result["errors"][0]["message"]
    assert not CatalogEntry.objects.filter(name__startswith="导入测试资源").exists()


def test_an_upsert_row_whose_entry_changed_since_the_validation_is_refused(yujiang, monkeypatch):
    from django.db.models import F

    from dgov.catalog import importer

    rows = _sheet_rows(template_xlsx(CatalogEntry.objects.filter(department=yujiang["department"])))
    edited = next(r for r in rows if r[0] == yujiang["draft"].code)
    edited[HEADERS.index("记录数")] = 3500
    compare = importer._compare

    def edited_meanwhile(row):
        compare(row)
        CatalogEntry.objects.filter(pk=row.target.pk).update(version=F("version") + 1, record_count=4000)

    monkeypatch.setattr(importer, "_compare", edited_meanwhile)
    result = _upsert(yujiang["editor"], _save_sheet(rows), yujiang["department"])

    assert result["ok"] is False
    assert [(e["row"], e["column"]) for e in result["errors"]] == [(rows.index(edited) + 1, "资源代码")]
    assert "changed" in result["errors"][0]["message"]
    assert CatalogEntry.objects.get(pk=yujiang["draft"].pk).record_count == 4000


def _zip_bomb() -> bytes:
    """A small .xlsx-looking file whose sheet unpacks to 61 MB of empty rows."""
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<row/>" * (61 * 1024 * 1024 // 6 + 1))
    return out.getvalue()


def test_a_workbook_unpacking_to_too_much_is_refused_before_it_is_read(editor, monkeypatch):
    from dgov.core import importexport

    def never(*args, **kwargs):
        raise AssertionError("the workbook must not be opened")

    monkeypatch.setattr(importexport, "load_workbook", never)
    data = _zip_bomb()
    assert len(data) < 1024 * 1024
    result = import_catalog(actor=editor, file=data, filename="bomb.xlsx", dry_run=True)
    assert result["ok"] is False and [(e["row"], e["column"]) for e in result["errors"]] == [(0, "")]
    assert "unpacks to more than 60 MB" in result["errors"][0]["message"]
