"""The node protocol at /federation/v1/ (docs/federation.md), answered to paired peers only.

    GET  /federation/v1/node                         this node's code, name and public key (unsigned)
    GET  /federation/v1/feeds                        what the calling peer may pull
    GET  /federation/v1/feeds/{feed}/changes?after=&limit=   a batch of changes, ordered by sequence
    GET  /federation/v1/inbox                        this node's subscriptions to the caller, with checkpoints
    POST /federation/v1/inbox/{feed}                 a pushed batch, applied like a pulled one

Every request but `node` is signed by the calling node (`protocol.py`); unsigned, stale, replayed or
wrongly signed requests and unknown nodes answer 401, a disabled peer or a feed not published to it
403, all in the platform's error shape. Every answer is signed by this node.
"""

import json
import logging
import re
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from dgov.core.errors import DgovError
from dgov.exchange import signing
from dgov.federation import apply, feeds, node, protocol, services
from dgov.federation.models import FEED_RE, NodeNonce, Peer, Subscription

log = logging.getLogger("dgov.federation")

MAX_AFTER = 2**63 - 1
PRUNE_ONE_IN = 200
_INT = re.compile(r"^[0-9]{1,19}$")


class NodeError(Exception):
    def __init__(self, status: int, code: str, message, details=None):
        super().__init__(str(message))
        self.status, self.code, self.message, self.details = status, code, str(message), details or {}


def _respond(request, status: int, payload: dict) -> HttpResponse:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    response = HttpResponse(body, status=status, content_type="application/json; charset=utf-8")
    nonce = request.headers.get(protocol.HEADER_NONCE, "")
    if signing.NONCE_RE.match(nonce):
        for name, value in protocol.sign_response(status, nonce, body).items():
            response[name] = value
    return response


def _error(request, exc: NodeError) -> HttpResponse:
    return _respond(request, exc.status, {"code": exc.code, "message": exc.message, "details": exc.details})


def _use_nonce(peer: Peer, nonce: str) -> bool:
    now = timezone.now()
    try:
        with transaction.atomic():
            NodeNonce.objects.create(node=peer.code, nonce=nonce, seen_at=now)
    except IntegrityError:
        return False
    if int.from_bytes(nonce.encode()[-2:], "big") % PRUNE_ONE_IN == 0:
        NodeNonce.objects.filter(seen_at__lt=now - timedelta(seconds=2 * protocol.WINDOW_SECONDS)).delete()
    return True


def _body(request) -> bytes:
    """The request's body, read once and at most protocol.MAX_BODY bytes (Django's own
    DATA_UPLOAD_MAX_MEMORY_SIZE would refuse a push of ordinary batches with an unsigned 400)."""
    if not hasattr(request, "_node_body"):
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > protocol.MAX_BODY:
            raise NodeError(413, "too_large", _("The request is too large."))
        raw = request.read(protocol.MAX_BODY + 1) if declared or request.method == "POST" else b""
        if len(raw) > protocol.MAX_BODY:
            raise NodeError(413, "too_large", _("The request is too large."))
        request._node_body = raw
    return request._node_body


def authenticate(request) -> Peer:
    """The paired peer that signed this request, or NodeError (401/403)."""
    code = request.headers.get(protocol.HEADER_NODE, "")
    timestamp = request.headers.get(protocol.HEADER_TIMESTAMP, "")
    nonce = request.headers.get(protocol.HEADER_NONCE, "")
    signature = request.headers.get(protocol.HEADER_SIGNATURE, "")
    if not (code and timestamp and nonce and signature):
        raise NodeError(401, "not_authenticated", _("Sign the request with your node key."))
    if not signing.NONCE_RE.match(nonce) or not re.match(r"^[0-9]{2,12}$", code):
        raise NodeError(401, "invalid_signature", _("The signature headers are malformed."))
    if not protocol.fresh(timestamp):
        raise NodeError(401, "stale_timestamp", _("The timestamp is outside the allowed window."))
    peer = Peer.objects.filter(code=code).first()
    key = protocol.public_key(peer.public_key_pem) if peer else None
    message = signing.string_to_sign(request.method, request.path, request.META.get("QUERY_STRING", ""), timestamp,
                                     nonce, _body(request))
    if key is None or not signing.verify_sm2(key, message, signature):
        # An unknown node and a wrong signature get the same answer: no oracle for paired codes.
        raise NodeError(401, "invalid_signature", _("The signature does not verify for a paired node."))
    if not peer.enabled:
        raise NodeError(403, "peer_disabled", _("This node's pairing is disabled."))
    if not _use_nonce(peer, nonce):
        raise NodeError(401, "replayed", _("This request was seen before."))
    return peer


