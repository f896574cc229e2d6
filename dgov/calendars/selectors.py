"""Working-day arithmetic on the Chinese calendar: Monday–Friday, minus public holidays, plus
make-up working days. Statutory deadlines (法定时限) count working days."""

import datetime as dt

from dgov.calendars.models import CalendarDay, DayKind


def _exceptions(start: dt.date, end: dt.date) -> dict[dt.date, str]:
    lo, hi = min(start, end), max(start, end)
    return dict(CalendarDay.objects.filter(date__range=(lo, hi)).values_list("date", "kind"))


def _is_working(day: dt.date, exceptions: dict[dt.date, str]) -> bool:
    kind = exceptions.get(day)
    if kind == DayKind.HOLIDAY:
        return False
    if kind == DayKind.WORKDAY:
        return True
    return day.weekday() < 5


def is_working_day(day: dt.date) -> bool:
    return _is_working(day, _exceptions(day, day))


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date `days` working days after `start` (before it, if negative); `start` itself is not
    counted, as a deadline runs from the day after acceptance. 0 returns `start`."""
    if days == 0:
        return start
    step = 1 if days > 0 else -1
    # Generous window: holidays add at most ~10 days per month of span.
    span = abs(days) * 2 + 40
    exceptions = _exceptions(start, start + dt.timedelta(days=step * span))
    day, remaining = start, abs(days)
    while remaining:
        day += dt.timedelta(days=step)
        if abs((day - start).days) > span:  # window exhausted: widen and continue
            exceptions |= _exceptions(day, day + dt.timedelta(days=step * span))
            span *= 2
        if _is_working(day, exceptions):
            remaining -= 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days in (start, end]: how many have elapsed of a deadline that began at `start`."""
    if end <= start:
        return 0
    exceptions = _exceptions(start, end)
    return sum(_is_working(start + dt.timedelta(days=i), exceptions) for i in range(1, (end - start).days + 1))


def covered_years() -> list[int]:
    """Years for which a State Council schedule is loaded (any holiday entry)."""
    dates = CalendarDay.objects.filter(kind=DayKind.HOLIDAY).dates("date", "year")
    return [d.year for d in dates]


def working_days_counter(start: dt.date, end: dt.date):
    """`working_days_between` for many spans within [start, end] with the calendar read once (for
    reports over many requests): returns count(a, b) = the working days in (a, b]."""
    exceptions = _exceptions(start, end)
    cumulative, total = {}, 0
    for i in range((end - start).days + 1):
        day = start + dt.timedelta(days=i)
        total += _is_working(day, exceptions)
        cumulative[day] = total

    def count(a: dt.date, b: dt.date) -> int:
        if b <= a:
            return 0
        if not (start <= a and b <= end):
            raise ValueError(f"{a}–{b} lies outside the span read ({start}–{end})")
        return cumulative[b] - cumulative[a]

    return count
