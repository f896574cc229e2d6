"""Writes of public payment: fee orders for approved cases, payments through the provider (its callbacks
and queries), refunds, cancellation and reconciliation (对账). Every write is audited.

The provider is only ever called outside a database transaction (its callback may arrive while we wait),
and every state change is made under the payment's and the order's row locks, so a callback, a query
on the payer's return and a reconciliation can race without paying an order twice.
"""

import datetime as dt
import json
import logging
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from dgov.cases import notify
from dgov.core import audit
from dgov.core.errors import Conflict, DgovError, NotFound, PermissionDenied, ValidationError
from dgov.core.permissions import require_in_scope
from dgov.payments import signing
from dgov.payments.models import (
    OPEN_PAYMENT,
    CallbackNonce,
    FeeOrder,
    OrderState,
    Payment,
    PaymentState,
    ReconciliationRun,
    Refund,
    RefundState,
)
from dgov.payments.providers import ProviderError, get_provider

log = logging.getLogger("dgov.payments")
REASON_MAX = 2000


class ProviderUnavailable(DgovError):
    status = 503
    code = "provider_unavailable"


# --- money ----------------------------------------------------------------------------------------
def to_fen(value) -> int:
    """"12.5" / "12.50" / 12 yuan → 1250 fen; ValueError for anything else (negative, more than 2 decimals)."""
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValueError(f"not an amount: {value!r}") from None
    fen = amount * 100
    if not amount.is_finite() or amount < 0 or fen != fen.to_integral_value():
        raise ValueError(f"not an amount in yuan with at most two decimals: {value!r}")
    return int(fen)


def yuan(fen: int) -> str:
    """1250 → "12.50"."""
    sign = "-" if fen < 0 else ""
    fen = abs(int(fen))
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def fee_items(implementation) -> list[dict]:
    """The order's items for an implementation: its first fee item (the standard fee; the others of
    the list are alternatives such as 补领 instead of 换领, or further copies, which an official sets
    with `set_items`). Empty when the item is free."""
    items = [item for item in all_fee_items(implementation) if item["amount"] > 0]
    return items[:1]


def all_fee_items(implementation) -> list[dict]:
    """Every fee item of the implementation in fen, those with a bad amount left out (logged)."""
    out = []
    for entry in implementation.fees or []:
        try:
            amount = to_fen(entry.get("amount", ""))
        except (ValueError, AttributeError):
            log.warning("implementation %s: fee %r has no valid amount", implementation.code, entry)
            continue
        out.append({"name": str(entry.get("name", "")), "amount": amount, "basis": str(entry.get("basis", ""))})
    return out


# --- fee orders -------------------------------------------------------------------------------------
def _record(action: str, order: FeeOrder, actor, **changes):
    audit.record(f"payments.feeorder.{action}", order, changes=changes, actor=actor)


def _tell(code: str, order: FeeOrder, **extra) -> int:
    items = "；".join(f"{i['name']} {yuan(i['amount'])}元" for i in order.items)
    return notify.to_applicant(code, order.case, order=order.number, amount=yuan(order.amount), fee_items=items,
                               **extra)


def create_for_case(case, actor=None) -> FeeOrder | None:
    """The fee order of an approved case whose implementation charges fees (None when free); an
    existing order is returned as it is. Called in the approval's transaction."""
    existing = FeeOrder.objects.filter(case=case).first()
    if existing is not None:
        return existing
    items = fee_items(case.implementation)
    if not items:
        return None
    order = FeeOrder.objects.create(
        number="JF" + (case.reference or f"{case.pk:014d}")[2:], case=case, department=case.department,
        region=case.region, payer=case.applicant, payer_name=case.applicant_name, items=items,
        amount=sum(i["amount"] for i in items), is_demo=case.is_demo)
    _record("create", order, actor, case=case.reference, amount=order.amount, items=items)
    _tell("payment_due", order)
    return order


def _locked(order: FeeOrder) -> FeeOrder:
    return FeeOrder.objects.select_for_update().select_related("case", "department").get(pk=order.pk)