def node_view(request, handler, *args):
    try:
        if request.method not in handler.methods:
            raise NodeError(405, "method_not_allowed", _("Method not allowed."))
        _body(request)
        peer = authenticate(request)
        status, payload = handler(request, peer, *args)
        return _respond(request, status, payload)
    except NodeError as exc:
        return _error(request, exc)
    except apply.CheckpointMoved as exc:
        return _error(request, NodeError(409, exc.code, str(exc), exc.details))
    except apply.BatchError as exc:
        return _error(request, NodeError(422, exc.code, str(exc), exc.details))
    except DgovError as exc:
        err = exc.as_dict()
        return _error(request, NodeError(exc.status, err["code"], err["message"],
                                         err["details"]))


def _methods(*names):
    def decorate(fn):
        fn.methods = names
        return fn
    return decorate


def _feed(feed: str) -> str:
    if not FEED_RE.match(feed):
        raise NodeError(404, "not_found", _("No such feed."))
    return feed


@_methods("GET")
def _feeds(request, peer):
    return 200, {"node": node.code(), "feeds": feeds.list_feeds(peer)}


def _int_param(request, name: str, default: int, low: int, high: int) -> int:
    raw = request.GET.get(name)
    if raw is None:
        return default
    if not _INT.match(raw) or not low <= int(raw) <= high:
        raise NodeError(422, "invalid", _("Invalid input."),
                        {name: [_("A whole number from %(low)d to %(high)d.") % {"low": low, "high": high}]})
    return int(raw)


@_methods("GET")
def _changes(request, peer, feed):
    feed = _feed(feed)
    after = _int_param(request, "after", 0, 0, MAX_AFTER)
    limit = _int_param(request, "limit", protocol.DEFAULT_BATCH, 1, protocol.MAX_BATCH)
    try:
        return 200, feeds.changes(peer, feed, after, limit)
    except feeds.UnknownFeed:
        raise NodeError(404, "not_found", _("No such feed.")) from None
    except feeds.FeedRefused:
        raise NodeError(403, "not_published", _("This feed is not published to your node.")) from None


@_methods("GET")
def _inbox(request, peer):
    subs = Subscription.objects.filter(peer=peer, enabled=True).select_related("peer").order_by("feed")
    return 200, {"node": node.code(), "subscriptions": [{"feed": s.feed, "kind": s.kind,
                                                         "checkpoint": apply.checkpoint(s)} for s in subs]}


@_methods("POST")
def _receive(request, peer, feed):
    feed = _feed(feed)
    try:
        payload = json.loads(_body(request) or b"")
    except ValueError:
        raise NodeError(400, "bad_request", _("The body is not JSON.")) from None
    if not isinstance(payload, dict) or payload.get("feed") != feed:
        raise NodeError(422, "invalid", _("The batch is for another feed."))
    applied = services.receive_push(peer, feed, payload)
    return 200, {"feed": feed, "checkpoint": applied.checkpoint, "written": applied.written,
                 "unchanged": applied.unchanged, "deleted": applied.deleted}


@csrf_exempt
def feeds_view(request):
    return node_view(request, _feeds)


@csrf_exempt
def changes_view(request, feed: str):
    return node_view(request, _changes, feed)


@csrf_exempt
def inbox_view(request):
    return node_view(request, _inbox)


@csrf_exempt
def receive_view(request, feed: str):
    return node_view(request, _receive, feed)


def identity_view(request):
    """Unsigned: what an operator needs to pair (compare the fingerprint out of band)."""
    if request.method != "GET":
        return _error(request, NodeError(405, "method_not_allowed", _("Method not allowed.")))
    pem = node.public_key_pem()
    return _respond(request, 200, {"code": node.code(), "name": node.name(), "url": node.base_url(),
                                   "public_key_pem": pem, "fingerprint": node.fingerprint(pem)})


@csrf_exempt
def unknown_view(request, rest: str = ""):
    return _error(request, NodeError(404, "not_found", _("No such resource.")))
