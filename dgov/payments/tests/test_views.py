"""The pages: the fee panels on both case pages, paying when the provider is down, the receipt, the
officials' forms (cancel, set the fees, refund), the workbench list with its export, and reconciliation."""

import datetime as dt

import pytest
from django.utils import timezone

from dgov.accounts.testing import make_citizen
from dgov.core.testing import signed_in, zh
from dgov.payments.models import OrderState, ReconciliationRun
from dgov.payments.tests.conftest import paid_in_sandbox

DOWN = "http://127.0.0.1:9/sandbox/payments/"


def test_the_applicant_sees_the_fee_and_the_pay_button(world, order):
    page = signed_in(world.citizen).get(f"/my/cases/{order.case.reference}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-order="{order.number}"' in html and "fee-pay" in html and "¥20.00" in html
    assert "发改价格〔2003〕2322号" in html


def test_paying_sends_the_payer_to_the_provider_and_back(world, order, settings):
    settings.DGOV_PAYMENT_PROVIDER_URL = DOWN
    client = signed_in(world.citizen)
    response = client.post(f"/payments/orders/{order.number}/pay/")
    assert response.status_code == 302 and response["Location"].startswith(f"{DOWN}pay?data=")
    payment = order.payments.get()
    assert payment.state == "created" and payment.pay_url == response["Location"]
    # back without having paid, the provider out of reach: still open, the payer is told so
    back = client.get(f"/payments/orders/{order.number}/return/")
    assert back.status_code == 302 and back["Location"] == f"/my/cases/{order.case.reference}/#fee"
    page = client.get(back["Location"]).content.decode()
    assert zh("The payment is not finished yet. If you have paid, refresh this page shortly.") in page
    order.refresh_from_db()
    assert order.state == OrderState.UNPAID


def test_nobody_else_pays_or_sees_the_receipt(world, order):
    other = signed_in(make_citizen("p_v_other"))
    assert other.post(f"/payments/orders/{order.number}/pay/").status_code == 404
    assert other.get(f"/payments/orders/{order.number}/receipt/").status_code == 404
    assert signed_in(world.citizen).get(f"/payments/orders/{order.number}/receipt/").status_code == 404  # unpaid
    assert signed_in(world.official).get(f"/payments/orders/{order.number}/receipt/").status_code == 403


def test_the_official_panel_and_the_fee_managers_forms(officials, fee_manager, order):
    url = f"/workbench/cases/{order.case.reference}/"
    html = signed_in(officials.intake).get(url).content.decode()
    assert f'data-order="{order.number}"' in html and "fee-cancel" not in html
    html = signed_in(fee_manager).get(url).content.decode()
    assert "fee-cancel" in html and "fee-set" in html
    client = signed_in(fee_manager)
    response = client.post(f"/workbench/payments/{order.number}/fees/", {"qty_0": "1", "qty_1": "1"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.amount == 6050
    assert client.post(f"/workbench/payments/{order.number}/cancel/", {"reason": ""}).status_code == 302
    order.refresh_from_db()
    assert order.state == OrderState.UNPAID  # no reason: refused
    client.post(f"/workbench/payments/{order.number}/cancel/", {"reason": "免收"})
    order.refresh_from_db()
    assert order.state == OrderState.CANCELLED
    assert signed_in(officials.intake).post(f"/workbench/payments/{order.number}/cancel/",
                                            {"reason": "x"}).status_code == 302  # refused, reported on the page


def test_refund_and_receipt_pages(provider, world, order, fee_manager):
    paid_in_sandbox(provider, world.citizen, order)
    receipt = signed_in(world.citizen).get(f"/payments/orders/{order.number}/receipt/")
    html = receipt.content.decode()
    assert receipt.status_code == 200 and f'data-receipt="{order.receipt_number}"' in html
    assert order.department.name in html and order.case.reference in html and "20.00" in html
    pdf = signed_in(fee_manager).get(f"/payments/orders/{order.number}/receipt.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    response = signed_in(fee_manager).post(f"/workbench/payments/{order.number}/refund/",
                                           {"amount": "20", "reason": "撤回申请，全额退费。"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.state == OrderState.REFUNDED and order.refundable == 0


def test_the_workbench_list_and_export(world, order, guixi_order, fee_manager):
    client = signed_in(fee_manager)
    html = client.get("/workbench/payments/").content.decode()
    assert f'data-order="{order.number}"' in html and guixi_order.number not in html
    assert client.get("/workbench/payments/?state=paid").content.decode().count("data-order=") == 0
    export = client.get("/workbench/payments/?format=csv")
    assert export.status_code == 200 and order.number in export.content.decode("utf-8-sig")
    assert signed_in(world.citizen).get("/workbench/payments/").status_code == 403


@pytest.mark.parametrize("day,status", [("yesterday", 422), ("future", 422)])
def test_reconciliation_page_refuses_bad_days(fee_manager, day, status):
    value = "not-a-day" if day == "yesterday" else (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    assert signed_in(fee_manager).post("/workbench/payments/reconciliation/", {"day": value}).status_code == status


def test_reconciliation_page(fee_manager, officials, settings):
    settings.DGOV_PAYMENT_PROVIDER_URL = DOWN
    client = signed_in(fee_manager)
    assert client.get("/workbench/payments/reconciliation/").status_code == 200
    response = client.post("/workbench/payments/reconciliation/", {"day": "2026-11-01"})
    run = ReconciliationRun.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/reconciliation/{run.pk}/")
    assert 'data-result="error"' in client.get(response["Location"]).content.decode()
    assert signed_in(officials.intake).get("/workbench/payments/reconciliation/").status_code == 403
