"""The figures of the exchange statistics page (数据交换统计) and its API, over a bounded date range
and optionally one department:

- gateway calls (`ExchangeLogEntry`) the reader may see (`selectors.visible_log`: a department's
  data administrator its own applications' calls, the big-data centre and the auditors all): per
  day (successful / refused 4xx / failed 5xx), per data service (the most called, with their
  share), per consumer application, the unsuccessful ones by status and error code with the latest
  few, and the median and 95th-percentile latency of the most called services;
- sharing requests (`sharing.selectors.visible_requests`: the consumer's and the provider's side)
  submitted in the range: per status; per approval step (provider, big-data centre) the median and
  90th percentile of the working days taken (`dgov.calendars`) against the configured deadline and
  the share decided by the step's due date; the requests overdue now.

Everything about calls is aggregated in the database (GROUP BY, a bounded number of result rows
whatever the number of calls): latencies are grouped into buckets of two significant digits (exact
below 100 ms, then to 10 ms, 100 ms…), so a percentile is the bucket's lower edge, within 10%.
Percentiles are nearest-rank. Working days need the calendar, so the decided requests' dates are
read (one row per decided request in the range, not per call).
"""

import datetime as dt
import io
import math
from dataclasses import dataclass

from django.db.models import Case, Count, F, IntegerField, Q, Sum, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from dgov.accounts.models import Application
from dgov.calendars.selectors import working_days_counter
from dgov.core import charts
from dgov.core.errors import NotFound, ValidationError
from dgov.core.importexport import safe_cell
from dgov.core.permissions import has_permission, resolver, scope_q
from dgov.exchange import selectors
from dgov.exchange.models import ExchangeLogEntry
from dgov.orgs.models import Department

DEFAULT_DAYS = 30
MAX_DAYS = 366
EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2099, 12, 31)
TOP_SERVICES = 10
TOP_APPLICATIONS = 20
TOP_FAILURES = 20
LATEST_FAILURES = 10

OK_Q = Q(status__lt=400)
REFUSED_Q = Q(status__gte=400, status__lt=500)
FAILED_Q = Q(status__gte=500)
UNSUCCESSFUL_Q = Q(status__gte=400)

#: latency_ms to two significant digits (rounded down): a bounded number of groups per service
LATENCY_BUCKET = Case(
    When(latency_ms__lt=100, then=F("latency_ms")),
    When(latency_ms__lt=1000, then=F("latency_ms") / 10 * 10),
    When(latency_ms__lt=10000, then=F("latency_ms") / 100 * 100),
    When(latency_ms__lt=100000, then=F("latency_ms") / 1000 * 1000),
    default=Value(100000), output_field=IntegerField())


@dataclass(frozen=True)
class Filters:
    since: dt.date
    until: dt.date
    department: Department | None = None

    def as_dict(self) -> dict:
        return {"since": self.since.isoformat(), "until": self.until.isoformat(),
                "department": self.department.code if self.department else ""}


def departments_in_scope(user) -> list[Department]:
    """The departments whose calls and requests `user` may count: every department for a scope of
    all, else those the user's exchange-log grants reach (the filter's choices)."""
    q = scope_q(user, ExchangeLogEntry, "view")
    if q is None:
        return []
    departments = Department.objects.select_related("region").order_by("path")
    if not q:
        return list(departments)
    scoped = resolver()
    return [d for d in departments
            if scoped.allows(user, "view", ExchangeLogEntry(application=Application(department=d)))]


def parse_filters(user, *, since: dt.date | None = None, until: dt.date | None = None, department: str = "",
                  today: dt.date | None = None) -> Filters:
    """The date range (default: the last 30 days up to today; at most MAX_DAYS days) and the
    department (a code; 404 when unknown or outside the user's scope)."""
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
    if errors:
        raise ValidationError(details=errors)
    chosen = None
    if department and department.strip():
        selectors.visible_log(user)  # 403 without the permission before 404
        chosen = Department.objects.select_related("region").filter(code=department.strip()).first()
        if chosen is None or not resolver().allows(user, "view",
                                                   ExchangeLogEntry(application=Application(department=chosen))):
            raise NotFound()
    return Filters(since, until, chosen)


