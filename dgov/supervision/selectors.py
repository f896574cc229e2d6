"""Reads of supervision tasks: the supervising department's (the officials' scope), with filters."""

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone

from dgov.core.errors import NotFound
from dgov.core.permissions import require_permission
from dgov.supervision.models import SupervisionTask, TaskState


def tasks() -> QuerySet:
    return SupervisionTask.objects.select_related("department", "region", "approving_department", "case",
                                                  "acknowledged_by")


def visible(user) -> QuerySet:
    """The tasks in the user's view scope (403 without the permission), not acknowledged first, then by
    deadline."""
    require_permission(user, SupervisionTask, "view")
    return tasks().restrict(user, "view")


def filtered(qs: QuerySet, *, state: str | None = None, overdue: bool | None = None,
             today: dt.date | None = None) -> QuerySet:
    today = today or timezone.localdate()
    if state:
        qs = qs.filter(state=state)
    if overdue is True:
        qs = qs.filter(state=TaskState.PUSHED, due_on__lt=today)
    elif overdue is False:
        qs = qs.exclude(state=TaskState.PUSHED, due_on__lt=today)
    return qs


def task_for(user, pk) -> SupervisionTask:
    try:
        return visible(user).get(pk=int(pk))
    except (SupervisionTask.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None


def of_case(case) -> SupervisionTask | None:
    return tasks().filter(case=case).first()
