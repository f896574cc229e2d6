"""The alignment pages: importing the provincial catalog (errors by row and column, dry run,
template), the worklist of unmapped entries with its suggestions and export, the entry page's
provincial card and the mapping page, and the provincial catalog's list."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from dgov.catalog.models import EntryVersion, ProvincialEntry, ProvincialMapping, Status
from dgov.catalog.testing import (
    GUIXI_CIVIL_AFFAIRS,
    make_entry,
    make_provincial,
)
from dgov.catalog.tests.test_alignment import row, xlsx
from dgov.core.testing import audited, signed_in, zh

pytestmark = pytest.mark.django_db
IMPORT = "/data/catalog/provincial/import/"
PROVINCIAL = "/data/catalog/provincial/"
ALIGNMENT = "/data/catalog/alignment/"


def upload(client, name: str, data: bytes, *, dry_run: bool):
    return client.post(IMPORT, {"file": SimpleUploadedFile(name, data), **({"dry_run": "on"} if dry_run else {})})


def test_the_import_page_shows_errors_by_row_and_column_then_imports(reviewer):
    client = signed_in(reviewer)
    assert client.get(IMPORT).status_code == 200
    data = xlsx([row("JX-1", "婚姻登记信息"), row("JX-2", "收养登记信息", update_cycle="每小时")])
    refused = upload(client, "p.xlsx", data, dry_run=False)
    assert refused.status_code == 422
    html = refused.content.decode()
    assert "<td>3</td><td>更新周期</td>" in html and not ProvincialEntry.objects.exists()
    data = xlsx([row("JX-1", "婚姻登记信息"), row("JX-2", "收养登记信息")])
    checked = upload(client, "p.xlsx", data, dry_run=True)
    assert checked.status_code == 200 and not ProvincialEntry.objects.exists()
    done = upload(client, "p.xlsx", data, dry_run=False)
    assert done.status_code == 302 and done["Location"] == PROVINCIAL
    assert ProvincialEntry.objects.count() == 2
    as_json = upload(client, "p.json", json.dumps({"entries": [{"code": "JX-1", "name": "婚姻登记信息"}]}).encode(),
                     dry_run=False)
    assert as_json.status_code == 302 and ProvincialEntry.objects.get(code="JX-2").withdrawn
    template = client.get(IMPORT, {"template": "1"})
    header = next(load_workbook(io.BytesIO(template.content)).active.iter_rows(values_only=True))
    assert header[:2] == ("资源代码", "资源名称")


def test_editors_read_the_provincial_catalog_but_do_not_import_it(editor, world):
    make_provincial("JX-1", "婚姻登记信息")
    client = signed_in(editor)
    assert client.get(IMPORT).status_code == 403
    assert upload(client, "p.json", b"[]", dry_run=False).status_code == 403
    listed = client.get(PROVINCIAL)
    assert listed.status_code == 200 and "JX-1" in listed.content.decode()
    assert signed_in(world.official).get(PROVINCIAL).status_code == 403


def test_the_provincial_list_filters_unreferenced_entries_and_exports(reviewer):
    mapped = make_provincial("JX-1", "婚姻登记信息")
    make_provincial("JX-2", "收养登记信息")
    entry = make_entry()
    ProvincialMapping.objects.create(entry=entry, provincial=mapped)
    client = signed_in(reviewer)
    html = client.get(PROVINCIAL, {"mapped": "false"}).content.decode()
    assert "JX-2" in html and "JX-1" not in html
    exported = client.get(PROVINCIAL, {"export": "xlsx"})
    rows = list(load_workbook(io.BytesIO(exported.content)).active.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == ["JX-1", "JX-2"]


def test_the_worklist_maps_an_entry_by_its_suggestion_and_shrinks(editor):
    make_provincial("JX-1", "婚姻登记信息")
    entry = make_entry(name="余江区婚姻登记信息", status=Status.PUBLISHED)
    draft = make_entry(name="余江区殡葬服务信息")
    make_entry(department_code=GUIXI_CIVIL_AFFAIRS, status=Status.PUBLISHED, name="贵溪市婚姻登记信息")
    client = signed_in(editor)
    html = client.get(ALIGNMENT).content.decode()
    assert html.count("<tr data-code=") == 2 and html.index(entry.code) < html.index(draft.code)
    assert 'name="provincial_code" value="JX-1"' in html and 'data-figure="unmapped">2<' in html
    response = client.post(f"/data/catalog/resources/{entry.code}/provincial/",
                           {"provincial_code": "JX-1", "method": "suggestion", "next": ALIGNMENT})
    assert response.status_code == 302 and response["Location"] == ALIGNMENT
    assert ProvincialMapping.objects.get(entry=entry).method == "suggestion"
    after = client.get(ALIGNMENT).content.decode()
    assert after.count("<tr data-code=") == 1 and 'data-figure="unmapped">1<' in after
    exported = client.get(ALIGNMENT, {"export": "xlsx"})
    rows = list(load_workbook(io.BytesIO(exported.content)).active.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == [draft.code]
    assert client.get(ALIGNMENT, {"department": GUIXI_CIVIL_AFFAIRS}).status_code == 404


def test_an_unsafe_next_is_ignored(editor):
    make_provincial("JX-1", "婚姻登记信息")
    entry = make_entry()
    response = signed_in(editor).post(f"/data/catalog/resources/{entry.code}/provincial/",
                                      {"provincial_code": "JX-1", "next": "https://evil.example/"})
    assert response["Location"] == f"/data/catalog/resources/{entry.code}/"


def test_the_entry_page_shows_the_mapping_and_the_mapping_page_searches(editor, reviewer):
    make_provincial("JX-1", "婚姻登记信息")
    make_provincial("JX-7", "社会救助对象信息", provider="江西省民政厅")
    entry = make_entry(name="余江区婚姻登记信息", status=Status.PUBLISHED)
    client = signed_in(editor)
    page = client.get(f"/data/catalog/resources/{entry.code}/").content.decode()
    assert zh("Not mapped to the provincial catalog yet.") in page and 'value="JX-1"' in page
    search = client.get(f"/data/catalog/resources/{entry.code}/provincial/", {"q": "救助"}).content.decode()
    assert "JX-7" in search
    client.post(f"/data/catalog/resources/{entry.code}/provincial/", {"provincial_code": "JX-7"})
    page = client.get(f"/data/catalog/resources/{entry.code}/").content.decode()
    assert 'data-provincial-code="JX-7"' in page
    assert EntryVersion.objects.filter(entry=entry, action="map").exists()
    refused = client.post(f"/data/catalog/resources/{entry.code}/provincial/", {"provincial_code": "JX-404"},
                          follow=True)
    assert zh("No provincial catalog entry has this code.") in refused.content.decode()
    assert audited("web:POST /data/catalog/resources/" + entry.code + "/provincial/", outcome="failed")
    client.post(f"/data/catalog/resources/{entry.code}/provincial/", {"provincial_code": ""})
    assert not ProvincialMapping.objects.exists()


def test_another_departments_entry_cannot_be_mapped_by_an_editor(editor, reviewer):
    make_provincial("JX-1", "婚姻登记信息")
    other = make_entry(department_code=GUIXI_CIVIL_AFFAIRS, status=Status.PUBLISHED)
    client = signed_in(editor)
    page = client.get(f"/data/catalog/resources/{other.code}/").content.decode()
    assert 'name="provincial_code"' not in page  # visible, but not the editor's to map
    assert client.get(f"/data/catalog/resources/{other.code}/provincial/").status_code == 404
    assert client.post(f"/data/catalog/resources/{other.code}/provincial/",
                       {"provincial_code": "JX-1"}).status_code == 404
    assert not ProvincialMapping.objects.exists()
    assert signed_in(reviewer).post(f"/data/catalog/resources/{other.code}/provincial/",
                                    {"provincial_code": "JX-1"}).status_code == 302


def test_a_version_shows_the_provincial_code_it_was_mapped_to(editor):
    make_provincial("JX-1", "婚姻登记信息")
    entry = make_entry()
    signed_in(editor).post(f"/data/catalog/resources/{entry.code}/provincial/", {"provincial_code": "JX-1"})
    version = EntryVersion.objects.get(entry=entry, action="map").version
    page = signed_in(editor).get(f"/data/catalog/resources/{entry.code}/versions/{version}/").content.decode()
    assert zh("Provincial resource code") in page and "JX-1" in page
