"""The wire protocol between nodes (docs/federation.md): signed JSON over HTTP.

A request is signed by the calling node with its SM2 node key over the gateway's canonical string
(`dgov.exchange.signing.string_to_sign`: method, path, sorted query, timestamp, nonce, SM3 of the
body), with the headers X-Dgov-Node, X-Dgov-Timestamp, X-Dgov-Nonce and X-Dgov-Signature.

A response is signed by the answering node over

    RESPONSE \\n <status> \\n <the request's nonce> \\n <timestamp> \\n <SM3 of the body, hex>

so that a response cannot be replayed for another request or altered on the way; it carries
X-Dgov-Node, X-Dgov-Timestamp, X-Dgov-Signature and X-Body-SM3. A batch of changes carries its
own `digest` too, which the target checks before applying anything: for the catalog, SM3 of the
canonical JSON of its `changes`; for a dataset, whose changes travel as `rows` (PostgreSQL COPY text,
`dgov.aggregation.copytext`) under a list of `columns`, SM3 of the header line naming the fields
followed by the rows, UTF-8 (`rows_digest`).
"""

import json
import secrets
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from dgov.aggregation import copytext
from dgov.crypto.primitives import InvalidKeyError, SM2PublicKey, sm3
from dgov.exchange import signing
from dgov.federation import node

HEADER_NODE = "X-Dgov-Node"
HEADER_TIMESTAMP = signing.HEADER_TIMESTAMP
HEADER_NONCE = signing.HEADER_NONCE
HEADER_SIGNATURE = signing.HEADER_SIGNATURE
HEADER_BODY_SM3 = "X-Body-SM3"
WINDOW_SECONDS = 300
TIMEOUT_SECONDS = 60
#: changes per batch: at most (what a peer may ask for, and send), and what `dgov sync` asks for
#: unless told (a batch's fixed cost — two signatures and their checks, a nonce, a checkpoint
#: transaction — is paid per batch; 5 000 rows of a wide dataset are about 1 MB)
MAX_BATCH = 10000
DEFAULT_BATCH = 5000
#: the largest request or answer body a node accepts (a batch is cut to fit): a peer cannot make this
#: node read more than this into memory
MAX_BODY = 16 * 1024 * 1024


class ProtocolError(Exception):
    """The peer answered with an error, an unverifiable answer, or not at all."""

    def __init__(self, message: str, *, status: int = 0, code: str = "", details=None):
        super().__init__(message)
        self.status, self.code, self.details = status, code, details or {}


