"""The API of dgov.payments, mounted at /api/v1/services/payments: fee orders (the payer's own; an
official's in scope), starting a payment (the payer: the answer's `pay_url` is the provider's cashier),
refunds (收费管理人员) and the reconciliation runs (对账)."""

import re

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.pagination import paginate

from dgov.accounts.models import UserKind
from dgov.core.api import READ_ERRORS, WRITE_ERRORS, Mapped, Pagination, actor_of
from dgov.core.errors import NotFound, ValidationError
from dgov.core.permissions import require_permission
from dgov.payments import selectors, services
from dgov.payments.models import FeeOrder, ReconciliationRun
from dgov.payments.schemas import (
    PaymentsOrderDetailOut,
    PaymentsOrderOut,
    PaymentsOrderQuery,
    PaymentsPaymentOut,
    PaymentsReconcileIn,
    PaymentsRefundIn,
    PaymentsRefundOut,
    PaymentsRunOut,
)

router = Router(tags=["payments"])
NUMBER = re.compile(r"JF[0-9]{14}")
ORDER = "/orders/{number}"


def _platform(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _order(request, number: str) -> FeeOrder:
    if not NUMBER.fullmatch(number):
        raise ValidationError(details={"number": [_("An order number is JF followed by 14 digits.")]})
    return selectors.order_for(actor_of(request), number)


def _out(order: FeeOrder) -> dict:
    return {"number": order.number, "case": order.case.reference, "title": order.case.title,
            "department": order.department.name, "payer_name": order.payer_name, "items": order.items,
            "amount": order.amount, "amount_yuan": services.yuan(order.amount), "paid_amount": order.paid_amount,
            "refunded_amount": order.refunded_amount, "state": order.state, "paid_at": order.paid_at,
            "receipt_number": order.receipt_number, "created_at": order.created_at,
            "receipt_url": reverse("payments:receipt", kwargs={"number": order.number})
            if order.receipt_number else None}


def _detail(order: FeeOrder) -> dict:
    return {**_out(order), "payments": list(order.payments.all()), "refunds": list(order.refunds.all())}


def _run(run: ReconciliationRun) -> dict:
    return {"id": run.pk, "day": run.day, "created_at": run.created_at, "provider_count": run.provider_count,
            "platform_count": run.platform_count, "provider_total": run.provider_total,
            "platform_total": run.platform_total, "ok": run.ok, "error": run.error,
            "discrepancies": run.discrepancies}


@router.get("/orders", response={200: list[PaymentsOrderOut], **READ_ERRORS}, operation_id="list_fee_orders")
@paginate(Pagination)
def list_orders(request, query: PaymentsOrderQuery = Query(...)):
    """Citizens and enterprises: the orders they are to pay or paid. Officials: the orders in their scope."""
    actor = actor_of(request)
    if getattr(actor, "kind", None) in (UserKind.CITIZEN, UserKind.ENTERPRISE):
        qs = selectors.my_orders(actor)
    else:
        qs = selectors.visible_orders(actor)
    return Mapped(selectors.search(qs, q=query.q.strip(), state=query.state or "").order_by("-created_at", "-pk"), _out)


@router.get(ORDER, response={200: PaymentsOrderDetailOut, **READ_ERRORS}, operation_id="get_fee_order")
def get_order(request, number: str, refresh: bool = False):
    """One order with its payments and refunds; `refresh=true` asks the provider about a payment under way."""
    order = _order(request, number)
    if refresh:
        order = services.refresh_order(order, platform_url=_platform(request))
    return _detail(order)


@router.post(f"{ORDER}/payments", response={201: PaymentsPaymentOut, **WRITE_ERRORS}, operation_id="start_payment")
def start_payment(request, number: str):
    """The payer starts paying (or resumes the payment under way): send the payer to `pay_url`; they come
    back to the platform, which asks the provider at once. 409 `not_payable` unless unpaid."""
    order = _order(request, number)
    return_url = request.build_absolute_uri(reverse("payments:return", kwargs={"number": order.number}))
    payment = services.start_payment(actor=actor_of(request), order=order, return_url=return_url,
                                     platform_url=_platform(request))
    return Status(201, payment)


@router.post(f"{ORDER}/refunds", response={201: PaymentsRefundOut, **WRITE_ERRORS}, operation_id="refund_payment")
def refund(request, number: str, payload: PaymentsRefundIn):
    """Refund all or part of a paid order, with a reason (`refund_feeorder` in the order's scope)."""
    actor = actor_of(request)
    order = _order(request, number)
    try:
        amount = services.to_fen(payload.amount)
    except ValueError:
        raise ValidationError(details={"amount": [_("Enter an amount in yuan, e.g. 12.50.")]}) from None
    item = services.refund(actor=actor, order=order, amount=amount, reason=payload.reason,
                           platform_url=_platform(request))
    return Status(201, item)


@router.get("/reconciliations", response={200: list[PaymentsRunOut], **READ_ERRORS},
            operation_id="list_reconciliations")
@paginate(Pagination)
def list_runs(request):
    """The reconciliation runs, newest first."""
    return [_run(r) for r in selectors.runs(actor_of(request))]


@router.post("/reconciliations", response={201: PaymentsRunOut, **WRITE_ERRORS}, operation_id="reconcile_payments")
def reconcile(request, payload: PaymentsReconcileIn):
    """Compare the provider's statement of `day` with the platform's records now (422 for a future day)."""
    actor = actor_of(request)
    require_permission(actor, ReconciliationRun, "add")
    if payload.day > timezone.localdate():
        raise ValidationError(details={"day": [_("A day in the future has no statement yet.")]})
    return Status(201, _run(services.reconcile(actor=actor, day=payload.day, platform_url=_platform(request))))


@router.get("/reconciliations/{run_id}", response={200: PaymentsRunOut, **READ_ERRORS},
            operation_id="get_reconciliation")
def get_run(request, run_id: int):
    run = selectors.runs(actor_of(request)).filter(pk=run_id).first()
    if run is None:
        raise NotFound()
    return _run(run)
