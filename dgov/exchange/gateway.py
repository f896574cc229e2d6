"""The data-service gateway at /exchange/v1/ (docs/exchange.md).

Every call is signed by a consumer application (`dgov.exchange.signing`) and answered in JSON; errors
have the platform's shape `{"code", "message", "details"}`. Every response carries `X-Request-Id`
and `X-Body-SM3` (the SM3 of the body as sent), and every call, refused ones included, is written to
the hash-chained exchange log before the answer leaves.

    GET /exchange/v1/services/{service_code}                the rows the grant allows
    GET /exchange/v1/services/{service_code}/openapi.json   that service described for the caller
    GET /exchange/v1/allowed                                 what the caller may call
"""

import ipaddress
import logging
import time
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import SuspiciousOperation
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja.responses import NinjaJSONEncoder

from dgov.accounts.models import UserKind
from dgov.core.cache import CATALOG, KEYS, Generation, ProcessCache
from dgov.core.context import current
from dgov.core.errors import DgovError, NotAuthenticated, NotFound, PermissionDenied, ValidationError
from dgov.core.middleware import client_ip
from dgov.crypto.primitives import InvalidKeyError, SM2PublicKey, sm3
from dgov.exchange import chain, limits, signing
from dgov.exchange.masking import mask
from dgov.exchange.models import Algorithm, ConsumerCredential
from dgov.exchange.openapi import service_document

log = logging.getLogger("dgov.exchange")

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
MAX_OFFSET = 2**31 - 1
OPS = ("eq", "ne", "lt", "lte", "gt", "gte", "in", "startswith")
RESERVED = ("limit", "offset")
MAX_IN_VALUES = 1000
# A masked column may be matched exactly (to check a value the caller already holds) but not by
# prefix, range, list or exclusion, which would let a caller read the hidden value back digit by
# digit (`?sfzh__startswith=3606…`) or enumerate it a thousand guesses at a time.
MASKED_OPS = ("eq",)

KEY_ID_MAX = ConsumerCredential._meta.get_field("key_id").max_length
_credentials = ProcessCache("exchange-credentials", maxsize=5000, ttl=300)
# A sharing request's purpose, logged with every call under its grant; fixed once the request is
# granted, so kept per process without a generation.
_purposes = ProcessCache("exchange-purposes", maxsize=5000, ttl=300)
# What a call resolves before it reads the data store: the service (catalog entry, dataset and its
# columns with their masks) by service code, and the caller's active grant on it. Kept per process
# under CATALOG (an entry withdrawn or renamed, its items changed) and SERVICES, which the audit
# entries of grants (created, revoked, expired, replaced) and of datasets (columns, masks) bump
# (`ExchangeConfig.ready`), so a revocation or a mask change is seen by every worker at its next call.
# A grant's validity window is checked against the clock on every call, so an expiry needs no bump.
SERVICES = Generation("exchange-services")
_services = ProcessCache("exchange-services", maxsize=2000, ttl=300)
_grants = ProcessCache("exchange-grants", maxsize=20000, ttl=300)


class GatewayError(DgovError):
    """An answer of the gateway other than 200, with its status."""

    def __init__(self, status: int, code: str, message, details=None):
        super().__init__(message, code=code, details=details)
        self.status = status


@dataclass(frozen=True)
class Caller:
    """What the gateway needs of a credential, kept per process under the KEYS generation (a
    credential write or an application's deactivation bumps it, so no worker keeps a stale one)."""

    credential_id: int
    key_id: str
    algorithm: str
    application_id: int
    app_code: str
    app_active: bool
    enabled: bool
    expires_at: datetime | None
    secret: str
    public_key: SM2PublicKey | None

    @property
    def application(self):
        from dgov.accounts.models import Application

        return Application(pk=self.application_id, code=self.app_code)


def _load_caller(key_id: str) -> Caller | None:
    cred = (ConsumerCredential.objects.select_related("application", "application__account")
            .filter(key_id=key_id).first())
    if cred is None:
        return None
    public = None
    if cred.algorithm == Algorithm.SM2:
        try:
            public = SM2PublicKey.from_pem(cred.public_key)
        except (InvalidKeyError, ValueError):
            public = None
    account = cred.application.account
    return Caller(cred.pk, cred.key_id, cred.algorithm, cred.application_id, cred.application.code,
                  account.is_active and account.kind == UserKind.APPLICATION, cred.enabled, cred.expires_at,
                  cred.secret or "", public)


