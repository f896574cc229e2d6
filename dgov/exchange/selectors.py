"""Reads of the exchange app for users (pages and the API), each within the user's data scope."""

from django.db.models import Q, QuerySet

from dgov.accounts.models import Application
from dgov.core.errors import NotFound
from dgov.core.permissions import get_scoped, require_permission, scope_q
from dgov.exchange.models import ConsumerCredential, ExchangeLogEntry

PREFIX = "application__"


def _strip(q: Q) -> Q:
    """A credential's scope lookups ("application__department__…") as the application's own."""
    out = Q()
    out.connector, out.negated = q.connector, q.negated
    for child in q.children:
        if isinstance(child, Q):
            out.children.append(_strip(child))
        elif child[0].startswith(PREFIX):
            out.children.append((child[0][len(PREFIX):], child[1]))
        else:  # not a lookup through the application: match nothing rather than guess
            out.children.append(("pk__in", []))
    return out


def applications_for(user, action: str = "view") -> QuerySet:
    """The applications whose credentials `user` may `action` (their department in the user's scope)."""
    q = scope_q(user, ConsumerCredential, action)
    if q is None:
        return Application.objects.none()
    return Application.objects.filter(_strip(q)).select_related("department").order_by("code")


def application_for(user, code: str, action: str = "view") -> Application:
    """One application in the user's scope for its credentials: 403 without the permission, 404 out of scope."""
    require_permission(user, ConsumerCredential, action)
    app = applications_for(user, action).filter(code=code).first()
    if app is None:
        raise NotFound()
    return app


def visible_credentials(user) -> QuerySet:
    require_permission(user, ConsumerCredential, "view")
    return ConsumerCredential.objects.restrict(user, "view").select_related("application", "created_by")


def credential_for(user, key_id: str, action: str = "view") -> ConsumerCredential:
    return get_scoped(user, action, ConsumerCredential.objects.select_related("application", "created_by"),
                      key_id=key_id)


def visible_log(user) -> QuerySet:
    require_permission(user, ExchangeLogEntry, "view")
    return ExchangeLogEntry.objects.restrict(user, "view").select_related("application")
