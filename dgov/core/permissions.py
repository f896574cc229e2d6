"""Data-scoped permissions: one `restrict(user, action)` for every read and write.

A role grants actions ("view", "add", "change", "delete", or a custom action such as "review") on
object types, each with a data scope: all, a region and its descendants, a department and its
children, or the user's own records. A model says which of its fields carry region, department and
ownership in a `scope` ScopeSpec; the resolver (DGOV_SCOPE_RESOLVER, implemented by the accounts
app, which owns roles) turns the user's grants into one Q object:

    Article.objects.restrict(request.user, "change").get(pk=pk)

`None` from the resolver means the user holds the action on no scope at all (403); an empty
result means the object exists outside the user's scope (404).
"""

from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.module_loading import import_string

from dgov.core.errors import NotFound, PermissionDenied

ALL, REGION, DEPARTMENT, OWN = "all", "region", "department", "own"
SCOPE_CHOICES = [ALL, REGION, DEPARTMENT, OWN]
SELF = "self"  # ScopeSpec value: the model itself carries the materialised path (Region, Department)


@dataclass(frozen=True)
class ScopeSpec:
    """Where a model keeps its scope dimensions: a lookup path ("region", "applicant__region") or
    SELF for region and department, a lookup to the owning user's id for owner; None when the model
    has no such dimension (a grant of that kind then matches none of its objects).

    `shared=True` declares platform-wide reference data (role definitions, the holiday calendar):
    any grant of the permission, whatever its scope, covers all of it. It must be said explicitly:
    a model that declares nothing is scoped, and region, department or own grants see none of it."""

    region: str | None = None
    department: str | None = None
    owner: str | None = None
    shared: bool = False

    def path_lookup(self, dimension: str) -> str | None:
        path = getattr(self, dimension)
        if path is None:
            return None
        return "path__startswith" if path == SELF else f"{path}__path__startswith"

    def path_of(self, instance, dimension: str) -> str | None:
        """The materialised path of `instance`'s region or department, or None."""
        path = getattr(self, dimension)
        if path is None:
            return None
        target = instance
        if path != SELF:
            for attr in path.split("__"):
                target = getattr(target, attr, None)
                if target is None:
                    return None
        return getattr(target, "path", None)

    def owner_of(self, instance):
        if self.owner is None:
            return None
        value = instance
        for attr in self.owner.split("__"):
            value = getattr(value, attr, None)
            if value is None:
                return None
        return value


class ScopeResolver(Protocol):
    def q(self, user, model, action: str) -> Q | None: ...

    def allows(self, user, action: str, instance) -> bool | None: ...


_resolver: ScopeResolver | None = None


def resolver() -> ScopeResolver:
    global _resolver
    if _resolver is None:
        _resolver = import_string(settings.DGOV_SCOPE_RESOLVER)()
    return _resolver


def scope_q(user, model, action: str) -> Q | None:
    """Q for the objects of `model` that `user` may `action`, or None without the permission."""
    return resolver().q(user, model, action)


def has_permission(user, model, action: str) -> bool:
    return scope_q(user, model, action) is not None


class RestrictedQuerySet(models.QuerySet):
    def restrict(self, user, action: str = "view"):
        q = scope_q(user, self.model, action)
        if q is None:
            return self.none()
        return self.filter(q)


def retarget(q: Q, old: str, new: str) -> Q:
    """`q` with every lookup on `old` moved to `new`: for objects with two parties (a requester and
    a provider), whose `scope` names one party's fields, the same grant applied to the other's."""
    out = Q()
    out.connector, out.negated = q.connector, q.negated
    for child in q.children:
        if isinstance(child, Q):
            out.children.append(retarget(child, old, new))
            continue
        key, value = child
        if key == old or key.startswith(old + "__"):
            key = new + key[len(old):]
        out.children.append((key, value))
    return out


def require_permission(user, model, action: str) -> None:
    """403 unless the user holds `action` on `model` in some scope."""
    if not has_permission(user, model, action):
        raise PermissionDenied()


def get_scoped(user, action: str, queryset_or_model, **lookup):
    """The one object matching `lookup` within the user's scope for `action`.
    403 without the permission at all; 404 when the object is missing or out of scope."""
    if isinstance(queryset_or_model, models.QuerySet):
        qs = queryset_or_model
    else:
        qs = queryset_or_model._default_manager.all()
    require_permission(user, qs.model, action)
    try:
        return qs.restrict(user, action).get(**lookup)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def require_in_scope(user, action: str, instance) -> None:
    """For writes, inside the transaction: `instance` (saved or about to be) lies in the user's scope
    for `action`. Raises PermissionDenied (no such permission / target outside scope)."""
    allowed = resolver().allows(user, action, instance)
    if allowed is None:
        raise PermissionDenied()
    if not allowed:
        raise PermissionDenied(code="out_of_scope")
