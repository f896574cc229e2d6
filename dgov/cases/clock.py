"""Statutory clocks of cases (办件时限), on the platform's working-day calendar (`dgov.calendars`).

The rules (行政许可法 §32, §42, §45 and the national 办件 rules), as this module applies them:

- **Receipt day.** A case is received on the day it is submitted. A submission on a day that is not a
  working day, or on a working day after the office closes (`DGOV_CASE_OFFICE_CLOSES`, default 17:00
  local time), is received on the next working day (`receipt_day`).
- **Intake.** The department has 5 working days after the receipt day (`INTAKE_WORKING_DAYS`) to accept
  the case, refuse to accept it or send one complete 补正 notice. If it does none of these by the end of
  `intake_due_on`, the case counts as accepted from the receipt day (`deemed_accepted`, done by `tick`).
- **补正.** A 补正 notice stops the intake clock. When the applicant resubmits, a new intake period starts
  from the resubmission's receipt day (`restart_intake`).
- **Decision.** The decision limit counts from the acceptance day (the day itself not counted): the
  promised limit when the implementation sets one, else the statutory one, in working or natural days
  as the implementation says; both are copied onto the case at submission (`limit_days`, `limit_unit`).
  A natural-day deadline that falls on a day off moves to the next working day.
- **Special procedures** (听证, 检验, 检测, 检疫, 鉴定, 专家评审) do not count: the working (or natural) days
  between suspending and resuming (`paused_days`) extend `due_on`.
- **即办件** have no decision limit: they are decided on the acceptance day.
- **Warnings** on the running deadline (intake while submitted, decision while accepted or in review):
  yellow when at most 20% of the limit (at least 1 day) remains, red on the due day, overdue after it.
  A paused or finished case is "ok".

`tick(today)` runs daily (`dgov cases_tick`): deemed acceptances, warnings to the department, escalation
of overdue cases to the supervisors.
"""

import datetime as dt
import math

from django.conf import settings
from django.utils import timezone

from dgov.calendars.selectors import add_working_days, is_working_day, working_days_between, working_days_counter

INTAKE_WORKING_DAYS = 5
WARNING_SHARE = 0.2
WORKING, NATURAL = "working", "natural"
#: states in which the decision clock runs
RUNNING = ("accepted", "in_review")
OK, YELLOW, RED, OVERDUE = "ok", "yellow", "red", "overdue"


def office_closes() -> dt.time:
    value = getattr(settings, "DGOV_CASE_OFFICE_CLOSES", "17:00")
    hours, minutes = (int(part) for part in str(value).split(":", 1))
    return dt.time(hours, minutes)


def next_working_day(day: dt.date) -> dt.date:
    return add_working_days(day, 1)


def receipt_day(at: dt.datetime | None = None) -> dt.date:
    """The day a submission at `at` counts as received: that day when it is a working day and the
    office is still open, else the next working day."""
    at = timezone.localtime(at) if at is not None else timezone.localtime()
    day = at.date()
    if is_working_day(day) and at.time() < office_closes():
        return day
    return next_working_day(day)


def intake_due(received_on: dt.date) -> dt.date:
    """The last day to accept, refuse or send a 补正 notice."""
    return add_working_days(received_on, INTAKE_WORKING_DAYS)


def to_working_day(day: dt.date) -> dt.date:
    """`day`, or the next working day when it is a day off (a natural-day period ending on a holiday)."""
    return day if is_working_day(day) else next_working_day(day)


def deadline(start: dt.date, days: int, unit: str = WORKING, paused_days: int = 0) -> dt.date:
    """The last day of a limit of `days` (working or natural) counted from the day after `start`,
    extended by `paused_days` of special procedures (in the same unit)."""
    total = days + paused_days
    if unit == NATURAL:
        return to_working_day(start + dt.timedelta(days=total)) if total else start
    return add_working_days(start, total)


def case_deadline(case) -> dt.date | None:
    """The case's decision deadline from its acceptance day, limit and pauses."""
    if case.accepted_on is None:
        return None
    if case.case_kind == "instant" or not case.limit_days:
        return case.accepted_on
    return deadline(case.accepted_on, case.limit_days, case.limit_unit, case.paused_days)


def days_paused(since: dt.date, until: dt.date, unit: str = WORKING) -> int:
    """The days of a pause from `since` to `until` that do not count: (since, until]."""
    if unit == NATURAL:
        return max((until - since).days, 0)
    return working_days_between(since, until)


def _today(today: dt.date | None) -> dt.date:
    return today or timezone.localdate()


def _between(a: dt.date, b: dt.date, unit: str) -> int:
    """Signed days from a to b (positive when b is later), in the unit."""
    if unit == NATURAL:
        return (b - a).days
    return working_days_between(a, b) if b >= a else -working_days_between(b, a)


def running_deadline(case) -> tuple[dt.date | None, int, str]:
    """(due day, limit, unit) of the clock now running on the case, (None, 0, unit) when none runs."""
    if case.state == "submitted" and case.intake_due_on:
        return case.intake_due_on, INTAKE_WORKING_DAYS, WORKING
    if case.state in RUNNING and case.due_on:
        return case.due_on, case.limit_days, case.limit_unit or WORKING
    return None, 0, case.limit_unit or WORKING


def remaining_working_days(case, today: dt.date | None = None) -> int | None:
    """Days left until the running deadline (0 on the due day, negative once overdue), in the limit's
    unit (working days, or natural days for a natural-day limit); None when no clock runs."""
    due, _limit, unit = running_deadline(case)
    if due is None:
        return None
    today = _today(today)
    left = _between(today, due, unit)
    return min(left, -1) if today > due else left


def yellow_threshold(limit: int) -> int:
    return max(1, math.ceil(limit * WARNING_SHARE))


def status(case, today: dt.date | None = None) -> str:
    """"ok", "yellow" (at most 20% of the limit, at least 1 day, left), "red" (the due day) or
    "overdue" (after it), on the clock now running; "ok" when none runs."""
    today = _today(today)
    due, limit, _unit = running_deadline(case)
    if due is None:
        return OK
    if today > due:
        return OVERDUE
    if today == due:
        return RED
    left = remaining_working_days(case, today)
    return YELLOW if left is not None and left <= yellow_threshold(limit) else OK


def statuses(cases, today: dt.date | None = None) -> dict[int, tuple[str, int | None]]:
    """`status` and `remaining_working_days` of many cases with the calendar read once (lists, the
    inbox): case id → (status, days left)."""
    today = _today(today)
    clocks = {case.pk: running_deadline(case) for case in cases}
    dues = [due for due, _limit, _unit in clocks.values() if due is not None]
    if not dues:
        return {pk: (OK, None) for pk in clocks}
    lo, hi = min([today, *dues]), max([today, *dues])
    count = working_days_counter(lo, hi)
    out = {}
    for pk, (due, limit, unit) in clocks.items():
        if due is None:
            out[pk] = (OK, None)
            continue
        if unit == NATURAL:
            left = (due - today).days
        else:
            left = count(today, due) if due >= today else -count(due, today)
        if today > due:
            out[pk] = (OVERDUE, min(left, -1))
        elif today == due:
            out[pk] = (RED, 0)
        else:
            out[pk] = (YELLOW if left <= yellow_threshold(limit) else OK, left)
    return out


def tick(today: dt.date | None = None) -> dict:
    """The daily run: deemed acceptances, warnings and escalations (see `services.tick_case`).
    Returns the counts."""
    from dgov.cases.services import run_tick

    return run_tick(today=_today(today))
