"""The scope resolver behind `restrict(user, action)` (see dgov.core.permissions).

A user's grants are loaded once per request (two queries) and cached on the user object:
{"app_label.action_model": [Grant, ...]}. Superusers hold everything with scope "all".
"""

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext, gettext_lazy

from dgov.core.cache import IDENTITY, REFERENCE, ProcessCache
from dgov.core.permissions import ALL, DEPARTMENT, OWN, REGION, ScopeSpec

_CACHE_ATTR = "_dgov_grants"


@dataclass(frozen=True)
class Grant:
    kind: str
    path: str | None = None  # region or department materialised path


def permission_name(model, action: str) -> str:
    return f"{model._meta.app_label}.{action}_{model._meta.model_name}"


_grants_cache = ProcessCache("grants", maxsize=20000, ttl=300)


def _query_grants(user_pk) -> dict[str, list[Grant]]:
    from dgov.accounts.models import RoleAssignment

    grants: dict[str, list[Grant]] = defaultdict(list)
    assignments = (RoleAssignment.objects.filter(user_id=user_pk)
                   .select_related("region", "department")
                   .prefetch_related("role__permissions__content_type"))
    for a in assignments:
        path = a.region.path if a.region_id else (a.department.path if a.department_id else None)
        grant = Grant(a.scope_kind, path)
        for perm in a.role.permissions.all():
            grants[f"{perm.content_type.app_label}.{perm.codename}"].append(grant)
    return dict(grants)


def load_grants(user) -> dict[str, list[Grant]]:
    """The user's grants: on the user object for the request, and per process across requests
    under the identity and reference generations (roles, assignments, and the paths of regions and
    departments all feed into them)."""
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    generation = (IDENTITY.current(), REFERENCE.current())
    grants = _grants_cache.get_or_build(user.pk, generation, lambda: _query_grants(user.pk))
    setattr(user, _CACHE_ATTR, grants)
    return grants


def forget_grants(user) -> None:
    """Drop the cached grants, after the user's roles changed."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def _spec(model) -> ScopeSpec:
    return getattr(model, "scope", None) or ScopeSpec()


def _active(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.is_active


class RoleScopeResolver:
    def grants_for(self, user, model, action: str) -> list[Grant] | None:
        if not _active(user):
            return None
        if user.is_superuser:
            return [Grant(ALL)]
        return load_grants(user).get(permission_name(model, action))

    def q(self, user, model, action: str) -> Q | None:
        grants = self.grants_for(user, model, action)
        if not grants:
            return None
        spec = _spec(model)
        if spec.shared:
            return Q()
        q = Q(pk__in=[])
        for grant in grants:
            if grant.kind == ALL:
                return Q()
            if grant.kind in (REGION, DEPARTMENT):
                lookup = spec.path_lookup(grant.kind)
                if lookup and grant.path:
                    q |= Q(**{lookup: grant.path})
            elif grant.kind == OWN and spec.owner:
                q |= Q(**{spec.owner: user.pk})
        return q

    def allows(self, user, action: str, instance) -> bool | None:
        grants = self.grants_for(user, type(instance), action)
        if not grants:
            return None
        spec = _spec(type(instance))
        if spec.shared:
            return True
        for grant in grants:
            if grant.kind == ALL:
                return True
            if grant.kind in (REGION, DEPARTMENT):
                path = spec.path_of(instance, grant.kind)
                if path and grant.path and path.startswith(grant.path):
                    return True
            elif grant.kind == OWN and spec.owner and spec.owner_of(instance) == user.pk:
                return True
        return False

    def holds(self, user, perm: str) -> list[Grant]:
        """The grants of one permission string ("accounts.view_user"), for checks that are not about a
        model's rows (menus, privilege-escalation checks)."""
        if not _active(user):
            return []
        if user.is_superuser:
            return [Grant(ALL)]
        return load_grants(user).get(perm, [])


_DEFAULT_PERMISSION_LABELS = {
    "add": gettext_lazy("Can add %(model)s"),
    "change": gettext_lazy("Can change %(model)s"),
    "delete": gettext_lazy("Can delete %(model)s"),
    "view": gettext_lazy("Can view %(model)s"),
}


def permission_label(permission) -> str:
    """A permission's name in the active language. Django stores permission names in English in
    the database, so the four default permissions are rebuilt from the model's translated verbose
    name, and custom ones (declared with gettext_noop in Meta.permissions) go through the catalogue."""
    model = permission.content_type.model_class()
    action, _sep, model_name = permission.codename.partition("_")
    if model is not None and action in _DEFAULT_PERMISSION_LABELS and model_name == model._meta.model_name:
        return str(_DEFAULT_PERMISSION_LABELS[action]) % {"model": model._meta.verbose_name}
    return gettext(permission.name)
