"""The catalog's statistics page and the alignment with the provincial catalog, in a real browser
against `dgov serve` with the demo data.

Statistics: the department's data administrator (`yj_data`) sees the charts as inline SVG — a bar
per department row, the donuts of the sharing and open types — filters them by department, and
the page fits a 375 px phone and passes axe-core.

Alignment: the big-data centre's reviewer (`data_centre`) imports a small provincial catalog whose
one bad row is refused with its row and column; fixed, it imports. The data administrator then
maps their unmapped entry by accepting the suggestion on the alignment worklist, which shrinks."""

import io
import tempfile
from pathlib import Path

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from .support import axe_violations, format_violations, log_in, screenshot

pytestmark = pytest.mark.e2e

PHONE_WIDTH = 375
STATISTICS = "/data/catalog/statistics/"
ALIGNMENT = "/data/catalog/alignment/"
IMPORT = "/data/catalog/provincial/import/"
YUJIANG_CIVIL_AFFAIRS = "360603909"
HEADER = ["资源代码", "资源名称", "提供方", "分类代码", "摘要", "共享类型", "更新周期"]


def assert_fits_the_phone(page) -> None:
    widths = page.evaluate("() => [document.documentElement.scrollWidth, document.body.scrollWidth]")
    assert max(widths) <= PHONE_WIDTH, f"{page.url} is {widths} px wide on a {PHONE_WIDTH} px screen"


def provincial_xlsx(rows: list[list[str]]) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    path = Path(tempfile.mkdtemp(prefix="dgov-e2e-provincial-")) / "jiangxi-provincial.xlsx"
    path.write_bytes(out.getvalue())
    return path


def test_the_statistics_page_draws_its_charts_fits_a_phone_and_passes_axe(browsing, accounts):
    page = browsing.page()
    log_in(page, accounts["yj_data"])
    assert page.goto("/workbench/data/").status == 200
    with page.expect_navigation():
        page.locator(f"main a[href='{STATISTICS}']").click()

    rows = page.locator("#chart-departments tbody tr")
    bars = page.locator("#chart-departments svg.chart-bar rect.bar")
    assert rows.count() >= 10, "the demo catalog spans many departments"
    expect(bars).to_have_count(rows.count())
    widths = [float(w) for w in bars.evaluate_all("els => els.map(e => e.getAttribute('width'))")]
    assert widths[0] == 100.0 and widths == sorted(widths, reverse=True)  # most entries first, to scale
    expect(page.locator("#chart-sharing circle.segment")).to_have_count(3)
    expect(page.locator("#chart-opening circle.segment")).to_have_count(3)
    assert int(page.locator("[data-figure=stale]").inner_text().split()[0]) > 0
    assert page.evaluate("() => document.querySelectorAll('main [style]').length") == 0
    screenshot(page, "catalog-statistics")
    checked = browsing.page(state=page.context.storage_state(), bypass_csp=True)  # axe is an inline script
    checked.goto(STATISTICS)
    violations = axe_violations(checked)
    assert not violations, format_violations(checked.url, violations)

    # the filter narrows every chart to one department
    page.select_option("#id_department", YUJIANG_CIVIL_AFFAIRS)
    with page.expect_navigation():
        page.get_by_role("button", name="筛选").click()
    expect(page.locator("#chart-departments svg.chart-bar rect.bar")).to_have_count(1)
    expect(page.locator("#chart-departments tbody th")).to_have_text(["余江区民政局"])

    # the drill-down lists the entries whose data is older than their cycle
    stale = int(page.locator("[data-figure=stale]").inner_text().split()[0])
    with page.expect_navigation():
        page.locator("a[href*='which=stale']").first.click()
    assert "which=stale" in page.url and f"department={YUJIANG_CIVIL_AFFAIRS}" in page.url
    expect(page.locator("#object-table tbody tr")).to_have_count(min(stale, 25) or 1)

    phone = browsing.page(state=page.context.storage_state(), mobile=True)
    assert phone.goto(STATISTICS).status == 200
    screenshot(phone, "catalog-statistics-phone")
    table = phone.locator("#chart-departments").bounding_box()
    assert table["x"] + table["width"] <= PHONE_WIDTH, "the bars fit the screen without scrolling sideways"
    assert_fits_the_phone(phone)
    checked = browsing.page(state=page.context.storage_state(), bypass_csp=True, mobile=True)
    checked.goto(STATISTICS)
    violations = axe_violations(checked)
    assert not violations, format_violations(checked.url, violations)


