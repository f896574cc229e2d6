"""The client of the local sandbox payment provider: signed JSON over HTTP (see `dgov/payments/sandbox.py`
for the server side and `signing.py` for the signatures).

Settings: `DGOV_PAYMENT_PROVIDER_URL` (default: the platform's own address + /sandbox/payments/),
`DGOV_PAYMENT_SANDBOX_SECRET` (the shared secret), `DGOV_PAYMENT_PROVIDER_TIMEOUT` (seconds for one call
over all its attempts, default 10).
"""

import base64
import datetime as dt
import json
import urllib.error
import urllib.request
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils.dateparse import parse_datetime

from dgov.payments import signing
from dgov.payments.providers.base import Provider, ProviderError, ProviderPayment, ProviderRefund, Statement

ATTEMPTS = 4


def platform_base(platform_url: str | None = None) -> str:
    return (platform_url or getattr(settings, "DGOV_PUBLIC_URL", "http://127.0.0.1:8000")).rstrip("/")


def provider_base(platform_url: str | None = None) -> str:
    configured = getattr(settings, "DGOV_PAYMENT_PROVIDER_URL", "")
    return (configured or platform_base(platform_url) + "/sandbox/payments/").rstrip("/") + "/"


def _payment(data: dict) -> ProviderPayment:
    completed = parse_datetime(data["completed_at"]) if data.get("completed_at") else None
    return ProviderPayment(out_trade_no=data["out_trade_no"], ref=data["ref"], amount=int(data["amount"]),
                           state=data["state"], pay_url=data.get("pay_url", ""), completed_at=completed)


def _refund(data: dict) -> ProviderRefund:
    return ProviderRefund(out_refund_no=data["out_refund_no"], ref=data["ref"], amount=int(data["amount"]),
                          state=data["state"])


class SandboxClient(Provider):
    name = "sandbox"

    def __init__(self, platform_url: str | None = None):
        self.platform_url = platform_base(platform_url)
        self.base = provider_base(platform_url)
        self.timeout = float(getattr(settings, "DGOV_PAYMENT_PROVIDER_TIMEOUT", 10))

    def _call(self, method: str, endpoint: str, payload: dict | None = None, query: dict | None = None) -> dict:
        """One signed JSON request. Every call is idempotent at the provider (payments and refunds are keyed
        by our numbers), so a call that times out is sent again, newly signed, up to `ATTEMPTS` times: a
        sandbox served by the platform itself may have queued it behind the very request making it."""
        url = self.base + endpoint + (f"?{urlencode(query)}" if query else "")
        body = json.dumps(payload, ensure_ascii=False).encode() if payload is not None else b""
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        timeout = max(self.timeout / ATTEMPTS, 1.0)
        for attempt in range(1, ATTEMPTS + 1):
            headers = {"Content-Type": "application/json", "Accept": "application/json",
                       **signing.sign(method, path, body)}
            request = urllib.request.Request(url, data=body if method == "POST" else None, method=method,
                                             headers=headers)
            try:
                with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - configured URL
                    return json.loads(response.read() or b"{}")
            except urllib.error.HTTPError as exc:
                try:
                    detail = json.loads(exc.read() or b"{}").get("message", "")
                except ValueError:
                    detail = ""
                raise ProviderError(f"HTTP {exc.code} {detail}".strip()) from None
            except TimeoutError as exc:
                if attempt == ATTEMPTS:
                    raise ProviderError(f"timed out ({ATTEMPTS} attempts)") from exc
            except (OSError, ValueError) as exc:
                if isinstance(getattr(exc, "reason", None), TimeoutError) and attempt < ATTEMPTS:
                    continue
                raise ProviderError(str(exc) or exc.__class__.__name__) from None
        raise ProviderError("unreachable")  # pragma: no cover - the loop returns or raises

    def create_payment(self, *, out_trade_no, amount, subject, return_url) -> ProviderPayment:
        """The sandbox's "page pay": the payment is created by the payer's browser following a signed
        address (valid for `signing.WINDOW` seconds; the sandbox checks it and creates the payment once),
        so that starting a payment needs no call from the platform's server."""
        data = json.dumps({"out_trade_no": out_trade_no, "amount": amount, "subject": subject,
                           "notify_url": self.platform_url + reverse("payments:callback"), "return_url": return_url},
                          ensure_ascii=False, sort_keys=True).encode()
        encoded = base64.urlsafe_b64encode(data).decode().rstrip("=")
        path = urlsplit(self.base).path + "pay"
        timestamp, nonce, signature = signing.sign("GET", path, encoded.encode()).values()
        pay_url = self.base + "pay?" + urlencode({"data": encoded, "ts": timestamp, "nonce": nonce, "sig": signature})
        return ProviderPayment(out_trade_no=out_trade_no, ref="", amount=amount, state="created", pay_url=pay_url)

    def query(self, out_trade_no) -> ProviderPayment:
        return _payment(self._call("GET", f"api/payments/{out_trade_no}"))

    def refund(self, *, out_trade_no, out_refund_no, amount, reason) -> ProviderRefund:
        return _refund(self._call("POST", "api/refunds", {
            "out_trade_no": out_trade_no, "out_refund_no": out_refund_no, "amount": amount, "reason": reason}))

    def statement(self, day: dt.date) -> Statement:
        data = self._call("GET", "api/statement", query={"day": day.isoformat()})
        return Statement(day=day, payments=[_payment(p) for p in data.get("payments", [])],
                         refunds=[_refund(r) for r in data.get("refunds", [])])