def caller_for(key_id: str) -> Caller | None:
    generation = KEYS.current()
    caller = _credentials.get(key_id, generation)
    if caller is None:
        caller = _load_caller(key_id)
        if caller is not None:
            _credentials.set(key_id, generation, caller)
    return caller


def _unauthenticated(code: str, message) -> GatewayError:
    return GatewayError(401, code, message)


def authenticate(request, now: float | None = None) -> Caller:
    """The calling application, from its signed headers; 401 in every other case."""
    values = {h: request.headers.get(h, "") for h in signing.SIGNED_HEADERS}
    missing = [h for h, v in values.items() if not v]
    if missing:
        raise GatewayError(401, NotAuthenticated.code, _("Sign the request: the headers %(headers)s are missing.")
                           % {"headers": ", ".join(missing)})
    timestamp, nonce = values[signing.HEADER_TIMESTAMP], values[signing.HEADER_NONCE]
    if not signing.TIMESTAMP_RE.fullmatch(timestamp):
        raise _unauthenticated("invalid_timestamp", _("X-Dgov-Timestamp is Unix time in whole seconds."))
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > limits.window_seconds():
        raise _unauthenticated("stale_timestamp", _("The request's timestamp is outside the allowed window of "
                                                     "%(s)d seconds: check the client's clock.") % {
            "s": limits.window_seconds()})
    if not signing.NONCE_RE.fullmatch(nonce):
        raise _unauthenticated("invalid_nonce", _("X-Dgov-Nonce is 16 to 64 characters of letters, digits, "
                                                  "“_” and “-”."))
    key_id = values[signing.HEADER_KEY_ID]
    # An over-long key id is refused, not cut to a known one: the log names the key as sent.
    caller = caller_for(key_id) if len(key_id) <= KEY_ID_MAX else None
    if caller is None or caller.app_code != values[signing.HEADER_APP]:
        raise _unauthenticated("invalid_credentials", _("Unknown application or key id."))
    message = signing.string_to_sign(request.method, request.path, request.META.get("QUERY_STRING", ""),
                                     timestamp, nonce, request.body)
    signature = values[signing.HEADER_SIGNATURE]
    ok = (signing.verify_hmac(caller.secret, message, signature) if caller.algorithm == Algorithm.HMAC_SM3
          else caller.public_key is not None and signing.verify_sm2(caller.public_key, message, signature))
    if not ok:
        raise _unauthenticated("invalid_signature", _("The signature does not match the request."))
    if not caller.enabled:
        raise _unauthenticated("credential_disabled", _("This credential is disabled."))
    if caller.expires_at is not None and caller.expires_at <= timezone.now():
        raise _unauthenticated("credential_expired", _("This credential has expired."))
    if not caller.app_active:
        raise _unauthenticated("application_inactive", _("The application is deactivated."))
    # Last: only a correctly signed request uses up its nonce.
    if not limits.use_nonce(caller.key_id, nonce):
        raise _unauthenticated("replayed", _("This nonce was used already: a request is accepted once."))
    return caller


# --- what a call is about ---------------------------------------------------------------------------

@dataclass
class Call:
    caller: Caller | None = None
    service_code: str = ""
    grant_id: int | None = None
    sharing_request_id: int | None = None
    purpose: str = ""
    rows: int = 0


def _purpose(request_id: int | None) -> str:
    from dgov.sharing.models import SharingRequest

    if request_id is None:
        return ""
    purpose = _purposes.get(request_id, 0)
    if purpose is None:
        purpose = SharingRequest.objects.filter(pk=request_id).values_list("purpose", flat=True).first() or ""
        _purposes.set(request_id, 0, purpose)
    return purpose


@dataclass(frozen=True)
class Service:
    """A data service as the gateway serves it: its catalog entry and its dataset, whose columns are
    prefetched (`datastore.select` then reads them from memory, not three times from the database)."""

    entry_id: int
    code: str
    name: str
    version: int
    dataset: object  # aggregation.Dataset with `columns` prefetched, or None before it has one
    columns: tuple = ()


@dataclass(frozen=True)
class GrantView:
    """What the gateway uses of a grant, cached per (application, entry) under CATALOG and SERVICES."""

    pk: int
    request_id: int | None
    items: frozenset
    row_filter: tuple
    unmasked_items: frozenset
    rate_limit: int | None
    daily_quota: int | None
    valid_from: datetime
    expires_at: datetime

    def usable(self, at: datetime) -> bool:
        return self.valid_from <= at < self.expires_at


