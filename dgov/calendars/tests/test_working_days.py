"""Working-day arithmetic against the State Council schedules for 2024-2026, and loading them."""

import csv
import datetime as dt

import pytest

from dgov.calendars.models import CalendarDay, DayKind
from dgov.calendars.selectors import add_working_days, covered_years, is_working_day, working_days_between
from dgov.calendars.services import DATA_FILE, load_reference
from dgov.core.models import AuditEntry

pytestmark = pytest.mark.django_db

D = dt.date
SCHEDULE = {dt.date.fromisoformat(r["date"]): r for r in csv.DictReader(DATA_FILE.open(encoding="utf-8"))}


def _reference_is_working(day: dt.date) -> bool:
    """The rule written out independently of the code under test, straight from the data file."""
    if day in SCHEDULE:
        return SCHEDULE[day]["kind"] == "workday"
    return day.weekday() < 5


def _reference_add(start: dt.date, days: int) -> dt.date:
    day, step = start, (1 if days > 0 else -1)
    for _ in range(abs(days)):
        day += dt.timedelta(days=step)
        while not _reference_is_working(day):
            day += dt.timedelta(days=step)
    return day


# --- the published schedules ------------------------------------------------------------------

@pytest.mark.parametrize(("start", "days", "expected"), [
    (D(2024, 2, 9), 1, D(2024, 2, 18)),     # Spring Festival 2024: the 18th is a make-up Sunday
    (D(2024, 2, 8), 2, D(2024, 2, 18)),
    (D(2024, 2, 18), 1, D(2024, 2, 19)),
    (D(2024, 2, 3), 1, D(2024, 2, 4)),      # make-up Sunday before the holiday
    (D(2024, 9, 30), 1, D(2024, 10, 8)),    # National Day 2024: 1-7 October
    (D(2024, 10, 11), 1, D(2024, 10, 12)),  # make-up Saturday after it
    (D(2025, 1, 24), 1, D(2025, 1, 26)),    # Spring Festival 2025: make-up Sunday 26 January
    (D(2025, 9, 30), 1, D(2025, 10, 9)),    # National Day + Mid-Autumn 2025: 1-8 October
    (D(2025, 10, 9), 1, D(2025, 10, 10)),
    (D(2025, 10, 10), 1, D(2025, 10, 11)),  # make-up Saturday 11 October
    (D(2025, 9, 26), 1, D(2025, 9, 28)),    # make-up Sunday 28 September
    (D(2026, 9, 30), 1, D(2026, 10, 8)),    # National Day 2026: 1-7 October
    (D(2026, 10, 9), 1, D(2026, 10, 10)),   # make-up Saturday 10 October 2026
    (D(2026, 9, 18), 1, D(2026, 9, 20)),    # make-up Sunday 20 September 2026
    (D(2026, 9, 24), 1, D(2026, 9, 28)),    # Mid-Autumn 2026: 25-27 September
    (D(2026, 2, 13), 1, D(2026, 2, 14)),    # Spring Festival 2026: make-up Saturday 14 February
    (D(2026, 2, 14), 1, D(2026, 2, 24)),    # holiday 15-23 February
    (D(2025, 12, 31), 1, D(2026, 1, 4)),    # New Year 2026: 1-3 January; Sunday the 4th is a make-up day
    (D(2024, 2, 18), -1, D(2024, 2, 9)),    # negative counts go back over the holiday
    (D(2025, 10, 9), -1, D(2025, 9, 30)),
    (D(2026, 10, 8), -2, D(2026, 9, 29)),
    (D(2025, 10, 11), -1, D(2025, 10, 10)),
    (D(2024, 5, 6), 0, D(2024, 5, 6)),      # zero: the start itself
    (D(2024, 5, 4), 0, D(2024, 5, 4)),      # even on a holiday
])
def test_add_working_days_on_the_real_schedule(start, days, expected):
    assert add_working_days(start, days) == expected


@pytest.mark.parametrize(("day", "working"), [
    (D(2024, 2, 18), True), (D(2024, 2, 12), False), (D(2024, 2, 9), True), (D(2025, 10, 11), True),
    (D(2025, 10, 8), False), (D(2026, 10, 1), False), (D(2026, 10, 10), True), (D(2026, 9, 20), True),
    (D(2026, 1, 4), True), (D(2026, 1, 3), False), (D(2099, 1, 1), True),  # a year not loaded: a Thursday
    (D(2024, 3, 2), False), (D(2024, 3, 4), True),
])
def test_is_working_day(day, working):
    assert is_working_day(day) is working


def test_every_day_of_2024_to_2026_matches_the_schedule():
    day = D(2024, 1, 1)
    while day <= D(2026, 12, 31):
        assert is_working_day(day) is _reference_is_working(day), day
        day += dt.timedelta(days=1)


