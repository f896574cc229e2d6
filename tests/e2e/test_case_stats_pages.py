"""The case statistics page (政务服务统计) in a real browser against `dgov serve` with the demo data:

- the city's administrator opens it: the figure cards (the demo
  cases were received today), received and decided cases per day as columns, each KPI per district
  and per department as bars; narrows it to 余江区 (the demo cases' district is listed); a bad date
  range is refused in Chinese; downloads the .xlsx;
- 余江区's administrator sees only 余江区's district and departments, and the page fits a phone.

Every page passes axe-core (WCAG 2.2 AA)."""

import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from dgov.core.testing import zh

from .support import axe_violations, format_violations, screenshot

pytestmark = pytest.mark.e2e

STATISTICS = "/workbench/cases/statistics/"
PHONE_WIDTH = 375
METRICS = ("online_rate", "online_apply_rate", "instant_case_rate", "instant_implementation_rate",
           "average_visits", "one_visit_rate", "on_time_rate", "satisfaction_rate")


def assert_accessible(browsing, state, url, *, mobile=False):
    checked = browsing.page(state=state, bypass_csp=True, mobile=mobile)  # axe is an inline script
    assert checked.goto(url).status == 200
    violations = axe_violations(checked)
    assert not violations, format_violations(checked.url, violations)


def figure(page, name: str) -> int:
    return int(page.locator(f"[data-figure={name}]").inner_text().split()[0])


def test_the_city_sees_the_kpis_per_district_and_department(browsing, admin_state):
    page = browsing.page(state=admin_state)
    assert page.goto(STATISTICS).status == 200
    received = figure(page, "received")
    assert received >= 5  # the demo cases, submitted by the demo citizen
    expect(page.locator("#chart-per-day g.period")).to_have_count(30)
    for metric in METRICS:
        expect(page.locator(f"section[data-metric={metric}]")).to_have_count(1)
    districts = page.locator("#chart-districts-online_rate tbody tr")
    expect(districts).to_have_count(4)  # the city level, 月湖区, 余江区, 贵溪市
    busiest = max(page.locator("#case-stats-table tbody tr").evaluate_all(
        "rows => rows.map(r => [r.dataset.code, Number(r.cells[1].textContent)])"), key=lambda pair: pair[1])
    assert busiest[1] >= 5
    assert page.evaluate("() => document.querySelectorAll('main [style]').length") == 0
    expect(page.locator("h1")).to_have_text(zh("Case statistics"))
    screenshot(page, "case-statistics")
    assert_accessible(browsing, admin_state, STATISTICS)

    # narrowed to the district of the demo cases
    page.select_option("#id_region", busiest[0])
    with page.expect_navigation():
        page.get_by_role("button", name="筛选").click()
    assert f"region={busiest[0]}" in page.url and figure(page, "received") == busiest[1]
    expect(page.locator("#chart-districts-online_rate tbody tr")).to_have_count(1)

    # a range ending before it starts is refused, in Chinese
    page.fill("#id_since", "2026-03-10")
    page.fill("#id_until", "2026-03-01")
    with page.expect_navigation():
        page.get_by_role("button", name="筛选").click()
    expect(page.locator("#id_until-error")).to_have_text(zh("The end date is before the start date."))

    page.goto(f"{STATISTICS}?region={busiest[0]}")
    with page.expect_download() as download:
        page.locator("main a[href*='export=xlsx']").click()
    wb = load_workbook(io.BytesIO(download.value.path().read_bytes()))
    assert len(wb.sheetnames) == 4
    summary = {row[0]: row[1] for row in wb.worksheets[0].iter_rows(values_only=True)}
    assert summary[zh("Received")] == busiest[1]


def test_a_county_sees_its_own_district_and_the_page_fits_a_phone(browsing, yujiang_state):
    phone = browsing.page(state=yujiang_state, mobile=True)
    assert phone.goto(STATISTICS).status == 200
    codes = phone.locator("#case-stats-table tbody tr").evaluate_all("rows => rows.map(r => r.dataset.code)")
    assert codes == ["360603"]
    options = phone.locator("#id_region option").evaluate_all("els => els.map(e => e.value)")
    assert options == ["", "360603"]
    widths = phone.evaluate("() => [document.documentElement.scrollWidth, document.body.scrollWidth]")
    assert max(widths) <= PHONE_WIDTH, widths
    screenshot(phone, "case-statistics-phone")
    assert_accessible(browsing, yujiang_state, STATISTICS, mobile=True)
