"""The statutory clocks on the platform calendar (dgov/calendars/data/cn-public-holidays.csv): 2026's
National Day (1–7 October off, Saturday 10 October worked), Mid-Autumn (25–27 September off, Sunday 20
September worked) and Spring Festival (15–23 February off, Saturdays 14 and 28 February worked)."""

import datetime as dt

import pytest

from dgov.calendars.models import CalendarDay
from dgov.cases import clock
from dgov.cases.models import Case
from dgov.cases.testing import at

pytestmark = pytest.mark.django_db

D = dt.date.fromisoformat


def test_the_calendar_holds_the_days_these_tests_rely_on():
    days = dict(CalendarDay.objects.filter(date__year=2026).values_list("date", "kind"))
    assert days[D("2026-10-01")] == days[D("2026-10-07")] == "holiday"
    assert days[D("2026-10-10")] == days[D("2026-02-14")] == days[D("2026-02-28")] == "workday"
    assert days[D("2026-02-16")] == "holiday"


@pytest.mark.parametrize(("moment", "received"), [
    (("2026-09-30", "10:00"), "2026-09-30"),   # a working day, office open
    (("2026-09-30", "17:30"), "2026-10-08"),   # after hours before National Day: the next working day
    (("2026-10-03", "09:00"), "2026-10-08"),   # a public holiday
    (("2026-10-10", "09:00"), "2026-10-10"),   # the make-up Saturday is a working day
    (("2026-10-11", "09:00"), "2026-10-12"),   # an ordinary Sunday
    (("2026-02-14", "16:59"), "2026-02-14"),   # Spring Festival's first make-up Saturday
    (("2026-02-14", "17:00"), "2026-02-24"),   # closed: next working day is after the holiday
])
def test_receipt_day(moment, received):
    assert clock.receipt_day(at(*moment)) == D(received)


def test_office_closing_time_is_a_setting(settings):
    settings.DGOV_CASE_OFFICE_CLOSES = "18:30"
    assert clock.receipt_day(at("2026-09-30", "18:00")) == D("2026-09-30")


def test_intake_period_is_five_working_days_across_national_day():
    # 30 Sep (Wed) received: 8, 9, 10 (make-up Saturday), 12, 13 October
    assert clock.intake_due(D("2026-09-30")) == D("2026-10-13")
    # received the Friday before Mid-Autumn: 21 (Mon)… the make-up Sunday 20 Sep counts
    assert clock.intake_due(D("2026-09-18")) == D("2026-09-24")


def test_working_day_deadline_across_spring_festival():
    # from Friday 13 Feb: 14 (Sat, worked), 24, 25, 26, 27, 28 (Sat, worked), 2, 3, 4, 5 March
    assert clock.deadline(D("2026-02-13"), 10) == D("2026-03-05")
    assert clock.deadline(D("2026-02-13"), 1) == D("2026-02-14")
    assert clock.deadline(D("2026-02-13"), 2) == D("2026-02-24")


def test_natural_day_deadline_ending_on_a_holiday_moves_to_the_next_working_day():
    assert clock.deadline(D("2026-09-24"), 7, clock.NATURAL) == D("2026-10-08")  # 1 Oct is off
    assert clock.deadline(D("2026-09-01"), 7, clock.NATURAL) == D("2026-09-08")
    assert clock.deadline(D("2026-09-01"), 7, clock.NATURAL, paused_days=3) == D("2026-09-11")


def test_pauses_extend_by_the_working_days_paused():
    # suspended on 29 Sep, resumed on 12 Oct: 30 Sep, 8, 9, 10 (Sat worked), 12 Oct do not count
    assert clock.days_paused(D("2026-09-29"), D("2026-10-12")) == 5
    assert clock.days_paused(D("2026-09-29"), D("2026-10-12"), clock.NATURAL) == 13
    # accepted Monday 28 Sep, 10 working days: 29, 30 Sep, 8, 9, 10 (Sat), 12, 13, 14, 15, 16 Oct
    base = clock.deadline(D("2026-09-28"), 10)
    assert base == D("2026-10-16")
    assert clock.deadline(D("2026-09-28"), 10, paused_days=5) == D("2026-10-23")


def _case(**fields):
    values = {"state": "accepted", "limit_days": 10, "limit_unit": "working", "case_kind": "promised",
              "accepted_on": D("2026-09-28"), "paused_days": 0}
    values.update(fields)
    case = Case(**values)
    if case.due_on is None and values["state"] in clock.RUNNING:
        case.due_on = clock.case_deadline(case)
    return case


def test_case_deadline_for_instant_cases_is_the_acceptance_day():
    assert clock.case_deadline(_case(case_kind="instant", limit_days=0)) == D("2026-09-28")


@pytest.mark.parametrize(("today", "expected", "left"), [
    ("2026-09-29", "ok", 9),
    ("2026-10-03", "ok", 8),        # a holiday
    ("2026-10-09", "ok", 6),        # the make-up Saturday 10 Oct is one of the six
    ("2026-10-13", "ok", 3),
    ("2026-10-14", "yellow", 2),    # 20% of 10 = 2 working days left
    ("2026-10-15", "yellow", 1),
    ("2026-10-16", "red", 0),
    ("2026-10-17", "overdue", -1),  # the Saturday after: overdue, though no working day has passed
    ("2026-10-20", "overdue", -2),
])
def test_status_warnings(today, expected, left):
    case = _case()
    assert case.due_on == D("2026-10-16")
    assert clock.status(case, D(today)) == expected
    assert clock.remaining_working_days(case, D(today)) == left
    assert clock.statuses([case], D(today)) == {None: (expected, left)}  # the one-read variant agrees


def test_yellow_is_at_least_one_day_for_short_limits():
    case = _case(limit_days=2, accepted_on=D("2026-10-12"))  # due 14 Oct
    assert clock.yellow_threshold(2) == 1
    assert clock.status(case, D("2026-10-12")) == "ok"
    assert clock.status(case, D("2026-10-13")) == "yellow"


def test_intake_clock_runs_while_submitted_and_no_clock_while_paused():
    submitted = Case(state="submitted", received_on=D("2026-09-30"), intake_due_on=D("2026-10-13"))
    assert clock.status(submitted, D("2026-10-12")) == "yellow"  # 1 of 5 working days left
    assert clock.status(submitted, D("2026-10-13")) == "red"
    assert clock.status(submitted, D("2026-10-14")) == "overdue"
    assert clock.statuses([submitted], D("2026-10-12")) == {None: ("yellow", 1)}
    paused = _case(state="suspended", due_on=D("2026-10-14"))
    assert clock.statuses([paused], D("2026-12-01")) == {None: ("ok", None)}
    assert clock.status(paused, D("2026-12-01")) == "ok"
    assert clock.remaining_working_days(paused, D("2026-12-01")) is None