@pytest.mark.parametrize("days", [1, 2, 3, 5, 7, 10, 15, 20, 30, 60, 250, -1, -5, -20, -60])
def test_add_working_days_matches_a_day_by_day_count(days):
    for start in [D(2024, 1, 1) + dt.timedelta(days=n) for n in range(0, 3 * 365, 11)]:
        assert add_working_days(start, days) == _reference_add(start, days), (start, days)


def test_long_spans_widen_the_window_beyond_the_loaded_years():
    # 700 working days from 2024 run past the end of the loaded schedule; weekends still count.
    result = add_working_days(D(2024, 1, 1), 700)
    assert result == _reference_add(D(2024, 1, 1), 700)
    assert result.year == 2026 or result > D(2026, 12, 31)


def test_the_result_is_always_a_working_day_after_the_start():
    for start in (D(2024, 9, 13), D(2025, 1, 27), D(2026, 4, 3)):
        for days in (1, 3, 8):
            end = add_working_days(start, days)
            assert end > start and is_working_day(end)
            assert working_days_between(start, end) == days


@pytest.mark.parametrize(("start", "end", "expected"), [
    (D(2025, 9, 30), D(2025, 10, 9), 1),
    (D(2024, 2, 9), D(2024, 2, 18), 1),
    (D(2024, 2, 9), D(2024, 2, 19), 2),
    (D(2026, 9, 30), D(2026, 10, 10), 3),
    (D(2025, 12, 31), D(2026, 12, 31), 248),
    (D(2024, 5, 6), D(2024, 5, 6), 0),
    (D(2024, 5, 10), D(2024, 5, 6), 0),
    (D(2024, 1, 1), D(2024, 12, 31), 251),  # 2024 had 251 working days
    (D(2025, 1, 1), D(2025, 12, 31), 248),  # and 2025 had 248
])
def test_working_days_between(start, end, expected):
    assert working_days_between(start, end) == expected


def test_schedule_data_is_consistent():
    for day, row in SCHEDULE.items():
        assert row["kind"] in (DayKind.HOLIDAY, DayKind.WORKDAY)
        assert row["festival"], day
        if row["kind"] == "workday":
            assert day.weekday() >= 5, f"{day}: a make-up working day must fall on a weekend"
    years = {d.year for d in SCHEDULE}
    assert {2024, 2025, 2026} <= years
    assert covered_years() == sorted(years)


def test_statutory_holiday_counts_per_year():
    # 2024: 11 statutory days; 2025 and later: 13 (two more: Spring Festival eve and May 2).
    # Weekend days inside a holiday block are listed too, so count weekday holidays plus make-up days.
    for year, statutory in ((2024, 11), (2025, 13), (2026, 13)):
        holidays_on_weekdays = sum(1 for d, r in SCHEDULE.items()
                                   if d.year == year and r["kind"] == "holiday" and d.weekday() < 5)
        makeup = sum(1 for d, r in SCHEDULE.items() if d.year == year and r["kind"] == "workday")
        assert holidays_on_weekdays - makeup == statutory, year


# --- loading -----------------------------------------------------------------------------------

def test_load_reference_is_idempotent():
    count, audit_count = CalendarDay.objects.count(), AuditEntry.objects.count()
    assert load_reference() == 0
    assert CalendarDay.objects.count() == count == len(SCHEDULE)
    assert AuditEntry.objects.count() == audit_count


def test_load_reference_adds_missing_days_and_keeps_local_edits():
    extra = CalendarDay.objects.create(date=D(2099, 1, 1), kind=DayKind.HOLIDAY, festival="元旦", note="本地补录")
    CalendarDay.objects.filter(date=D(2024, 2, 18)).update(note="本地备注")
    CalendarDay.objects.filter(date=D(2025, 10, 8)).update(kind=DayKind.WORKDAY)
    CalendarDay.objects.filter(date=D(2026, 10, 1)).delete()
    assert load_reference() == 1  # the deleted day comes back; the edited one stays as the city set it
    assert CalendarDay.objects.get(pk=extra.pk).note == "本地补录"
    assert CalendarDay.objects.get(date=D(2024, 2, 18)).note == "本地备注"
    assert CalendarDay.objects.get(date=D(2025, 10, 8)).kind == DayKind.WORKDAY
    assert CalendarDay.objects.get(date=D(2026, 10, 1)).kind == DayKind.HOLIDAY
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.action, entry.changes) == ("calendars.calendarday.load", {"changed": 1})


def test_load_reference_with_update_resets_edited_listed_days():
    CalendarDay.objects.filter(date=D(2025, 10, 8)).update(kind=DayKind.WORKDAY)
    assert load_reference(update=True) == 1
    assert CalendarDay.objects.get(date=D(2025, 10, 8)).kind == DayKind.HOLIDAY


def test_a_local_holiday_changes_the_arithmetic():
    CalendarDay.objects.create(date=D(2099, 1, 2), kind=DayKind.HOLIDAY, festival="本地")  # a Friday
    assert add_working_days(D(2099, 1, 1), 1) == D(2099, 1, 5)
