"""The local sandbox payment provider: a real HTTP service with its own ledger (`SandboxPayment`,
`SandboxRefund`), standing in for the bank or the province's non-tax payment platform in development,
tests and the demo. Served under /sandbox/payments/ (off with `DGOV_PAYMENT_SANDBOX_ENABLED = False`).

API (JSON, every request signed by the platform, see `signing.py`; replays refused):

    POST api/payments            {out_trade_no, amount (fen), subject, notify_url, return_url}
                                 → the payment with its `pay_url` (idempotent on out_trade_no)
    GET  api/payments/<out_trade_no>
    POST api/refunds             {out_trade_no, out_refund_no, amount, reason} → the refund
    GET  api/statement?day=YYYY-MM-DD   → {day, payments: [...successful that day], refunds: [...]}

Page pay (the payer's browser, sent by the platform): `GET pay?data=<base64url JSON of the create request>
&ts=&nonce=&sig=` (signed like the API, over the data): creates the payment (once) and shows the cashier.

The cashier (`cashier/<ref>/`, for the payer's browser, clearly marked as a sandbox): opening it moves the
payment created → submitted; the payer chooses success, failure or cancel; the sandbox sends the payer
back to `return_url` and, from a thread of its own, the signed callback to `notify_url` (server to server,
once; its outcome is kept) — not inside the payer's request, so a platform serving the sandbox itself
with one thread per worker never waits for itself.
"""

import base64
import datetime as dt
import json
import logging
import threading
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from dgov.crypto.primitives import random_bytes
from dgov.payments import signing
from dgov.payments.models import SandboxNonce, SandboxPayment, SandboxRefund

log = logging.getLogger("dgov.payments.sandbox")
FINAL = ("success", "failed", "cancelled")
CHOICES = {"success": "success", "fail": "failed", "cancel": "cancelled"}


def enabled() -> bool:
    return bool(getattr(settings, "DGOV_PAYMENT_SANDBOX_ENABLED", True))


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"code": "sandbox_error", "message": message}, status=status)


def _remember(nonce: str) -> bool:
    SandboxNonce.objects.filter(received_at__lt=timezone.now() - dt.timedelta(seconds=2 * signing.WINDOW)).delete()
    try:
        with transaction.atomic():
            SandboxNonce.objects.create(nonce=nonce)
    except IntegrityError:
        return False
    return True


def _payment_json(p: SandboxPayment, request=None) -> dict:
    data = {"out_trade_no": p.out_trade_no, "ref": p.ref, "amount": p.amount, "state": p.state,
            "completed_at": p.completed_at.isoformat() if p.completed_at else None}
    if request is not None:
        data["pay_url"] = request.build_absolute_uri(reverse("payments:sandbox_cashier", args=[p.ref]))
    return data


def _refund_json(r: SandboxRefund) -> dict:
    return {"out_refund_no": r.out_refund_no, "ref": r.ref, "amount": r.amount, "state": r.state,
            "out_trade_no": r.payment.out_trade_no}


def signed_api(view):
    """The sandbox's API views: enabled, signed by the platform, JSON in and out."""

    @csrf_exempt
    def wrapper(request, *args, **kwargs):
        if not enabled():
            raise Http404
        try:
            signing.verify(request.method, request.get_full_path(), request.body, request.headers, _remember)
        except signing.BadSignature as exc:
            return _error(401, str(exc))
        payload = {}
        if request.method == "POST":
            try:
                payload = json.loads(request.body or b"{}")
            except ValueError:
                return _error(400, "the body is not JSON")
            if not isinstance(payload, dict):
                return _error(400, "the body is not a JSON object")
        return view(request, payload, *args, **kwargs)

    return wrapper


def _new_ref(prefix: str) -> str:
    return prefix + random_bytes(10).hex().upper()


def _create(payload: dict) -> tuple[SandboxPayment | None, str, int]:
    """Create (or find again) the payment `payload` asks for: (payment, error, status)."""
    try:
        out_trade_no = str(payload["out_trade_no"])[:32]
        amount = int(payload["amount"])
        notify_url, return_url = str(payload["notify_url"]), str(payload["return_url"])
    except (KeyError, TypeError, ValueError):
        return None, "out_trade_no, amount, notify_url and return_url are required", 422
    if amount <= 0 or not out_trade_no or not notify_url.startswith(("http://", "https://")):
        return None, "bad amount, number or notify_url", 422
    existing = SandboxPayment.objects.filter(out_trade_no=out_trade_no).first()
    if existing is not None:
        if existing.amount != amount:
            return None, "this out_trade_no exists with another amount", 409
        return existing, "", 200
    try:
        with transaction.atomic():
            payment = SandboxPayment.objects.create(
                ref=_new_ref("SBX"), out_trade_no=out_trade_no, amount=amount,
                subject=str(payload.get("subject", ""))[:200], notify_url=notify_url[:500], return_url=return_url[:500])
    except IntegrityError:  # created at the same moment by a repeated request
        return SandboxPayment.objects.get(out_trade_no=out_trade_no), "", 200
    return payment, "", 201


@require_http_methods(["POST"])
@signed_api
def api_create(request, payload):
    payment, error, status = _create(payload)
    if payment is None:
        return _error(status, error)
    return JsonResponse(_payment_json(payment, request), status=status)


