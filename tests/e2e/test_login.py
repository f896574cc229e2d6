"""Logging in as an official (password, then TOTP) and as a citizen; registering a citizen."""

import secrets
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from .support import (
    NAV_ZH,
    SECTION_URLS,
    invalid_id_number,
    log_in,
    screenshot,
    totp_code,
    valid_id_number,
)

pytestmark = pytest.mark.e2e


def nav_link(page, key):
    return page.locator(f"#main-nav a.nav-link[href='{SECTION_URLS[key]}']")


def test_official_logs_in_with_password_and_totp(browsing, accounts):
    admin = accounts["admin"]
    page = browsing.page()
    page.goto("/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    page.fill("#id_username", admin["username"])
    page.fill("#id_password", admin["password"])
    with page.expect_navigation():
        page.press("#id_password", "Enter")
    # Administrative roles cannot skip the second factor.
    assert page.url.endswith("/accounts/login/otp/")
    expect(page.locator("#id_code")).to_be_focused()
    expect(page.locator("#id_code")).to_have_attribute("autocomplete", "one-time-code")
    screenshot(page, "login-otp")
    page.fill("#id_code", totp_code(admin["totp_secret"]))
    with page.expect_navigation():
        page.press("#id_code", "Enter")
    assert page.url.endswith("/workbench/"), page.url
    # The workbench: its nav entry is the current page, and it lists my roles with their scope.
    expect(nav_link(page, "workbench")).to_have_attribute("aria-current", "page")
    roles = page.locator("section[aria-labelledby='roles-title']")
    expect(roles.locator("li")).to_have_count(2)
    expect(roles.locator("li").nth(0)).to_contain_text("系统管理员")
    expect(roles.locator("li").nth(1)).to_contain_text("安全管理员")
    expect(roles).to_contain_text("全部数据")
    for key in ("data", "cityops", "system"):
        expect(nav_link(page, key)).to_be_visible()
        expect(page.locator(f"#sec-{key}")).to_be_visible()
    # System administration offers the user list to a city administrator.
    expect(page.locator("section[aria-labelledby='sec-system'] a[href='/system/users/']")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    for key in ("workbench", "data", "cityops", "system"):
        expect(nav_link(page, key)).to_have_text(NAV_ZH[key])
    for key in ("data", "cityops", "system"):
        expect(page.locator(f"#sec-{key}")).to_have_text(NAV_ZH[key])
    expect(page).to_have_title(f"{NAV_ZH['workbench']} · 鹰潭市数字政府")
    screenshot(page, "workbench")
    # The account menu logs out and the workbench is then closed.
    page.locator("#main-nav .dropdown-toggle").click()
    with page.expect_navigation():
        page.locator("#main-nav form[action='/accounts/logout/'] button").click()
    assert page.url.rstrip("/") == browsing.server.url
    page.goto("/workbench/")
    assert "/accounts/login/" in page.url


def test_citizen_logs_in_and_sees_masked_then_full_id_number(browsing, accounts):
    citizen = accounts["citizen"]
    assert "totp_secret" not in citizen
    page = browsing.page()
    log_in(page, citizen)
    assert page.url.endswith("/accounts/profile/"), page.url
    full = citizen["id_number"]
    masked = full[:3] + "*" * 11 + full[-4:]
    main = page.locator("main")
    expect(main).to_contain_text(masked)
    expect(main).not_to_contain_text(full)
    # Citizens do not see the officials' sections.
    expect(page.locator("#main-nav a.nav-link[href='/workbench/']")).to_have_count(0)
    screenshot(page, "citizen-profile")
    with page.expect_navigation():
        page.locator("main a[href='/accounts/profile/personal-data/']").click()
    expect(page.locator("main")).to_contain_text(full)
    expect(page.locator("main [role='note']")).to_be_visible()
    screenshot(page, "citizen-personal-data")


def test_citizen_registers_after_correcting_an_invalid_id_number(browsing):
    page = browsing.page()
    page.goto("/accounts/register/")
    username = f"e2e_{secrets.token_hex(4)}"
    password = f"Yt-{secrets.token_hex(6)}-Q9"
    page.fill("#id_username", username)
    page.fill("#id_real_name", "测试用户")
    page.fill("#id_id_number", invalid_id_number())
    page.fill("#id_phone", "13912345678")
    page.fill("#id_password", password)
    page.fill("#id_password2", password)
    with page.expect_navigation() as nav:
        page.locator("main form button[type=submit]").click()
    assert nav.value.status == 422
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary.locator("a[href='#id_id_number']")).to_be_visible()
    field = page.locator("#id_id_number")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_attribute("aria-describedby", "id_id_number_error")
    expect(page.locator("#id_id_number_error")).to_be_visible()
    # Only the ID number was wrong.
    expect(page.locator("[aria-invalid='true']")).to_have_count(1)
    screenshot(page, "register-errors")
    # The summary's link moves focus to the field.
    summary.locator("a[href='#id_id_number']").click()
    expect(field).to_be_focused()

    field.fill(valid_id_number())
    page.fill("#id_password", password)  # password fields are never sent back
    page.fill("#id_password2", password)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert urlsplit(page.url).path == "/accounts/profile/", page.inner_text("main")
    expect(page.locator("main")).to_contain_text(username)
    expect(page.locator("#main-nav .dropdown-toggle")).to_contain_text("测试用户")
    screenshot(page, "register-done")