def set_items(*, actor, order: FeeOrder, choices: list[dict]) -> FeeOrder:
    """Set what an unpaid order charges: `choices` = [{"index": i, "quantity": n}] of the implementation's
    fee items (n ≥ 1). For officials who may refund (收费管理人员) in the order's scope."""
    with transaction.atomic():
        order = _locked(order)
        require_in_scope(actor, "refund", order)
        if order.state != OrderState.UNPAID or order.payments.filter(state__in=OPEN_PAYMENT).exists():
            raise Conflict(_("Only an unpaid order without a payment under way can be changed."), code="not_unpaid")
        available = all_fee_items(order.case.implementation)
        items = []
        for choice in choices or []:
            try:
                index, quantity = int(choice.get("index")), int(choice.get("quantity", 1))
            except (AttributeError, TypeError, ValueError):
                index, quantity = -1, 0
            if not (0 <= index < len(available)) or not (1 <= quantity <= 99):
                raise ValidationError(details={"items": [_("Choose the item's fees and a quantity from 1 to 99.")]})
            item = available[index]
            items.append({**item, "amount": item["amount"] * quantity, "quantity": quantity})
        if not items or sum(i["amount"] for i in items) <= 0:
            raise ValidationError(details={"items": [_("Choose at least one fee.")]})
        before = order.items
        order.items, order.amount = items, sum(i["amount"] for i in items)
        order.save(update_fields=["items", "amount", "updated_at"])
        _record("set_items", order, actor, items=[before, items], amount=order.amount)
        _tell("payment_due", order)
    return order


def cancel(*, actor, order: FeeOrder, reason: str) -> FeeOrder:
    """Cancel an unpaid order (the fee is waived or was charged in error); the reason is required."""
    reason = _reason(reason)
    with transaction.atomic():
        order = _locked(order)
        require_in_scope(actor, "refund", order)
        if order.state != OrderState.UNPAID or order.payments.filter(state__in=OPEN_PAYMENT).exists():
            raise Conflict(_("Only an unpaid order without a payment under way can be cancelled."),
                           code="not_unpaid")
        order.state, order.cancel_reason = OrderState.CANCELLED, reason
        order.save(update_fields=["state", "cancel_reason", "updated_at"])
        _record("cancel", order, actor, state=[OrderState.UNPAID, order.state], reason=reason)
        _tell("payment_cancelled", order, reason=reason)
    return order


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(details={"reason": [_("Give the reason.")]})
    if len(reason) > REASON_MAX:
        raise ValidationError(details={"reason": [_("The reason is too long.")]})
    return reason


# --- payments ---------------------------------------------------------------------------------------
def _provider(platform_url):
    return get_provider(platform_url)


def start_payment(*, actor, order: FeeOrder, return_url: str, platform_url: str | None = None) -> Payment:
    """The payer starts (or resumes) paying: a payment registered at the provider, whose `pay_url` is the
    provider's cashier. 409 `not_payable` unless the order is unpaid; 503 when the provider cannot be reached."""
    if not (getattr(actor, "pk", None) and order.payer_id == actor.pk):
        raise PermissionDenied(_("Only the payer can pay this order."))
    order.refresh_from_db()
    if order.state != OrderState.UNPAID:
        raise Conflict(_("This order is not waiting for payment."), code="not_payable")
    provider = _provider(platform_url)
    payment = order.payments.filter(state__in=OPEN_PAYMENT).order_by("-pk").first()
    if payment is not None:  # an attempt under way: ask how it stands, then resume it (freshly signed)
        payment = refresh(payment, platform_url=platform_url)
        order.refresh_from_db()
        if order.state != OrderState.UNPAID:
            raise Conflict(_("This order is not waiting for payment."), code="not_payable")
    if payment is None or payment.state not in OPEN_PAYMENT:
        with transaction.atomic():
            order = _locked(order)
            attempt = order.payments.count() + 1
            payment = Payment.objects.create(order=order, out_trade_no=f"{order.number}{attempt:02d}",
                                             provider=provider.name, amount=order.amount)
    try:
        remote = provider.create_payment(out_trade_no=payment.out_trade_no, amount=payment.amount,
                                         subject=f"{order.case.title}（{order.number}）", return_url=return_url)
    except ProviderError as exc:
        Payment.objects.filter(pk=payment.pk).update(state=PaymentState.FAILED, completed_at=timezone.now())
        audit.record("payments.payment.start", payment, changes={"error": str(exc)}, outcome="failed", actor=actor)
        raise ProviderUnavailable(_("The payment service cannot be reached now. Please try again later.")) from None
    if remote.amount != payment.amount:
        Payment.objects.filter(pk=payment.pk).update(state=PaymentState.FAILED, completed_at=timezone.now())
        raise ProviderUnavailable(_("The payment service answered with another amount."))
    Payment.objects.filter(pk=payment.pk).update(provider_ref=remote.ref or payment.provider_ref,
                                                 pay_url=remote.pay_url)
    payment.refresh_from_db()
    audit.record("payments.payment.start", payment, changes={"order": order.number, "amount": payment.amount,
                                                             "provider_ref": remote.ref}, actor=actor)
    return payment


