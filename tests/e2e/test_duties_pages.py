"""The data responsibility list in a real browser against `dgov serve` with the demo data: the demo
account `yj_data` (catalog_editor of 余江区民政局) finds the list in 数据平台, sees their department's
duties that no catalog entry covers flagged (and narrows the list to them), adds a duty with its
legal basis linked to one of the department's catalog entries — first forgetting the legal basis,
which the form refuses in Chinese — and the list and the duty's page fit a 375 px phone. The list
passes axe-core."""

import re

import pytest
from playwright.sync_api import expect

from .support import axe_violations, format_violations, log_in, screenshot

pytestmark = pytest.mark.e2e

PHONE_WIDTH = 375
LIST = "/data/catalog/responsibilities/"
ENTRY = "村（居）民委员会信息"  # an entry of 余江区民政局's demo catalog that no demo duty covers yet
DUTY = "村（居）民委员会建设指导（端到端测试）"
LEGAL_BASIS = "《中华人民共和国村民委员会组织法》第五条；《中华人民共和国城市居民委员会组织法》第二条"


def assert_no_horizontal_overflow(page):
    widths = page.evaluate("() => [document.documentElement.scrollWidth, document.body.scrollWidth]")
    assert max(widths) <= PHONE_WIDTH, f"{page.url} is {widths} px wide on a {PHONE_WIDTH} px screen"


def test_a_department_keeps_its_responsibility_list(browsing, server):
    page = browsing.page()
    log_in(page, server.accounts["yj_data"])
    assert page.goto("/workbench/data/").status == 200
    with page.expect_navigation():
        page.locator(f"main a[href='{LIST}']").click()

    # --- the department's duties; those the catalog lacks are flagged --------------------------------------
    table = page.locator("#object-table tbody")
    expect(table.locator("tr", has_text="殡葬管理").locator(".badge.text-bg-warning")).to_be_visible()
    expect(table.locator("tr", has_text="婚姻登记").locator(".badge.text-bg-success")).to_be_visible()
    expect(page.locator("#object-table")).not_to_contain_text("贵溪市")  # another county's duties stay hidden
    counts = page.locator("p.duty-counts")
    expect(counts).to_contain_text(re.compile(r"\d"))
    with page.expect_navigation():
        counts.locator("a.badge").click()
    assert "unlinked=true" in page.url
    rows = page.locator("#object-table tbody tr")
    expect(rows.first).to_be_visible()
    assert rows.count() == rows.locator(".badge.text-bg-warning").count() >= 2  # only flagged duties
    screenshot(page, "duties-list-unlinked")

    # --- a new duty: refused without its legal basis, then saved linked to an entry ---------------------
    with page.expect_navigation():
        page.locator(f"main a[href='{LIST}add/']").click()
    expect(page.locator("#id_department option")).to_have_count(2)  # only the official's own department
    page.select_option("#id_department", index=1)
    page.fill("#id_duty", DUTY)
    page.fill("#id_data_name", "村（居）民委员会组成和换届选举信息")
    page.select_option("#id_update_cycle", "yearly")
    page.fill("#id_responsible_unit", "基层政权建设和社区治理股")
    entry_box = page.get_by_role("checkbox", name=re.compile(re.escape(ENTRY)))
    expect(page.locator("main form")).not_to_contain_text("贵溪市民政局")  # no other department's entries offered
    entry_box.check()
    with page.expect_navigation() as nav:
        page.locator("main form button[type=submit]").click()
    assert nav.value.status == 422
    expect(page.locator("main .error-summary")).to_contain_text("法律依据")
    expect(page.locator("#id_legal_basis")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("checkbox", name=re.compile(re.escape(ENTRY)))).to_be_checked()  # kept
    screenshot(page, "duties-form-refused")
    page.fill("#id_legal_basis", LEGAL_BASIS)
    with page.expect_navigation() as nav:
        page.locator("main form button[type=submit]").click()
    assert nav.value.status == 200
    assert re.search(r"/data/catalog/responsibilities/\d+/$", page.url), page.url
    duty_url = page.url.removeprefix(server.url)
    expect(page.locator("main .alert-success")).to_be_visible()
    expect(page.locator("main h1")).to_contain_text(DUTY)
    expect(page.locator("main dl")).to_contain_text(LEGAL_BASIS)
    expect(page.locator("ul.duty-entries")).to_contain_text(ENTRY)
    expect(page.locator(".duty-flag")).to_have_count(0)
    expect(page.locator("main dl .badge.text-bg-success")).to_be_visible()
    screenshot(page, "duties-detail")

    # The new duty is on the list, covered by the catalog.
    assert page.goto(f"{LIST}?q=端到端").status == 200
    row = page.locator("#object-table tbody tr", has_text=DUTY)
    expect(row).to_have_count(1)
    expect(row.locator(".badge.text-bg-success")).to_be_visible()
    screenshot(page, "duties-list")

    # --- a 375 px phone: no sideways scrolling -------------------------------------------------------------
    phone = browsing.page(state=page.context.storage_state(), mobile=True)
    assert phone.goto(LIST).status == 200
    expect(phone.locator("#object-table tbody tr").first).to_be_visible()
    assert_no_horizontal_overflow(phone)
    screenshot(phone, "duties-list-mobile")
    assert phone.goto(duty_url).status == 200
    assert_no_horizontal_overflow(phone)
    screenshot(phone, "duties-detail-mobile")
    assert phone.goto(f"{LIST}summary/").status == 200
    expect(phone.locator("table.duty-summary tbody tr")).to_have_count(1)  # 余江区民政局 only
    assert_no_horizontal_overflow(phone)
    screenshot(phone, "duties-summary-mobile")

    # --- WCAG 2.2 AA on the list and the duty's page (axe-core needs a context that bypasses the CSP) ----
    for url in (LIST, duty_url):
        checked = browsing.page(state=page.context.storage_state(), bypass_csp=True)
        assert checked.goto(url).status == 200
        violations = axe_violations(checked)
        assert not violations, format_violations(checked.url, violations)
