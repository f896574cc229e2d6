"""The language switcher: English, and back to Simplified Chinese."""

import pytest
from playwright.sync_api import expect

from .support import NAV_EN, NAV_ZH, SECTION_URLS, screenshot

pytestmark = pytest.mark.e2e


def nav_texts(page) -> dict[str, str]:
    return {key: page.locator(f"#main-nav a.nav-link[href='{url}']").inner_text().strip()
            for key, url in SECTION_URLS.items()}


def test_switch_to_english_and_back(browsing, admin_state):
    page = browsing.page(state=admin_state)
    page.goto("/workbench/system/")
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "zh-hans")
    select = page.locator("#lang-select")
    expect(select).to_have_value("zh-hans")
    # Choosing a language does not reload the page by itself (WCAG 3.2.2 On Input): the button does.
    button = page.locator(".lang-form button[type=submit]")
    select.select_option("en")
    expect(html).to_have_attribute("lang", "zh-hans")
    with page.expect_navigation():
        button.click()
    assert page.url.endswith("/workbench/system/"), page.url  # back on the same page
    expect(html).to_have_attribute("lang", "en")
    assert nav_texts(page) == NAV_EN
    expect(page.locator("h1")).to_have_text(NAV_EN["system"])
    expect(select).to_have_value("en")
    screenshot(page, "language-en")

    page.locator("#lang-select").select_option("zh-hans")
    with page.expect_navigation():
        page.locator(".lang-form button[type=submit]").click()
    expect(html).to_have_attribute("lang", "zh-hans")
    assert nav_texts(page) == NAV_ZH
    expect(page.locator("h1")).to_have_text(NAV_ZH["system"])
    expect(select).to_have_value("zh-hans")
    screenshot(page, "language-zh")