def apply_state(payment: Payment, *, state: str, amount: int, ref: str = "", completed_at=None,
                via: str) -> Payment:
    """Take the provider's word on a payment (`via` "callback" or "query"): idempotent; the amount must
    match (422 `amount_mismatch`); a final state never changes again (409 `state_conflict`). A success
    pays the order and gives it its receipt number."""
    if state not in PaymentState.values:
        raise ValidationError(details={"state": [_("Unknown payment state.")]})
    problem = None
    if amount != payment.amount:  # a payment's amount never changes: checked before any lock
        problem = ("amount_mismatch", {"amount": [payment.amount, amount]})
    elif ref and payment.provider_ref and ref != payment.provider_ref:
        problem = ("ref_mismatch", {"ref": [payment.provider_ref, ref]})
    if problem:
        audit.record(f"payments.payment.{problem[0]}", payment, outcome="failed", changes={"via": via, **problem[1]})
        message = _("The callback does not match the payment.")
        raise ValidationError(message, code=problem[0], details={problem[0].split("_")[0]: [message]})
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        order = _locked(payment.order)
        if (payment.state == state or state in OPEN_PAYMENT and payment.state not in OPEN_PAYMENT
                or (state, payment.state) == (PaymentState.CREATED, PaymentState.SUBMITTED)):
            return payment  # nothing new (a repeated callback, or an older state than ours)
        conflict = payment.state not in OPEN_PAYMENT
        if not conflict:
            before = payment.state
            payment.state = state
            payment.provider_ref = payment.provider_ref or ref
            if state not in OPEN_PAYMENT:
                payment.completed_at = completed_at or timezone.now()
                payment.confirmed_by = via
            payment.save()
            audit.record("payments.payment.update", payment, changes={"state": [before, state], "via": via},
                         actor=None)
            if state == PaymentState.SUCCESS:
                _paid(order, payment)
    if conflict:
        audit.record("payments.payment.state_conflict", payment, outcome="failed", changes={
            "via": via, "state": [payment.state, state]})
        raise Conflict(_("The payment is already final in another state."), code="state_conflict")
    return payment


def _paid(order: FeeOrder, payment: Payment) -> None:
    if order.state != OrderState.UNPAID:
        # paid twice, or after cancellation: the money is kept on record for a refund, the order unchanged
        log.warning("order %s: payment %s succeeded in state %s", order.number, payment.out_trade_no, order.state)
        _record("extra_payment", order, None, payment=payment.out_trade_no, state=order.state)
        return
    order.state = OrderState.PAID
    order.paid_amount = payment.amount
    order.paid_at = payment.completed_at
    order.receipt_number = f"YTJK{timezone.localtime(order.paid_at):%Y%m%d}{order.pk:08d}"
    order.save(update_fields=["state", "paid_amount", "paid_at", "receipt_number", "updated_at"])
    _record("pay", order, None, state=[OrderState.UNPAID, OrderState.PAID], payment=payment.out_trade_no,
            receipt=order.receipt_number)
    _tell("payment_paid", order, receipt=order.receipt_number, paid=yuan(order.paid_amount))


def _remember(nonce: str) -> bool:
    """True for a nonce not seen before (kept for twice the signature window, then forgotten: an older
    message fails the timestamp check anyway)."""
    CallbackNonce.objects.filter(received_at__lt=timezone.now() - dt.timedelta(seconds=2 * signing.WINDOW)).delete()
    try:
        with transaction.atomic():
            CallbackNonce.objects.create(nonce=nonce)
    except IntegrityError:
        return False
    return True


