"""HMAC-SM3 signatures of the messages between the platform and the sandbox provider, both ways
(requests to the provider, the provider's callbacks).

    X-Pay-Timestamp: unix seconds     X-Pay-Nonce: random hex     X-Pay-Signature: hex HMAC-SM3 of
    "<METHOD>\\n<path?query>\\n<timestamp>\\n<nonce>\\n<hex SM3 of the body>"

under the shared secret (`DGOV_PAYMENT_SANDBOX_SECRET`, by default derived from the platform's secret
key). A message is accepted once: its timestamp must lie within `WINDOW` seconds of now and its nonce
must not have been seen (the receiver's `remember(nonce)` says whether it is new).
"""

import time

from django.conf import settings

from dgov.crypto.primitives import constant_time_equal, hmac_sm3, random_bytes, sm3

WINDOW = 300
HEADERS = ("X-Pay-Timestamp", "X-Pay-Nonce", "X-Pay-Signature")


def secret() -> bytes:
    value = getattr(settings, "DGOV_PAYMENT_SANDBOX_SECRET", "")
    if value:
        return value.encode()
    return hmac_sm3(settings.SECRET_KEY.encode(), b"dgov.payments.sandbox-secret")


def _canonical(method: str, path: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    return f"{method.upper()}\n{path}\n{timestamp}\n{nonce}\n{sm3(body).hex()}".encode()


def sign(method: str, path: str, body: bytes = b"", *, now: float | None = None, nonce: str | None = None) -> dict:
    """The three headers for a message."""
    timestamp = str(int(now if now is not None else time.time()))
    nonce = nonce or random_bytes(16).hex()
    signature = hmac_sm3(secret(), _canonical(method, path, timestamp, nonce, body)).hex()
    return dict(zip(HEADERS, (timestamp, nonce, signature), strict=True))


class BadSignature(Exception):
    pass


def verify(method: str, path: str, body: bytes, headers, remember, *, now: float | None = None) -> None:
    """Raise BadSignature unless the headers sign this message, it is fresh and its nonce is new."""
    timestamp, nonce, signature = (headers.get(h, "") for h in HEADERS)
    if not (timestamp.isdigit() and 8 <= len(nonce) <= 64 and signature):
        raise BadSignature("missing or malformed signature headers")
    expected = hmac_sm3(secret(), _canonical(method, path, timestamp, nonce, body)).hex()
    if not constant_time_equal(expected.encode(), signature.encode()):
        raise BadSignature("signature does not match")
    if abs((now if now is not None else time.time()) - int(timestamp)) > WINDOW:
        raise BadSignature("timestamp outside the allowed window")
    if not remember(nonce):
        raise BadSignature("replayed message (nonce already seen)")
