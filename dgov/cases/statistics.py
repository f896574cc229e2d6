"""The figures of the case statistics page (政务服务统计, issue 8 point 12) and its API: KPIs over the
cases received in a date range and the published implementations, in total, per implementing
department and per district (the city level and each county-level region: 月湖区, 余江区, 贵溪市),
within what the reader may see (`selectors.visible_cases`: officials with `cases.view_case` in their
scope; the city's administrator everything).

The cohort is the cases received (submitted) from `since` to `until` (local days); drafts never count.

- counts: received; accepted (accepted at any time, by an official or by law); decided (approved or
  refused); approved, refused, not accepted, withdrawn; in progress (submitted, awaiting correction,
  accepted, in review, under a special procedure); overdue now (the running clock's deadline is
  before today: the intake deadline while submitted, the decision deadline while accepted or in
  review — counted over every case in scope whenever received, like the inbox's warning);
- online-handling rate (网上办件率): the cohort's cases applied for online ÷ received;
- online-application rate (网上可办率): published implementations that can be applied for online ÷
  published implementations;
- instant share (即办件占比): of the published implementations and of the cohort's cases;
- average visits per case: the mean of the implementation's `visits` over the cohort's cases; the
  最多跑一次 share: published implementations (and the cohort's cases) whose item needs at most one visit;
- on-time rate (按时办结率): on time ÷ due, where *due* is the cohort's decided cases (approved or
  refused; an instant case is decided when accepted) plus the cohort's cases whose decision clock
  is running and already overdue (accepted or in review, deadline before today), and *on time* the
  decided ones whose decision day is on or before their decision deadline (`due_on`; a case with no
  deadline is on time). Cases not accepted, withdrawn, still within their time or paused are not
  counted;
- satisfaction (满意度, from the service ratings `ratings.Rating`, when that app is installed): of
  the ratings of the cohort's cases, the share of 好评 (level 3–5: 非常满意, 满意, 基本满意, per the
  national 好差评 rules, GB/T 39734), the average level and the count of 差评 (levels 1–2).

Rates are percentages to one decimal, None when nothing is counted. Every figure is aggregated in
the database (a fixed number of GROUP BY queries, whatever the number of cases).
"""

import datetime as dt
import io
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.db.models import Avg, Count, F, Q
from django.db.models.functions import Substr, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from dgov.cases import clock, selectors
from dgov.cases.models import Case, Channel, Outcome, State
from dgov.core.errors import NotFound, ValidationError
from dgov.core.importexport import safe_cell
from dgov.core.permissions import resolver, scope_q
from dgov.orgs.models import Department, Region

DEFAULT_DAYS = 30
MAX_DAYS = 366
EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2099, 12, 31)
#: states in which a case is still being handled
IN_PROGRESS = (State.SUBMITTED, State.CORRECTION, State.ACCEPTED, State.IN_REVIEW, State.SUSPENDED)
DECIDED_Q = Q(outcome__in=(Outcome.APPROVED, Outcome.REFUSED))
GOOD_LEVEL = 3  # 基本满意 and above are 好评 (GB/T 39734)


@dataclass(frozen=True)
class Filters:
    since: dt.date
    until: dt.date
    department: Department | None = None
    region: Region | None = None  # a district: the city level or a county-level region

    def as_dict(self) -> dict:
        return {"since": self.since.isoformat(), "until": self.until.isoformat(),
                "department": self.department.code if self.department else "",
                "region": district_key(self.region.code) if self.region else ""}


def district_key(region_code: str) -> str:
    """The 6-digit code of the district a region lies in (a county's, or the city's for the city level)."""
    return region_code[:6]


def ratings_installed() -> bool:
    return apps.is_installed("dgov.ratings") and any(
        m.__name__ == "Rating" for m in apps.get_app_config("ratings").get_models())


# --- scope and filters ------------------------------------------------------------------------------
def departments_in_scope(user) -> list[Department]:
    """The departments whose cases `user` may count (the filter's choices): every department for a
    scope of all, else those a case of theirs would be visible in. 403 without `cases.view_case`."""
    q = scope_q(user, Case, "view")
    if q is None:
        selectors.visible_cases(user)  # raises 403
    departments = Department.objects.select_related("region").order_by("path")
    if not q:
        return list(departments)
    scoped = resolver()
    return [d for d in departments if scoped.allows(user, "view", Case(department=d, region=d.region))]


