"""API schemas of payments. Orders are referred to by their number (`JF` + the case reference's 14
digits), amounts are integer fen (`amount`) with the yuan text beside (`amount_yuan`)."""

from datetime import date, datetime
from typing import Literal

from ninja import Field, Schema

from dgov.payments.models import OrderState


class PaymentsFeeItemOut(Schema):
    name: str
    amount: int
    basis: str
    quantity: int = 1


class PaymentsPaymentOut(Schema):
    out_trade_no: str
    provider: str
    provider_ref: str
    amount: int
    state: str
    pay_url: str
    created_at: datetime
    completed_at: datetime | None
    confirmed_by: str


class PaymentsRefundOut(Schema):
    out_refund_no: str
    provider_ref: str
    amount: int
    reason: str
    state: str
    created_at: datetime


class PaymentsOrderOut(Schema):
    number: str
    case: str
    title: str
    department: str
    payer_name: str
    items: list[PaymentsFeeItemOut]
    amount: int
    amount_yuan: str
    paid_amount: int
    refunded_amount: int
    state: str
    paid_at: datetime | None
    receipt_number: str | None
    receipt_url: str | None
    created_at: datetime


class PaymentsOrderDetailOut(PaymentsOrderOut):
    payments: list[PaymentsPaymentOut]
    refunds: list[PaymentsRefundOut]


class PaymentsOrderQuery(Schema):
    state: Literal[tuple(OrderState.values)] | None = None  # type: ignore[valid-type]
    q: str = Field("", max_length=100)


class PaymentsRefundIn(Schema):
    amount: str = Field(..., min_length=1, max_length=20, description="The amount to refund in yuan, e.g. \"12.50\".")
    reason: str = Field(..., min_length=1, max_length=2000)


class PaymentsReconcileIn(Schema):
    day: date


class PaymentsDiscrepancyOut(Schema):
    kind: str
    type: str
    number: str
    provider: dict | None
    platform: dict | None


class PaymentsRunOut(Schema):
    id: int
    day: date
    created_at: datetime
    provider_count: int
    platform_count: int
    provider_total: int
    platform_total: int
    ok: bool
    error: str
    discrepancies: list[PaymentsDiscrepancyOut]
