"""Rating a service (好差评) in a real browser on a phone-sized screen, against `dgov serve` with the demo
data: the demo citizen opens a decided demo case in 我的办件 that she has not rated, rates it 不满意 with
the indicators that were not good and a comment, and sees her rating and that the department is looking
into it. The demo official (the rating manager of the demo cases' region) then records, on the case's
page, the verification, the fix and the call-back, and the rectification closes; the citizen sees it
put right. Screenshots go to tests/e2e/artifacts/ (ratings-*.png)."""

import pytest
from playwright.sync_api import expect

from .support import axe_violations, format_violations, log_in, screenshot

pytestmark = pytest.mark.e2e


def assert_fits(page, width=375):
    widths = page.evaluate("() => [document.documentElement.scrollWidth, document.body.scrollWidth]")
    assert max(widths) <= width, f"{page.url} is {widths} px wide on a {width} px screen"


def unrated_case(phone) -> str:
    """The address of a decided case of the citizen's with the rating form on its page: a closed one
    (the cases demo's) when there is one, else any decided one (other apps' demo cases)."""
    assert phone.goto("/my/cases/").status == 200
    links = phone.locator("main a[href^='/my/cases/YT']")
    found = []
    for href in dict.fromkeys(links.nth(i).get_attribute("href") for i in range(links.count())):
        phone.goto(href)
        if phone.locator(".rating-panel[data-case-state=closed] form.rating-form").count():
            return href
        if phone.locator("form.rating-form").count():
            found.append(href)
    assert found, "no decided demo case is left to rate"
    phone.goto(found[0])
    return found[0]


def test_a_citizen_rates_badly_and_the_official_puts_it_right(browsing, accounts):
    phone = browsing.page(mobile=True)
    log_in(phone, accounts["citizen"])
    address = unrated_case(phone)
    reference = address.rstrip("/").rsplit("/", 1)[-1]
    # the page with the rating form passes axe-core (WCAG 2.2 AA), checked in a CSP-bypassing context
    checked = browsing.page(state=phone.context.storage_state(), bypass_csp=True, mobile=True)
    checked.goto(address)
    violations = axe_violations(checked)
    assert not violations, format_violations(checked.url, violations)
    form = phone.locator("form.rating-form")
    form.locator("input[name=level][value='2']").check()
    form.locator("input[name=indicators][value=efficiency]").check()
    form.locator("input[name=indicators][value=guide]").check()
    form.locator("textarea[name=comment]").fill("办事指南和窗口要求不一致，多跑了一趟。")
    assert_fits(phone)
    screenshot(phone, "ratings-form-phone")
    with phone.expect_navigation():
        form.locator("button.rating-submit").click()
    panel = phone.locator(".rating-panel[data-rated=yes]")
    expect(panel.locator(".rating-level[data-level='2']")).to_be_visible()
    expect(panel.locator(".rectification-progress[data-state=verify]")).to_be_visible()
    assert_fits(phone)
    screenshot(phone, "ratings-rated-phone")

    official = browsing.page(mobile=True)
    log_in(official, accounts["official"])
    listing = official.goto("/workbench/ratings/?state=verify")
    assert listing.status == 200
    expect(official.locator(f"tr[data-state=verify] a:has-text('{reference}')")).to_be_visible()
    assert official.goto(f"/workbench/cases/{reference}/").status == 200
    steps = [("verify", "经核实，办事指南的材料要求与窗口执行口径不一致，情况属实。", "founded"),
             ("fix", "已修订办事指南并对窗口人员进行业务培训，统一了材料要求。", None),
             ("callback", "电话回访申请人，对整改结果表示满意。", "satisfied")]
    for step, text, choice in steps:
        step_form = official.locator(f"form.rectification-form[data-step={step}]")
        expect(step_form).to_be_visible()
        step_form.locator("textarea").fill(text)
        if choice:
            step_form.locator(f"input[name=step-{choice}][value=yes]").check()
        if step == "callback":
            screenshot(official, "ratings-official-callback-phone")
        with official.expect_navigation():
            step_form.locator("button.rectification-submit").click()
        assert official.url.endswith(f"/workbench/cases/{reference}/"), official.url
    expect(official.locator(".rectification[data-state=closed]")).to_be_visible()
    expect(official.locator(".rectification-events li")).to_have_count(3)
    assert_fits(official)
    screenshot(official, "ratings-official-closed-phone")

    phone.goto(address)
    expect(phone.locator(".rectification-progress[data-state=closed]")).to_be_visible()
    expect(phone.locator(".rectification-progress")).to_contain_text("已修订办事指南")
    screenshot(phone, "ratings-closed-phone")


def test_the_supervising_department_acknowledges_a_pushed_approval(browsing, accounts):
    """审管联动: the demo official, supervision officer of the demo region, opens the inbox of supervision
    tasks, opens one still to acknowledge (an approved demo case) and acknowledges it."""
    page = browsing.page(mobile=True)
    log_in(page, accounts["official"])
    assert page.goto("/workbench/supervision/?state=pushed").status == 200
    row = page.locator("table.supervision-table tr[data-state=pushed]").first
    expect(row).to_be_visible()
    assert_fits(page)
    screenshot(page, "supervision-inbox-phone")
    with page.expect_navigation():
        row.locator("a").first.click()
    form = page.locator("form.supervision-action[data-action=acknowledge]")
    form.locator("textarea").fill("已认领，纳入本季度双随机抽查计划。")
    with page.expect_navigation():
        form.locator("button").click()
    expect(page.locator(".supervision-state[data-state=acknowledged]")).to_be_visible()
    expect(page.locator("form.supervision-action[data-action=start]")).to_be_visible()
    expect(page.locator(".supervision-history li[data-action=acknowledge]")).to_contain_text("双随机抽查")
    assert_fits(page)
    screenshot(page, "supervision-task-phone")
