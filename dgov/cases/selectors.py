"""Reads of cases: the applicant's own (`my_cases`), the officials' inbox (what they can act on, most
urgent first), one case for its applicant or a scoped official (`case_for`), and its history."""

import datetime as dt

from django.db.models import Case as CaseWhen
from django.db.models import DateField, F, Q, QuerySet, Value, When
from django.utils import timezone

from dgov.cases import clock
from dgov.cases.models import Case, CaseEvent, CaseMaterial, State
from dgov.core import audit
from dgov.core.errors import NotFound, PermissionDenied
from dgov.core.permissions import has_permission, scope_q

#: for each permission (action on Case), the states in which its holder has something to do
WORK = {"accept": (State.SUBMITTED,),
        "review": (State.ACCEPTED, State.IN_REVIEW, State.SUSPENDED),
        "decide": (State.ACCEPTED, State.IN_REVIEW),
        "deliver": (State.APPROVED, State.REFUSED, State.DELIVERED, State.NOT_ACCEPTED)}
WARNINGS = (clock.YELLOW, clock.RED, clock.OVERDUE)


def cases() -> QuerySet:
    return Case.objects.select_related("implementation", "department", "region", "applicant")


def my_cases(user) -> QuerySet:
    """The cases the user applied for (drafts among them), newest first."""
    if not getattr(user, "pk", None):
        return Case.objects.none()
    return cases().filter(applicant=user).order_by(F("submitted_at").desc(nulls_first=True), "-pk")


def with_deadline(qs: QuerySet) -> QuerySet:
    """`qs` annotated with `deadline`: the day the running clock ends (intake while submitted, the
    decision while accepted or in review; none otherwise)."""
    return qs.annotate(deadline=CaseWhen(
        When(state=State.SUBMITTED, then=F("intake_due_on")),
        When(state__in=clock.RUNNING, then=F("due_on")),
        default=Value(None), output_field=DateField()))


def is_case_official(user) -> bool:
    return any(has_permission(user, Case, action) for action in ("view", *WORK))


def visible_cases(user) -> QuerySet:
    """Every submitted case in the official's view scope (403 without the permission)."""
    if not has_permission(user, Case, "view"):
        raise PermissionDenied()
    return cases().restrict(user, "view").exclude(state=State.DRAFT)


def inbox(user, *, state: str | None = None, warning: str | None = None,
          today: dt.date | None = None) -> QuerySet:
    """The cases in the user's scope they can act on (per permission, the states where it has work),
    most urgent first (the running deadline, then the oldest submission). `warning`: "yellow", "red",
    "overdue", or "any" of them."""
    today = today or timezone.localdate()
    q = None
    for action, states in WORK.items():
        perm_q = scope_q(user, Case, action)
        if perm_q is None:
            continue
        part = perm_q & Q(state__in=states)
        q = part if q is None else q | part
    if q is None:
        if not has_permission(user, Case, "view"):
            raise PermissionDenied()
        return with_deadline(Case.objects.none())  # annotated like a real inbox: counts() filters on it
    qs = with_deadline(cases().filter(q))
    if state:
        qs = qs.filter(state=state)
    if warning:
        qs = filter_warning(qs, warning, today)
    return qs.order_by(F("deadline").asc(nulls_last=True), "submitted_at", "pk")


def filter_warning(qs: QuerySet, warning: str, today: dt.date) -> QuerySet:
    qs = with_deadline(qs) if "deadline" not in qs.query.annotations else qs
    if warning == clock.OVERDUE:
        return qs.filter(deadline__lt=today)
    if warning == clock.RED:
        return qs.filter(deadline=today)
    if warning in (clock.YELLOW, "any"):
        # yellow needs the calendar: read the cases due within the longest warning window in Python
        horizon = today + dt.timedelta(days=120)
        near = list(qs.filter(deadline__gt=today, deadline__lte=horizon).select_related(None).only(
            "pk", "state", "intake_due_on", "due_on", "limit_days", "limit_unit"))
        soon = [pk for pk, (status, _left) in clock.statuses(near, today).items() if status == clock.YELLOW]
        if warning == clock.YELLOW:
            return qs.filter(pk__in=soon)
        return qs.filter(Q(pk__in=soon) | Q(deadline__lte=today))
    return qs


def case_for(user, reference: str) -> Case:
    """The case `reference` for its applicant or an official with it in view scope; else 404 (403 for an
    official or application holding no case permission at all)."""
    case = cases().filter(reference=reference).first() if reference else None
    if case is not None and getattr(user, "pk", None) and case.applicant_id == user.pk:
        return case
    if not has_permission(user, Case, "view"):
        if getattr(user, "kind", None) in ("official", "application"):
            raise PermissionDenied()
        raise NotFound()
    if case is not None and Case.objects.restrict(user, "view").filter(pk=case.pk).exists():
        return case
    raise NotFound()


def own_case(user, pk) -> Case:
    """One of the applicant's own cases by its id (drafts have no reference yet); else 404."""
    try:
        return my_cases(user).get(pk=int(pk))
    except (Case.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None


def history(case: Case, *, public_only: bool) -> QuerySet:
    """The case's events in order; only those shown to the applicant with `public_only`."""
    qs = CaseEvent.objects.filter(case=case).select_related("actor", "department").order_by("created_at", "pk")
    return qs.filter(public=True) if public_only else qs


def materials(case: Case, *, current_only: bool = True) -> QuerySet:
    qs = CaseMaterial.objects.filter(case=case).select_related("material").defer("content")
    return qs.filter(superseded=False) if current_only else qs


def answers(user, case: Case) -> dict:
    """The answers, decrypted; an official's read is audited (the applicant reads their own)."""
    from dgov.cases.services import answers_of

    if not (getattr(user, "pk", None) and case.applicant_id == user.pk):
        audit.record_read(case, ["answers", "applicant_code", "contact_phone"], actor=user)
    return answers_of(case)


def counts(user, today: dt.date | None = None) -> dict:
    """The inbox's figures for the workbench: to do, yellow, red, overdue."""
    today = today or timezone.localdate()
    try:
        qs = inbox(user, today=today)
    except PermissionDenied:
        return {"total": 0, "yellow": 0, "red": 0, "overdue": 0}
    return {"total": qs.count(), "yellow": filter_warning(qs, clock.YELLOW, today).count(),
            "red": qs.filter(deadline=today).count(), "overdue": qs.filter(deadline__lt=today).count()}