def _generations() -> tuple:
    return CATALOG.current(), SERVICES.current()


def _load_service(code: str) -> Service | None:
    from dgov.aggregation.models import Dataset
    from dgov.catalog.models import CatalogEntry

    entry = CatalogEntry.objects.filter(code=code).only("pk", "code", "name", "version").first()
    if entry is None:
        return None
    dataset = Dataset.objects.filter(entry_id=entry.pk).prefetch_related("columns").first()
    columns = tuple(dataset.columns.all()) if dataset is not None else ()  # ordered by position
    return Service(entry.pk, entry.code, entry.name, entry.version, dataset, columns)


def _load_grant(caller: Caller, service: Service) -> GrantView | None:
    from dgov.catalog.models import CatalogEntry
    from dgov.sharing.selectors import active_grant

    grant = active_grant(caller.application, CatalogEntry(pk=service.entry_id))
    if grant is None:
        return None
    return GrantView(grant.pk, grant.request_id, frozenset(grant.items or []), tuple(grant.row_filter or []),
                     frozenset(grant.unmasked_items or []), grant.rate_limit, grant.daily_quota, grant.valid_from,
                     grant.expires_at)


def _service(caller: Caller, code: str, call: Call):
    """(grant, service, granted columns) for the caller on `code`; 403 without a usable grant."""
    call.service_code = code
    generation = _generations()
    service = _services.get(code, generation)
    if service is None:
        service = _load_service(code)
        if service is not None:
            _services.set(code, generation, service)
    grant = None
    if service is not None:
        now = timezone.now()
        key = (caller.application_id, service.entry_id)
        grant = _grants.get(key, generation)
        if grant is None or not grant.usable(now):
            # Not cached, or its window is over: ask the database (one indexed query), which also
            # finds the grant that replaced it. Only usable grants are kept.
            grant = _load_grant(caller, service)
            if grant is not None:
                _grants.set(key, generation, grant)
        if grant is not None and not grant.usable(now):
            grant = None
    if grant is None:
        # An unknown service and one without a grant get the same answer: no oracle for codes.
        raise GatewayError(403, "no_grant", _("Your application holds no grant for this data service."))
    call.grant_id, call.sharing_request_id = grant.pk, grant.request_id
    call.purpose = _purpose(grant.request_id)
    if service.dataset is None:
        raise GatewayError(503, "not_loaded", _("The data service has no data loaded yet; try again later."))
    granted = [c for c in service.columns if c.item_name in grant.items]
    if not granted:
        # Fail closed: the data store reads every column when it is given none, so a grant whose
        # items match no column (renamed items, a remapped dataset) must serve nothing, not all.
        raise GatewayError(503, "grant_misconfigured",
                           _("None of the grant's data items is a column of this data service."))
    return grant, service, granted


def is_masked(column, unmasked) -> bool:
    """Whether `column` reaches this grant's consumer masked (an unknown rule masks too)."""
    return column.item_name not in unmasked and column.mask not in ("", "none")


def _filters(request, granted, masked: set[str] = frozenset()) -> tuple[list, int, int]:
    """The caller's filters as datastore conditions, and limit/offset; 422 with details otherwise.
    `masked` names the columns the caller receives masked: those take exact matches only."""
    by_name = {c.name: c for c in granted}
    errors: dict[str, list[str]] = {}
    where = []
    limit, offset = DEFAULT_LIMIT, 0
    for name, values in request.GET.lists():
        if name in RESERVED:
            if len(values) > 1:
                # The signature covers the sorted pairs, not their order: "limit=1&limit=1000" and
                # "limit=1000&limit=1" sign alike, so a repeated limit or offset is ambiguous.
                errors[name] = [_("Give this parameter once.")]
                continue
            raw = values[0]
            bound = MAX_LIMIT if name == "limit" else MAX_OFFSET
            low = 1 if name == "limit" else 0
            if not raw.isdigit() or not low <= int(raw) <= bound:
                errors[name] = [_("Enter a whole number from %(low)d to %(high)d.") % {"low": low, "high": bound}]
                continue
            if name == "limit":
                limit = int(raw)
            else:
                offset = int(raw)
            continue
        column, _sep, op = name.partition("__")
        op = op or "eq"
        if column not in by_name:
            errors[name] = [_("Not a column of this service that your grant includes.")]
            continue
        if op not in OPS:
            errors[name] = [_("Unknown operator; use one of: %(ops)s.") % {"ops": ", ".join(OPS)}]
            continue
        if column in masked and op not in MASKED_OPS:
            errors[name] = [_("This column is masked for your application: it can only be matched exactly "
                              "(%(column)s=value).") % {"column": column}]
            continue
        if op == "in" and any(value.count(",") >= MAX_IN_VALUES for value in values):
            errors[name] = [_("At most %(n)d values.") % {"n": MAX_IN_VALUES}]
            continue
        if any("\x00" in value for value in values):
            errors[name] = [_("The value contains a NUL character.")]
            continue
        for value in values:
            where.append((column, op, value.split(",") if op == "in" else value))
    if errors:
        raise ValidationError(details=errors)
    return where, limit, offset


