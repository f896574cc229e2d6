"""Issue 8's acceptance walk-through, tried as a new user would, in a real browser against `dgov serve` with
the demo data: the demo citizen, on a phone-sized screen, finds 不动产抵押权首次登记 with a two-character
query (抵押), applies online with her electronic 不动产权证书 instead of the paper certificate (免证办, with
consent), and sends the application; the demo official (张伟, whose case roles cover 鹰潭市自然资源局) sends
a 补正 notice from the workbench; the citizen reads it in 我的办件, uploads the corrected contract and
resubmits; the official accepts, reviews and approves; a fee order is issued; the citizen pays it in the
sandbox cashier and gets the receipt; the official delivers the result and closes the case; the citizen
rates the service. Screenshots go to tests/e2e/artifacts/ (journey-*.png)."""

import re

import pytest
from playwright.sync_api import expect

from .support import log_in, screenshot

pytestmark = pytest.mark.e2e

ITEM = "不动产抵押权首次登记"
PHONE_WIDTH = 375
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def assert_fits(page):
    widths = page.evaluate("() => [document.documentElement.scrollWidth, document.body.scrollWidth]")
    assert max(widths) <= PHONE_WIDTH, f"{page.url} is {widths} px wide on a {PHONE_WIDTH} px screen"


def continue_(page):
    with page.expect_navigation():
        page.locator("button.apply-continue").click()


def upload(page, tmp_path, material: str, filename: str):
    pdf = tmp_path / filename
    pdf.write_bytes(PDF)
    section = page.locator("section.apply-material", has_text=material)
    details = section.locator("details.apply-upload")
    if details.get_attribute("open") is None:  # folded once something was provided: a replacement
        details.locator("summary").click()
    section.locator("input[type=file]").set_input_files(str(pdf))
    with page.expect_navigation():
        section.locator("form:has(input[type=file]) button[type=submit]").click()
    expect(page.locator("section.apply-material", has_text=material).locator(".apply-provided")).to_contain_text(
        filename)


def take(page, name: str, *, reason: str | None = None):
    """The official takes an action on the case page; the page comes back with the success message."""
    panel = page.locator(f"details.case-action[data-action={name}]")
    expect(panel).to_be_visible()
    if panel.get_attribute("open") is None:
        panel.locator("summary").click()
    if reason is not None:
        panel.locator(f"#id_{name}-reason").fill(reason)
    with page.expect_navigation() as nav:
        panel.locator("button[type=submit]").click()
    assert nav.value.status == 200, page.inner_text("main")[:2000]
    expect(page.locator("main .alert-success")).to_be_visible()


def apply_online(phone, accounts, tmp_path) -> str:
    """Search, guide, one question per page, materials (an e-licence and uploads), check, send: the reference."""
    assert phone.goto("/services/?q=抵押").status == 200
    expect(phone.locator("main")).to_contain_text(ITEM)
    assert_fits(phone)
    screenshot(phone, "journey-search-phone")
    with phone.expect_navigation():
        phone.locator("main a", has_text=ITEM).first.click()
    expect(phone.locator("main")).to_contain_text("不动产权属证书")
    with phone.expect_navigation():
        phone.locator("main a[href^='/services/apply/']").first.click()
    with phone.expect_navigation():
        phone.locator("button.apply-start").click()

    expect(phone.locator("#id_id_number")).to_have_value(accounts["citizen"]["id_number"])
    continue_(phone)
    if not phone.locator("#id_phone").input_value():
        phone.fill("#id_phone", "13907010001")
    continue_(phone)
    phone.fill("#id_certificate_number", "赣（2024）鹰潭市不动产权第0012345号")
    phone.fill("#id_property_address", "鹰潭市月湖区胜利西路16号3栋2单元501室")
    phone.locator("input[name=usage][value=residential]").check()
    assert_fits(phone)
    continue_(phone)
    phone.fill("#id_mortgagee", "中国工商银行鹰潭分行")
    phone.fill("#id_amount", "300000")
    phone.fill("#id_term_until", "2036-12-31")
    continue_(phone)

    assert "/materials/" in phone.url, phone.url
    upload(phone, tmp_path, "不动产登记申请书", "申请书.pdf")
    upload(phone, tmp_path, "抵押合同与主债权合同", "抵押合同.pdf")
    certificate = phone.locator("section.apply-material", has_text="不动产权属证书")
    licence = certificate.locator("details.apply-licence")
    expect(licence).to_be_visible()
    if licence.get_attribute("open") is None:
        licence.locator("summary").click()
    licence.locator("input[type=radio]").first.check()
    licence.locator("input[type=checkbox]").check()  # the consent
    with phone.expect_navigation():
        licence.locator("button[type=submit]").click()
    provided = phone.locator("section.apply-material", has_text="不动产权属证书").locator(".apply-provided")
    expect(provided.locator(".badge.text-bg-success")).to_have_count(1)
    assert_fits(phone)
    screenshot(phone, "journey-materials-phone")
    with phone.expect_navigation():
        phone.locator("a.apply-continue").click()

    assert "/check/" in phone.url, phone.url
    expect(phone.locator("main")).to_contain_text("中国工商银行鹰潭分行")
    phone.locator("#id_declaration").check()
    with phone.expect_navigation():
        phone.locator("button.apply-submit").click()
    reference = phone.locator(".apply-reference").inner_text().strip()
    assert re.fullmatch(r"YT\d{14}", reference), reference
    assert_fits(phone)
    screenshot(phone, "journey-confirmation-phone")
    return reference