def districts(departments: list[Department] | None = None) -> list[Region]:
    """The city (its own level) and its county-level regions, in code order; with `departments`, only
    those where one of them is."""
    city = Region.objects.filter(code=settings.DGOV_CITY_CODE).first()
    if city is None:
        return []
    found = [city, *Region.objects.filter(parent=city, level="county").order_by("code")]
    if departments is None:
        return found
    keys = {district_key(d.region.code) for d in departments}
    return [r for r in found if district_key(r.code) in keys]


def district_name(region: Region) -> str:
    if region.code == settings.DGOV_CITY_CODE:
        return _("%(city)s (city level)") % {"city": region.name}
    return region.name


def parse_filters(user, *, since: dt.date | None = None, until: dt.date | None = None, department: str = "",
                  region: str = "", today: dt.date | None = None) -> Filters:
    """The date range (default: the last 30 days up to today; at most MAX_DAYS days), the department
    (a code) and the district (a 6- or 12-digit region code of the city or a county); 404 when either
    is unknown or outside the user's scope, 422 for a bad range."""
    today = today or timezone.localdate()
    until = until or today
    # An `until` far out of range (0001-01-01) is refused below; the default start must not overflow first.
    since = since or (until - dt.timedelta(days=DEFAULT_DAYS - 1) if until >= EARLIEST else until)
    errors = {}
    for name, value in (("since", since), ("until", until)):
        if not EARLIEST <= value <= LATEST:
            errors[name] = [_("Choose a date between %(first)s and %(last)s.") % {"first": EARLIEST, "last": LATEST}]
    if not errors and since > until:
        errors["until"] = [_("The end date is before the start date.")]
    elif not errors and (until - since).days + 1 > MAX_DAYS:
        errors["since"] = [_("Choose at most %(days)d days at once.") % {"days": MAX_DAYS}]
    region = (region or "").strip()
    if region and not (region.isdigit() and (len(region) == 6 or (len(region) == 12 and region.endswith("000000")))):
        errors["region"] = [_("Give the 6-digit code of the city or of a county-level region.")]
    if errors:
        raise ValidationError(details=errors)
    chosen_department = chosen_region = None
    if (department and department.strip()) or region:
        scope = departments_in_scope(user)  # 403 without the permission before 404
        if department and department.strip():
            chosen_department = next((d for d in scope if d.code == department.strip()), None)
            if chosen_department is None:
                raise NotFound()
        if region:
            chosen_region = next((r for r in districts(scope) if district_key(r.code) == region[:6]), None)
            if chosen_region is None:
                raise NotFound()
    return Filters(since, until, chosen_department, chosen_region)


# --- the figures ------------------------------------------------------------------------------------
def _rate(n: int | None, total: int | None) -> float | None:
    return round(100 * (n or 0) / total, 1) if total else None


def _case_aggregates(rated: bool) -> dict:
    out = {
        "received": Count("pk"),
        "accepted": Count("pk", filter=Q(accepted_on__isnull=False)),
        "decided": Count("pk", filter=DECIDED_Q),
        "approved": Count("pk", filter=Q(outcome=Outcome.APPROVED)),
        "refused": Count("pk", filter=Q(outcome=Outcome.REFUSED)),
        "not_accepted": Count("pk", filter=Q(outcome=Outcome.NOT_ACCEPTED)),
        "withdrawn": Count("pk", filter=Q(outcome=Outcome.WITHDRAWN)),
        "in_progress": Count("pk", filter=Q(state__in=IN_PROGRESS)),
        "online_cases": Count("pk", filter=Q(channel=Channel.ONLINE)),
        "instant_cases": Count("pk", filter=Q(case_kind="instant")),
        "one_visit_cases": Count("pk", filter=Q(implementation__visits__lte=1)),
        "average_visits": Avg("implementation__visits"),
        "on_time": Count("pk", filter=DECIDED_Q & (Q(due_on__isnull=True) | Q(decided_at__date__lte=F("due_on")))),
    }
    if rated:
        out.update(ratings=Count("rating"), good_ratings=Count("rating", filter=Q(rating__level__gte=GOOD_LEVEL)),
                   bad_ratings=Count("rating", filter=Q(rating__level__lt=GOOD_LEVEL)),
                   average_level=Avg("rating__level"))
    return out


