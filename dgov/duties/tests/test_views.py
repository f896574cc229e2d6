"""The pages: the list with its flag, filters, counts and exports; a duty's page; adding and editing
(only the department's own entries offered, errors in Chinese); the summary by department; the import
(every row checked before any is written)."""

import csv
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from dgov.catalog.testing import GUIXI_CIVIL_AFFAIRS, YUJIANG_CIVIL_AFFAIRS
from dgov.core.testing import audited, signed_in, zh, zh_html
from dgov.duties.forms import DataDutyImporter
from dgov.duties.models import DataDuty
from dgov.duties.testing import make_duty

pytestmark = pytest.mark.django_db

LIST = "/data/catalog/responsibilities/"
FLAG = "not in the catalog"


@pytest.fixture
def duties(own_entry, guixi_entry):
    return {"linked": make_duty(entries=[own_entry], duty="婚姻登记"),
            "unlinked": make_duty(duty="殡葬管理"),
            "guixi": make_duty(department_code=GUIXI_CIVIL_AFFAIRS, duty="贵溪临时救助")}


def test_the_list_flags_duties_missing_from_the_catalog(duties, editor):
    response = signed_in(editor).get(LIST)
    assert response.status_code == 200
    page = response.content.decode()
    assert "婚姻登记" in page and "殡葬管理" in page and "贵溪临时救助" not in page
    assert page.count(f'<span class="badge text-bg-warning">{zh_html(FLAG)}</span>') == 1
    assert duties["linked"].entries.get().code in page
    assert f'href="{LIST}?unlinked=true"' in page  # the counts link to the flagged duties
    filtered = signed_in(editor).get(LIST, {"unlinked": "true"}).content.decode()
    assert "殡葬管理" in filtered and "婚姻登记" not in filtered
    covered = signed_in(editor).get(LIST, {"unlinked": "false"}).content.decode()
    assert "婚姻登记" in covered and "殡葬管理" not in covered
    fragment = signed_in(editor).get(LIST, {"q": "婚姻"}, headers={"HX-Request": "true", "HX-Target": "object-table"})
    assert "婚姻登记" in fragment.content.decode() and "<html" not in fragment.content.decode()


def test_the_list_is_in_the_data_section_and_needs_the_permission(duties, editor, world):
    page = signed_in(editor).get("/workbench/data/").content.decode()
    assert f'href="{LIST}"' in page
    assert signed_in(world.official).get(LIST).status_code == 403
    # every page of the list's CrudViews marks 数据平台 in the navigation bar (CrudViews.nav_section)
    client = signed_in(editor)
    for url in (LIST, LIST + "add/", LIST + "import/"):
        html = client.get(url).content.decode()
        assert re.search(r'class="nav-link active" href="/workbench/data/"\s+aria-current="page"', html), url


def test_export_holds_every_field_and_the_flag_as_text(duties, reviewer):
    response = signed_in(reviewer).get(LIST, {"export": "xlsx", "unlinked": "true"})
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    header = rows[0]
    assert zh("Legal basis") in header and zh("Not in the catalog") in header and zh("Cataloguing") not in header
    assert [row[header.index(zh("Statutory duty"))] for row in rows[1:]] == ["殡葬管理", "贵溪临时救助"]
    assert {row[header.index(zh("Not in the catalog"))] for row in rows[1:]} == {zh(FLAG)}
    assert all("<" not in str(cell) for row in rows for cell in row)
    assert audited("duties.dataduty.export").changes["format"] == "xlsx"


def test_a_duty_page_lists_its_entries_and_the_flag(duties, editor, own_entry):
    client = signed_in(editor)
    page = client.get(f"{LIST}{duties['linked'].pk}/").content.decode()
    assert f'href="/data/catalog/resources/{own_entry.code}/"' in page and own_entry.name in page
    assert "duty-flag" not in page and "《婚姻登记条例》第二条" in page
    assert "duty-flag" in client.get(f"{LIST}{duties['unlinked'].pk}/").content.decode()
    assert client.get(f"{LIST}{duties['guixi'].pk}/").status_code == 404