def open_case(official, reference: str, *, from_inbox: bool = False):
    """The case page, from the inbox's row (what the official can act on now) or directly."""
    if from_inbox:
        assert official.goto("/workbench/cases/").status == 200
        row = official.locator(f"table.inbox-table tr[data-reference='{reference}']")
        expect(row).to_be_visible()
        with official.expect_navigation():
            row.locator("a").first.click()
    else:
        assert official.goto(f"/workbench/cases/{reference}/").status == 200
    expect(official.locator("main h1")).to_contain_text(ITEM)


def test_a_citizen_applies_corrects_is_approved_pays_and_rates(browsing, accounts, tmp_path):
    phone = browsing.page(mobile=True)
    log_in(phone, accounts["citizen"])
    reference = apply_online(phone, accounts, tmp_path)

    # --- the official: a 补正 notice listing the contract ---------------------------------------------------
    official = browsing.page()
    log_in(official, accounts["official"])
    open_case(official, reference, from_inbox=True)
    expect(official.locator(".case-materials")).to_contain_text("不动产权属证书")
    correction = official.locator("details.case-action[data-action=request_correction]")
    correction.locator("summary").click()
    contract = official.locator(".correction-material", has_text="抵押合同与主债权合同")
    contract.locator("input[type=checkbox]").check()
    contract.locator("input[type=text]").fill("抵押合同缺少抵押权人签章页，请补充后重新上传。")
    with official.expect_navigation() as nav:
        correction.locator("button[type=submit]").click()
    assert nav.value.status == 200, official.inner_text("main")[:2000]
    screenshot(official, "journey-official-correction")

    # --- the citizen: reads the notice, uploads the corrected contract, resubmits --------------------------
    assert phone.goto(f"/my/cases/{reference}/").status == 200
    notice = phone.locator(".correction-notice")
    expect(notice).to_contain_text("抵押合同缺少抵押权人签章页")
    screenshot(phone, "journey-correction-notice-phone")
    with phone.expect_navigation():
        notice.locator("a.btn-gov").click()
    upload(phone, tmp_path, "抵押合同与主债权合同", "抵押合同（补正）.pdf")
    with phone.expect_navigation():
        phone.locator("button.case-resubmit").click()
    expect(phone.locator("main")).to_contain_text(reference)

    # --- the official: accept, review, approve ---------------------------------------------------------------
    open_case(official, reference, from_inbox=True)
    take(official, "accept")
    take(official, "review", reason="抵押合同已补正，材料齐全，符合登记条件。")
    take(official, "approve")
    # the approval issued the fee order (不动产登记费, 住宅 ¥80) and pushed a supervision task (审管联动)
    fee = official.locator(".fee-panel")
    expect(fee).to_have_attribute("data-state", "unpaid")
    expect(official.locator(".supervision-panel")).to_have_attribute("data-state", "pushed")
    screenshot(official, "journey-official-approved")
    # the result is not delivered while the fee is unpaid
    deliver = official.locator("details.case-action[data-action=deliver]")
    deliver.locator("summary").click()
    with official.expect_navigation() as nav:
        deliver.locator("button[type=submit]").click()
    assert nav.value.status == 422
    expect(official.locator("main")).to_contain_text("缴")

    # --- the citizen pays in the sandbox cashier and gets the receipt ------------------------------------------
    assert phone.goto(f"/my/cases/{reference}/").status == 200
    panel = phone.locator(".fee-panel")
    expect(panel).to_have_attribute("data-state", "unpaid")
    expect(panel.locator(".fee-amount")).to_have_attribute("data-fen", "8000")
    assert_fits(phone)
    screenshot(phone, "journey-fee-due-phone")
    with phone.expect_navigation():
        panel.locator("button.fee-pay").click()
    cashier = phone.locator(".sandbox-cashier")
    expect(cashier.locator(".sandbox-amount")).to_have_attribute("data-fen", "8000")
    screenshot(phone, "journey-cashier-phone")
    with phone.expect_navigation():
        cashier.locator("button.sandbox-success").click()
    panel = phone.locator(".fee-panel")
    expect(panel).to_have_attribute("data-state", "paid")
    with phone.expect_navigation():
        panel.locator("a.fee-receipt").click()
    receipt = phone.locator("article.receipt")
    expect(receipt).to_have_attribute("data-receipt", re.compile(r"^YTJK\d{16}$"))
    expect(receipt).to_contain_text(reference)
    assert_fits(phone)
    screenshot(phone, "journey-receipt-phone")

    # --- the official delivers the result and closes the case ----------------------------------------------------
    open_case(official, reference, from_inbox=True)
    expect(official.locator(".fee-panel")).to_have_attribute("data-state", "paid")
    take(official, "deliver")
    take(official, "close")

    # --- the citizen rates the service (好差评: five levels, on the national indicators) --------------------------
    assert phone.goto(f"/my/cases/{reference}/").status == 200
    rating = phone.locator(".rating-panel[data-rated=no]")
    expect(rating).to_have_attribute("data-case-state", "closed")
    form = rating.locator("form.rating-form")
    form.locator("input[name=level][value='5']").check()
    form.locator("textarea[name=comment]").fill("网上就办好了，不用跑窗口，缴费也很方便。")
    assert_fits(phone)
    screenshot(phone, "journey-rating-phone")
    with phone.expect_navigation():
        form.locator("button.rating-submit").click()
    expect(phone.locator(".rating-panel[data-rated=yes] .rating-level[data-level='5']")).to_be_visible()
    expect(phone.locator(".case-history")).to_contain_text("办结")
    assert_fits(phone)
    screenshot(phone, "journey-rated-phone")