def test_a_provincial_catalog_is_imported_and_an_entry_mapped_by_its_suggestion(browsing, accounts,
                                                                                data_centre_state):
    # --- the data administrator's worklist: which of their entries has no provincial entry ----------
    editor = browsing.page()
    log_in(editor, accounts["yj_data"])
    assert editor.goto(ALIGNMENT).status == 200
    unmapped = int(editor.locator("[data-figure=unmapped]").inner_text())
    assert unmapped >= 1, "the demo leaves some entries unmapped"
    first = editor.locator("tr[data-code]").first
    code = first.get_attribute("data-code")
    name = first.locator("td").first.inner_text().split("\n")[-1].strip()

    # --- the reviewer imports the provincial catalog: one bad row first ------------------------------
    reviewer = browsing.page(state=data_centre_state)
    assert reviewer.goto(IMPORT).status == 200
    good = ["E2E-JX-000001", name, "江西省民政厅", "203", "全省的同类资源（演示数据）。", "有条件共享", "每月"]
    other = ["E2E-JX-000002", "全省社会组织登记信息", "江西省民政厅", "307", "全省社会组织登记信息。", "无条件共享",
             "每月"]
    bad = ["E2E-JX-000003", "", "江西省民政厅", "307", "名称漏填的一行。", "有条件共享", "每小时"]
    reviewer.set_input_files("#id_file", str(provincial_xlsx([good, other, bad])))
    reviewer.uncheck("#id_dry_run")
    with reviewer.expect_navigation():
        reviewer.get_by_role("button", name="上传").click()
    errors = reviewer.locator("table.catalog-import-errors tbody tr")
    expect(errors).to_have_count(2)
    expect(errors.nth(0).locator("td").nth(0)).to_have_text("4")
    expect(errors.nth(0).locator("td").nth(1)).to_have_text("资源名称")
    expect(errors.nth(1).locator("td").nth(1)).to_have_text("更新周期")
    screenshot(reviewer, "catalog-provincial-import-errors")

    fixed = ["E2E-JX-000003", "全省养老机构信息", "江西省民政厅", "307", "全省养老机构备案信息。", "有条件共享",
             "每季度"]
    reviewer.set_input_files("#id_file", str(provincial_xlsx([good, other, fixed])))
    reviewer.uncheck("#id_dry_run")
    with reviewer.expect_navigation():
        reviewer.get_by_role("button", name="上传").click()
    assert reviewer.url.endswith("/data/catalog/provincial/")
    expect(reviewer.locator(".alert-success")).to_contain_text("3")
    reviewer.goto("/data/catalog/provincial/?q=E2E&withdrawn=false")
    expect(reviewer.locator("#object-table tbody tr")).to_have_count(3)

    # --- the data administrator accepts the suggestion; the worklist shrinks --------------------------
    # (the import withdrew the demo's provincial entries: the entries mapped to them are unmapped again)
    editor.goto(ALIGNMENT)
    before, unmapped = unmapped, int(editor.locator("[data-figure=unmapped]").inner_text())
    assert unmapped >= before
    row = editor.locator(f"tr[data-code='{code}']")
    expect(row).to_contain_text("E2E-JX-000001")
    with editor.expect_navigation():
        row.locator("form.catalog-map:has(input[value='E2E-JX-000001']) button").click()
    assert editor.url.endswith(ALIGNMENT)
    expect(editor.locator("[data-figure=unmapped]")).to_have_text(str(unmapped - 1))
    expect(editor.locator(f"tr[data-code='{code}']")).to_have_count(0)
    screenshot(editor, "catalog-alignment")
    checked = browsing.page(state=editor.context.storage_state(), bypass_csp=True)
    checked.goto(ALIGNMENT)
    violations = axe_violations(checked)
    assert not violations, format_violations(checked.url, violations)

    # the entry's page names its provincial entry, and its history the mapping
    editor.goto(f"/data/catalog/resources/{code}/")
    expect(editor.locator("[data-provincial-code='E2E-JX-000001']")).to_be_visible()
    expect(editor.locator("table.catalog-versions tbody tr").first).to_contain_text("E2E-JX-000001")
    screenshot(editor, "catalog-entry-provincial")
