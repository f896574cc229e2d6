"""The API framework every app uses: one NinjaAPI with one error shape, limit/offset pagination,
documented error responses, and `crud_router` for declarative CRUD over a model.

Error shape, for every non-2xx answer:  {"code": str, "message": str, "details": object}
"""

import functools
import inspect
import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import models
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.urls import URLPattern, re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja import Field, FilterSchema, NinjaAPI, Query, Router, Schema, Status
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.responses import NinjaJSONEncoder
from ninja.throttling import SimpleRateThrottle

from dgov.core import audit
from dgov.core.context import current
from dgov.core.errors import DgovError, NotAuthenticated, NotFound, PermissionDenied, ValidationError
from dgov.core.middleware import client_ip
from dgov.core.models import AuditEntry
from dgov.core.permissions import get_scoped, require_permission
from dgov.core.schemas import AuditEntryOut, AuditFilter
from dgov.core.services import delete_object, save_object

log = logging.getLogger("dgov.api")


class ErrorOut(Schema):
    code: str
    message: str
    details: Any = None


def errors(*statuses: int) -> dict[int, type]:
    """Response declarations for error statuses, so the OpenAPI document lists them."""
    return {status: ErrorOut for status in statuses}


READ_ERRORS = errors(401, 403, 404, 422)
WRITE_ERRORS = errors(401, 403, 404, 409, 422)

_PYDANTIC_MESSAGES = {
    "missing": "This field is required.",
    "string_too_long": "The text is too long.",
    "string_too_short": "The text is too short.",
    "int_parsing": "Enter a whole number.",
    "int_type": "Enter a whole number.",
    "bool_parsing": "Enter true or false.",
    "date_from_datetime_parsing": "Enter a valid date (YYYY-MM-DD).",
    "date_parsing": "Enter a valid date (YYYY-MM-DD).",
    "datetime_parsing": "Enter a valid date and time.",
    "string_type": "Enter text.",
    "json_invalid": "The request body is not valid JSON.",
    "greater_than_equal": "The number is too small.",
    "less_than_equal": "The number is too large.",
    "enum": "Choose one of the allowed values.",
    "literal_error": "Choose one of the allowed values.",
    "value_error": "The value is not valid.",
}


def _pydantic_details(errs: Iterable[dict]) -> dict[str, list[str]]:
    details: dict[str, list[str]] = {}
    for err in errs:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "payload", "filters")]
        field = ".".join(loc) or "__all__"
        text = _PYDANTIC_MESSAGES.get(err.get("type", ""))
        details.setdefault(field, []).append(_(text) if text else str(err.get("msg", "")))
    return details