IMPLEMENTATION_AGGREGATES = {
    "implementations": Count("pk"),
    "online_implementations": Count("pk", filter=Q(online_apply=True)),
    "instant_implementations": Count("pk", filter=Q(case_kind="instant")),
    "one_visit_implementations": Count("pk", filter=Q(visits__lte=1)),
}
CASE_FIELDS = ("received", "accepted", "decided", "approved", "refused", "not_accepted", "withdrawn", "in_progress",
               "online_cases", "instant_cases", "one_visit_cases", "on_time", "overdue_running")
RATING_FIELDS = ("ratings", "good_ratings", "bad_ratings")


def _kpis(cases: dict, implementations: dict, overdue_now: int, rated: bool) -> dict:
    """One row of figures: counts and rates (see the module's docstring)."""
    c = {name: cases.get(name) or 0 for name in CASE_FIELDS}
    i = {name: implementations.get(name) or 0 for name in IMPLEMENTATION_AGGREGATES}
    due = c["decided"] + c["overdue_running"]
    average = cases.get("average_visits")
    row = {
        **{k: c[k] for k in CASE_FIELDS if k != "overdue_running"}, "overdue_now": overdue_now,
        "online_rate": _rate(c["online_cases"], c["received"]),
        **i,
        "online_apply_rate": _rate(i["online_implementations"], i["implementations"]),
        "instant_implementation_rate": _rate(i["instant_implementations"], i["implementations"]),
        "instant_case_rate": _rate(c["instant_cases"], c["received"]),
        "average_visits": round(float(average), 2) if average is not None else None,
        "one_visit_rate": _rate(i["one_visit_implementations"], i["implementations"]),
        "one_visit_case_rate": _rate(c["one_visit_cases"], c["received"]),
        "due": due, "late": due - c["on_time"], "overdue_running": c["overdue_running"],
        "on_time_rate": _rate(c["on_time"], due),
        "rated": rated,
    }
    if rated:
        r = {name: cases.get(name) or 0 for name in RATING_FIELDS}
        level = cases.get("average_level")
        row.update(r, satisfaction_rate=_rate(r["good_ratings"], r["ratings"]),
                   average_level=round(float(level), 2) if level is not None else None)
    else:
        row.update(ratings=0, good_ratings=0, bad_ratings=0, satisfaction_rate=None, average_level=None)
    return row


def _scoped(user, filters: Filters, scope: list[Department] | None):
    """(the cases in scope and filters, the published implementations in the same scope and filters);
    `scope`: the departments the reader sees, None for a scope of all."""
    from dgov.services.models import Implementation

    cases = selectors.visible_cases(user).select_related(None).order_by()
    implementations = Implementation.objects.filter(status="published", item__status="published").order_by()
    if scope is not None:  # implementations go by department too
        implementations = implementations.filter(department__in=[d.pk for d in scope])
    if filters.department is not None:
        cases = cases.filter(department=filters.department)
        implementations = implementations.filter(department=filters.department)
    if filters.region is not None:
        key = district_key(filters.region.code)
        cases = cases.filter(region__code__startswith=key)
        implementations = implementations.filter(region__code__startswith=key)
    return cases, implementations


