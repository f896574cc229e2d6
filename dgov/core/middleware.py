"""Request id, client address and the access log; API edge rules."""

import json
import logging
import re
import time
import uuid

from django.conf import settings
from django.http import JsonResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_noop

from dgov.core.context import RequestContext, reset_context, set_context

access_log = logging.getLogger("dgov.access")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def client_ip(request) -> str | None:
    """The client's address. Behind N trusted proxies (DGOV_NUM_PROXIES), the Nth-from-last
    X-Forwarded-For hop; otherwise the socket peer. Never trusts a client-supplied header alone."""
    hops = getattr(settings, "DGOV_NUM_PROXIES", 0)
    if hops:
        forwarded = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR")


class RequestIdMiddleware:
    """Gives every request an id (accepting a well-formed X-Request-ID from the proxy), puts it in
    the request context for logs and audit, returns it in the response, and writes one access-log
    line without query strings or bodies (they may hold personal data)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        source = "api" if request.path.startswith("/api/") else "web"
        token = set_context(RequestContext(request_id=request_id, ip=client_ip(request),
                                           request=request, source=source))
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            user = getattr(request, "user", None)
            access_log.info(
                "request",
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    "user_id": user.pk if user is not None and user.is_authenticated else None,
                },
            )
            return response
        finally:
            reset_context(token)


class LocaleMiddleware:
    """The UI is Simplified Chinese unless the user chose another language (the language cookie
    set by the switcher); browsers' Accept-Language is honoured for API clients only."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if chosen and translation.check_for_language(chosen):
            language = translation.get_supported_language_variant(chosen)
        elif request.path.startswith("/api/"):
            language = translation.get_language_from_request(request)
        else:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        if request.path.startswith("/api/"):
            patch_vary_headers(response, ("Accept-Language",))
        return response


class ApiErrorShapeMiddleware:
    """Under /api/, answers produced outside the API's own handlers (an unknown path: Django's 404
    page; a method the path does not take: a bare 405) still come in the one error shape."""

    MESSAGES = {404: ("not_found", gettext_noop("The object does not exist or is outside your data scope.")),
                405: ("method_not_allowed", gettext_noop("This method is not allowed here."))}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (request.path.startswith("/api/") and response.status_code in self.MESSAGES
                and not response.get("Content-Type", "").startswith("application/json")):
            code, message = self.MESSAGES[response.status_code]
            shaped = JsonResponse({"code": code, "message": translation.gettext(message), "details": {}},
                                  status=response.status_code)
            if response.has_header("Allow"):
                shaped["Allow"] = response["Allow"]
            return shaped
        return response


class RejectNulMiddleware:
    """API input never legitimately contains NUL characters, and PostgreSQL cannot store or even
    compare them: refuse them at the edge, in the path, the query string or a JSON body, with a 400
    in the error shape. (Forms already refuse them: Django's form fields validate against NUL.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/") and self._has_nul(request):
            return JsonResponse({"code": "bad_request", "message": translation.gettext(
                "The request contains a NUL character, which is not allowed."), "details": {}}, status=400)
        return self.get_response(request)

    @staticmethod
    def _has_nul(request) -> bool:
        if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", "") or \
                "\x00" in request.META.get("QUERY_STRING", ""):
            return True
        if request.method in ("POST", "PUT", "PATCH") and request.content_type == "application/json":
            body = request.body
            if b"\x00" in body:
                return True
            if b"\\u0000" in body:  # JSON's escape for NUL; look closer only then
                try:
                    return _json_has_nul(json.loads(body))
                except ValueError:
                    return False  # not JSON: the API reports the malformed body itself
        return False


def _json_has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_json_has_nul(k) or _json_has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_json_has_nul(v) for v in value)
    return False