def _row_filter(grant, columns) -> list:
    by_item = {c.item_name: c for c in columns}
    where = []
    for condition in grant.row_filter or []:
        column = by_item.get(condition.get("item"))
        if column is None or condition.get("op") not in OPS:
            # Fail closed: a grant whose filter cannot be applied serves nothing.
            raise GatewayError(503, "grant_misconfigured",
                               _("The grant's row filter names an item this data service does not have."))
        where.append((column.name, condition["op"], condition.get("value")))
    return where


def _limited(grant) -> None:
    if not limits.take(grant.pk, limits.MINUTE, grant.rate_limit):
        raise GatewayError(429, "rate_limited", _("More than %(n)d calls a minute under this grant; wait and "
                                                  "try again.") % {"n": grant.rate_limit})
    if not limits.take(grant.pk, limits.DAY, grant.daily_quota):
        raise GatewayError(429, "quota_exceeded", _("The daily quota of %(n)d calls under this grant is used "
                                                    "up.") % {"n": grant.daily_quota})


def serve_rows(request, caller: Caller, call: Call, code: str) -> dict:
    from dgov.aggregation import datastore

    grant, service, granted = _service(caller, code, call)
    unmasked = grant.unmasked_items
    where, limit, offset = _filters(request, granted, {c.name for c in granted if is_masked(c, unmasked)})
    where += _row_filter(grant, service.columns)
    _limited(grant)
    try:
        rows = datastore.select(service.dataset, columns=[c.name for c in granted], where=where, limit=limit + 1,
                                offset=offset)
    except ValueError as exc:
        # A value that does not fit its column (a date, a number): the datastore says which.
        raise ValidationError(details={"filters": [str(exc)]}) from None
    has_more = len(rows) > limit
    rows = rows[:limit]
    masks = [(c.name, c.mask) for c in granted if is_masked(c, unmasked)]
    for row in rows:
        for name, kind in masks:
            row[name] = mask(kind, row.get(name))
    call.rows = len(rows)
    return {"service": service.code, "name": service.name, "limit": limit, "offset": offset, "has_more": has_more,
            "items": rows}


def serve_openapi(request, caller: Caller, call: Call, code: str) -> dict:
    grant, service, granted = _service(caller, code, call)
    return service_document(service, granted, unmasked=set(grant.unmasked_items),
                            server=request.build_absolute_uri("/")[:-1])


def serve_allowed(request, caller: Caller, call: Call) -> dict:
    from dgov.aggregation.models import Dataset
    from dgov.sharing.selectors import grants_for_application

    grants = list(grants_for_application(caller.application))
    datasets = {d.entry_id: d for d in Dataset.objects.filter(entry__in=[g.entry_id for g in grants])
                .prefetch_related("columns")}
    services = []
    for grant in grants:
        dataset = datasets.get(grant.entry_id)
        columns = sorted(dataset.columns.all(), key=lambda c: c.position) if dataset else []
        unmasked = set(grant.unmasked_items or [])
        services.append({
            "service_code": grant.entry.code,
            "name": grant.entry.name,
            "provider": grant.entry.department.name,
            "url": f"/exchange/v1/services/{grant.entry.code}",
            "openapi": f"/exchange/v1/services/{grant.entry.code}/openapi.json",
            "available": dataset is not None,
            "columns": [{"column": c.name, "item": c.item_name, "data_type": c.data_type,
                         "masked": is_masked(c, unmasked)}
                        for c in columns if c.item_name in set(grant.items)],
            "row_filter": grant.row_filter or [],
            "valid_from": grant.valid_from, "expires_at": grant.expires_at,
            "rate_limit": grant.rate_limit, "daily_quota": grant.daily_quota,
        })
    return {"application": caller.app_code, "services": services}


