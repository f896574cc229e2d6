"""The cryptography service's pages in a real browser against `dgov serve`: the city administrator
creates an SM2 key, rotates it and sees version 2 with its public key, creates an application,
issues it a token (shown once) and grants it a key policy, which the token then uses through the
API. The key page passes axe-core and fits a 375 px phone."""

import base64
import json
import re
import urllib.request

import pytest
from playwright.sync_api import expect

from .support import axe_violations, format_violations, screenshot

pytestmark = pytest.mark.e2e

KEY = "e2e-sign"
APP = "e2e-gateway"
PHONE_WIDTH = 375


def assert_no_horizontal_overflow(page):
    widths = page.evaluate("() => [document.documentElement.scrollWidth, document.body.scrollWidth]")
    assert max(widths) <= PHONE_WIDTH, f"{page.url} is {widths} px wide on a {PHONE_WIDTH} px screen"


def sign_with_token(server_url: str, token: str) -> dict:
    body = json.dumps({"input": base64.b64encode("鹰潭市 e2e".encode()).decode()}).encode()
    request = urllib.request.Request(f"{server_url}/api/v1/crypto/keys/{KEY}/sign", data=body, method="POST",
                                     headers={"Authorization": f"Bearer {token}",
                                              "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        return json.loads(response.read())


def test_city_admin_manages_keys_applications_tokens_and_policies(browsing, admin_state, server):
    page = browsing.page(state=admin_state)

    # 系统管理 lists the new pages.
    assert page.goto("/workbench/system/").status == 200
    for href in ("/system/keys/", "/system/key-policies/", "/system/applications/"):
        expect(page.locator(f"main a[href='{href}']")).to_be_visible()

    # --- create an SM2 key ----------------------------------------------------------------------
    with page.expect_navigation():
        page.locator("main a[href='/system/keys/']").click()
    with page.expect_navigation():
        page.locator("main a[href='/system/keys/add/']").click()
    page.fill("#id_name", KEY)
    page.select_option("#id_type", "sm2")
    department = page.locator("#id_department option").nth(1)
    department_label, department_value = department.inner_text().strip(), department.get_attribute("value")
    page.select_option("#id_department", department_value)
    page.fill("#id_description", "电子证照签章（端到端测试）")
    screenshot(page, "kms-key-create")
    with page.expect_navigation() as nav:
        page.locator("main form button[type=submit]").click()
    assert nav.value.status == 200
    assert re.search(r"/system/keys/\d+/$", page.url), page.url
    key_url = page.url.removeprefix(server.url)
    expect(page.locator("main h1")).to_have_text(KEY)
    expect(page.locator("main")).to_contain_text(department_label)
    expect(page.locator("pre.pem")).to_have_count(1)

    # --- rotate it (with the confirmation dialog) -------------------------------------------------
    dialogs = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    with page.expect_navigation():
        page.locator("form:has(input[name=action][value=rotate]) button").click()
    assert dialogs, "rotation asked for no confirmation"
    expect(page.locator("main .alert-success")).to_be_visible()
    versions = page.locator("table.key-versions")
    expect(versions).to_contain_text("v2")
    expect(versions).to_contain_text("v1")
    pems = page.locator("pre.pem")
    expect(pems).to_have_count(2)
    newest = pems.first.inner_text()
    assert newest.startswith("-----BEGIN PUBLIC KEY-----") and newest.strip().endswith("-----END PUBLIC KEY-----")
    assert newest != pems.nth(1).inner_text()
    expect(page.locator("main")).not_to_contain_text("PRIVATE KEY")
    screenshot(page, "kms-key-rotated")

    # --- create an application and issue it a token ---------------------------------------------------
    assert page.goto("/system/applications/add/").status == 200
    page.fill("#id_code", APP)
    page.fill("#id_name", "数据交换网关（端到端测试）")
    page.select_option("#id_department", department_value)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert re.search(r"/system/applications/\d+/$", page.url), page.url
    expect(page.locator("main")).to_contain_text(f"app.{APP}")
    with page.expect_navigation():
        page.locator("main a[href$='/tokens/new/']").first.click()
    page.fill("#id_name", "gateway")
    page.fill("#id_days", "30")
    with page.expect_navigation() as nav:
        page.locator("main form button[type=submit]").click()
    assert nav.value.status == 200
    assert "no-store" in nav.value.headers.get("cache-control", "")
    token = page.locator("#new-token").inner_text().strip()
    assert token.startswith("dgov_"), token
    expect(page.locator("main .alert-warning")).to_be_visible()
    screenshot(page, "kms-application-token")
    with page.expect_navigation():
        page.locator("main a.btn-gov").click()
    tokens = page.locator("main table").last
    expect(tokens).to_contain_text(token[:11])
    expect(page.locator("main")).not_to_contain_text(token)
    screenshot(page, "kms-application-detail")

    # --- grant the application a policy on the key --------------------------------------------------
    # On the generic add page, choosing the key fetches its operations (htmx).
    assert page.goto("/system/key-policies/add/").status == 200
    expect(page.locator("#operations-field input[value=hmac]")).to_have_count(1)  # every operation, no key yet
    with page.expect_response(lambda r: "/system/key-policies/add/?key=" in r.url) as swapped:
        page.select_option("#id_key", label=f"{KEY} (sm2)")
    assert swapped.value.request.headers.get("hx-target") == "operations-field"
    expect(page.locator("#operations-field input[value=hmac]")).to_have_count(0)
    expect(page.locator("#operations-field input[value=sign]")).to_have_count(1)
    page.select_option("#id_application",
                       page.locator("#id_application option", has_text=f"({APP})").get_attribute("value"))
    page.check("#operations-field input[value=sign]")
    page.check("#operations-field input[value=verify]")
    screenshot(page, "kms-policy-form")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert re.search(r"/system/key-policies/\d+/$", page.url), page.url

    # The key's page lists the policy; the token can now sign with the key.
    assert page.goto(key_url).status == 200
    expect(page.locator("#policies-title")).to_be_visible()
    expect(page.locator("main")).to_contain_text(APP)
    screenshot(page, "kms-key-detail")
    signed = sign_with_token(server.url, token)
    assert signed["key_version"] == 2 and signed["signature"]

    # --- a 375 px phone: no sideways scrolling ---------------------------------------------------
    phone = browsing.page(state=admin_state, mobile=True)
    assert phone.goto(key_url).status == 200
    expect(phone.locator("pre.pem")).to_have_count(2)
    assert_no_horizontal_overflow(phone)
    screenshot(phone, "kms-key-detail-mobile")
    assert phone.goto("/system/keys/").status == 200
    assert_no_horizontal_overflow(phone)
    screenshot(phone, "kms-keys-mobile")

    # --- WCAG 2.2 AA on the key page (axe-core needs a context that bypasses the CSP) ---------------
    checked = browsing.page(state=admin_state, bypass_csp=True)
    assert checked.goto(key_url).status == 200
    violations = axe_violations(checked)
    assert not violations, format_violations(checked.url, violations)
    phone_checked = browsing.page(state=admin_state, bypass_csp=True, mobile=True)
    assert phone_checked.goto(key_url).status == 200
    violations = axe_violations(phone_checked)
    assert not violations, format_violations(phone_checked.url, violations)