def handle_callback(*, method: str, path: str, body: bytes, headers) -> Payment:
    """The provider's signed callback: signature, freshness and nonce checked (401 `bad_signature`), then
    the state applied like a query's (amount checked, idempotent)."""
    try:
        signing.verify(method, path, body, headers, _remember)
    except signing.BadSignature as exc:
        audit.record("payments.callback.refused", None, outcome="denied", changes={"reason": str(exc)})
        raise BadCallback(str(exc)) from None
    try:
        data = json.loads(body)
        out_trade_no, state, amount = str(data["out_trade_no"]), str(data["state"]), int(data["amount"])
    except (ValueError, KeyError, TypeError):
        raise ValidationError(details={"body": [_("The callback is not valid.")]}) from None
    payment = Payment.objects.filter(out_trade_no=out_trade_no).first()
    if payment is None:
        raise NotFound()
    completed = parse_datetime(data["completed_at"]) if data.get("completed_at") else None
    return apply_state(payment, state=state, amount=amount, ref=str(data.get("ref", "")), completed_at=completed,
                       via="callback")


class BadCallback(DgovError):
    status = 401
    code = "bad_signature"


def refresh(payment: Payment, *, platform_url: str | None = None) -> Payment:
    """Ask the provider for an open payment's state (the payer came back; a callback may have been lost)."""
    if payment.state not in OPEN_PAYMENT:
        return payment
    try:
        remote = _provider(platform_url).query(payment.out_trade_no)
    except ProviderError as exc:
        log.warning("query of %s failed: %s", payment.out_trade_no, exc)
        return payment
    return apply_state(payment, state=remote.state, amount=remote.amount, ref=remote.ref,
                       completed_at=remote.completed_at, via="query")


def refresh_order(order: FeeOrder, *, platform_url: str | None = None) -> FeeOrder:
    for payment in order.payments.filter(state__in=OPEN_PAYMENT).order_by("pk"):
        refresh(payment, platform_url=platform_url)
    order.refresh_from_db()
    return order


# --- refunds ----------------------------------------------------------------------------------------
def refund(*, actor, order: FeeOrder, amount: int, reason: str, platform_url: str | None = None) -> Refund:
    """Refund `amount` fen (all or part of what is left) of a paid order, with a reason; for officials who
    may refund in the order's scope. The provider answers at once; a failed refund changes nothing."""
    reason = _reason(reason)
    with transaction.atomic():
        order = _locked(order)
        require_in_scope(actor, "refund", order)
        if order.state not in (OrderState.PAID, OrderState.PARTLY_REFUNDED):
            raise Conflict(_("Only a paid order can be refunded."), code="not_paid")
        pending = order.refunds.filter(state=RefundState.PENDING).exists()
        if pending:
            raise Conflict(_("Another refund of this order is under way."), code="refund_pending")
        if not isinstance(amount, int) or not 0 < amount <= order.refundable:
            raise ValidationError(details={"amount": [_("Refund between 0.01 and %(max)s yuan.")
                                                      % {"max": yuan(order.refundable)}]})
        payment = order.payments.filter(state=PaymentState.SUCCESS).order_by("pk").first()
        item = Refund.objects.create(order=order, payment=payment, amount=amount, reason=reason, by=actor,
                                     out_refund_no=f"{payment.out_trade_no}R{order.refunds.count() + 1:02d}")
    try:
        remote = _provider(platform_url).refund(out_trade_no=payment.out_trade_no, out_refund_no=item.out_refund_no,
                                                amount=amount, reason=reason)
        state, ref = remote.state, remote.ref
    except ProviderError as exc:
        state, ref = RefundState.FAILED, ""
        log.warning("refund %s failed: %s", item.out_refund_no, exc)
    with transaction.atomic():
        order = _locked(order)
        item = Refund.objects.select_for_update().get(pk=item.pk)
        item.state = state if state in RefundState.values else RefundState.FAILED
        item.provider_ref = ref
        item.completed_at = timezone.now() if item.state != RefundState.PENDING else None
        item.save()
        changes = {"refund": item.out_refund_no, "amount": amount, "reason": reason, "state": item.state}
        if item.state == RefundState.SUCCESS:
            before = order.state
            order.refunded_amount += amount
            order.state = OrderState.REFUNDED if order.refundable == 0 else OrderState.PARTLY_REFUNDED
            order.save(update_fields=["refunded_amount", "state", "updated_at"])
            changes["order_state"] = [before, order.state]
            _tell("payment_refunded", order, refunded=yuan(amount), reason=reason)
        audit.record("payments.feeorder.refund", order, changes=changes, actor=actor,
                     outcome="success" if item.state != RefundState.FAILED else "failed")
    if item.state == RefundState.FAILED:
        raise ProviderUnavailable(_("The payment service did not make the refund."), code="refund_failed")
    return item