# --- the views ------------------------------------------------------------------------------------

def _text(value: str, length: int) -> str:
    """A caller-supplied string as the log stores it: NUL (which PostgreSQL cannot store, so the
    call would go unlogged) replaced, cut to the column's length."""
    return value.replace("\x00", "\ufffd")[:length]


def _ip(request) -> str | None:
    address = client_ip(request)
    try:
        return str(ipaddress.ip_address(address)) if address else None
    except ValueError:
        return None


def _respond(request, started: float, call: Call, status: int, payload, error_code: str = "") -> HttpResponse:
    import json

    body = json.dumps(payload, cls=NinjaJSONEncoder, ensure_ascii=False).encode("utf-8")
    digest = sm3(body).hex()
    ctx = current()
    request_id = ctx.request_id if ctx else getattr(request, "request_id", "")
    caller = call.caller
    try:
        chain.append(
            occurred_at=timezone.now(), request_id=_text(request_id, 64),
            application_id=caller.application_id if caller else None,
            app_code=_text(caller.app_code if caller else request.headers.get(signing.HEADER_APP, ""), 50),
            key_id=_text(caller.key_id if caller else request.headers.get(signing.HEADER_KEY_ID, ""), 40),
            service_code=_text(call.service_code, 20), grant_id=call.grant_id,
            sharing_request_id=call.sharing_request_id, purpose=_text(call.purpose, 200),
            method=_text(request.method, 8), path=_text(request.path, 200), status=status,
            error_code=error_code[:40], rows=call.rows, latency_ms=int((time.perf_counter() - started) * 1000),
            body_sm3=digest, ip=_ip(request))
    except Exception:
        # An unlogged call must not deliver data: answer 500 instead.
        log.exception("exchange log append failed")
        err = GatewayError(500, "server_error", _("An internal error occurred; it has been logged."))
        body = json.dumps(err.as_dict(), ensure_ascii=False).encode("utf-8")
        digest, status = sm3(body).hex(), 500
    response = HttpResponse(body, status=status, content_type="application/json; charset=utf-8")
    response["X-Request-Id"] = request_id
    response["X-Body-SM3"] = digest
    response["Cache-Control"] = "no-store"
    if status == 429:
        response["Retry-After"] = "60"
    return response


def gateway_view(handler):
    @csrf_exempt
    def view(request, **kwargs):
        started = time.perf_counter()
        call = Call(service_code=kwargs.get("code", ""))  # refused calls name the service they asked for too
        try:
            if request.method != "GET":
                raise GatewayError(405, "method_not_allowed", _("This method is not allowed here."))
            call.caller = authenticate(request)
            payload = handler(request, call.caller, call, **kwargs)
        except (NotFound, PermissionDenied) as exc:
            return _respond(request, started, call, exc.status, exc.as_dict(), exc.code)
        except DgovError as exc:
            return _respond(request, started, call, exc.status, exc.as_dict(), exc.code)
        except SuspiciousOperation:
            # Too many query fields, a body over the upload limit: the caller's fault, answered and
            # logged like any refusal (not a server error).
            err = GatewayError(400, "bad_request", _("The request is malformed or too large."))
            return _respond(request, started, call, 400, err.as_dict(), err.code)
        except Exception:
            # Answered in the error shape and logged in the exchange log like every other call.
            log.exception("gateway call failed", extra={"path": request.path})
            err = GatewayError(500, "server_error", _("An internal error occurred; it has been logged."))
            return _respond(request, started, call, 500, err.as_dict(), err.code)
        return _respond(request, started, call, 200, payload)

    view.__name__ = handler.__name__
    return view


services_view = gateway_view(serve_rows)
openapi_view = gateway_view(serve_openapi)
allowed_view = gateway_view(serve_allowed)


@csrf_exempt
def unknown_view(request, rest: str = ""):
    """Any other path under /exchange/v1/: 404 in the error shape, logged like every call."""
    return _respond(request, time.perf_counter(), Call(), 404, NotFound().as_dict(), "not_found")
