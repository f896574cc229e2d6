"""The service guides on a 375 px phone, as a citizen without an account finds them: the home page's search
box, a two-character query (结婚, else 社保), a guide with its materials — one marked 免证办 — and the 在线办理
button. The pages pass axe-core's WCAG 2.2 AA checks and do not scroll sideways."""

import re

import pytest
from playwright.sync_api import expect

from .support import axe_violations, format_violations, screenshot

pytestmark = pytest.mark.e2e
WIDTH = 375
#: the button's words (in English until the Chinese catalogue is compiled with this page's strings)
APPLY = re.compile("^在线办理$|^Apply online$")


def assert_no_horizontal_overflow(page):
    widths = page.evaluate("() => [document.documentElement.scrollWidth, document.body.scrollWidth]")
    assert max(widths) <= WIDTH, f"{page.url} is {widths} px wide on a {WIDTH} px screen"


def assert_accessible(page):
    violations = axe_violations(page)
    assert not violations, format_violations(page.url, violations)


def guide_links(page) -> list[str]:
    return page.eval_on_selector_all(".guide-results h2 a", "links => links.map(a => a.getAttribute('href'))")


def test_a_citizen_finds_a_guide_on_a_phone(browsing):
    page = browsing.page(mobile=True, bypass_csp=True)
    page.goto("/")
    box = page.locator("#home-guide-q")
    expect(box).to_be_visible()
    box.fill("结婚")
    with page.expect_navigation():
        box.press("Enter")
    assert "/services/" in page.url
    expect(page.locator(".guide-results li").first).to_be_visible()
    assert_no_horizontal_overflow(page)
    assert_accessible(page)
    screenshot(page, "services-search-mobile")

    candidates = guide_links(page)
    page.goto("/services/?q=社保")
    expect(page.locator("h1")).to_be_visible()
    assert page.locator(".guide-results h2 a").count() > 0, "社保 finds nothing"
    candidates += guide_links(page)
    assert candidates, "结婚 and 社保 found no guide"

    chosen = None
    for href in candidates:
        page.goto(href)
        if page.locator(".guide-materials .guide-badge-licence").count() and page.locator("#apply-online").count():
            chosen = href
            break
    assert chosen, "no guide of 结婚 or 社保 has a material an e-licence replaces and the 在线办理 button"
    expect(page.locator("h1")).to_be_visible()
    expect(page.locator(".guide-materials .guide-badge-licence").first).to_contain_text("免证办")
    apply = page.locator("#apply-online")
    expect(apply).to_be_visible()
    expect(apply).to_have_text(APPLY)
    assert page.locator(".guide-materials > li").count() >= 1
    # The legal basis folds away and opens.
    legal = page.locator("#legal-title + details summary")
    legal.click()
    assert_no_horizontal_overflow(page)
    assert_accessible(page)
    screenshot(page, "services-guide-mobile")
    href = apply.get_attribute("href")
    assert href and chosen.rstrip("/").split("/")[-1] in href


def test_themes_and_accessibility_statement_on_a_phone(browsing):
    page = browsing.page(mobile=True, bypass_csp=True)
    page.goto("/services/themes/")
    expect(page.locator("h1")).to_have_text(re.compile("主题服务|Services by theme"))
    assert_no_horizontal_overflow(page)
    assert_accessible(page)
    screenshot(page, "services-themes-mobile")
    page.goto("/services/accessibility/")
    expect(page.locator("main")).to_contain_text("GB/T 37668-2019")
    expect(page.locator("main")).to_contain_text("WCAG 2.1")
    assert_no_horizontal_overflow(page)
    assert_accessible(page)


def test_officials_item_pages_and_the_form_editor(browsing, admin_state):
    page = browsing.page(state=admin_state, bypass_csp=True)
    response = page.goto("/services/manage/implementations/")
    assert response.status == 200
    first = page.locator("#object-table tbody tr a").first
    expect(first).to_be_visible()
    with page.expect_navigation():
        first.click()
    expect(page.locator("#materials-title")).to_be_visible()
    assert_accessible(page)
    detail = page.url
    for suffix in ("edit/", "versions/"):
        assert page.goto(detail + suffix).status == 200
        assert_accessible(page)
    screenshot(page, "services-versions")
    page.goto(detail + "edit/")
    # every row of the three tables is on the page (not squeezed out of view)
    for field in ("#id_materials-0-name", "#id_fees-0-name", "#id_steps-0-name"):
        box = page.locator(field).bounding_box()
        assert box and box["width"] > 50 and box["x"] + box["width"] <= 1280, (field, box)
    screenshot(page, "services-edit")
    # The form editor under the site's Content Security Policy: its live preview follows the JSON.
    page = browsing.page(state=admin_state)
    page.goto(detail + "form/")
    area = page.locator("#id_definition")
    expect(area).to_be_visible()
    assert page.locator("#formdef-preview .formdef-page").count() >= 1
    area.fill('{"version": 1, "pages": [{"key": "spouse", "title": "配偶信息", "fields": '
              '[{"key": "spouse_name", "label": "配偶姓名", "type": "text", "required": true}]}]}')
    expect(page.locator("#formdef-preview .formdef-page")).to_have_count(1)
    expect(page.locator("#formdef-preview")).to_contain_text("配偶姓名")
    area.fill('{"version": 1, "pages": [')
    expect(page.locator("#formdef-live-status")).not_to_be_empty()
    expect(page.locator("#formdef-preview")).to_contain_text("配偶姓名")  # the last readable version stays
    # The question builder adds a page with one question (it needs readable JSON first).
    page.fill("#qb-label", "婚姻状况")
    page.click("#qb-add")
    expect(page.locator("#qb-error")).not_to_be_empty()
    area.fill('{"version": 1, "pages": [{"key": "spouse", "title": "配偶信息", "fields": '
              '[{"key": "spouse_name", "label": "配偶姓名", "type": "text", "required": true}]}]}')
    page.fill("#qb-label", "婚姻状况")
    page.select_option("#qb-type", "choice")
    page.fill("#qb-choices", "未婚、离婚、丧偶")
    page.click("#qb-add")
    expect(page.locator("#formdef-preview .formdef-page")).to_have_count(2)
    expect(page.locator("#formdef-preview")).to_contain_text("丧偶")
    assert '"label": "婚姻状况"' in area.input_value()
    screenshot(page, "services-formdef")
    # The server accepts what the builder wrote ("Check and preview" saves nothing: the demo item other browser
    # tests apply for keeps its form).
    with page.expect_navigation() as nav:
        page.click("button[name=preview]")
    assert nav.value.status == 200
    expect(page.locator(".error-summary")).to_have_count(0)
    expect(page.locator("#formdef-preview")).to_contain_text("婚姻状况")