@require_http_methods(["GET"])
def page_pay(request):
    """The payer's browser brings the platform's signed create request; a valid one creates the payment
    (once) and shows the cashier. Opening the same address again shows the same payment."""
    if not enabled():
        raise Http404
    data = request.GET.get("data", "")
    headers = {"X-Pay-Timestamp": request.GET.get("ts", ""), "X-Pay-Nonce": request.GET.get("nonce", ""),
               "X-Pay-Signature": request.GET.get("sig", "")}
    try:
        payload = json.loads(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))
        signing.verify("GET", request.path, data.encode(), headers, lambda nonce: True)
    except (ValueError, signing.BadSignature):
        return render(request, "payments/sandbox_cashier.html", {"refused": True}, status=400)
    payment, _error_text, _status = _create(payload if isinstance(payload, dict) else {})
    if payment is None:
        return render(request, "payments/sandbox_cashier.html", {"refused": True}, status=400)
    return HttpResponseRedirect(reverse("payments:sandbox_cashier", args=[payment.ref]))


@require_http_methods(["GET"])
@signed_api
def api_get(request, payload, out_trade_no):
    payment = SandboxPayment.objects.filter(out_trade_no=out_trade_no).first()
    if payment is None:
        return _error(404, "no such payment")
    return JsonResponse(_payment_json(payment, request))


@require_http_methods(["POST"])
@signed_api
def api_refund(request, payload):
    try:
        out_trade_no, out_refund_no = str(payload["out_trade_no"]), str(payload["out_refund_no"])[:32]
        amount = int(payload["amount"])
    except (KeyError, TypeError, ValueError):
        return _error(422, "out_trade_no, out_refund_no and amount are required")
    with transaction.atomic():
        payment = SandboxPayment.objects.select_for_update().filter(out_trade_no=out_trade_no).first()
        if payment is None:
            return _error(404, "no such payment")
        existing = SandboxRefund.objects.filter(out_refund_no=out_refund_no).first()
        if existing is not None:
            return JsonResponse(_refund_json(existing))
        refunded = payment.refunds.filter(state="success").aggregate(s=Sum("amount"))["s"] or 0
        ok = payment.state == "success" and 0 < amount <= payment.amount - refunded
        refund = SandboxRefund.objects.create(ref=_new_ref("SBR"), payment=payment, out_refund_no=out_refund_no,
                                              amount=max(amount, 0), reason=str(payload.get("reason", ""))[:2000],
                                              state="success" if ok else "failed")
    return JsonResponse(_refund_json(refund), status=201)


def _day_range(day: dt.date):
    start = timezone.make_aware(dt.datetime.combine(day, dt.time()))
    return start, start + dt.timedelta(days=1)


@require_http_methods(["GET"])
@signed_api
def api_statement(request, payload):
    try:
        day = dt.date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        return _error(422, "day=YYYY-MM-DD is required")
    start, end = _day_range(day)
    payments = SandboxPayment.objects.filter(state="success", completed_at__gte=start, completed_at__lt=end)
    refunds = SandboxRefund.objects.filter(state="success", created_at__gte=start, created_at__lt=end)
    return JsonResponse({"day": day.isoformat(),
                         "payments": [_payment_json(p) for p in payments.order_by("pk")],
                         "refunds": [_refund_json(r) for r in refunds.select_related("payment").order_by("pk")]})


def send_callback(payment: SandboxPayment) -> bool:
    """POST the payment's final state to the platform's notify_url, signed; the outcome is kept."""
    body = json.dumps(_payment_json(payment)).encode()
    parts = urlsplit(payment.notify_url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    request = urllib.request.Request(payment.notify_url, data=body, method="POST", headers={
        "Content-Type": "application/json", **signing.sign("POST", path, body)})
    timeout = float(getattr(settings, "DGOV_PAYMENT_PROVIDER_TIMEOUT", 10))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - the merchant's URL
            result, delivered = f"delivered: HTTP {response.status}", True
    except OSError as exc:  # HTTPError is an OSError too
        result, delivered = f"failed: {exc}"[:200], False
        log.warning("sandbox callback for %s failed: %s", payment.out_trade_no, exc)
    SandboxPayment.objects.filter(pk=payment.pk).update(callback_result=result,
                                                         callback_attempts=payment.callback_attempts + 1)
    return delivered


#: the callbacks being sent (tests wait for them with `join_callbacks`)
_sending: list[threading.Thread] = []


def join_callbacks(timeout: float = 30) -> None:
    while _sending:
        _sending.pop().join(timeout)


def _send_later(pk: int) -> None:
    def run():
        from django.db import connection

        try:
            send_callback(SandboxPayment.objects.get(pk=pk))
        finally:
            connection.close()

    thread = threading.Thread(target=run, name=f"sandbox-callback-{pk}", daemon=True)
    _sending[:] = [t for t in _sending if t.is_alive()] + [thread]
    thread.start()


@require_http_methods(["GET", "POST"])
def cashier(request, ref):
    """The hosted cashier page: the payer sees the amount and chooses the outcome (a sandbox)."""
    if not enabled():
        raise Http404
    payment = get_object_or_404(SandboxPayment, ref=ref)
    if request.method == "POST" and payment.state not in FINAL:
        state = CHOICES.get(request.POST.get("choice", ""))
        if state is None:
            return render(request, "payments/sandbox_cashier.html", {"payment": payment, "bad_choice": True},
                          status=422)
        with transaction.atomic():
            locked = SandboxPayment.objects.select_for_update().get(pk=payment.pk)
            if locked.state not in FINAL:
                locked.state = state
                locked.completed_at = timezone.now()
                locked.save(update_fields=["state", "completed_at"])
        payment.refresh_from_db()
        transaction.on_commit(lambda: _send_later(payment.pk))
        return HttpResponseRedirect(payment.return_url)
    if request.method == "POST":  # already decided: back to the merchant
        return HttpResponseRedirect(payment.return_url)
    if payment.state == "created":
        SandboxPayment.objects.filter(pk=payment.pk, state="created").update(state="submitted")
        payment.state = "submitted"
    return render(request, "payments/sandbox_cashier.html", {"payment": payment})
