"""Bulk import of existing physical licences: a template per type, every row checked first (errors by row
and column, in Chinese), nothing written unless all pass, a dry run writes nothing."""

import datetime as dt
import io

import pytest
from openpyxl import Workbook, load_workbook

from dgov.core.importexport import ImportFileError
from dgov.core.testing import signed_in, zh
from dgov.licenses.importer import LicenseImporter
from dgov.licenses.models import License

from .conftest import YUJIANG

pytestmark = pytest.mark.django_db
RECENT = (dt.date.today() - dt.timedelta(days=20)).isoformat()


def workbook(rows: list[list]) -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def headers(importer) -> list[str]:
    from django.utils import translation

    with translation.override("zh-hans"):
        return [label for _name, label, _required in importer.columns()]


@pytest.fixture
def importer(world, license_type, seals, departments):
    return LicenseImporter(world.yujiang_admin, license_type, departments[YUJIANG])


def people(n: int):
    from dgov.accounts.testing import valid_id_number

    return [valid_id_number("360603") for _ in range(n)]


def test_the_template_has_the_holder_the_dates_and_the_types_fields(importer):
    response = importer.template()
    row = next(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert list(row) == [label for _n, label, _r in importer.columns()]
    assert "居住地址" in row and "类别" in row


def test_errors_by_row_and_column_and_nothing_written(importer):
    ids = people(3)
    head = headers(importer)
    rows = [head,
            ["张三", ids[0], "YJ-001", RECENT, "", "", "务工", "余江区1号", "", ""],
            ["李四", ids[1][:-1] + ("0" if ids[1][-1] != "0" else "1"), "YJ-002", "2025-03-01", "", "", "旅游",
             "余江区2号", "", ""],
            ["王五", ids[2], "YJ-001", "03/01/2025", "", "", "务工", "", "", ""]]
    result = importer.run("licences.xlsx", workbook(rows), dry_run=False)
    assert not result.committed and License.objects.count() == 0
    found = {(e.row, e.column) for e in result.errors}
    labels = dict(zip(["holder_name", "holder_code", "physical_number", "issued_on"], head, strict=False))
    assert (3, labels["holder_code"]) in found and (3, "类别") in found
    assert (4, labels["physical_number"]) in found and (4, labels["issued_on"]) in found and (4, "居住地址") in found
    assert any(e.message == zh("Duplicate of row %(row)d.") % {"row": 2} for e in result.errors)


def test_a_dry_run_writes_nothing_then_the_import_seals_every_licence(importer, world):
    ids = people(2)
    rows = [headers(importer)] + [[f"持证人{n}", code, f"YJ-{n:03d}", "2025-03-01", "2025-03-01", "2099-12-31",
                                    "就学", f"余江区{n}号", "", ""] for n, code in enumerate(ids, 1)]
    data = workbook(rows)
    checked = importer.run("licences.xlsx", data, dry_run=True)
    assert checked.ok and not checked.committed and License.objects.count() == 0
    done = importer.run("licences.xlsx", data, dry_run=False)
    assert done.committed and done.created == 2
    imported = list(License.objects.order_by("serial"))
    assert [lic.source for lic in imported] == ["import", "import"]
    assert [lic.serial for lic in imported] == [1, 2] and imported[0].valid_until.year == 2099
    again = importer.run("licences.xlsx", data, dry_run=True)
    assert not again.ok  # the numbers were imported already


def test_missing_and_unknown_columns_and_too_many_rows(importer, monkeypatch):
    result = importer.run("l.xlsx", workbook([["持证主体名称", "颜色"], ["x", "红"]]), dry_run=True)
    messages = {e.message for e in result.errors}
    assert zh("Unknown column.") in messages and zh("This required column is missing.") in messages
    from dgov.licenses import importer as module

    monkeypatch.setattr(module, "MAX_ROWS", 1)
    with pytest.raises(ImportFileError):
        importer.run("l.xlsx", workbook([headers(importer), ["a"], ["b"]]), dry_run=True)


def test_the_import_page(world, license_type, seals, departments):
    client = signed_in(world.yujiang_admin)
    page = client.get("/data/licenses/import/")
    assert page.status_code == 200 and license_type.name in page.content.decode()
    template = client.get(f"/data/licenses/import/?template={license_type.code}")
    assert template.status_code == 200 and template["Content-Type"].startswith("application/vnd.openxml")
    ids = people(1)
    importer = LicenseImporter(world.yujiang_admin, license_type, departments[YUJIANG])
    data = workbook([headers(importer), ["张三", ids[0], "YJ-9", RECENT, "", "", "务工", "余江区9号", "", ""]])
    from django.core.files.uploadedfile import SimpleUploadedFile

    def upload(dry_run):
        form = {"license_type": license_type.code, "issuer": departments[YUJIANG].pk,
                "file": SimpleUploadedFile("l.xlsx", data)}
        if dry_run:
            form["dry_run"] = "on"
        return client.post("/data/licenses/import/", form)

    checked = upload(True)
    assert checked.status_code == 200 and License.objects.count() == 0
    assert upload(False).status_code == 302 and License.objects.count() == 1
    assert signed_in(world.official).get("/data/licenses/import/").status_code == 403
