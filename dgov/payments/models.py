"""Public payment (非税收入缴费, issue 8 point 7; docs/services.md §7).

The platform's side:

- `FeeOrder`: what an approved case's applicant owes (one order per case): the items with their legal
  basis, amounts in integer fen, the state unpaid → paid → partly refunded / refunded, or cancelled,
  and the electronic receipt's number (电子缴款凭证) once paid.
- `Payment`: one attempt to pay an order at the provider (`out_trade_no` is ours, `provider_ref` the
  provider's), mirroring the provider's states created → submitted → success / failed / cancelled.
- `Refund`: a full or partial refund by an official, with its reason and the provider's answer.
- `CallbackNonce`: the nonces of the provider's signed callbacks already seen (replays are refused).
- `ReconciliationRun`: one comparison (对账) of the provider's statement of a day with our records.

The local sandbox provider's own ledger (the "bank"): `SandboxPayment`, `SandboxRefund`,
`SandboxNonce`. The platform never reads or writes them: it talks to the sandbox only over HTTP
(`providers/sandbox.py` ↔ `sandbox.py`).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop, pgettext_lazy

from dgov.core.models import BaseModel
from dgov.core.permissions import ScopeSpec


class OrderState(models.TextChoices):
    UNPAID = "unpaid", pgettext_lazy("fee order", "unpaid")
    PAID = "paid", pgettext_lazy("fee order", "paid")
    PARTLY_REFUNDED = "partly_refunded", pgettext_lazy("fee order", "partly refunded")
    REFUNDED = "refunded", pgettext_lazy("fee order", "refunded")
    CANCELLED = "cancelled", pgettext_lazy("fee order", "cancelled")


class PaymentState(models.TextChoices):
    CREATED = "created", pgettext_lazy("payment", "created")
    SUBMITTED = "submitted", pgettext_lazy("payment", "submitted")
    SUCCESS = "success", pgettext_lazy("payment", "success")
    FAILED = "failed", pgettext_lazy("payment", "failed")
    CANCELLED = "cancelled", pgettext_lazy("payment", "cancelled")


OPEN_PAYMENT = (PaymentState.CREATED, PaymentState.SUBMITTED)
FINAL_PAYMENT = (PaymentState.SUCCESS, PaymentState.FAILED, PaymentState.CANCELLED)


class RefundState(models.TextChoices):
    PENDING = "pending", pgettext_lazy("refund", "pending")
    SUCCESS = "success", pgettext_lazy("refund", "refunded")
    FAILED = "failed", pgettext_lazy("refund", "failed")


class FeeOrder(BaseModel):
    number = models.CharField(_("order number"), max_length=24, unique=True)
    case = models.OneToOneField("cases.Case", models.PROTECT, related_name="fee_order", verbose_name=_("case"))
    department = models.ForeignKey("orgs.Department", models.PROTECT, related_name="+",
                                   verbose_name=_("collecting department"))
    region = models.ForeignKey("orgs.Region", models.PROTECT, related_name="+", verbose_name=_("region"))
    payer = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+",
                              verbose_name=_("payer account"))
    payer_name = models.CharField(_("payer"), max_length=200)
    #: [{"name": "…", "amount": fen, "basis": "…"}]
    items = models.JSONField(_("items"), default=list)
    amount = models.PositiveBigIntegerField(_("amount due (fen)"))
    paid_amount = models.PositiveBigIntegerField(_("paid (fen)"), default=0)
    refunded_amount = models.PositiveBigIntegerField(_("refunded (fen)"), default=0)
    state = models.CharField(_("state"), max_length=16, choices=OrderState.choices, default=OrderState.UNPAID)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    receipt_number = models.CharField(_("receipt number"), max_length=24, unique=True, null=True, blank=True)
    cancel_reason = models.TextField(_("reason for cancelling"), max_length=2000, blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)

    scope = ScopeSpec(region="region", department="department", owner="payer_id")

    class Meta:
        verbose_name = _("fee order")
        verbose_name_plural = _("fee orders")
        ordering = ["-created_at", "-pk"]
        permissions = [("refund_feeorder", gettext_noop("Can refund payments and cancel fee orders"))]
        indexes = [models.Index(fields=["state", "created_at"], name="payments_order_state")]

    def __str__(self):
        return self.number

    @property
    def refundable(self) -> int:
        return self.paid_amount - self.refunded_amount


class Payment(models.Model):
    order = models.ForeignKey(FeeOrder, models.CASCADE, related_name="payments", verbose_name=_("fee order"))
    out_trade_no = models.CharField(_("payment number"), max_length=32, unique=True)
    provider = models.CharField(_("provider"), max_length=20, default="sandbox")
    provider_ref = models.CharField(_("provider reference"), max_length=64, blank=True)
    amount = models.PositiveBigIntegerField(_("amount (fen)"))
    state = models.CharField(_("state"), max_length=10, choices=PaymentState.choices, default=PaymentState.CREATED)
    pay_url = models.TextField(_("cashier address"), blank=True)
    created_at = models.DateTimeField(_("started at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    #: how the final state became known: "callback" or "query"
    confirmed_by = models.CharField(_("confirmed by"), max_length=10, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["order", "created_at", "pk"]
        default_permissions = ()

    def __str__(self):
        return self.out_trade_no


class Refund(models.Model):
    order = models.ForeignKey(FeeOrder, models.CASCADE, related_name="refunds", verbose_name=_("fee order"))
    payment = models.ForeignKey(Payment, models.PROTECT, related_name="refunds", verbose_name=_("payment"))
    out_refund_no = models.CharField(_("refund number"), max_length=32, unique=True)
    provider_ref = models.CharField(_("provider reference"), max_length=64, blank=True)
    amount = models.PositiveBigIntegerField(_("amount (fen)"))
    reason = models.TextField(_("reason"), max_length=2000)
    state = models.CharField(_("state"), max_length=10, choices=RefundState.choices, default=RefundState.PENDING)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
                           verbose_name=_("by"))
    created_at = models.DateTimeField(_("time"), auto_now_add=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["order", "created_at", "pk"]
        default_permissions = ()

    def __str__(self):
        return self.out_refund_no


class CallbackNonce(models.Model):
    nonce = models.CharField(max_length=64, unique=True)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        default_permissions = ()


class ReconciliationRun(BaseModel):
    """One 对账 of a day: `discrepancies` = [{"kind", "type": "payment"|"refund", "number", "provider": {…},
    "platform": {…}}]; kinds: missing_on_platform, missing_at_provider, amount_mismatch, state_mismatch."""

    day = models.DateField(_("day"))
    ran_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
                               verbose_name=_("run by"))
    provider_count = models.PositiveIntegerField(_("provider's records"), default=0)
    platform_count = models.PositiveIntegerField(_("platform's records"), default=0)
    provider_total = models.BigIntegerField(_("provider's net total (fen)"), default=0)
    platform_total = models.BigIntegerField(_("platform's net total (fen)"), default=0)
    discrepancies = models.JSONField(_("discrepancies"), default=list)
    error = models.TextField(_("error"), blank=True)

    scope = ScopeSpec(shared=True)  # the collecting account is the city's: one statement for all

    class Meta:
        verbose_name = _("reconciliation run")
        verbose_name_plural = _("reconciliation runs")
        ordering = ["-day", "-created_at", "-pk"]
        default_permissions = ("view", "add")

    def __str__(self):
        return f"{self.day} ({len(self.discrepancies)})"

    @property
    def ok(self) -> bool:
        return not self.error and not self.discrepancies


# --- the sandbox provider's own ledger (the "bank"; only sandbox.py touches these) ------------------

class SandboxPayment(models.Model):
    ref = models.CharField(max_length=32, unique=True)
    out_trade_no = models.CharField(max_length=32, unique=True)
    amount = models.PositiveBigIntegerField()
    subject = models.CharField(max_length=200)
    notify_url = models.URLField(max_length=500)
    return_url = models.URLField(max_length=500)
    state = models.CharField(max_length=10, default="created")
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    #: the last callback's outcome ("", "delivered", "failed: …") and the number of attempts
    callback_result = models.CharField(max_length=200, blank=True)
    callback_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        default_permissions = ()


class SandboxRefund(models.Model):
    ref = models.CharField(max_length=32, unique=True)
    payment = models.ForeignKey(SandboxPayment, models.CASCADE, related_name="refunds")
    out_refund_no = models.CharField(max_length=32, unique=True)
    amount = models.PositiveBigIntegerField()
    reason = models.CharField(max_length=2000, blank=True)
    state = models.CharField(max_length=10)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        default_permissions = ()


class SandboxNonce(models.Model):
    nonce = models.CharField(max_length=64, unique=True)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        default_permissions = ()
