"""Paying a fee on a phone-sized screen, against `dgov serve` with the demo data: the demo citizen's
approved case (the demo's `fee_due` case) shows the fee to pay; she pays it in the sandbox provider's
cashier (a real HTTP service with its own ledger, served by the same server under /sandbox/payments/),
comes back to her case, which the platform confirms with the provider, and opens the electronic payment
receipt. Screenshots: tests/e2e/artifacts/payments-*.png."""

import re

import pytest
from playwright.sync_api import expect

from .support import log_in, screenshot

pytestmark = pytest.mark.e2e


def assert_fits(page, width=375):
    widths = page.evaluate("() => [document.documentElement.scrollWidth, document.body.scrollWidth]")
    assert max(widths) <= width, f"{page.url} is {widths} px wide on a {width} px screen"


def test_the_citizen_pays_a_fee_in_the_sandbox_and_sees_the_receipt(browsing, accounts):
    phone = browsing.page(mobile=True)
    log_in(phone, accounts["citizen"])

    # her unpaid fee order (the browser session reads the API)
    listed = phone.request.get("/api/v1/services/payments/orders?state=unpaid")
    assert listed.ok, listed.text()
    orders = listed.json()["items"]
    assert orders, "the demo has no unpaid fee order for the citizen"
    order = orders[0]

    assert phone.goto(f"/my/cases/{order['case']}/").status == 200
    panel = phone.locator(f".fee-panel[data-order='{order['number']}']")
    expect(panel).to_have_attribute("data-state", "unpaid")
    expect(panel.locator(".fee-amount")).to_have_attribute("data-fen", str(order["amount"]))
    panel.scroll_into_view_if_needed()
    assert_fits(phone)
    screenshot(phone, "payments-due-phone")

    # 缴费 → the sandbox's cashier
    with phone.expect_navigation():
        panel.locator("button.fee-pay").click()
    assert re.search(r"/sandbox/payments/cashier/SBX[0-9A-F]+/$", phone.url), (
        phone.url, phone.locator(".messages").all_inner_texts())
    cashier = phone.locator(".sandbox-cashier")
    expect(cashier).to_have_attribute("data-state", "submitted")
    expect(cashier.locator(".sandbox-amount")).to_have_attribute("data-fen", str(order["amount"]))
    assert_fits(phone)
    screenshot(phone, "payments-cashier-phone")

    # 支付成功 → back to the case, paid
    with phone.expect_navigation():
        cashier.locator("button.sandbox-success").click()
    phone.wait_for_url(re.compile(rf"/my/cases/{order['case']}/"))
    panel = phone.locator(f".fee-panel[data-order='{order['number']}']")
    expect(panel).to_have_attribute("data-state", "paid")
    receipt_link = panel.locator("a.fee-receipt")
    expect(receipt_link).to_be_visible()
    screenshot(phone, "payments-paid-phone")

    with phone.expect_navigation():
        receipt_link.click()
    receipt = phone.locator("article.receipt")
    expect(receipt).to_have_attribute("data-receipt", re.compile(r"^YTJK\d{16}$"))
    expect(receipt).to_contain_text(order["case"])
    expect(receipt).to_contain_text(order["number"])
    assert_fits(phone)
    screenshot(phone, "payments-receipt-phone")

    # the API agrees: paid, with the receipt
    detail = phone.request.get(f"/api/v1/services/payments/orders/{order['number']}").json()
    assert detail["state"] == "paid" and detail["receipt_number"] and detail["payments"][-1]["state"] == "success"