def test_adding_a_duty_offers_only_the_departments_own_entries(editor, own_entry, guixi_entry):
    client = signed_in(editor)
    form = client.get(f"{LIST}add/").content.decode()
    assert own_entry.code in form and guixi_entry.code not in form
    assert "贵溪市民政局" not in form
    department = DataDuty._meta.get_field("department").related_model.objects.get(code=YUJIANG_CIVIL_AFFAIRS)
    data = {"department": department.pk, "duty": "婚姻登记", "data_name": "结婚登记、离婚登记记录",
            "legal_basis": "《婚姻登记条例》第二条", "update_cycle": "daily", "status": "active",
            "entry_codes": [own_entry.code]}
    response = client.post(f"{LIST}add/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    duty = DataDuty.objects.get(duty="婚姻登记")
    assert response["Location"] == f"{LIST}{duty.pk}/"
    assert list(duty.entries.all()) == [own_entry]
    # A foreign entry smuggled into the post is not a choice.
    response = client.post(f"{LIST}{duty.pk}/edit/", {**data, "entry_codes": [guixi_entry.code]})
    assert response.status_code == 422
    assert list(duty.entries.all()) == [own_entry]


def test_form_errors_are_in_chinese(editor):
    response = signed_in(editor).post(f"{LIST}add/", {"duty": "婚姻登记", "update_cycle": "daily"})
    assert response.status_code == 422
    page = response.content.decode()
    assert f"{zh('legal basis')}：{zh('This field is required.')}" in page
    assert zh("This field is required.") == "此项为必填项。"
    assert 'id="id_legal_basis"' in page and 'aria-invalid="true"' in page
    assert not DataDuty.objects.exists()


def test_a_service_refusal_is_shown_on_the_form(editor, own_entry):
    """Two duties may not share department, duty and data."""
    make_duty(duty="婚姻登记", data_name="结婚登记记录")
    response = signed_in(editor).post(f"{LIST}add/", {
        "department": own_entry.department.pk, "duty": "婚姻登记", "data_name": "结婚登记记录",
        "legal_basis": "《婚姻登记条例》", "update_cycle": "daily", "status": "active"})
    assert response.status_code == 422
    page = response.content.decode()
    assert "数据责任 已经存在" in page  # the unique rule, named on the form
    assert DataDuty.objects.count() == 1


def test_the_centre_reads_but_does_not_write(duties, reviewer):
    client = signed_in(reviewer)
    page = client.get(f"{LIST}{duties['guixi'].pk}/").content.decode()
    assert "贵溪临时救助" in page and 'href="edit/"' not in page
    assert client.get(f"{LIST}add/").status_code == 403
    assert client.post(f"{LIST}{duties['guixi'].pk}/delete/").status_code == 403
    assert DataDuty.objects.filter(pk=duties["guixi"].pk).exists()


def test_an_editor_deletes_only_their_own(duties, editor):
    client = signed_in(editor)
    assert client.post(f"{LIST}{duties['guixi'].pk}/delete/").status_code == 404
    assert client.post(f"{LIST}{duties['unlinked'].pk}/delete/").status_code == 302
    assert not DataDuty.objects.filter(pk=duties["unlinked"].pk).exists()
    assert audited("duties.dataduty.delete", object_id=str(duties["unlinked"].pk)) is not None


def test_the_summary_by_department(duties, reviewer, editor):
    page = signed_in(reviewer).get(f"{LIST}summary/").content.decode()
    assert "余江区民政局" in page and "贵溪市民政局" in page
    assert f"?department={YUJIANG_CIVIL_AFFAIRS}&amp;unlinked=true" in page
    assert "贵溪市民政局" not in signed_in(editor).get(f"{LIST}summary/").content.decode()
    response = signed_in(reviewer).get(f"{LIST}summary/", {"export": "xlsx"})
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[1:] == [("余江区民政局", YUJIANG_CIVIL_AFFAIRS, "2", "1", "1", "50"),
                        ("贵溪市民政局", GUIXI_CIVIL_AFFAIRS, "1", "0", "1", "0")]


# --- import ---------------------------------------------------------------------------------------------
def _csv(rows: list[list[str]]) -> SimpleUploadedFile:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return SimpleUploadedFile("duties.csv", out.getvalue().encode("utf-8"), content_type="text/csv")


def _header() -> list[str]:
    return [zh("Department code"), zh("Statutory duty"), zh("Data name"), zh("Legal basis"), zh("Update cycle"),
            zh("Catalog entries")]


def test_import_checks_every_row_before_writing_any(editor, own_entry, guixi_entry):
    client = signed_in(editor)
    good = [YUJIANG_CIVIL_AFFAIRS, "婚姻登记", "婚姻登记记录", "《婚姻登记条例》第二条", zh("daily"), own_entry.code]
    rows = [_header(), good,
            [YUJIANG_CIVIL_AFFAIRS, "殡葬管理", "火化记录", "", "daily", ""],
            [YUJIANG_CIVIL_AFFAIRS, "临时救助", "救助记录", "《社会救助暂行办法》", "monthly", guixi_entry.code]]
    response = client.post(f"{LIST}import/", {"file": _csv(rows)})
    assert response.status_code == 422
    errors = [(e.row, e.column) for e in response.context["result"].errors]
    assert errors == [(3, zh("Legal basis")), (4, zh("Catalog entries"))]
    assert not DataDuty.objects.exists()

    rows[2][3] = "《殡葬管理条例》第四条"
    rows[3][5] = ""
    response = client.post(f"{LIST}import/", {"file": _csv(rows)})
    assert response.status_code == 200 and response.context["result"].ok
    response = client.post(f"{LIST}import/", {"confirm": response.context["token"]})
    assert response.status_code == 302
    assert DataDuty.objects.count() == 3
    assert list(DataDuty.objects.get(duty="婚姻登记").entries.all()) == [own_entry]
    assert DataDuty.objects.get(duty="殡葬管理").flagged


def test_import_refuses_another_departments_rows(editor):
    rows = [_header(), [GUIXI_CIVIL_AFFAIRS, "临时救助", "救助记录", "《社会救助暂行办法》", "monthly", ""]]
    result = DataDutyImporter(editor).run("duties.csv", _csv(rows).read(), dry_run=True)
    assert [e.row for e in result.errors] == [2] and not DataDuty.objects.exists()


def test_an_exported_list_imports_again(editor, own_entry):
    """The export's extra columns (department name, the flag, the change time) are ignored."""
    make_duty(entries=[own_entry], duty="婚姻登记")
    exported = signed_in(editor).get(LIST, {"export": "csv"}).content
    DataDuty.objects.all().delete()
    result = DataDutyImporter(editor).run("duties.csv", exported, dry_run=False)
    assert result.ok, result.errors
    assert list(DataDuty.objects.get(duty="婚姻登记").entries.all()) == [own_entry]


def test_the_entry_snippet_lists_the_duties_the_reader_may_see(duties, own_entry, editor, guixi_editor):
    from django.template import Context, Template
    from django.test import RequestFactory

    snippet = Template("{% load duties %}{% entry_duties entry %}")

    def render(user):
        request = RequestFactory().get("/")
        request.user = user
        return snippet.render(Context({"request": request, "entry": own_entry}))

    html = render(editor)
    assert f'href="{LIST}{duties["linked"].pk}/"' in html and "婚姻登记" in html and "殡葬管理" not in html
    assert render(guixi_editor).strip() == ""


def test_the_service_refuses_another_departments_entry_on_the_form(own_entry):
    """A county-wide editor is offered the entries of every department of the county; ticking another
    department's entry for a duty is refused by the service, with the message on the field."""
    from dgov.accounts.testing import make_user
    from dgov.catalog.testing import make_entry

    county_editor = make_user(department_code=YUJIANG_CIVIL_AFFAIRS, roles=[
        ("catalog_editor", "region", "360603"), ("staff", "all", None)])
    other = make_entry(name="余江区社会保险参保信息", department_code="360603905")
    client = signed_in(county_editor)
    assert other.code in client.get(f"{LIST}add/").content.decode()
    response = client.post(f"{LIST}add/", {
        "department": own_entry.department.pk, "duty": "婚姻登记", "data_name": "结婚登记记录",
        "legal_basis": "《婚姻登记条例》第二条", "update_cycle": "daily", "status": "active",
        "entry_codes": [own_entry.code, other.code]})
    assert response.status_code == 422
    page = response.content.decode()
    assert other.code in page and "余江区民政局" in page and 'id="id_entry_codes_error"' in page
    assert not DataDuty.objects.exists()