class DgovAPI(NinjaAPI):
    """NinjaAPI with the platform's error mapping. Refused and failed writes by a known user are
    audited here, after the service's transaction rolled back."""

    def __init__(self, **kwargs):
        kwargs.setdefault("urls_namespace", "api")
        super().__init__(**kwargs)
        self.add_exception_handler(DgovError, self._dgov_error)
        self.add_exception_handler(NinjaValidationError, self._validation_error)
        self.add_exception_handler(AuthenticationError, self._auth_error)
        self.add_exception_handler(Http404, self._not_found)
        self.add_exception_handler(DjangoPermissionDenied, self._forbidden)
        self.add_exception_handler(HttpError, self._http_error)
        self.add_exception_handler(Exception, self._server_error)

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        """Document, once for every operation, the failures any operation can answer with: a
        malformed request (400) and, where authentication applies, 401 — all in the error shape."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        error_ref = {"$ref": "#/components/schemas/ErrorOut"}
        schema.setdefault("components", {}).setdefault("schemas", {}).setdefault(
            "ErrorOut", ErrorOut.model_json_schema())
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                statuses = [400] + ([401] if operation.get("security") else [])
                for status in statuses:
                    if status not in responses and str(status) not in responses:  # ninja keys by int
                        responses[status] = {
                            "description": "Malformed request" if status == 400 else "Not authenticated",
                            "content": {"application/json": {"schema": error_ref}},
                        }
        return schema

    def _get_urls(self):
        """Ninja answers a wrong method with a bare 405 and Django an unknown path under the API
        with an HTML 404: give both the one error shape too."""
        urls = super()._get_urls()
        for pattern in urls:
            if isinstance(pattern, URLPattern) and not inspect.iscoroutinefunction(pattern.callback):
                pattern.callback = self._shape_not_allowed(pattern.callback)
        urls.append(re_path(r"^.*$", csrf_exempt(self._unknown_path), name="unknown-path"))
        return urls

    def _shape_not_allowed(self, view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                response = view(request, *args, **kwargs)
            except Http404:  # raised outside any operation, e.g. by ninja's bare API root
                return self._unknown_path(request)
            if isinstance(response, HttpResponseNotAllowed):
                err = DgovError(_("This method is not allowed here."), code="method_not_allowed")
                err.status = 405
                shaped = self.create_response(request, err.as_dict(), status=405)
                shaped["Allow"] = response["Allow"]
                return shaped
            return response

        return wrapper

    def _unknown_path(self, request, *args, **kwargs):
        return self.create_response(request, NotFound().as_dict(), status=404)

    def _reply(self, request, error: DgovError):
        if request.method not in ("GET", "HEAD", "OPTIONS") and error.status in (403, 404, 409, 422):
            ctx = current()
            actor = ctx.actor() if ctx else None
            if actor is not None:
                audit.record_failure(f"api:{request.method} {request.path}"[:80], outcome=(
                    "denied" if error.status in (403, 404) else "failed"), reason=error.code, actor=actor)
        return self.create_response(request, error.as_dict(), status=error.status)

    def _dgov_error(self, request, exc: DgovError):
        return self._reply(request, exc)

    def _validation_error(self, request, exc: NinjaValidationError):
        return self._reply(request, ValidationError(details=_pydantic_details(exc.errors)))

    def _auth_error(self, request, exc):
        return self._reply(request, NotAuthenticated())

    def _not_found(self, request, exc):
        return self._reply(request, NotFound())

    def _forbidden(self, request, exc):
        return self._reply(request, PermissionDenied())

    def _http_error(self, request, exc: HttpError):
        code = {400: "bad_request", 403: "csrf_failed", 405: "method_not_allowed", 413: "too_large",
                429: "throttled"}.get(exc.status_code, "error")
        message = str(exc)
        if code == "throttled":
            message = _("Too many requests from your network address; wait a minute and try again.")
        if code == "csrf_failed":  # ninja's session auth raises this when the CSRF token is missing
            message = _("The CSRF token is missing or wrong: send the X-CSRFToken header with session logins.")
        err = DgovError(message, code=code)
        err.status = exc.status_code
        return self._reply(request, err)

    def _server_error(self, request, exc):
        log.exception("unhandled API error", extra={"path": request.path})
        err = DgovError(_("An internal error occurred; it has been logged."), code="server_error")
        err.status = 500
        return self.create_response(request, err.as_dict(), status=500)


MAX_OFFSET = 2**31 - 1  # beyond any table here, and within every database's integer range


class Pagination(LimitOffsetPagination):
    """`limit`/`offset` in, `{"count", "items"}` out. Both are bounded, so an absurd offset is a
    422, never a database error."""

    class Input(Schema):
        limit: int = Field(settings.NINJA_PAGINATION_PER_PAGE, ge=1, le=settings.NINJA_PAGINATION_MAX_LIMIT,
                           description="Items per page.")
        offset: int = Field(0, ge=0, le=MAX_OFFSET, description="Items to skip.")


class LoginRateThrottle(SimpleRateThrottle):
    """Per client address, for the unauthenticated endpoints (token, registration): the account
    lockout stops guessing one password; this stops trying many accounts or flooding sign-ups.
    The rate is DGOV_LOGIN_RATE (e.g. "30/min"); counts live in the cache (shared via Redis when
    DGOV_REDIS_URL is set, per process otherwise)."""

    scope = "login"

    def get_ident(self, request):
        return client_ip(request)

    def get_cache_key(self, request):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def json_response(body: bytes | str, status: int = 200) -> HttpResponse:
    return HttpResponse(body, status=status, content_type="application/json; charset=utf-8")


def render_json(schema: type[Schema], data) -> str:
    """`data` validated by `schema` and rendered exactly as the API renders responses."""
    return json.dumps(schema.model_validate(data).model_dump(), cls=NinjaJSONEncoder)


def cached_json(cache, key, generation, schema: type[Schema], build) -> HttpResponse:
    """A response from a per-process cache (dgov.core.cache) tagged with `generation`; on a miss,
    `build()` makes the data, validated by `schema` like any response. Errors raised by `build` are
    answered as usual and nothing is cached."""
    return json_response(cache.get_or_build(key, generation, lambda: render_json(schema, build())))


def by_natural_key(model, field: str, message, **lookup):
    """The `model` object matching `lookup` (a code, a name), or a ValidationError that names the
    input `field`: how API inputs refer to other objects."""
    obj = model._default_manager.filter(**lookup).first()
    if obj is None:
        raise ValidationError(details={field: [str(message)]})
    return obj


class Mapped:
    """A queryset for `paginate`: the paginator counts and slices it, and each object of the page is shown
    through `fn` (the API's output dict)."""

    def __init__(self, qs, fn):
        self.qs, self.fn = qs, fn

    def count(self) -> int:
        return self.qs.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key):
        return [self.fn(obj) for obj in self.qs[key]]