def statistics(user, filters: Filters, *, today: dt.date | None = None) -> dict:
    """The figures (see the module's docstring): `totals`, `by_department`, `by_district` (each a
    row of `_kpis`) and `per_day` (received and decided). 403 without `cases.view_case`."""
    today = today or timezone.localdate()
    rated = ratings_installed()
    cases = selectors.visible_cases(user)  # 403 without the permission
    scope = departments_in_scope(user) if scope_q(user, Case, "view") else None
    cases, implementations = _scoped(user, filters, scope)
    start = timezone.make_aware(dt.datetime.combine(filters.since, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(filters.until + dt.timedelta(days=1), dt.time.min))
    cohort = cases.filter(submitted_at__gte=start, submitted_at__lt=end)
    aggregates = {**_case_aggregates(rated),
                  "overdue_running": Count("pk", filter=Q(state__in=clock.RUNNING, due_on__lt=today))}
    overdue_now = (Q(state=State.SUBMITTED, intake_due_on__lt=today)
                   | Q(state__in=clock.RUNNING, due_on__lt=today))
    district = Substr("region__code", 1, 6)

    totals = _kpis(cohort.aggregate(**aggregates), implementations.aggregate(**IMPLEMENTATION_AGGREGATES),
                   cases.filter(overdue_now).count(), rated)

    def grouped(qs, key, **annotations) -> dict:
        return {row[key]: row for row in qs.values(key).annotate(**annotations).order_by()}

    by_dept_cases = grouped(cohort, "department_id", **aggregates)
    by_dept_impl = grouped(implementations, "department_id", **IMPLEMENTATION_AGGREGATES)
    by_dept_overdue = grouped(cases.filter(overdue_now), "department_id", n=Count("pk"))
    shown = set(by_dept_cases) | set(by_dept_impl) | set(by_dept_overdue)
    departments = Department.objects.filter(pk__in=shown).select_related("region").order_by("path")
    by_department = [{"code": d.code, "name": d.name, "district": district_key(d.region.code),
                      **_kpis(by_dept_cases.get(d.pk, {}), by_dept_impl.get(d.pk, {}),
                              by_dept_overdue.get(d.pk, {}).get("n", 0), rated)} for d in departments]

    by_dist_cases = grouped(cohort.annotate(district=district), "district", **aggregates)
    by_dist_impl = grouped(implementations.annotate(district=district), "district", **IMPLEMENTATION_AGGREGATES)
    by_dist_overdue = grouped(cases.filter(overdue_now).annotate(district=district), "district", n=Count("pk"))
    regions = districts() if filters.region is None else [filters.region]
    if scope is not None:
        seen = {district_key(d.region.code) for d in scope}
        regions = [r for r in regions if district_key(r.code) in seen]
    by_district = [{"code": district_key(r.code), "name": district_name(r),
                    **_kpis(by_dist_cases.get(district_key(r.code), {}), by_dist_impl.get(district_key(r.code), {}),
                            by_dist_overdue.get(district_key(r.code), {}).get("n", 0), rated)} for r in regions]

    received = dict(cohort.annotate(day=TruncDate("submitted_at")).values("day").annotate(n=Count("pk"))
                    .values_list("day", "n"))
    decided = dict(cases.filter(DECIDED_Q, decided_at__gte=start, decided_at__lt=end)
                   .annotate(day=TruncDate("decided_at")).values("day").annotate(n=Count("pk")).values_list("day", "n"))
    per_day = []
    for n in range((filters.until - filters.since).days + 1):
        day = filters.since + dt.timedelta(days=n)
        per_day.append({"date": day.isoformat(), "received": received.get(day, 0), "decided": decided.get(day, 0)})
    return {"filters": filters.as_dict(), "ratings_available": rated, "totals": totals,
            "by_department": by_department, "by_district": by_district, "per_day": per_day}


# --- the page's charts ------------------------------------------------------------------------------
def metrics() -> list[dict]:
    """The KPIs charted per district and per department: key, title, numerator and denominator keys
    (None for a mean)."""
    return [
        {"key": "online_rate", "title": _("Online-handling rate"), "n": "online_cases", "d": "received"},
        {"key": "online_apply_rate", "title": _("Items that can be applied for online"),
         "n": "online_implementations", "d": "implementations"},
        {"key": "instant_case_rate", "title": _("Instant cases (share of cases)"), "n": "instant_cases",
         "d": "received"},
        {"key": "instant_implementation_rate", "title": _("Instant cases (share of items)"),
         "n": "instant_implementations", "d": "implementations"},
        {"key": "average_visits", "title": _("Average visits per case"), "n": None, "d": "received"},
        {"key": "one_visit_rate", "title": _("Items needing at most one visit"), "n": "one_visit_implementations",
         "d": "implementations"},
        {"key": "on_time_rate", "title": _("On-time rate"), "n": "on_time", "d": "due"},
        {"key": "satisfaction_rate", "title": _("Satisfaction"), "n": "good_ratings", "d": "ratings"},
    ]


def _metric_rows(rows: list[dict], metric: dict) -> list[dict]:
    key = metric["key"]
    if metric["n"] is None:  # a mean: to scale of the largest
        peak = max((r[key] or 0 for r in rows), default=0)
        width = lambda value: f"{100 * (value or 0) / peak:.2f}" if peak else "0"  # noqa: E731
    else:
        width = lambda value: f"{min(value or 0, 100):.2f}"  # noqa: E731
    return [{"name": r["name"], "code": r["code"], "value": r[key], "width": width(r[key]),
             "n": r[metric["n"]] if metric["n"] else None, "d": r[metric["d"]]} for r in rows]


def chart_context(figures: dict) -> dict:
    """The geometry of the page's inline SVG charts (dgov.core.charts and cases/statistics/_rates.html)."""
    from dgov.core import charts

    totals = figures["totals"]
    shown = [m for m in metrics() if m["key"] != "satisfaction_rate" or figures["ratings_available"]]
    outcomes = [(_("Approved"), totals["approved"], 5), (_("Refused"), totals["refused"], 1),
                (_("Not accepted"), totals["not_accepted"], 4), (_("Withdrawn"), totals["withdrawn"], 3),
                (_("In progress"), totals["in_progress"], 2)]
    return {
        "per_day": charts.columns([{**d, "label": d["date"][5:]} for d in figures["per_day"]],
                                  [("received", _("Received"), 2), ("decided", _("Decided"), 5)]),
        "outcomes": charts.stack(outcomes, totals["received"]),
        "metrics": [{**m, "districts": _metric_rows(figures["by_district"], m),
                     "departments": _metric_rows(figures["by_department"], m)} for m in shown],
    }


# --- the .xlsx export -------------------------------------------------------------------------------
def columns() -> list[tuple[str, str]]:
    """The figures of a row, in the export's order: (key, header)."""
    return [
        ("received", _("Received")), ("accepted", _("Accepted")), ("decided", _("Decided")),
        ("approved", _("Approved")), ("refused", _("Refused")), ("not_accepted", _("Not accepted")),
        ("withdrawn", _("Withdrawn")), ("in_progress", _("In progress")), ("overdue_now", _("Overdue now")),
        ("online_cases", _("Applied for online")), ("online_rate", _("Online-handling rate (%)")),
        ("implementations", _("Published items")),
        ("online_implementations", _("Items that can be applied for online")),
        ("online_apply_rate", _("Online-application rate (%)")),
        ("instant_implementation_rate", _("Instant items (%)")), ("instant_case_rate", _("Instant cases (%)")),
        ("average_visits", _("Average visits per case")),
        ("one_visit_rate", _("Items needing at most one visit (%)")),
        ("one_visit_case_rate", _("Cases needing at most one visit (%)")),
        ("due", _("Due (decided or overdue)")), ("on_time", _("Decided on time")),
        ("on_time_rate", _("On-time rate (%)")),
        ("ratings", _("Ratings")), ("bad_ratings", _("Bad ratings")), ("satisfaction_rate", _("Satisfaction (%)")),
        ("average_level", _("Average rating")),
    ]


def workbook(figures: dict, filters: list[tuple[str, str]]) -> bytes:
    """The figures as an .xlsx: a summary (the filters and the totals), per district, per department
    and per day."""
    wb = Workbook(write_only=True)
    cols = columns()
    summary = wb.create_sheet(_("Summary"))
    summary.append([_("Case statistics"), timezone.localtime().strftime("%Y-%m-%d %H:%M")])
    for label, value in filters:
        summary.append([label, safe_cell(str(value))])
    for key, header in cols:
        summary.append([header, figures["totals"][key]])
    sheets = [
        (_("Districts"), [_("Code"), _("District"), *(h for _k, h in cols)],
         [[r["code"], r["name"], *(r[k] for k, _h in cols)] for r in figures["by_district"]]),
        (_("Departments"), [_("Code"), _("Department"), *(h for _k, h in cols)],
         [[r["code"], r["name"], *(r[k] for k, _h in cols)] for r in figures["by_department"]]),
        (_("Cases by day"), [_("Date"), _("Received"), _("Decided")],
         [[d["date"], d["received"], d["decided"]] for d in figures["per_day"]]),
    ]
    for title, header, rows in sheets:
        sheet = wb.create_sheet(title)
        sheet.append(header)
        for row in rows:
            sheet.append([safe_cell(cell) if isinstance(cell, str) else cell for cell in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
