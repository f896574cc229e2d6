"""Reads of sharing requests and grants: what a user may see (both parties; the big-data centre
all), the lists' filters, and the two lookups the exchange gateway makes on every call
(`active_grant`, `grants_for_application`), which are not scoped by a user: the gateway has
already authenticated the calling application by its signature."""

import datetime as dt

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from dgov.core.errors import ValidationError
from dgov.core.permissions import get_scoped, require_permission, retarget, scope_q
from dgov.orgs.models import Department
from dgov.sharing.models import Grant, GrantStatus, RequestQuerySet, SharingRequest, Status, overdue_q


# --- the gateway's lookups ------------------------------------------------------------------------
def active_grant(application, entry, *, at: dt.datetime | None = None) -> Grant | None:
    """The grant that lets `application` call the data service of `entry` at `at` (default now),
    or None. One query on the partial unique index (application, entry) WHERE status = 'active';
    the entry must still be published (a withdrawn resource is not served)."""
    at = at or timezone.now()
    return (Grant.objects.select_related("entry")
            .filter(application=application, entry=entry, status=GrantStatus.ACTIVE, valid_from__lte=at,
                    expires_at__gt=at, entry__status="published")
            .first())


def grants_for_application(application) -> QuerySet:
    """The grants `application` may use now (active, started, not expired, published entry),
    by service code: the gateway's "what may I call"."""
    return (Grant.objects.usable().filter(application=application, entry__status="published")
            .select_related("entry", "entry__department").order_by("entry__code"))


# --- requests -------------------------------------------------------------------------------------
def visible_requests(user) -> QuerySet:
    """The requests `user` may read: 403 without the permission."""
    require_permission(user, SharingRequest, "view")
    return SharingRequest.objects.restrict(user, "view").select_related("department", "provider", "entry",
                                                                        "application")


def request_for(user, number: str, action: str = "view") -> SharingRequest:
    """The request with this number within the user's scope for `action` (403 / 404)."""
    return get_scoped(user, action, SharingRequest.objects.select_related(
        "department", "provider", "entry", "entry__department", "application", "submitted_by"), number=number)


ROLES = ("consumer", "provider")


def _side_q(user, role: str, consumer: str, provider: str, model) -> Q:
    """The objects of the user's side: the consumer's (requests made, grants held) or the
    provider's (addressed to / of its data); for a user whose scope is the whole city, their own
    department's."""
    q = scope_q(user, model, "view")
    if not q:  # None (no permission: nothing) or Q() (scope all: one's own department)
        department = getattr(user, "department", None)
        if q is None or department is None:
            return Q(pk__in=[])
        q = Q(**{f"{consumer}__path__startswith": department.path})
    return q if role == "consumer" else retarget(q, consumer, provider)


def filter_requests(queryset, user, *, status: str = "", overdue: bool | None = None, role: str = "",
                    department: str = "", q: str = "", today: dt.date | None = None) -> QuerySet:
    """`queryset` narrowed by status, overdue or not, the user's side (consumer / provider), a
    department taking part (code) and text (number, entry code or name, application, items)."""
    errors = {}
    if status and status not in Status.values:
        errors["status"] = [_("Choose one of the allowed values.")]
    if role and role not in ROLES:
        errors["role"] = [_("Choose one of the allowed values.")]
    if errors:
        raise ValidationError(details=errors)
    if status:
        queryset = queryset.filter(status=status)
    if overdue is not None:
        queryset = queryset.filter(overdue_q(today)) if overdue else queryset.exclude(overdue_q(today))
    if role:
        queryset = queryset.filter(_side_q(user, role, RequestQuerySet.CONSUMER, RequestQuerySet.PROVIDER,
                                           SharingRequest))
    if department:
        dept = Department.objects.filter(code=department.strip()).first()
        queryset = queryset.filter(Q(department=dept) | Q(provider=dept)) if dept else queryset.none()
    if q and q.strip():
        text = q.strip()
        queryset = queryset.filter(Q(number__icontains=text) | Q(entry__code__icontains=text)
                                   | Q(entry__name__icontains=text) | Q(application__code__icontains=text)
                                   | Q(application__name__icontains=text) | Q(items__icontains=text))
    return queryset


def counts(user, today: dt.date | None = None) -> dict:
    """For the list's header: how many requests the user sees per status, and how many are overdue."""
    qs = SharingRequest.objects.restrict(user, "view")
    by_status = dict(qs.order_by().values_list("status").annotate(n=Count("*")).values_list("status", "n"))
    return {"statuses": by_status, "overdue": qs.filter(overdue_q(today or timezone.localdate())).count()}


# --- grants ---------------------------------------------------------------------------------------
def visible_grants(user) -> QuerySet:
    require_permission(user, Grant, "view")
    return Grant.objects.restrict(user, "view").select_related("application", "application__department", "entry",
                                                               "entry__department", "request")


def grant_for(user, pk: int, action: str = "view") -> Grant:
    return get_scoped(user, action, Grant.objects.select_related(
        "application", "application__department", "entry", "entry__department", "request", "granted_by",
        "revoked_by"), pk=pk)


GRANT_ROLES = ("consumer", "provider")


def filter_grants(queryset, user, *, status: str = "", usable: bool | None = None, role: str = "",
                  application: str = "", entry: str = "", q: str = "", now: dt.datetime | None = None) -> QuerySet:
    """`queryset` narrowed by status, usable now or not, the user's side, the consumer
    application's code, the entry's code and text."""
    errors = {}
    if status and status not in GrantStatus.values:
        errors["status"] = [_("Choose one of the allowed values.")]
    if role and role not in GRANT_ROLES:
        errors["role"] = [_("Choose one of the allowed values.")]
    if errors:
        raise ValidationError(details=errors)
    if status:
        queryset = queryset.filter(status=status)
    if usable is not None:
        ids = Grant.objects.usable(now).values("pk")
        queryset = queryset.filter(pk__in=ids) if usable else queryset.exclude(pk__in=ids)
    if role:
        queryset = queryset.filter(_side_q(user, role, "application__department", "entry__department", Grant))
    if application:
        queryset = queryset.filter(application__code=application.strip())
    if entry:
        queryset = queryset.filter(entry__code=entry.strip())
    if q and q.strip():
        text = q.strip()
        queryset = queryset.filter(Q(entry__code__icontains=text) | Q(entry__name__icontains=text)
                                   | Q(application__code__icontains=text) | Q(application__name__icontains=text)
                                   | Q(items__icontains=text))
    return queryset
