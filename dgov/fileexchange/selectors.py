"""Reads of file packages within the user's scope: officials by role and data scope (either party
views; the consumer's side downloads), an application's service account only its own packages."""

from django.db.models import Q, QuerySet

from dgov.accounts.models import UserKind
from dgov.catalog.models import SharingMethod
from dgov.core.errors import NotFound, PermissionDenied
from dgov.core.permissions import get_scoped, require_permission, retarget, scope_q
from dgov.fileexchange.models import FilePackage, PackageQuerySet
from dgov.sharing.models import Grant

#: the catalog's sharing methods under which an entry's data may be delivered as a file: "file"
#: (电子文件) and "database" (库表: the whole table, of which a snapshot is a copy). An "api" entry is
#: shared by calls only, each under the grant's quota: a bulk copy would go beyond what was approved.
FILE_METHODS = (SharingMethod.FILE, SharingMethod.DATABASE)


def is_application(user) -> bool:
    return getattr(user, "kind", None) == UserKind.APPLICATION


def application_of(user):
    """The application whose service account `user` is (None for anyone else)."""
    if not is_application(user):
        return None
    from dgov.accounts.models import Application

    return Application.objects.select_related("department").filter(account=user).first()


def _base() -> QuerySet:
    return FilePackage.objects.select_related("application", "application__department", "entry",
                                              "entry__department", "grant", "created_by")


def visible_packages(user) -> QuerySet:
    """The packages `user` may see: 403 without the permission."""
    if is_application(user):
        return _base().filter(application__account=user)
    require_permission(user, FilePackage, "view")
    return _base().restrict(user, "view")


def package_for(user, pk: int, action: str = "view") -> FilePackage:
    """One package within the user's scope for `action` ("view" or "download"): 403 / 404."""
    if is_application(user):
        package = _base().filter(application__account=user, pk=pk).first()
        if package is None:
            raise NotFound()
        return package
    return get_scoped(user, action, _base(), pk=pk)


def _grant_scope(user, action: str) -> Q | None:
    """Q on grants whose packages `user` may `action` (both parties), None without the permission."""
    q = scope_q(user, FilePackage, action)
    if q is None:
        return None
    if not q:
        return Q()
    return q | retarget(q, PackageQuerySet.CONSUMER, PackageQuerySet.PROVIDER)


def grants_for_packages(user) -> QuerySet:
    """The grants usable now, on a published entry shared by file or database, for which `user` may
    prepare a package: its own (an application), either party's (officials)."""
    qs = (Grant.objects.usable().filter(entry__status="published", entry__sharing_method__in=FILE_METHODS)
          .select_related("application", "application__department", "entry", "entry__department")
          .order_by("entry__code", "application__code"))
    if is_application(user):
        return qs.filter(application__account=user)
    q = _grant_scope(user, "add")
    if q is None:
        raise PermissionDenied()
    return qs.filter(q)


def may_add_for(user, grant: Grant) -> bool:
    """Whether `user` may prepare a package under `grant` (whatever its state)."""
    if is_application(user):
        return grant.application.account_id == user.pk
    q = _grant_scope(user, "add")
    if q is None:
        raise PermissionDenied()
    return Grant.objects.filter(pk=grant.pk).filter(q).exists()


def grant_for_package(user, pk: int) -> Grant:
    """The grant `pk` if `user` may prepare packages under it (404 otherwise)."""
    grant = Grant.objects.select_related("application", "application__department", "entry",
                                         "entry__department").filter(pk=pk).first()
    if grant is None or not may_add_for(user, grant):
        raise NotFound()
    return grant
