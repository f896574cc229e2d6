"""Fee orders and their hooks into cases (created on approval, delivery refused while unpaid), money
in fen, the provider's signed callback (signature, freshness, replay, amount, idempotence), set the
fees, cancel, and reconciliation when the provider cannot be reached."""

import json
import time

import pytest
from django.core.management import CommandError, call_command

from dgov.accounts.testing import make_citizen
from dgov.cases import services as case_services
from dgov.cases.testing import make_implementation, submitted_case
from dgov.core.errors import Conflict, PermissionDenied, ValidationError
from dgov.core.testing import audited
from dgov.notifications.models import OutboxMessage
from dgov.payments import services, signing
from dgov.payments.models import FeeOrder, OrderState, Payment, PaymentState, ReconciliationRun
from dgov.payments.tests.conftest import approve, fee_implementation

CALLBACK = "/payments/callback/"


def test_money_in_fen():
    assert services.to_fen("20") == 2000 and services.to_fen("40.5") == 4050 and services.to_fen(" 0.01 ") == 1
    for bad in ("-1", "1.001", "abc", "", "NaN"):
        with pytest.raises(ValueError):
            services.to_fen(bad)
    assert services.yuan(4050) == "40.50" and services.yuan(5) == "0.05" and services.yuan(-120) == "-1.20"


def test_approval_creates_the_order_and_tells_the_applicant(world, order, approved):
    assert order.state == OrderState.UNPAID and order.payer == world.citizen
    assert order.number == "JF" + approved.reference[2:]
    assert order.items == [{"name": "居民身份证工本费（换领）", "amount": 2000, "basis": "发改价格〔2003〕2322号"}]
    assert order.amount == 2000 and order.region.code.startswith("360603")
    assert audited("payments.feeorder.create", object_id=str(order.pk)) is not None
    assert OutboxMessage.objects.filter(user=world.citizen, subject__contains="缴纳").exists()


def test_a_free_item_has_no_order(world, officials):
    case = approve(submitted_case(world.citizen, make_implementation(materials=[])), officials.all_roles)
    assert not FeeOrder.objects.filter(case=case).exists()


def _paid(order):
    payment = Payment.objects.create(order=order, out_trade_no=f"{order.number}01", amount=order.amount,
                                     provider_ref="SBXTEST", state=PaymentState.SUBMITTED)
    return services.apply_state(payment, state="success", amount=order.amount, ref="SBXTEST", via="query")


def test_delivery_is_refused_while_the_fee_is_unpaid(officials, approved, order):
    with pytest.raises(ValidationError) as err:
        case_services.transition(actor=officials.all_roles, case=approved, action="deliver")
    assert err.value.code == "fee_unpaid"
    approved.refresh_from_db()
    assert approved.state == "approved"
    _paid(order)
    order.refresh_from_db()
    assert order.state == OrderState.PAID and order.receipt_number.startswith("YTJK")
    assert case_services.transition(actor=officials.all_roles, case=approved, action="deliver").state == "delivered"


def _callback(client, payload, *, headers=None, now=None):
    body = json.dumps(payload).encode()
    headers = signing.sign("POST", CALLBACK, body, now=now) if headers is None else headers
    return client.post(CALLBACK, data=body, content_type="application/json",
                       headers=headers), headers


def _payment(order):
    return Payment.objects.create(order=order, out_trade_no=f"{order.number}01", amount=order.amount,
                                  provider_ref="SBXREF", state=PaymentState.SUBMITTED)


def test_signed_callback_pays_once_and_replays_are_refused(client, order):
    payment = _payment(order)
    payload = {"out_trade_no": payment.out_trade_no, "ref": "SBXREF", "amount": 2000, "state": "success",
               "completed_at": None}
    response, headers = _callback(client, payload)
    assert response.status_code == 200, response.content
    order.refresh_from_db()
    assert order.state == OrderState.PAID and order.paid_amount == 2000
    payment.refresh_from_db()
    assert payment.confirmed_by == "callback"
    replay, _ = _callback(client, payload, headers=headers)
    assert replay.status_code == 401 and replay.json()["code"] == "bad_signature"
    again, _ = _callback(client, payload)  # a fresh, repeated notice: nothing changes
    assert again.status_code == 200
    order.refresh_from_db()
    assert order.paid_amount == 2000
    conflicting, _ = _callback(client, {**payload, "state": "failed"})
    assert conflicting.status_code == 409 and conflicting.json()["code"] == "state_conflict"


