"""The gateway's signing scheme (docs/exchange.md): what a consumer signs and how it is checked.

The string to sign is six lines joined by "\\n":

    METHOD            GET
    PATH              /exchange/v1/services/101001001/000001  (percent-decoded, no query)
    QUERY             the query's name=value pairs sorted, each part percent-encoded (RFC 3986
                      unreserved characters kept), joined with "&"; empty without a query
    TIMESTAMP         Unix seconds, as in X-Dgov-Timestamp
    NONCE             as in X-Dgov-Nonce: 16–64 characters of A–Z a–z 0–9 _ -
    BODY DIGEST       SM3 of the request body, lowercase hex (of b"" for a GET)

HMAC-SM3 signs it with the credential's secret (its UTF-8 bytes as the key); SM2 signs it with the
application's private key (signer ID 1234567812345678). Either signature goes base64 in
X-Dgov-Signature.
"""

import base64
import binascii
import re
from urllib.parse import parse_qsl, quote

from dgov.crypto.primitives import SM2PrivateKey, SM2PublicKey, constant_time_equal, hmac_sm3, sm3

HEADER_APP = "X-Dgov-App"
HEADER_KEY_ID = "X-Dgov-Key-Id"
HEADER_TIMESTAMP = "X-Dgov-Timestamp"
HEADER_NONCE = "X-Dgov-Nonce"
HEADER_SIGNATURE = "X-Dgov-Signature"
SIGNED_HEADERS = (HEADER_APP, HEADER_KEY_ID, HEADER_TIMESTAMP, HEADER_NONCE, HEADER_SIGNATURE)
NONCE_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
TIMESTAMP_RE = re.compile(r"^[0-9]{1,12}$")


def _enc(text: str) -> str:
    return quote(text, safe="-_.~")


def canonical_query(query_string: str) -> str:
    pairs = sorted(parse_qsl(query_string, keep_blank_values=True))
    return "&".join(f"{_enc(k)}={_enc(v)}" for k, v in pairs)


def body_digest(body: bytes) -> str:
    return sm3(body or b"").hex()


def string_to_sign(method: str, path: str, query_string: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    return "\n".join([method.upper(), path, canonical_query(query_string), timestamp, nonce,
                      body_digest(body)]).encode("utf-8")


def hmac_signature(secret: str, message: bytes) -> str:
    return base64.b64encode(hmac_sm3(secret.encode("utf-8"), message)).decode()


def sm2_signature(private_key: SM2PrivateKey, message: bytes) -> str:
    return base64.b64encode(private_key.sign(message)).decode()


def _decode(signature: str) -> bytes | None:
    try:
        return base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        return None


def verify_hmac(secret: str, message: bytes, signature: str) -> bool:
    raw = _decode(signature)
    return raw is not None and constant_time_equal(raw, hmac_sm3(secret.encode("utf-8"), message))


def verify_sm2(public_key: SM2PublicKey, message: bytes, signature: str) -> bool:
    raw = _decode(signature)
    return raw is not None and public_key.verify(message, raw)


def signed_headers(*, app: str, key_id: str, timestamp: str, nonce: str, signature: str) -> dict[str, str]:
    return {HEADER_APP: app, HEADER_KEY_ID: key_id, HEADER_TIMESTAMP: timestamp, HEADER_NONCE: nonce,
            HEADER_SIGNATURE: signature}
