"""The platform and the sandbox provider over real HTTP (`live_server`): paying with the callback,
a lost callback made good by the query on the payer's return, failed and cancelled payments, a
partial refund, reconciliation that balances and one that finds planted discrepancies, and the
sandbox's refusal of unsigned or replayed requests."""

import io
import json

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from dgov.core.testing import signed_in
from dgov.payments import sandbox, services, signing
from dgov.payments.models import OrderState, Payment, PaymentState, ReconciliationRun, SandboxPayment
from dgov.payments.tests.conftest import cashier, start


def test_pay_with_the_callback_refund_and_reconcile(provider, world, order, fee_manager):
    order.case.title = "国有建设用地使用权及房屋所有权转移登记" * 7  # a long subject makes a long page-pay address
    order.case.save(update_fields=["title"])
    payment = start(provider, world.citizen, order)
    assert len(payment.pay_url) > 500
    assert payment.pay_url.startswith(f"{provider}/sandbox/payments/pay?")
    assert start(provider, world.citizen, order).pk == payment.pk  # resumed, not a second payment
    response = cashier(payment, "success")
    assert response.status_code == 302 and response["Location"].endswith(f"/payments/orders/{order.number}/return/")
    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.state == PaymentState.SUCCESS and payment.confirmed_by == "callback"
    assert payment.provider_ref.startswith("SBX")
    assert order.state == OrderState.PAID and order.receipt_number
    assert SandboxPayment.objects.get(out_trade_no=payment.out_trade_no).callback_result.startswith("delivered")

    refund = services.refund(actor=fee_manager, order=order, amount=500, reason="部分多收，退还。")
    order.refresh_from_db()
    assert refund.state == "success" and refund.provider_ref.startswith("SBR")
    assert order.state == OrderState.PARTLY_REFUNDED and order.refundable == 1500

    today = timezone.localdate()
    run = services.reconcile(actor=fee_manager, day=today)
    assert run.ok and run.provider_count == 2 and run.platform_count == 2 and run.provider_total == 1500

    # planted: a payment the bank has that the platform does not know, and a refund amount that differs
    SandboxPayment.objects.create(ref="SBXPLANTED", out_trade_no="JF9999999999999901", amount=300, subject="?",
                                  notify_url=f"{provider}/payments/callback/", return_url=provider, state="success",
                                  completed_at=timezone.now())
    refund.amount = 600
    refund.save(update_fields=["amount"])
    run = services.reconcile(actor=fee_manager, day=today)
    kinds = {(d["kind"], d["number"]) for d in run.discrepancies}
    assert kinds == {("missing_on_platform", "JF9999999999999901"), ("amount_mismatch", refund.out_refund_no)}
    page = signed_in(fee_manager).get(f"/workbench/payments/reconciliation/{run.pk}/")
    assert page.status_code == 200 and b'data-kind="missing_on_platform"' in page.content
    out = io.StringIO()
    call_command("payments_reconcile", "--day", today.isoformat(), stdout=out)
    assert "2 discrepancies" in out.getvalue() and ReconciliationRun.objects.count() == 3


def test_a_lost_callback_is_made_good_by_the_query_on_return(provider, world, order):
    # the provider is told to call back an address where nothing listens: the callback is lost
    payment = start(provider, world.citizen, order, platform_url="http://127.0.0.1:9")
    cashier(payment, "success")
    order.refresh_from_db()
    assert order.state == OrderState.UNPAID
    assert SandboxPayment.objects.get(out_trade_no=payment.out_trade_no).callback_result.startswith("failed")
    back = signed_in(world.citizen).get(f"/payments/orders/{order.number}/return/")
    assert back.status_code == 302 and back["Location"].endswith(f"/my/cases/{order.case.reference}/#fee")
    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.state == OrderState.PAID and payment.confirmed_by == "query"
    receipt = signed_in(world.citizen).get(f"/payments/orders/{order.number}/receipt/")
    assert receipt.status_code == 200 and order.receipt_number.encode() in receipt.content


def test_failed_and_cancelled_payments_leave_the_order_unpaid(provider, world, order):
    first = start(provider, world.citizen, order)
    cashier(first, "fail")
    second = start(provider, world.citizen, order)
    assert second.out_trade_no.endswith("02") and second.pk != first.pk
    cashier(second, "cancel")
    order.refresh_from_db()
    states = list(order.payments.order_by("pk").values_list("state", flat=True))
    assert order.state == OrderState.UNPAID and states == ["failed", "cancelled"]
    # the API starts the third attempt; the payer pays; the query on return confirms it
    from dgov.accounts.testing import api_client

    started = api_client(world.citizen).post(f"/api/v1/services/payments/orders/{order.number}/payments")
    assert started.status_code == 201, started.content
    third = Payment.objects.get(out_trade_no=started.json()["out_trade_no"])
    assert third.out_trade_no.endswith("03")
    cashier(third, "success")
    detail = api_client(world.citizen).get(f"/api/v1/services/payments/orders/{order.number}?refresh=true").json()
    assert detail["state"] == "paid" and detail["receipt_url"]


def test_the_sandbox_refuses_unsigned_and_replayed_requests(provider, order):
    import urllib.error
    import urllib.request

    url = f"{provider}/sandbox/payments/api/statement?day=2026-11-27"
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(url, timeout=10)  # noqa: S310 - the live test server
    assert err.value.code == 401
    headers = signing.sign("GET", "/sandbox/payments/api/statement?day=2026-11-27")
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as ok:  # noqa: S310
        assert json.loads(ok.read())["payments"] == []
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10)  # noqa: S310
    assert err.value.code == 401
    assert sandbox.enabled()


def test_the_page_pay_address_must_be_signed_and_fresh(provider, world, order, settings):
    from urllib.parse import parse_qs, urlencode, urlsplit

    payment = start(provider, world.citizen, order)
    parts = urlsplit(payment.pay_url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    browser = Client()
    assert browser.get(parts.path, {**query, "sig": "00" * 32}).status_code == 400
    assert browser.get(parts.path, {**query, "data": query["data"][:-4]}).status_code == 400
    settings.DGOV_PAYMENT_SANDBOX_SECRET = "another-secret"
    assert browser.get(f"{parts.path}?{urlencode(query)}").status_code == 400
    assert not SandboxPayment.objects.exists()
