"""The spreadsheet importer and exporter, through the department and calendar importers, the
generic import view and the list export."""

import csv
import datetime as dt
import io
import re

import pytest
from django.test import Client
from django.utils import translation
from openpyxl import Workbook, load_workbook

from dgov.calendars.forms import CalendarDayImporter
from dgov.calendars.models import CalendarDay
from dgov.core import importexport
from dgov.core.importexport import ImportFileError, RowError, read_table
from dgov.core.models import AuditEntry
from dgov.orgs.forms import DepartmentImporter
from dgov.orgs.models import Department
from dgov.orgs.tables import DepartmentTable

pytestmark = pytest.mark.django_db

YUJIANG_GOV, GUIXI_GOV = "360603000", "360681000"
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


def xlsx(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def csv_bytes(rows, encoding="utf-8-sig") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode(encoding)


def headers():
    """The department importer's column headers, as the template lists them (in Chinese)."""
    return DepartmentImporter(None).template_headers()


def dept_row(code, name=None, kind="department", region="", parent=YUJIANG_GOV, short_name="", note="",
             active="1"):
    # Columns in template order: code, name, short name, document prefix, kind, region, parent, note, active.
    return [code, name or f"导入单位{code}", short_name, "", kind, region, parent, note, active]


def label(field):
    return str(DepartmentImporter.form_class.base_fields[field].label)


def snapshot():
    return Department.objects.count(), AuditEntry.objects.count()


# --- valid files -------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["xlsx", "csv-utf8-bom", "csv-gb18030", "csv-utf8"])
def test_a_valid_file_imports_every_row(world, fmt):
    rows = [headers()] + [dept_row(f"3606039{n:02d}", name=f"余江区第{n}测试所") for n in range(50, 55)]
    if fmt == "xlsx":
        name, data = "departments.xlsx", xlsx(rows)
    else:
        encoding = {"csv-utf8-bom": "utf-8-sig", "csv-gb18030": "gb18030", "csv-utf8": "utf-8"}[fmt]
        name, data = "departments.csv", csv_bytes(rows, encoding)
    count, audits = snapshot()
    result = DepartmentImporter(world.admin).run(name, data, dry_run=False)
    assert result.ok, result.errors
    assert (result.total, result.created, result.updated, result.committed) == (5, 5, 0, True)
    assert Department.objects.count() == count + 5
    made = Department.objects.get(code="360603950")
    assert made.name == "余江区第50测试所" and made.region.code == "360603000000" and made.is_active
    entries = AuditEntry.objects.filter(seq__gt=AuditEntry.objects.order_by("seq")[audits - 1].seq)
    assert sorted(entries.values_list("action", flat=True)) == ["orgs.department.create"] * 5 + [
        "orgs.department.import"]
    assert entries.get(action="orgs.department.import").changes == {"created": 5, "updated": 0}


def test_a_dry_run_checks_everything_and_keeps_nothing(world):
    rows = [headers()] + [dept_row(f"36060396{n}") for n in range(3)]
    before = snapshot()
    result = DepartmentImporter(world.admin).run("d.xlsx", xlsx(rows), dry_run=True)
    assert result.ok and result.created == 3 and not result.committed
    assert snapshot() == before


def test_existing_rows_are_updated_by_their_key(world):
    rows = [headers(), dept_row("360603901", name="余江区人民政府办公室", short_name="区府办", parent=YUJIANG_GOV)]
    result = DepartmentImporter(world.admin).run("d.csv", csv_bytes(rows), dry_run=False)
    assert (result.created, result.updated) == (0, 1), result.errors
    assert Department.objects.get(code="360603901").short_name == "区府办"


def test_headers_by_field_name(world):
    rows = [["code", "name", "kind", "parent"], ["360603970", "按字段名导入", "department", YUJIANG_GOV]]
    result = DepartmentImporter(world.admin).run("d.csv", csv_bytes(rows), dry_run=False)
    assert result.ok, result.errors
    assert Department.objects.get(code="360603970").name == "按字段名导入"


def test_headers_in_english_are_accepted_too(world):
    with translation.override("en"):
        english = headers()
    rows = [english, dept_row("360603971")]
    assert DepartmentImporter(world.admin).run("d.csv", csv_bytes(rows), dry_run=True).ok


def test_a_parent_defined_earlier_in_the_same_file(world):
    rows = [headers(), dept_row("360603980", kind="government"), dept_row("360603981", parent="360603980"),
            dept_row("360603982", parent="360603981")]
    result = DepartmentImporter(world.admin).run("d.xlsx", xlsx(rows), dry_run=False)
    assert result.ok, result.errors
    grandchild = Department.objects.get(code="360603982")
    assert grandchild.path.endswith("360603000/360603980/360603981/360603982/")


def test_a_parent_defined_later_in_the_file_is_an_error(world):
    rows = [headers(), dept_row("360603984", parent="360603985"), dept_row("360603985")]
    before = snapshot()
    result = DepartmentImporter(world.admin).run("d.xlsx", xlsx(rows), dry_run=False)
    assert [(e.row, e.column) for e in result.errors] == [(2, label("parent"))]
    assert CJK.search(result.errors[0].message)
    assert snapshot() == before


def test_missing_optional_columns_keep_current_values(world):
    Department.objects.filter(code="360603901").update(short_name="区府办", note="保留", is_active=False)
    rows = [["code", "name", "kind"], ["360603901", "余江区人民政府办公室（新）", "department"]]
    result = DepartmentImporter(world.admin).run("d.csv", csv_bytes(rows), dry_run=False)
    assert result.ok, result.errors
    unit = Department.objects.get(code="360603901")
    assert unit.name == "余江区人民政府办公室（新）"
    assert (unit.short_name, unit.note, unit.is_active, unit.parent.code) == ("区府办", "保留", False, YUJIANG_GOV)


def test_missing_optional_columns_take_model_defaults_for_new_rows(world):
    rows = [["code", "name", "kind", "parent"], ["360603972", "新单位", "department", YUJIANG_GOV]]
    assert DepartmentImporter(world.admin).run("d.csv", csv_bytes(rows), dry_run=False).ok
    assert Department.objects.get(code="360603972").is_active is True


@pytest.mark.parametrize(("kind", "active", "stored_kind", "stored_active"), [
    ("department", "1", "department", True),
    ("政府工作部门", "是", "department", True),       # labels, as the export writes them
    ("government department", "no", "department", False),
    ("township", "否", "township", False),
    ("乡镇（街道）", "true", "township", True),
    ("institution", "0", "institution", False),
    ("institution", "FALSE", "institution", False),
])
def test_choice_labels_and_yes_no_are_understood(world, kind, active, stored_kind, stored_active):
    rows = [headers(), dept_row("360603973", kind=kind, active=active)]
    result = DepartmentImporter(world.admin).run("d.csv", csv_bytes(rows), dry_run=False)
    assert result.ok, result.errors
    unit = Department.objects.get(code="360603973")
    assert (unit.kind, unit.is_active) == (stored_kind, stored_active)


def test_an_empty_yes_no_cell_keeps_the_current_value(world):
    Department.objects.filter(code="360603901").update(is_active=False)
    rows = [headers(), dept_row("360603901", name="余江区人民政府办公室", active=""),
            dept_row("360603975", active="")]
    result = DepartmentImporter(world.admin).run("d.csv", csv_bytes(rows), dry_run=False)
    assert result.ok, result.errors
    assert Department.objects.get(code="360603901").is_active is False
    assert Department.objects.get(code="360603975").is_active is True  # the model's default


def test_a_column_given_twice_is_an_error(world):
    rows = [headers() + [label("name")], dept_row("360603976") + ["另一个名称"]]
    result = DepartmentImporter(world.admin).run("d.csv", csv_bytes(rows), dry_run=False)
    assert [(e.row, e.column) for e in result.errors] == [(1, label("name"))]
    assert not Department.objects.filter(code="360603976").exists()


def test_the_header_may_follow_blank_rows(world):
    rows = [[], headers(), dept_row("360603977", kind="ministry")]
    result = DepartmentImporter(world.admin).run("d.csv", csv_bytes(rows), dry_run=False)
    assert [e.row for e in result.errors] == [3]


def test_an_unclear_yes_no_value_is_an_error(world):
    rows = [headers(), dept_row("360603974", active="maybe")]
    result = DepartmentImporter(world.admin).run("d.csv", csv_bytes(rows), dry_run=False)
    assert [(e.row, e.column) for e in result.errors] == [(2, label("is_active"))]


# --- errors: reported by row and column, in Chinese, nothing written --------------------------

def test_one_bad_row_among_many_writes_nothing(world):
    rows = [headers()] + [dept_row(f"3606039{n:02d}") for n in range(10, 30)]
    rows[12][4] = "ministry"  # row 13 of the sheet: an unknown kind
    before = snapshot()
    result = DepartmentImporter(world.admin).run("d.xlsx", xlsx(rows), dry_run=False)
    assert not result.ok and not result.committed
    assert len(result.errors) == 1
    error = result.errors[0]
    assert (error.row, error.column) == (13, label("kind"))
    assert CJK.search(error.message) and "ministry" in error.message
    assert snapshot() == before


def test_every_bad_row_and_cell_is_reported(world):
    rows = [headers(), dept_row("360603931"), dept_row("bad code!"),
            dept_row("360603933", region="999999999999", parent=""), dept_row("360603934")]
    rows[2][1] = ""  # no name
    result = DepartmentImporter(world.admin).run("d.csv", csv_bytes(rows), dry_run=False)
    where = {(e.row, e.column) for e in result.errors}
    assert (3, label("code")) in where and (3, label("name")) in where
    assert (4, label("region")) in where
    assert all(e.row in (3, 4) for e in result.errors)
    assert all(CJK.search(e.message) for e in result.errors), result.errors
    assert not Department.objects.filter(code__in=["360603931", "360603934"]).exists()


def test_duplicate_keys_in_the_file(world):
    rows = [headers(), dept_row("360603940"), dept_row("360603941"), dept_row("360603940")]
    before = snapshot()
    result = DepartmentImporter(world.admin).run("d.csv", csv_bytes(rows), dry_run=False)
    assert result.errors == [RowError(4, label("code"), "与第 2 行重复。")]
    assert snapshot() == before


def test_rows_outside_the_importers_scope_are_errors(world):
    rows = [headers(), dept_row("360603942"), dept_row("360681942", parent=GUIXI_GOV)]
    before = snapshot()
    result = DepartmentImporter(world.yujiang_admin).run("d.csv", csv_bytes(rows), dry_run=False)
    assert [e.row for e in result.errors] == [3]
    assert CJK.search(result.errors[0].message)
    assert snapshot() == before


def test_unknown_and_missing_columns_are_reported(world):
    rows = [[label("code"), "备注2", "Colour"], ["360603943", "x", "red"]]
    result = DepartmentImporter(world.admin).run("d.csv", csv_bytes(rows), dry_run=False)
    unknown = [e for e in result.errors if e.message == "无法识别的列。"]
    missing = [e for e in result.errors if e.message == "缺少此必填列。"]
    assert {e.column for e in unknown} == {"备注2", "Colour"}
    assert {e.column for e in missing} == {label("name"), label("kind")}
    assert all(e.row == 1 for e in result.errors)
    assert result.created == 0


def test_row_numbers_match_the_sheet_across_blank_rows(world):
    rows = [headers(), dept_row("360603944"), [], ["", ""], dept_row("360603945", kind="ministry")]
    result = DepartmentImporter(world.admin).run("d.csv", csv_bytes(rows), dry_run=False)
    assert [e.row for e in result.errors] == [5]
    assert result.total == 2


@pytest.mark.parametrize(("name", "data", "message"), [
    ("d.txt", b"code\n1\n", "请上传 .xlsx 或 .csv 文件。"),
    ("d.csv", b"", None),
    ("d.csv", b"\n,,\n", None),
    ("d.xlsx", b"not a zip file", None),
    ("d.csv", b"\xff\xfe\xff\xff\x81", None),
])
def test_unreadable_files(name, data, message):
    with pytest.raises(ImportFileError) as exc:
        read_table(name, data)
    assert CJK.search(str(exc.value.message))
    if message:
        assert str(exc.value.message) == message


def test_size_and_row_limits(monkeypatch):
    monkeypatch.setattr(importexport, "MAX_ROWS", 2)
    with pytest.raises(ImportFileError):
        read_table("d.csv", csv_bytes([["code"], ["1"], ["2"], ["3"]]))
    assert len(read_table("d.csv", csv_bytes([["code"], ["1"], ["2"]]))) == 3
    monkeypatch.setattr(importexport, "MAX_BYTES", 10)
    with pytest.raises(ImportFileError):
        read_table("d.csv", b"code\n12345678901\n")


def test_excel_numbers_and_dates_become_text():
    data = xlsx([["code", "date"], [360603946, dt.datetime(2099, 1, 1)], [1.5, dt.date(2099, 1, 2)]])
    assert read_table("d.xlsx", data)[1:] == [["360603946", "2099-01-01"], ["1.5", "2099-01-02"]]


# --- the calendar importer ----------------------------------------------------------------------

def test_calendar_import_with_real_date_cells(world):
    header = CalendarDayImporter(None).template_headers()
    rows = [header, [dt.datetime(2099, 1, 1), "holiday", "元旦", ""], [dt.date(2099, 2, 7), "workday", "春节", ""],
            ["2024-02-18", "workday", "春节", "已存在：更新备注"]]
    result = CalendarDayImporter(world.admin).run("c.xlsx", xlsx(rows), dry_run=False)
    assert result.ok, result.errors
    assert (result.created, result.updated) == (2, 1)
    assert CalendarDay.objects.get(date=dt.date(2099, 1, 1)).kind == "holiday"
    assert CalendarDay.objects.get(date=dt.date(2024, 2, 18)).note == "已存在：更新备注"


def test_calendar_import_bad_date_and_kind(world):
    header = CalendarDayImporter(None).template_headers()
    rows = [header, ["2099-02-30", "holiday", "", ""], ["2099-03-01", "rest", "", ""]]
    before = CalendarDay.objects.count()
    result = CalendarDayImporter(world.admin).run("c.csv", csv_bytes(rows), dry_run=False)
    assert [e.row for e in result.errors] == [2, 3]
    assert all(CJK.search(e.message) for e in result.errors)
    assert CalendarDay.objects.count() == before


def test_calendar_import_needs_the_add_permission(world):
    rows = [CalendarDayImporter(None).template_headers(), ["2099-01-01", "holiday", "元旦", ""]]
    result = CalendarDayImporter(world.yujiang_admin).run("c.csv", csv_bytes(rows), dry_run=False)
    assert [e.row for e in result.errors] == [2]
    assert not CalendarDay.objects.filter(date=dt.date(2099, 1, 1)).exists()


# --- export ---------------------------------------------------------------------------------------

def _export(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return response


def _csv_rows(response):
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_formula_like_cells_are_quoted_in_both_formats(world):
    Department.objects.filter(code="360603901").update(note="=HYPERLINK(\"http://x\")")
    Department.objects.filter(code="360603902").update(note="@SUM(A1)")
    Department.objects.filter(code="360603903").update(note="-1+2")
    Department.objects.filter(code="360603904").update(note="+86 0701")
    client = Client()
    client.force_login(world.admin)
    url = "/system/departments/?within={}&export={}"
    yujiang_pk = Department.objects.get(code=YUJIANG_GOV).region_id
    rows = _csv_rows(_export(client, url.format(yujiang_pk, "csv")))
    notes = {r[0]: r[8] for r in rows[1:]}
    assert notes["360603901"] == "'=HYPERLINK(\"http://x\")"
    assert (notes["360603902"], notes["360603903"], notes["360603904"]) == ("'@SUM(A1)", "'-1+2", "'+86 0701")
    sheet = load_workbook(io.BytesIO(_export(client, url.format(yujiang_pk, "xlsx")).content)).active
    cells = {row[0].value: row[8] for row in sheet.iter_rows(min_row=2)}
    assert cells["360603901"].value == "'=HYPERLINK(\"http://x\")" and cells["360603901"].data_type == "s"


def test_export_is_scoped_and_audited(world):
    client = Client()
    client.force_login(world.yujiang_admin)
    rows = _csv_rows(_export(client, "/system/departments/?kind=department&export=csv"))
    assert rows[0][:2] == ["代码", "名称"]
    codes = [r[0] for r in rows[1:]]
    assert codes and all(c.startswith("360603") for c in codes)
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.action, entry.actor_username) == ("orgs.department.export", "t_yujiang_admin")
    assert entry.changes == {"format": "csv", "filters": {"kind": "department"}}


def test_xlsx_export_headers_and_rows(world):
    client = Client()
    client.force_login(world.admin)
    response = _export(client, "/system/departments/?export=xlsx")
    assert response["Content-Type"] == importexport.XLSX_MIME
    assert re.search(r'filename="department-\d{8}-\d{4}\.xlsx"', response["Content-Disposition"])
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert list(rows[0]) == [str(c.header) for c in DepartmentTable.columns if c.export]
    assert len(rows) == 1 + Department.objects.count()
    assert AuditEntry.objects.order_by("-seq").first().changes["format"] == "xlsx"


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_an_exported_file_imports_again_unchanged(world, fmt):
    Department.objects.filter(code="360603901").update(note="=1+1", is_active=False)
    client = Client()
    client.force_login(world.yujiang_admin)
    exported = _export(client, f"/system/departments/?export={fmt}").content
    before = dict(Department.objects.values_list("code", "path"))
    fields = list(Department.objects.order_by("code").values())
    result = DepartmentImporter(world.yujiang_admin).run(f"export.{fmt}", exported, dry_run=False)
    assert result.ok, result.errors[:5]
    assert result.created == 0 and result.updated == len(before) - Department.objects.exclude(
        region__code__startswith="360603").count()
    assert dict(Department.objects.values_list("code", "path")) == before
    after = list(Department.objects.order_by("code").values())
    strip = [{k: v for k, v in row.items() if k != "updated_at"} for row in fields]
    assert [{k: v for k, v in row.items() if k != "updated_at"} for row in after] == strip


def test_an_edited_export_imports_the_edit(world):
    client = Client()
    client.force_login(world.admin)
    rows = _csv_rows(_export(client, "/system/departments/?kind=government&export=csv"))
    for row in rows[1:]:
        if row[0] == YUJIANG_GOV:
            row[2] = "余江区府"
    data = csv_bytes(rows)
    result = DepartmentImporter(world.admin).run("edited.csv", data, dry_run=False)
    assert result.ok, result.errors[:5]
    assert Department.objects.get(code=YUJIANG_GOV).short_name == "余江区府"


def test_calendar_export_round_trip(world):
    client = Client()
    client.force_login(world.admin)
    exported = _export(client, "/system/calendar/?year=2026&export=xlsx").content
    before = list(CalendarDay.objects.filter(date__year=2026).values_list("date", "kind", "festival", "note"))
    result = CalendarDayImporter(world.admin).run("calendar.xlsx", exported, dry_run=False)
    assert result.ok, result.errors[:5]
    assert (result.created, result.updated) == (0, len(before))
    after = list(CalendarDay.objects.filter(date__year=2026).values_list("date", "kind", "festival", "note"))
    assert after == before


def test_template_lists_the_import_columns(world):
    client = Client()
    client.force_login(world.admin)
    response = client.get("/system/departments/import/?template=1")
    assert response["Content-Type"] == importexport.XLSX_MIME
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert list(rows[0]) == headers()


# --- the generic import view ---------------------------------------------------------------------

def _upload(client, name, data, url="/system/departments/import/"):
    return client.post(url, {"file": _named(name, data)})


def _named(name, data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def test_import_view_check_then_confirm(world, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    client = Client()
    client.force_login(world.yujiang_admin)
    assert client.get("/system/departments/import/").status_code == 200
    rows = [headers(), dept_row("360603960"), dept_row("360603961", parent="360603960")]
    checked = _upload(client, "new.xlsx", xlsx(rows))
    assert checked.status_code == 200
    assert not Department.objects.filter(code="360603960").exists()
    token = re.search(r'name="confirm" value="([0-9a-f]{32})"', checked.content.decode()).group(1)
    assert (tmp_path / "imports" / token).exists()
    done = client.post("/system/departments/import/", {"confirm": token})
    assert done.status_code == 302 and done["Location"] == "/system/departments/"
    assert Department.objects.get(code="360603961").parent.code == "360603960"
    assert not (tmp_path / "imports" / token).exists()
    assert AuditEntry.objects.filter(action="orgs.department.import", actor_username="t_yujiang_admin").exists()
    again = client.post("/system/departments/import/", {"confirm": token})  # a second confirm does nothing
    assert again.status_code == 302 and Department.objects.filter(code="360603961").count() == 1


def test_import_view_shows_errors_and_writes_nothing(world, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    client = Client()
    client.force_login(world.admin)
    rows = [headers(), dept_row("360603962"), dept_row("360603963", kind="ministry")]
    before = snapshot()
    response = _upload(client, "bad.csv", csv_bytes(rows))
    assert response.status_code == 422
    html = response.content.decode()
    assert "<td>3</td>" in html and f"<td>{label('kind')}</td>" in html
    assert 'name="confirm"' not in html
    assert snapshot() == before
    assert not (tmp_path / "imports").exists() or not any((tmp_path / "imports").iterdir())


def test_import_view_file_problems(world):
    client = Client()
    client.force_login(world.admin)
    assert client.post("/system/departments/import/", {}).status_code == 422
    response = _upload(client, "x.pdf", b"%PDF")
    assert response.status_code == 422 and "请上传 .xlsx 或 .csv 文件。" in response.content.decode()


def test_import_view_with_a_forged_token(world):
    client = Client()
    client.force_login(world.admin)
    response = client.post("/system/departments/import/", {"confirm": "0" * 32})
    assert response.status_code == 302 and response["Location"] == "/system/departments/import/"


@pytest.mark.parametrize("who", ["citizen", "official", "auditor"])
def test_import_view_needs_the_add_permission(world, who):
    client = Client()
    client.force_login(getattr(world, who))
    assert client.get("/system/departments/import/").status_code == 403
    assert _upload(client, "d.csv", csv_bytes([headers(), dept_row("360603964")])).status_code == 403
    assert not Department.objects.filter(code="360603964").exists()


def test_import_view_anonymous_is_sent_to_login():
    response = Client().get("/system/departments/import/")
    assert response.status_code == 302 and "/login" in response["Location"]


def test_a_workbook_unpacking_to_too_much_is_refused_unread(monkeypatch):
    """A small .xlsx whose parts unpack to more than MAX_UNPACKED (a zip bomb) is refused from the
    zip directory alone, for every importer, before openpyxl reads a row."""
    import io
    import zipfile

    from dgov.core import importexport

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<" + b" " * (2 * 1024 * 1024))
    monkeypatch.setattr(importexport, "MAX_UNPACKED", 1024 * 1024)
    monkeypatch.setattr(importexport, "load_workbook", lambda *a, **k: pytest.fail("the workbook was opened"))
    with pytest.raises(importexport.ImportFileError) as exc:
        importexport.read_rows("bomb.xlsx", buffer.getvalue())
    assert "1 MB" in str(exc.value.message)


def test_reading_stops_once_the_file_passes_the_row_limit(monkeypatch):
    from dgov.core import importexport

    monkeypatch.setattr(importexport, "MAX_ROWS", 3)
    rows_read = []

    def rows():
        for n in range(1000):
            rows_read.append(n)
            yield [f"cell{n}"]

    with pytest.raises(importexport.ImportFileError):
        importexport.numbered_rows(rows())
    assert len(rows_read) == 5  # the header and MAX_ROWS + 1 rows, not the whole file
    data = "\n".join(["名称", "a", "b", "c"]).encode()
    assert len(importexport.read_rows("ok.csv", data)) == 4