def canonical_json(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def batch_digest(changes: list) -> str:
    return sm3(canonical_json(changes)).hex()


def batch_payload(feed: str, after: int, last_seq: int, changes: list) -> dict:
    """A batch as it travels (pulled or pushed), cut to fewer changes when the whole would not fit in
    MAX_BODY (a batch may carry fewer changes than asked for; the next one continues after it)."""
    while True:
        encoded = canonical_json(changes)
        if len(encoded) <= MAX_BODY - 4096 or len(changes) <= 1:
            return {"feed": feed, "after": after, "last_seq": last_seq, "changes": changes,
                    "digest": sm3(encoded).hex()}
        changes = changes[:len(changes) // 2]


def rows_digest(columns: list[str], rows: str) -> str:
    """The digest of a dataset batch: SM3 of its header line and its rows (copytext), UTF-8."""
    return sm3((copytext.header(columns) + rows).encode("utf-8")).hex()


def rows_payload(feed: str, after: int, last_seq: int, columns: list[str], count: int, rows: str) -> dict:
    """A dataset batch as it travels: `count` changes as `rows` of text, cut to fewer rows when the
    whole would not fit in MAX_BODY (as `batch_payload`)."""
    # In JSON a character takes at most 6 bytes (a control character, \u00XX): most batches are far
    # below the limit without encoding them to tell.
    while count > 1 and len(rows) * 6 > MAX_BODY - 4096 \
            and len(json.dumps(rows, ensure_ascii=False).encode("utf-8")) > MAX_BODY - 4096:
        count //= 2
        end = -1
        for _n in range(count):
            end = rows.index("\n", end + 1)
        rows = rows[:end + 1]
    return {"feed": feed, "after": after, "last_seq": last_seq, "columns": columns, "count": count, "rows": rows,
            "digest": rows_digest(columns, rows)}


def response_string(status: int, request_nonce: str, timestamp: str, body: bytes, *,
                    body_sm3: str | None = None) -> bytes:
    """What an answer's signature covers; `body_sm3`: the body's SM3 when the caller has it already."""
    digest = body_sm3 if body_sm3 is not None else signing.body_digest(body)
    return "\n".join(["RESPONSE", str(status), request_nonce, timestamp, digest]).encode("utf-8")


def sign_response(status: int, request_nonce: str, body: bytes) -> dict[str, str]:
    timestamp = str(int(time.time()))
    digest = signing.body_digest(body)  # once: the signed string and the header carry the same
    signature = signing.sm2_signature(node.private_key(),
                                      response_string(status, request_nonce, timestamp, body, body_sm3=digest))
    return {HEADER_NODE: node.code(), HEADER_TIMESTAMP: timestamp, HEADER_SIGNATURE: signature,
            HEADER_BODY_SM3: digest}


def public_key(pem: str) -> SM2PublicKey | None:
    try:
        return SM2PublicKey.from_pem(pem)
    except (InvalidKeyError, ValueError):
        return None


def fresh(timestamp: str, now: float | None = None) -> bool:
    if not signing.TIMESTAMP_RE.match(timestamp or ""):
        return False
    return abs((now if now is not None else time.time()) - int(timestamp)) <= WINDOW_SECONDS


@dataclass
class Answer:
    status: int
    body: dict


def call(peer, method: str, path: str, *, query: dict | None = None, payload=None) -> Answer:
    """A signed request to `peer`; returns the verified JSON answer (2xx) or raises ProtocolError
    (an error answer keeps its status and code)."""
    query_string = urlencode(sorted((query or {}).items()))
    body = canonical_json(payload) if payload is not None else b""
    base = urlsplit(peer.base_url.rstrip("/"))
    full_path = (base.path or "") + path
    timestamp, nonce = str(int(time.time())), secrets.token_urlsafe(24)
    message = signing.string_to_sign(method, full_path, query_string, timestamp, nonce, body)
    headers = {HEADER_NODE: node.code(), HEADER_TIMESTAMP: timestamp, HEADER_NONCE: nonce,
               HEADER_SIGNATURE: signing.sm2_signature(node.private_key(), message),
               "Accept": "application/json"}
    if payload is not None:
        headers["Content-Type"] = "application/json"
    url = f"{base.scheme}://{base.netloc}{full_path}" + (f"?{query_string}" if query_string else "")
    status, raw, got = transport(method, url, body if payload is not None else None, headers)
    # Nothing of the answer is used before its signature is checked, error answers included: a forged
    # 409 could otherwise move a push's position, and a forged message would land in the run's error.
    try:
        verify_response(peer, status, nonce, raw, got)
    except ProtocolError as exc:
        if status < 300:
            raise
        raise ProtocolError(f"{peer.code} answered {status} (unsigned or not verifiable: {exc})",
                            status=status) from None
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise ProtocolError(f"{peer.code} answered {status} with something other than a JSON object", status=status)
    if status >= 300:
        message = data.get("message") if isinstance(data.get("message"), str) else ""
        code = data.get("code") if isinstance(data.get("code"), str) else ""
        details = data.get("details") if isinstance(data.get("details"), dict) else None
        raise ProtocolError(f"{peer.code} answered {status}: {message[:300]}", status=status, code=code[:50],
                            details=details)
    return Answer(status, data)


def transport(method: str, url: str, body: bytes | None, headers: dict) -> tuple[int, bytes, object]:
    """One HTTP exchange: (status, body, response headers). Tests replace it with Django's test client."""
    request = urllib.request.Request(url, data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status, _bounded(response), response.headers
    except urllib.error.HTTPError as exc:
        return exc.code, _bounded(exc), exc.headers
    except (OSError, ValueError) as exc:
        raise ProtocolError(f"{urlsplit(url).netloc} cannot be reached: {exc}") from None


def _bounded(response) -> bytes:
    """The answer's body, refused past MAX_BODY: a rogue or broken peer cannot fill this node's memory."""
    raw = response.read(MAX_BODY + 1)
    if len(raw) > MAX_BODY:
        raise ProtocolError(f"the answer is larger than {MAX_BODY} bytes")
    return raw


def verify_response(peer, status: int, nonce: str, raw: bytes, headers) -> None:
    """The answer was signed by `peer` for this request and not changed on the way."""
    key = public_key(peer.public_key_pem)
    timestamp = headers.get(HEADER_TIMESTAMP, "")
    if headers.get(HEADER_NODE) != peer.code:
        raise ProtocolError(f"the answer does not come from node {peer.code}", code="bad_signature")
    if key is None or not fresh(timestamp):
        raise ProtocolError(f"the answer of {peer.code} has no valid timestamp or key", code="bad_signature")
    if not signing.verify_sm2(key, response_string(status, nonce, timestamp, raw),
                              headers.get(HEADER_SIGNATURE, "")):
        raise ProtocolError(f"the answer of {peer.code} is not signed by its node key", code="bad_signature")