# --- reconciliation (对账) ----------------------------------------------------------------------------
def _day_range(day: dt.date):
    start = timezone.make_aware(dt.datetime.combine(day, dt.time()))
    return start, start + dt.timedelta(days=1)


def _compare(kind: str, theirs: dict, ours: dict, elsewhere) -> list[dict]:
    """Discrepancies between the provider's (`theirs`) and our (`ours`) successful records of one kind,
    both {number: {"amount", "state"}}; `elsewhere(number)` is our record of that number in any state."""
    found = []
    for number, record in sorted(theirs.items()):
        mine = ours.get(number)
        if mine is None:
            other = elsewhere(number)
            problem = "state_mismatch" if other else "missing_on_platform"
            found.append({"kind": problem, "type": kind, "number": number, "provider": record, "platform": other})
        elif mine["amount"] != record["amount"]:
            found.append({"kind": "amount_mismatch", "type": kind, "number": number, "provider": record,
                          "platform": mine})
    for number, mine in sorted(ours.items()):
        if number not in theirs:
            found.append({"kind": "missing_at_provider", "type": kind, "number": number, "provider": None,
                          "platform": mine})
    return found


def reconcile(*, actor, day: dt.date, platform_url: str | None = None) -> ReconciliationRun:
    """Compare the provider's statement of `day` with our successful payments and refunds of that day;
    store and return the run (with the provider's error when it could not be reached)."""
    start, end = _day_range(day)
    payments = {p.out_trade_no: {"amount": p.amount, "state": p.state} for p in Payment.objects.filter(
        state=PaymentState.SUCCESS, completed_at__gte=start, completed_at__lt=end)}
    refunds = {r.out_refund_no: {"amount": r.amount, "state": r.state} for r in Refund.objects.filter(
        state=RefundState.SUCCESS, completed_at__gte=start, completed_at__lt=end)}
    run = ReconciliationRun(day=day, ran_by=actor if getattr(actor, "pk", None) else None,
                            platform_count=len(payments) + len(refunds),
                            platform_total=sum(p["amount"] for p in payments.values())
                            - sum(r["amount"] for r in refunds.values()))
    try:
        statement = _provider(platform_url).statement(day)
    except ProviderError as exc:
        run.error = str(exc)[:2000]
    else:
        theirs_p = {p.out_trade_no: {"amount": p.amount, "state": p.state} for p in statement.payments}
        theirs_r = {r.out_refund_no: {"amount": r.amount, "state": r.state} for r in statement.refunds}
        run.provider_count = len(theirs_p) + len(theirs_r)
        run.provider_total = sum(p["amount"] for p in theirs_p.values()) - sum(r["amount"] for r in theirs_r.values())

        def payment_elsewhere(number):
            p = Payment.objects.filter(out_trade_no=number).first()
            return {"amount": p.amount, "state": p.state} if p else None

        def refund_elsewhere(number):
            r = Refund.objects.filter(out_refund_no=number).first()
            return {"amount": r.amount, "state": r.state} if r else None

        run.discrepancies = (_compare("payment", theirs_p, payments, payment_elsewhere)
                             + _compare("refund", theirs_r, refunds, refund_elsewhere))
    with transaction.atomic():
        run.save()
        audit.record("payments.reconciliationrun.create", run, actor=actor,
                     outcome="failed" if run.error else "success",
                     changes={"day": day.isoformat(), "discrepancies": len(run.discrepancies), "error": run.error})
    return run
