"""A one-thing bundle in a real browser on a phone-sized screen, against `dgov serve` with the demo data:
the demo citizen opens the list of bundles, the guide of 新生儿出生一件事 (出生登记, 医保参保, 社保卡申领 in
three departments), answers the combined form one page at a time (her identity prefilled, each shared
question asked once), uploads her ID card once, checks her answers, sends, and sees the confirmation
listing the three cases with their departments. Screenshots: tests/e2e/artifacts/bundle-*.png."""

import re

import pytest
from playwright.sync_api import expect

from .support import axe_violations, format_violations, log_in, screenshot

pytestmark = pytest.mark.e2e

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def assert_fits(page, width=375):
    widths = page.evaluate("() => [document.documentElement.scrollWidth, document.body.scrollWidth]")
    assert max(widths) <= width, f"{page.url} is {widths} px wide on a {width} px screen"


def assert_accessible(browsing, page):
    """axe-core (WCAG 2.2 AA) on the page's address, in a second, CSP-bypassing context of the same session
    (the journey itself runs under the real Content Security Policy)."""
    checked = browsing.page(state=page.context.storage_state(), bypass_csp=True, mobile=True)
    try:
        assert checked.goto(page.url).status == 200
        violations = axe_violations(checked)
        assert not violations, format_violations(page.url, violations)
    finally:
        checked.close()


def answer_page(page):
    """Fill what the page asks that is still empty (a name, a date, a phone, the first choice)."""
    for box in page.locator("form.apply-question input[type=text], form.apply-question textarea").all():
        if not box.input_value() and "optional" not in (box.get_attribute("class") or ""):
            box.fill("李小宝")
    for box in page.locator("form.apply-question input[type=date]").all():
        if not box.input_value():
            box.fill("2026-11-20")
    for box in page.locator("form.apply-question input[type=tel]").all():
        if not box.input_value():
            box.fill("13907010001")
    for fieldset in page.locator("form.apply-question fieldset").all():
        radios = fieldset.locator("input[type=radio]")
        if radios.count() and not fieldset.locator("input[type=radio]:checked").count():
            radios.first.check()


def test_a_citizen_applies_for_the_newborn_bundle_on_a_phone(browsing, accounts, tmp_path):
    phone = browsing.page(mobile=True)
    log_in(phone, accounts["citizen"])
    assert phone.goto("/services/bundles/").status == 200
    # the two demo bundles: 新生儿出生一件事 and 企业开办一件事
    expect(phone.locator(".bundle-list li[data-bundle]")).to_have_count(2)
    with phone.expect_navigation():
        phone.locator(".bundle-list a", has_text="新生儿出生一件事").click()
    expect(phone.locator(".bundle-members li")).to_have_count(3)
    assert_fits(phone)
    assert_accessible(browsing, phone)
    screenshot(phone, "bundle-guide-phone")
    with phone.expect_navigation():
        phone.locator("a.bundle-apply").click()
    with phone.expect_navigation():
        phone.locator("button.apply-start").click()

    # the combined form, one page at a time; the identity prefilled
    expect(phone.locator("#id_id_number")).to_have_value(accounts["citizen"]["id_number"])
    pages = 0
    while "/materials/" not in phone.url:
        pages += 1
        assert pages < 15, phone.url
        answer_page(phone)
        assert_fits(phone)
        with phone.expect_navigation():
            phone.locator("button.apply-continue").click()
        expect(phone.locator(".error-summary")).to_have_count(0)
    # 姓名, 身份号码 and 手机 are asked once for three items: 7 pages instead of 4 + 3 + 4
    assert pages == 7, pages

    # the ID card once, for the items that need it
    pdf = tmp_path / "身份证.pdf"
    pdf.write_bytes(PDF)
    id_card = phone.locator("section.apply-material", has_text="居民身份证")
    id_card.locator("details.apply-upload").evaluate("d => d.open = true")
    id_card.locator("input[type=file]").set_input_files(str(pdf))
    with phone.expect_navigation():
        id_card.locator("form:has(input[type=file]) button[type=submit]").click()
    expect(phone.locator("section.apply-material", has_text="居民身份证").locator(".apply-provided")).to_contain_text(
        "身份证.pdf")
    assert_fits(phone)
    assert_accessible(browsing, phone)
    screenshot(phone, "bundle-materials-phone")
    with phone.expect_navigation():
        phone.locator("a.apply-continue").click()

    # check your answers and send
    assert "/check/" in phone.url, phone.url
    expect(phone.locator(".apply-summary-materials")).to_contain_text("身份证.pdf")
    assert_accessible(browsing, phone)
    screenshot(phone, "bundle-check-phone")
    phone.locator("#id_declaration").check()
    with phone.expect_navigation():
        phone.locator("button.apply-submit").click()

    # the confirmation lists the three cases and their departments
    expect(phone.locator(".bundle-confirmation")).to_be_visible()
    reference = phone.locator(".apply-reference").inner_text().strip()
    assert re.fullmatch(r"YB\d{14}", reference), reference
    cases = phone.locator(".bundle-cases li")
    expect(cases).to_have_count(3)
    for li in cases.all():
        assert re.fullmatch(r"YT\d{14}", li.get_attribute("data-reference") or "")
    assert_fits(phone)
    assert_accessible(browsing, phone)
    screenshot(phone, "bundle-confirmation-phone")

    # the case page says which bundle it belongs to; the list of applications has it
    with phone.expect_navigation():
        cases.first.locator("a").first.click()
    expect(phone.locator(".bundle-panel")).to_be_visible()
    assert phone.goto("/my/bundles/").status == 200
    expect(phone.locator(f".my-bundles-sent li[data-reference='{reference}']")).to_be_visible()
