"""Reads of ratings: the applicant's own, the officials' (their scope: the implementing department or
region), with filters (level, rectification state, overdue)."""

import datetime as dt

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from dgov.core.errors import NotFound, PermissionDenied
from dgov.core.permissions import has_permission
from dgov.ratings.models import Rating, Step

APPLICANT_KINDS = ("citizen", "enterprise")
NO_RECTIFICATION = "none"


def ratings() -> QuerySet:
    return Rating.objects.select_related("case", "department", "region", "rectification")


def visible(user) -> QuerySet:
    """Applicants: the ratings they gave. Officials: the ratings in their view scope (403 without it)."""
    if getattr(user, "kind", None) in APPLICANT_KINDS:
        return ratings().filter(rater=user)
    if not has_permission(user, Rating, "view"):
        raise PermissionDenied()
    return ratings().restrict(user, "view")


def filtered(qs: QuerySet, *, level: int | None = None, state: str | None = None, overdue: bool | None = None,
             today: dt.date | None = None) -> QuerySet:
    """`state`: a rectification state, or "none" for ratings without one (not bad)."""
    today = today or timezone.localdate()
    if level:
        qs = qs.filter(level=level)
    if state == NO_RECTIFICATION:
        qs = qs.filter(rectification__isnull=True)
    elif state:
        qs = qs.filter(rectification__state=state)
    late = Q(rectification__due_on__lt=today) & ~Q(rectification__state=Step.CLOSED)
    if overdue is True:
        qs = qs.filter(late)
    elif overdue is False:
        qs = qs.exclude(late)
    return qs


def rating_for(user, pk) -> Rating:
    try:
        return visible(user).get(pk=int(pk))
    except (Rating.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None


def of_case(case) -> Rating | None:
    return ratings().filter(case=case).first()


def counts(qs: QuerySet) -> dict:
    """Ratings per level and the satisfaction rate (非常满意, 满意 and 基本满意 of all), for the list's head."""
    by_level = {level: 0 for level in range(1, 6)}
    for level, n in qs.order_by().values_list("level").annotate(n=Count("pk")):
        by_level[level] = n
    total = sum(by_level.values())
    good = by_level[5] + by_level[4] + by_level[3]
    return {"by_level": by_level, "total": total, "satisfaction": round(100 * good / total, 1) if total else None}
