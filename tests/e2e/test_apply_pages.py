"""Applying online in a real browser on a phone-sized screen, against `dgov serve` with the demo data:
the demo citizen finds 城乡居民基本养老保险参保登记 with a two-character query (养老), opens its guide,
starts an application, answers one question per page (her name and identity number prefilled from her
verified identity), uploads her ID card as a PDF, uses her electronic 居住证 instead of a copy (免证办,
with the consent ticked), checks her answers, sends the application and sees the reference number on
the confirmation panel, then finds the case in 我的办件. Every page fits the phone's width; screenshots go
to tests/e2e/artifacts/ (apply-*.png)."""

import re

import pytest
from playwright.sync_api import expect

from .support import axe_violations, format_violations, log_in, screenshot

pytestmark = pytest.mark.e2e

ITEM = "城乡居民基本养老保险参保登记"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def assert_fits(page, width=375):
    widths = page.evaluate("() => [document.documentElement.scrollWidth, document.body.scrollWidth]")
    assert max(widths) <= width, f"{page.url} is {widths} px wide on a {width} px screen"


def assert_accessible(page):
    violations = axe_violations(page)
    assert not violations, format_violations(page.url, violations)


def continue_(page):
    with page.expect_navigation():
        page.locator("button.apply-continue").click()


def test_a_citizen_applies_online_on_a_phone_with_an_e_licence(browsing, accounts, tmp_path):
    phone = browsing.page(mobile=True)
    log_in(phone, accounts["citizen"])

    # find the item with a two-character query and open its guide
    assert phone.goto("/services/?q=养老").status == 200
    with phone.expect_navigation():
        phone.locator("main a", has_text=ITEM).first.click()
    apply_link = phone.locator("main a[href^='/services/apply/']").first
    expect(apply_link).to_be_visible()
    with phone.expect_navigation():
        apply_link.click()
    assert re.search(r"/services/apply/[^/]+/$", phone.url), phone.url
    start_address = phone.url
    assert_fits(phone)
    screenshot(phone, "apply-start-phone")
    with phone.expect_navigation():
        phone.locator("button.apply-start").click()

    # one question per page; the identity comes prefilled from the verified account
    expect(phone.locator("#id_name")).not_to_have_value("")
    expect(phone.locator("#id_id_number")).to_have_value(accounts["citizen"]["id_number"])
    assert_fits(phone)
    screenshot(phone, "apply-question-phone")
    continue_(phone)
    if not phone.locator("#id_phone").input_value():
        phone.fill("#id_phone", "13907010001")
    # a wrong number is refused in Chinese and the page stays
    typed = phone.locator("#id_phone").input_value()
    phone.fill("#id_phone", "12345")
    continue_(phone)
    expect(phone.locator(".error-summary")).to_be_visible()
    expect(phone.locator(".error-summary")).to_contain_text("手机")
    phone.fill("#id_phone", typed)
    continue_(phone)
    phone.locator("input[name=residence][value=resident_permit]").check()
    expect(phone.locator("legend h1")).to_have_text("您的户籍")  # one question: it is the heading
    assert_fits(phone)
    screenshot(phone, "apply-choice-phone")
    continue_(phone)
    assert_fits(phone)
    phone.locator("input[name=level][value='500']").check()
    continue_(phone)
    phone.fill("#id_address", "月湖区江边街道站江路8号")
    continue_(phone)

    # materials: the ID card as a PDF, the 居住证 as the e-licence (with consent)
    assert "/materials/" in phone.url, phone.url
    assert_fits(phone)
    pdf = tmp_path / "身份证.pdf"
    pdf.write_bytes(PDF)
    id_card = phone.locator("section.apply-material", has_text="居民身份证")
    id_card.locator("input[type=file]").set_input_files(str(pdf))
    with phone.expect_navigation():
        id_card.locator("form:has(input[type=file]) button[type=submit]").click()
    expect(phone.locator("section.apply-material", has_text="居民身份证").locator(".apply-provided")).to_contain_text(
        "身份证.pdf")
    screenshot(phone, "apply-materials-uploaded-phone")
    assert_fits(phone)
    permit = phone.locator("section.apply-material", has_text="居住证")
    licence = permit.locator("details.apply-licence")
    expect(licence).to_be_visible()
    if licence.get_attribute("open") is None:
        licence.locator("summary").click()
    radio = licence.locator("input[type=radio]").first
    radio.check()
    licence.locator("input[type=checkbox]").check()
    with phone.expect_navigation():
        licence.locator("button[type=submit]").click()
    provided = phone.locator("section.apply-material", has_text="居住证").locator(".apply-provided")
    expect(provided).to_be_visible()
    expect(provided.locator(".badge.text-bg-success")).to_have_count(1)
    assert_fits(phone)
    screenshot(phone, "apply-materials-phone")
    with phone.expect_navigation():
        phone.locator("a.apply-continue").click()

    # check your answers, then send
    assert "/check/" in phone.url, phone.url
    expect(phone.locator(".apply-summary").first).to_be_visible()
    expect(phone.locator("main")).to_contain_text("500元")
    expect(phone.locator("main")).to_contain_text("月湖区江边街道站江路8号")
    expect(phone.locator(".apply-summary-materials")).to_contain_text("身份证.pdf")
    assert_fits(phone)
    screenshot(phone, "apply-check-phone")
    phone.locator("#id_declaration").check()
    with phone.expect_navigation():
        phone.locator("button.apply-submit").click()

    # the confirmation with the reference
    panel = phone.locator(".confirmation-panel")
    expect(panel).to_be_visible()
    reference = phone.locator(".apply-reference").inner_text().strip()
    assert re.fullmatch(r"YT\d{14}", reference), reference
    assert_fits(phone)
    screenshot(phone, "apply-confirmation-phone")

    # 我的办件 lists it; its page shows the history
    assert phone.goto("/my/cases/").status == 200
    expect(phone.locator(".my-cases-active")).to_contain_text(reference)
    assert_fits(phone)
    with phone.expect_navigation():
        phone.locator(".my-cases-active a", has_text=ITEM).first.click()
    expect(phone.locator(".case-history li")).not_to_have_count(0)
    assert_fits(phone)
    screenshot(phone, "apply-my-case-phone")
    case_url = phone.url

    # every page of the journey passes axe-core (WCAG 2.2 AA), on a second draft in a CSP-bypassing context
    checked = browsing.page(state=phone.context.storage_state(), bypass_csp=True, mobile=True)
    for address in ("/my/cases/", case_url):
        assert checked.goto(address).status == 200
        assert_accessible(checked)
    assert checked.goto(start_address).status == 200
    assert_accessible(checked)
    with checked.expect_navigation():
        checked.locator("button.apply-start").click()
    assert_accessible(checked)
    draft = checked.url.split("/q/")[0]
    for suffix in ("/materials/", "/check/"):
        assert checked.goto(draft + suffix).status == 200
        assert_accessible(checked)
    with checked.expect_navigation():
        checked.locator("button.apply-submit").click()  # incomplete: the errors are listed
    expect(checked.locator(".error-summary")).to_be_visible()
    assert_accessible(checked)
