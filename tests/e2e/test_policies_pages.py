"""Enterprise policies (惠企通, 免申即享) in a real browser on a phone-sized screen, against `dgov serve` with
the demo data: the demo enterprise (鹰潭铜材示范有限公司, a 高新技术企业 in its demo profile) logs in, opens
惠企政策 and sees the 免申即享 policy it matched with every condition met, follows the link to its benefit
case, and finds the case in 我的办件 without having applied. The public policy page shows the rules in words.
Screenshots: tests/e2e/artifacts/policies-*.png."""

import re

import pytest
from playwright.sync_api import expect

from .support import axe_violations, format_violations, log_in, screenshot

pytestmark = pytest.mark.e2e

POLICY = "高新技术企业认定奖励（演示）"


def assert_accessible(browsing, url, account=None):
    """axe on `url` in a page of its own (axe is injected as an inline script: that page bypasses the CSP,
    which the journey's pages keep)."""
    page = browsing.page(mobile=True, bypass_csp=True)
    if account:
        log_in(page, account)
    assert page.goto(url).status == 200
    violations = axe_violations(page)
    assert not violations, format_violations(page.url, violations)


def assert_fits(page, width=375):
    widths = page.evaluate("() => [document.documentElement.scrollWidth, document.body.scrollWidth]")
    assert max(widths) <= width, f"{page.url} is {widths} px wide on a {width} px screen"


def test_the_enterprise_sees_its_policy_and_its_benefit_case_on_a_phone(browsing, accounts):
    phone = browsing.page(mobile=True)
    log_in(phone, accounts["enterprise"])

    assert phone.goto("/my/policies/").status == 200
    card = phone.locator("article.my-policy[data-kind='automatic']", has_text=POLICY)
    expect(card).to_have_count(1)
    card.locator("summary").click()
    conditions = card.locator("li.policy-condition")
    expect(conditions.first).to_be_visible()
    assert conditions.count() >= 4
    expect(card.locator("li.condition-not-held")).to_have_count(0)
    assert_fits(phone)
    screenshot(phone, "policies-my-policies-phone")

    case_link = card.locator("a.policy-case-link")
    reference = re.search(r"YT\d{14}", case_link.inner_text()).group(0)
    with phone.expect_navigation():
        case_link.click()
    assert phone.url.endswith(f"/my/cases/{reference}/")
    assert_fits(phone)

    assert phone.goto("/my/cases/").status == 200
    entry = phone.locator(".my-cases-active li", has_text=reference)
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text("高新技术企业认定奖励兑现")
    assert_fits(phone)
    screenshot(phone, "policies-my-cases-phone")
    assert_accessible(browsing, "/my/policies/", accounts["enterprise"])


def test_the_public_policy_page_shows_the_rules_in_words(browsing):
    phone = browsing.page(mobile=True)
    assert phone.goto("/policies/").status == 200
    with phone.expect_navigation():
        phone.locator("ul.public-policies a", has_text=POLICY).click()
    expect(phone.locator("ul.policy-rules li")).to_have_count(5)
    expect(phone.locator("ul.policy-rules")).to_contain_text("高新技术企业")
    assert_fits(phone)
    screenshot(phone, "policies-public-phone")
    assert_accessible(browsing, phone.url)


def test_the_official_previews_and_runs_matching(browsing, accounts):
    page = browsing.page()
    log_in(page, accounts["official"])
    assert page.goto("/workbench/policies/policies/").status == 200
    with page.expect_navigation():
        page.locator("#object-table a", has_text=POLICY).click()
    expect(page.locator(".policy-match[data-eligible='1']")).to_have_count(1)
    expect(page.locator(".policy-match[data-eligible='0']")).to_have_count(1)
    with page.expect_navigation():
        page.locator("button.policy-run-match").click()
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator(".policy-match[data-eligible='1']")).to_have_count(1)  # re-running adds nothing
    with page.expect_navigation():
        page.locator("a[href$='/preview/']").click()
    expect(page.locator(".preview-result[data-eligible='1']")).to_have_count(1)
    page.locator("#id_rules").fill('{"field": "size", "op": "in", "value": ["medium", "micro"]}')
    with page.expect_navigation():
        page.locator("button.policy-preview-run").click()
    expect(page.locator(".preview-result[data-eligible='1']")).to_have_count(2)
    screenshot(page, "policies-preview-desktop")