def actor_of(request):
    return request.auth if getattr(request, "auth", None) is not None else request.user


def crud_router(
    *,
    model: type[models.Model],
    out_schema: type[Schema],
    in_schema: type[Schema] | None = None,
    patch_schema: type[Schema] | None = None,
    filters: type[FilterSchema] | None = None,
    lookup: str = "id",
    lookup_type: type = int,
    queryset: Callable[[], models.QuerySet] | None = None,
    resolve: Callable[[dict], dict] | None = None,
    save: Callable = save_object,
    delete: Callable = delete_object,
    tags: list[str] | None = None,
) -> Router:
    """A router with list, retrieve and, given `in_schema`, create / update / delete for `model`.

    - every call is scoped: list returns only what `restrict(user, "view")` allows; a missing
      permission answers 403, an object outside scope 404;
    - `resolve(data)` turns input values into model field values (natural keys into objects) and
      raises ValidationError with field details when one does not resolve;
    - writes go through `save(actor=, instance=)` / `delete(actor=, instance=)` services.
    """
    router = Router(tags=tags or [str(model._meta.verbose_name_plural)])
    base = queryset or (lambda: model._default_manager.all())
    label = model._meta.model_name
    path = f"/{{{lookup}}}"

    def scoped_get(request, action, key):
        return get_scoped(actor_of(request), action, base(), **{lookup: key})

    def keyed(view):
        """Expose `view(request, key, ...)` with its key parameter named after the lookup field."""
        sig = inspect.signature(view)
        params = [p.replace(name=lookup, annotation=lookup_type) if p.name == "key" else p
                  for p in sig.parameters.values()]

        @functools.wraps(view)
        def wrapper(request, **kwargs):
            kwargs["key"] = kwargs.pop(lookup)
            return view(request, **kwargs)

        wrapper.__signature__ = sig.replace(parameters=params)
        return wrapper

    if filters is not None:
        @router.get("", response={200: list[out_schema], **READ_ERRORS}, operation_id=f"list_{label}")
        @paginate(Pagination)
        def list_objects(request, filters: filters = Query(...)):  # type: ignore[valid-type]
            require_permission(actor_of(request), model, "view")
            return filters.filter(base().restrict(actor_of(request), "view"))
    else:
        @router.get("", response={200: list[out_schema], **READ_ERRORS}, operation_id=f"list_{label}")
        @paginate(Pagination)
        def list_objects(request):
            require_permission(actor_of(request), model, "view")
            return base().restrict(actor_of(request), "view")

    def get_object(request, key):
        return scoped_get(request, "view", key)

    router.get(path, response={200: out_schema, **READ_ERRORS}, operation_id=f"get_{label}")(keyed(get_object))

    if in_schema is None:
        return router

    def apply(instance, data: dict):
        values = resolve(data) if resolve else data
        for name, value in values.items():
            setattr(instance, name, value)
        return instance

    @router.post("", response={201: out_schema, **WRITE_ERRORS}, operation_id=f"create_{label}")
    def create_object(request, payload: in_schema):  # type: ignore[valid-type]
        actor = actor_of(request)
        require_permission(actor, model, "add")
        instance = apply(model(), payload.dict())
        return Status(201, save(actor=actor, instance=instance))

    update_in = patch_schema or in_schema

    def update_object(request, key, payload: update_in):  # type: ignore[valid-type]
        instance = scoped_get(request, "change", key)
        return save(actor=actor_of(request), instance=apply(instance, payload.dict(exclude_unset=True)))

    def delete_object_view(request, key):
        instance = scoped_get(request, "delete", key)
        delete(actor=actor_of(request), instance=instance)
        return Status(204, None)

    router.patch(path, response={200: out_schema, **WRITE_ERRORS},
                 operation_id=f"update_{label}")(keyed(update_object))
    router.delete(path, response={204: None, **WRITE_ERRORS},
                  operation_id=f"delete_{label}")(keyed(delete_object_view))
    return router


# --- core's own endpoints: the audit log, for auditors ---------------------------------------

audit_router = Router(tags=["audit"])


@audit_router.get("/entries", response={200: list[AuditEntryOut], **READ_ERRORS}, operation_id="list_audit_entries")
@paginate(Pagination)
def list_audit_entries(request, filters: AuditFilter = Query(...)):
    """Search the audit log (newest first). Needs the audit-view permission."""
    require_permission(actor_of(request), AuditEntry, "view")
    return filters.filter(AuditEntry.objects.restrict(actor_of(request), "view").order_by("-seq"))
