"""WCAG 2.2 AA: axe-core (vendored, tests/e2e/vendor/axe.min.js) finds no serious or critical
violation on the main pages, on desktop and on a 375 px phone.

The pages' Content Security Policy (script-src 'self') refuses the inline script that injects
axe-core, so these contexts alone bypass the CSP; every other test runs with it."""

import pytest
from playwright.sync_api import expect

from .support import axe_violations, format_violations, invalid_id_number, screenshot

pytestmark = pytest.mark.e2e


def check(page, name: str) -> None:
    screenshot(page, f"a11y-{name}")
    violations = axe_violations(page)
    assert not violations, format_violations(page.url, violations)


@pytest.mark.parametrize("mobile", [False, True], ids=["desktop", "mobile"])
def test_login_page(browsing, mobile):
    page = browsing.page(bypass_csp=True, mobile=mobile)
    page.goto("/accounts/login/")
    check(page, "login-mobile" if mobile else "login")


def test_public_home(browsing):
    page = browsing.page(bypass_csp=True)
    page.goto("/")
    check(page, "home")


def test_workbench(browsing, admin_state):
    page = browsing.page(state=admin_state, bypass_csp=True)
    page.goto("/workbench/")
    assert page.url.endswith("/workbench/")
    check(page, "workbench")


def test_list_page(browsing, admin_state):
    page = browsing.page(state=admin_state, bypass_csp=True)
    response = page.goto("/system/users/")
    assert response.status == 200
    page.locator("#object-table tbody tr").first.wait_for()
    check(page, "users")


def test_form_with_errors(browsing):
    page = browsing.page(bypass_csp=True)
    page.goto("/accounts/register/")
    page.fill("#id_username", "a")
    page.fill("#id_id_number", invalid_id_number())
    page.fill("#id_phone", "123")
    page.fill("#id_password", "short")
    page.fill("#id_password2", "different")
    with page.expect_navigation() as nav:
        page.locator("main form button[type=submit]").click()
    assert nav.value.status == 422
    expect(page.locator(".error-summary")).to_be_focused()
    assert page.locator("[aria-invalid='true']").count() >= 2
    check(page, "register-errors")


def test_keyboard_skip_link_and_focus_order(browsing):
    page = browsing.page()
    page.goto("/")
    # From the top of the page, Tab reaches the skip link first.
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    expect(skip).to_have_attribute("href", "#main")
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    # The next Tab stops inside the main content, not back in the navigation, and the focused
    # control shows a solid outline (WCAG 2.4.7).
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.querySelector('main').contains(document.activeElement)")
    assert_focus_visible(page)
    screenshot(page, "keyboard-after-skip")
    # So do the navigation links on the red bar.
    page.locator("#main-nav a.nav-link").first.focus()
    assert_focus_visible(page)
    screenshot(page, "keyboard-nav-focus")


def assert_focus_visible(page):
    style = page.evaluate("""() => { const s = getComputedStyle(document.activeElement);
        return {tag: document.activeElement.outerHTML.slice(0, 80), style: s.outlineStyle,
                width: parseFloat(s.outlineWidth), color: s.outlineColor}; }""")
    assert style["style"] == "solid" and style["width"] >= 2, style
