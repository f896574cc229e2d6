"""A 375 px phone: the navigation collapses behind the menu button and no page scrolls sideways."""

import pytest
from playwright.sync_api import expect

from .support import screenshot

pytestmark = pytest.mark.e2e

WIDTH = 375


def assert_no_horizontal_overflow(page):
    widths = page.evaluate("() => [document.documentElement.scrollWidth, document.body.scrollWidth]")
    assert max(widths) <= WIDTH, f"{page.url} is {widths} px wide on a {WIDTH} px screen"


def open_menu(page):
    menu, toggler = page.locator("#main-nav"), page.locator("button.navbar-toggler")
    expect(toggler).to_be_visible()
    expect(toggler).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_hidden()
    toggler.click()
    expect(menu).to_have_class("navbar-collapse collapse show")
    expect(menu).to_be_visible()
    expect(toggler).to_have_attribute("aria-expanded", "true")
    return menu


def test_login_and_home_on_a_phone(browsing):
    page = browsing.page(mobile=True)
    page.goto("/accounts/login/")
    assert page.viewport_size["width"] == WIDTH
    expect(page.locator("#id_username")).to_be_visible()
    assert_no_horizontal_overflow(page)
    screenshot(page, "mobile-login")
    menu = open_menu(page)
    expect(menu.locator("#lang-select")).to_be_visible()
    expect(menu.locator("a[href='/accounts/register/']")).to_be_visible()
    assert_no_horizontal_overflow(page)
    screenshot(page, "mobile-login-menu")

    page.goto("/")
    assert_no_horizontal_overflow(page)
    screenshot(page, "mobile-home")


def test_workbench_on_a_phone(browsing, admin_state):
    page = browsing.page(state=admin_state, mobile=True)
    page.goto("/workbench/")
    assert page.url.endswith("/workbench/")
    assert_no_horizontal_overflow(page)
    screenshot(page, "mobile-workbench")
    menu = open_menu(page)
    for href in ("/workbench/data/", "/workbench/cityops/", "/workbench/system/"):
        expect(menu.locator(f"a.nav-link[href='{href}']")).to_be_visible()
    assert_no_horizontal_overflow(page)
    screenshot(page, "mobile-workbench-menu")
    with page.expect_navigation():
        menu.locator("a.nav-link[href='/workbench/system/']").click()
    expect(page.locator("#main-nav")).to_be_hidden()
    assert_no_horizontal_overflow(page)

    page.goto("/system/users/")
    # A wide table scrolls inside its own box, not the page.
    expect(page.locator("#object-table .table-responsive")).to_be_visible()
    assert_no_horizontal_overflow(page)
    screenshot(page, "mobile-users")