def _percentile(counts: list[tuple[int, int]], p: float) -> int | None:
    """Nearest-rank percentile of a histogram [(value, count), …] sorted by value."""
    total = sum(n for _value, n in counts)
    if not total:
        return None
    rank, seen = max(1, math.ceil(p / 100 * total)), 0
    for value, n in counts:
        seen += n
        if seen >= rank:
            return value
    return counts[-1][0]


def _share(n: int, total: int) -> float:
    return round(100 * n / total, 1) if total else 0.0


# --- calls ----------------------------------------------------------------------------------------
def _calls(user, filters: Filters) -> dict:
    start = timezone.make_aware(dt.datetime.combine(filters.since, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(filters.until + dt.timedelta(days=1), dt.time.min))
    log = selectors.visible_log(user).filter(occurred_at__gte=start, occurred_at__lt=end).order_by()
    if filters.department is not None:
        log = log.filter(application__department=filters.department)
    outcomes = {"ok": Count("pk", filter=OK_Q), "refused": Count("pk", filter=REFUSED_Q),
                "failed": Count("pk", filter=FAILED_Q)}
    totals = log.aggregate(total=Count("pk"), rows=Sum("rows"), **outcomes)
    total = totals["total"]

    days = {row["day"]: row for row in log.annotate(day=TruncDate("occurred_at")).values("day").annotate(**outcomes)}
    per_day = []
    for i in range((filters.until - filters.since).days + 1):
        day = filters.since + dt.timedelta(days=i)
        row = days.get(day, {})
        per_day.append({"date": day.isoformat(), "ok": row.get("ok", 0), "refused": row.get("refused", 0),
                        "failed": row.get("failed", 0)})

    services = list(log.values("service_code").annotate(calls=Count("pk"), failed=Count("pk", filter=UNSUCCESSFUL_Q))
                    .order_by("-calls", "service_code")[:TOP_SERVICES])
    from dgov.catalog.models import CatalogEntry

    codes = [s["service_code"] for s in services if s["service_code"]]
    names = dict(CatalogEntry.objects.filter(code__in=codes).values_list("code", "name"))
    latency: dict[str, list[tuple[int, int]]] = {code: [] for code in codes}
    for row in (log.filter(OK_Q, service_code__in=codes).annotate(bucket=LATENCY_BUCKET)
                .values("service_code", "bucket").annotate(n=Count("pk")).order_by("service_code", "bucket")):
        latency[row["service_code"]].append((row["bucket"], row["n"]))
    by_service = [{
        "service_code": s["service_code"],
        "name": names.get(s["service_code"], "") if s["service_code"] else _("(no data service named)"),
        "count": s["calls"], "failed": s["failed"], "percent": _share(s["calls"], total),
        "p50_ms": _percentile(latency.get(s["service_code"], []), 50),
        "p95_ms": _percentile(latency.get(s["service_code"], []), 95),
    } for s in services]

    applications = (log.values("application_id", "application__code", "application__name")
                    .annotate(calls=Count("pk"), failed=Count("pk", filter=UNSUCCESSFUL_Q))
                    .order_by("-calls", "application__code")[:TOP_APPLICATIONS])
    by_application = [{
        "code": a["application__code"] or "",
        "name": a["application__name"] if a["application_id"] else _("Unauthenticated callers (no valid "
                                                                     "signature)"),
        "count": a["calls"], "failed": a["failed"], "percent": _share(a["calls"], total),
    } for a in applications]

    unsuccessful = log.filter(UNSUCCESSFUL_Q)
    by_status = [{"status": f["status"], "error_code": f["error_code"], "count": f["n"],
                  "percent": _share(f["n"], totals["refused"] + totals["failed"])}
                 for f in unsuccessful.values("status", "error_code").annotate(n=Count("pk"))
                 .order_by("-n", "status", "error_code")[:TOP_FAILURES]]
    latest = [{**row, "occurred_at": timezone.localtime(row["occurred_at"])} for row in unsuccessful.order_by(
        "-occurred_at", "-id").values("id", "occurred_at", "request_id", "app_code", "service_code", "status",
                                      "error_code")[:LATEST_FAILURES]]
    return {
        "total": total, "ok": totals["ok"], "refused": totals["refused"], "failed": totals["failed"],
        "rows": totals["rows"] or 0, "failed_percent": _share(totals["refused"] + totals["failed"], total),
        "per_day": per_day, "by_service": by_service, "by_application": by_application,
        "failures_by_status": by_status, "latest_failures": latest,
    }


# --- sharing requests -----------------------------------------------------------------------------
def _step(spans: list[tuple[dt.date, dt.date, dt.date | None]], count, deadline: int) -> dict:
    """One approval step: spans (began, decided, due on) → working days taken against the deadline."""
    taken = sorted(count(began, decided) for began, decided, _due in spans)
    within = sum(decided <= due if due else count(began, decided) <= deadline for began, decided, due in spans)
    histogram = [(d, taken.count(d)) for d in sorted(set(taken))]
    return {"deadline_days": deadline, "decided": len(spans), "within_deadline": within,
            "within_percent": _share(within, len(spans)), "median_days": _percentile(histogram, 50),
            "p90_days": _percentile(histogram, 90), "max_days": taken[-1] if taken else None}


def _requests(user, filters: Filters, today: dt.date) -> dict | None:
    from dgov.sharing import selectors as sharing
    from dgov.sharing.models import SharingRequest, Status, overdue_q
    from dgov.sharing.services import centre_days, provider_days

    if not has_permission(user, SharingRequest, "view"):
        return None
    scoped = sharing.visible_requests(user).order_by()
    if filters.department is not None:
        scoped = scoped.filter(Q(department=filters.department) | Q(provider=filters.department))
    overdue = scoped.aggregate(provider=Count("pk", filter=overdue_q(today) & Q(status=Status.SUBMITTED)),
                               centre=Count("pk", filter=overdue_q(today) & Q(status=Status.PROVIDER_APPROVED)))
    submitted = scoped.filter(submitted_on__gte=filters.since, submitted_on__lte=filters.until)
    statuses = dict(submitted.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    total = sum(statuses.values())
    decided = list(submitted.filter(provider_decided_at__isnull=False).values_list(
        "submitted_on", "provider_decided_at", "provider_due_on", "centre_decided_at", "centre_due_on"))
    provider, centre = [], []
    for submitted_on, provider_at, provider_due, centre_at, centre_due in decided:
        provider_on = timezone.localdate(provider_at)
        provider.append((submitted_on, provider_on, provider_due))
        if centre_at is not None:
            centre.append((provider_on, timezone.localdate(centre_at), centre_due))
    dates = [d for span in provider + centre for d in span[:2]]
    count = working_days_counter(min(dates), max(dates)) if dates else None
    return {
        "total": total,
        "by_status": [{"value": value, "name": str(label), "count": statuses.get(value, 0),
                       "percent": _share(statuses.get(value, 0), total)} for value, label in Status.choices],
        "provider": _step(provider, count, provider_days()),
        "centre": _step(centre, count, centre_days()),
        "overdue": {"provider": overdue["provider"], "centre": overdue["centre"],
                    "total": overdue["provider"] + overdue["centre"]},
    }


def statistics(user, filters: Filters, *, today: dt.date | None = None) -> dict:
    """The figures (see the module's docstring). 403 without the exchange log's view permission;
    `requests` is None for a reader who may not see sharing requests."""
    today = today or timezone.localdate()
    return {"filters": filters.as_dict(), "calls": _calls(user, filters),
            "requests": _requests(user, filters, today)}


# --- the page's charts ----------------------------------------------------------------------------
def _scaled(value, peak) -> str:
    return f"{100 * (value or 0) / peak:.2f}" if peak else "0"


def chart_context(figures: dict) -> dict:
    """The geometry of the page's inline SVG charts (dgov.core.charts and the exchange partials)."""
    calls = figures["calls"]
    series = [("ok", _("Successful"), 2), ("refused", _("Refused (4xx)"), 4), ("failed", _("Failed (5xx)"), 1)]
    per_day = charts.columns([{**d, "label": d["date"][5:]} for d in calls["per_day"]], series)
    peak_ms = max((s["p95_ms"] or 0 for s in calls["by_service"]), default=0)
    latency = [{**s, "p50_width": _scaled(s["p50_ms"], peak_ms), "p95_width": _scaled(s["p95_ms"], peak_ms)}
               for s in calls["by_service"] if s["p95_ms"] is not None]
    out = {
        "per_day": per_day,
        "services": charts.bars([{**s, "name": f"{s['name']}（{s['service_code']}）" if s["service_code"]
                                  else s["name"]} for s in calls["by_service"]]),
        "applications": charts.bars([{**a, "name": f"{a['name']}（{a['code']}）" if a["code"] else a["name"]}
                                     for a in calls["by_application"]]),
        "failures": charts.bars([{**f, "name": f"{f['status']} {f['error_code']}".strip()}
                                 for f in calls["failures_by_status"]]),
        "outcomes": charts.stack([(label, calls[key], n) for key, label, n in series], calls["total"]),
        "latency": latency,
    }
    requests = figures["requests"]
    if requests is not None:
        steps = []
        for key, label in (("provider", _("Provider department")), ("centre", _("Big-data centre"))):
            step = requests[key]
            peak = max(step["p90_days"] or 0, step["deadline_days"]) * 1.2
            steps.append({**step, "key": key, "label": label, "median_width": _scaled(step["median_days"], peak),
                          "p90_width": _scaled(step["p90_days"], peak),
                          "deadline_x": _scaled(step["deadline_days"], peak)})
        out["steps"] = steps
        out["request_statuses"] = charts.bars(requests["by_status"])
    return out


# --- the .xlsx export -----------------------------------------------------------------------------
def workbook(figures: dict, filters: list[tuple[str, str]]) -> bytes:
    """The figures as an .xlsx: a summary sheet (with the filters applied) and one sheet per chart."""
    calls, requests = figures["calls"], figures["requests"]
    wb = Workbook(write_only=True)
    summary = wb.create_sheet(_("Summary"))
    summary.append([_("Data exchange statistics"), timezone.localtime().strftime("%Y-%m-%d %H:%M")])
    for label, value in filters:
        summary.append([label, safe_cell(str(value))])
    summary.append([_("Calls"), calls["total"]])
    summary.append([_("Successful"), calls["ok"]])
    summary.append([_("Refused (4xx)"), calls["refused"]])
    summary.append([_("Failed (5xx)"), calls["failed"]])
    summary.append([_("Rows returned"), calls["rows"]])
    if requests is not None:
        summary.append([_("Sharing requests submitted"), requests["total"]])
        summary.append([_("Overdue now"), requests["overdue"]["total"]])
    sheets = [
        (_("Calls by day"), [_("Date"), _("Successful"), _("Refused (4xx)"), _("Failed (5xx)")],
         [[d["date"], d["ok"], d["refused"], d["failed"]] for d in calls["per_day"]]),
        (_("Data services"), [_("Service code"), _("Data service"), _("Calls"), _("Share (%)"), _("Unsuccessful"),
                              _("Median latency (ms)"), _("95th percentile latency (ms)")],
         [[s["service_code"], s["name"], s["count"], s["percent"], s["failed"], s["p50_ms"], s["p95_ms"]]
          for s in calls["by_service"]]),
        (_("Consumer applications"), [_("Application code"), _("Consumer application"), _("Calls"), _("Share (%)"),
                                      _("Unsuccessful")],
         [[a["code"], a["name"], a["count"], a["percent"], a["failed"]] for a in calls["by_application"]]),
        (_("Unsuccessful calls"), [_("Status"), _("Error code"), _("Calls"), _("Share (%)")],
         [[f["status"], f["error_code"], f["count"], f["percent"]] for f in calls["failures_by_status"]]),
    ]
    if requests is not None:
        sheets += [
            (_("Sharing requests"), [_("Status"), _("Requests"), _("Share (%)")],
             [[s["name"], s["count"], s["percent"]] for s in requests["by_status"]]),
            (_("Approval times"), [_("Step"), _("Deadline (working days)"), _("Decided"), _("Within the deadline"),
                                   _("Share within the deadline (%)"), _("Median (working days)"),
                                   _("90th percentile (working days)"), _("Overdue now")],
             [[label, s["deadline_days"], s["decided"], s["within_deadline"], s["within_percent"], s["median_days"],
               s["p90_days"], requests["overdue"][key]]
              for key, label, s in (("provider", _("Provider department"), requests["provider"]),
                                    ("centre", _("Big-data centre"), requests["centre"]))]),
        ]
    for title, header, rows in sheets:
        sheet = wb.create_sheet(title)
        sheet.append(header)
        for row in rows:
            sheet.append([safe_cell(cell) if isinstance(cell, str) else cell for cell in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