def test_callback_signature_freshness_and_amount_are_checked(client, order):
    payment = _payment(order)
    payload = {"out_trade_no": payment.out_trade_no, "ref": "SBXREF", "amount": 2000, "state": "success"}
    forged = dict(signing.sign("POST", CALLBACK, b"{}"))
    assert _callback(client, payload, headers=forged)[0].status_code == 401
    assert _callback(client, payload, headers={})[0].status_code == 401
    stale, _ = _callback(client, payload, now=time.time() - signing.WINDOW - 60)
    assert stale.status_code == 401
    short, _ = _callback(client, {**payload, "amount": 1})
    assert short.status_code == 422 and short.json()["code"] == "amount_mismatch"
    other_ref, _ = _callback(client, {**payload, "ref": "SBXOTHER"})
    assert other_ref.status_code == 422
    unknown, _ = _callback(client, {**payload, "out_trade_no": "JF0000000000000099"})
    assert unknown.status_code == 404
    order.refresh_from_db()
    assert order.state == OrderState.UNPAID
    assert audited("payments.payment.amount_mismatch", object_id=str(payment.pk)) is not None


def test_set_the_fees_and_cancel(world, fee_manager, guixi_fee_manager, officials, order, approved):
    with pytest.raises(PermissionDenied):
        services.set_items(actor=guixi_fee_manager, order=order, choices=[{"index": 1, "quantity": 1}])
    with pytest.raises(PermissionDenied):
        services.cancel(actor=officials.all_roles, order=order, reason="免收")  # case roles only view orders
    with pytest.raises(ValidationError):
        services.set_items(actor=fee_manager, order=order, choices=[{"index": 5, "quantity": 1}])
    order = services.set_items(actor=fee_manager, order=order, choices=[{"index": 1, "quantity": 2}])
    assert order.amount == 8100 and order.items[0]["quantity"] == 2
    with pytest.raises(ValidationError):
        services.cancel(actor=fee_manager, order=order, reason=" ")
    order = services.cancel(actor=fee_manager, order=order, reason="符合减免条件，免收工本费。")
    assert order.state == OrderState.CANCELLED
    # a cancelled order no longer holds the delivery back
    assert case_services.transition(actor=officials.all_roles, case=approved, action="deliver").state == "delivered"
    with pytest.raises(Conflict):
        services.cancel(actor=fee_manager, order=order, reason="再次撤销")


def test_only_the_payer_starts_a_payment(world, order):
    with pytest.raises(PermissionDenied):
        services.start_payment(actor=make_citizen("p_other"), order=order, return_url="http://testserver/")


def test_a_paid_order_is_not_payable_and_refund_checks_amounts(world, fee_manager, order, settings):
    settings.DGOV_PAYMENT_PROVIDER_URL = "http://127.0.0.1:9/sandbox/payments/"
    _paid(order)
    order.refresh_from_db()
    with pytest.raises(Conflict) as err:
        services.start_payment(actor=world.citizen, order=order, return_url="http://testserver/")
    assert err.value.code == "not_payable"
    with pytest.raises(ValidationError):
        services.refund(actor=fee_manager, order=order, amount=2001, reason="多收")
    with pytest.raises(ValidationError):
        services.refund(actor=fee_manager, order=order, amount=100, reason="")
    with pytest.raises(services.ProviderUnavailable):  # the provider cannot be reached: nothing refunded
        services.refund(actor=fee_manager, order=order, amount=100, reason="多收")
    order.refresh_from_db()
    assert order.refunded_amount == 0 and order.refunds.get().state == "failed"


def test_reconciliation_records_an_unreachable_provider(fee_manager, settings):
    settings.DGOV_PAYMENT_PROVIDER_URL = "http://127.0.0.1:9/sandbox/payments/"
    import datetime as dt

    run = services.reconcile(actor=fee_manager, day=dt.date(2026, 11, 27))
    assert run.error and not run.ok and ReconciliationRun.objects.filter(pk=run.pk).exists()
    with pytest.raises(CommandError):
        call_command("payments_reconcile", "--day", "2026-11-27")
    with pytest.raises(CommandError):
        call_command("payments_reconcile", "--day", "yesterday")


def test_an_instant_case_closed_at_acceptance_gets_its_order(world, officials):
    impl = make_implementation(materials=[], case_kind="instant")
    impl.fees = [{"name": "机动车驾驶证工本费", "amount": "10", "basis": "发改价格〔2004〕2831号"}]
    impl.save(update_fields=["fees"])
    case = case_services.transition(actor=officials.all_roles, case=submitted_case(world.citizen, impl),
                                    action="accept")
    assert case.state == "closed" and FeeOrder.objects.get(case=case).amount == 1000


def test_an_item_with_bad_fee_amounts_charges_only_the_valid_ones(world, officials):
    impl = fee_implementation(fees=[{"name": "坏数据", "amount": "二十", "basis": ""},
                                    {"name": "工本费", "amount": "15", "basis": "依据"}])
    case = approve(submitted_case(world.citizen, impl), officials.all_roles)
    assert FeeOrder.objects.get(case=case).items == [{"name": "工本费", "amount": 1500, "basis": "依据"}]
