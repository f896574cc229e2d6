"""The exchange statistics page (数据交换统计) in a real browser against `dgov serve` with the demo
data, after real signed gateway calls over HTTP:

- the big-data centre's reviewer opens it from 数据平台: calls per day as stacked columns, the data
  services and consumer applications as bars, the unsuccessful calls (the replayed one among them),
  the latency, and the demo sharing requests' approval times against the deadlines; narrows it to
  the consumer department; a bad date range is refused in Chinese; downloads the .xlsx;
- the provider department's data administrator (`yj_data`, 余江区民政局) sees the requests it
  received but none of the consumer's calls, is not offered other departments, and the page fits a
  phone.

Every page passes axe-core (WCAG 2.2 AA)."""

import io
import json

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from dgov.core.testing import zh
from dgov.exchange.testing import Consumer

from .support import axe_violations, format_violations, log_in, screenshot
from .test_exchange_pages import http_get

pytestmark = pytest.mark.e2e

STATISTICS = "/data/exchange/statistics/"
CONSUMER_DEPARTMENT = "360603905"  # 余江区人力资源和社会保障局, the demo consumer
PHONE_WIDTH = 375


def assert_accessible(browsing, state, url, *, mobile=False):
    checked = browsing.page(state=state, bypass_csp=True, mobile=mobile)  # axe is an inline script
    assert checked.goto(url).status == 200
    violations = axe_violations(checked)
    assert not violations, format_violations(checked.url, violations)


def figure(page, name: str) -> int:
    return int(page.locator(f"[data-figure={name}]").inner_text().split()[0])


def test_the_centre_sees_the_calls_and_approval_times_as_charts(browsing, server, data_centre_state):
    [demo] = json.loads((server.data_dir / "demo-exchange-credentials.json").read_text(encoding="utf-8"))
    consumer = Consumer(demo["application"], demo["key_id"], demo["secret"])
    status, allowed, _h, _s = http_get(server, consumer, "/exchange/v1/allowed")
    assert status == 200, allowed
    url = allowed["services"][0]["url"]
    for limit in (1, 2, 3):
        assert http_get(server, consumer, url, {"limit": limit})[0] == 200
    status, refused, _h, sent = http_get(server, consumer, url, {"limit": 4})
    assert status == 200
    status, refused, _h, _s = http_get(server, consumer, url, {"limit": 4}, headers=sent)
    assert (status, refused["code"]) == (401, "replayed")

    page = browsing.page(state=data_centre_state)
    assert page.goto("/workbench/data/").status == 200
    with page.expect_navigation():
        page.locator(f"main a[href='{STATISTICS}']").click()
    assert figure(page, "calls") >= 6 and figure(page, "unsuccessful") >= 1
    expect(page.locator("#chart-per-day g.period")).to_have_count(30)
    assert page.locator("#chart-per-day g.period").last.locator("rect.segment").count() >= 2  # ok and refused
    service = page.locator("#chart-services tbody tr").first
    expect(service).to_contain_text(allowed["services"][0]["service_code"])
    expect(page.locator("#chart-applications tbody")).to_contain_text(demo["application"])
    expect(page.locator("#chart-failures tbody")).to_contain_text("401 replayed")
    expect(page.locator("#latest-failures tbody")).to_contain_text("replayed")
    expect(page.locator("#chart-latency tbody tr")).not_to_have_count(0)
    assert figure(page, "requests") >= 4  # the demo requests, submitted days ago
    provider = page.locator("#chart-approval tr[data-step=provider]")
    expect(provider.locator("td").nth(0)).not_to_have_text("0")  # decided by the provider
    expect(page.locator("#chart-approval rect.deadline")).to_have_count(2)
    assert page.evaluate("() => document.querySelectorAll('main [style]').length") == 0
    expect(page.locator("h1")).to_have_text(zh("Data exchange statistics"))
    screenshot(page, "exchange-statistics")
    assert_accessible(browsing, data_centre_state, STATISTICS)

    # narrowed to the consumer department: its application's calls (not the unauthenticated replay)
    mine = page.locator("#chart-applications tbody tr", has_text=demo["application"]).locator("td").first
    calls = int(mine.inner_text())
    page.select_option("#id_department", CONSUMER_DEPARTMENT)
    with page.expect_navigation():
        page.get_by_role("button", name="筛选").click()
    assert f"department={CONSUMER_DEPARTMENT}" in page.url and figure(page, "calls") == calls

    # a range ending before it starts is refused, in Chinese
    page.fill("#id_since", "2025-03-10")
    page.fill("#id_until", "2025-03-01")
    with page.expect_navigation():
        page.get_by_role("button", name="筛选").click()
    expect(page.locator("#id_until-error")).to_be_visible()
    expect(page.locator("#id_until-error")).to_have_text(zh("The end date is before the start date."))
    screenshot(page, "exchange-statistics-bad-range")

    page.goto(f"{STATISTICS}?department={CONSUMER_DEPARTMENT}")
    with page.expect_download() as download:
        page.locator("main a[href*='export=xlsx']").click()
    wb = load_workbook(io.BytesIO(download.value.path().read_bytes()))
    assert len(wb.sheetnames) == 7
    summary = {row[0]: row[1] for row in wb.worksheets[0].iter_rows(values_only=True)}
    assert summary[zh("Calls")] == calls


def test_the_provider_sees_its_requests_but_not_the_consumers_calls_and_fits_a_phone(browsing, accounts):
    page = browsing.page()
    log_in(page, accounts["yj_data"])
    assert page.goto(STATISTICS).status == 200
    assert figure(page, "calls") == 0  # 余江区民政局 has no consumer application calling
    assert figure(page, "requests") >= 4  # the demo requests for its data
    options = page.locator("#id_department option").evaluate_all("els => els.map(e => e.value)")
    assert CONSUMER_DEPARTMENT not in options and "360603909" in options
    screenshot(page, "exchange-statistics-provider")

    phone = browsing.page(state=page.context.storage_state(), mobile=True)
    assert phone.goto(STATISTICS).status == 200
    widths = phone.evaluate("() => [document.documentElement.scrollWidth, document.body.scrollWidth]")
    assert max(widths) <= PHONE_WIDTH, widths
    screenshot(phone, "exchange-statistics-phone")
    assert_accessible(browsing, page.context.storage_state(), STATISTICS, mobile=True)
