"""The figures of 证照统计: the licences the reader may see by type, by issuing department and by status; in
a date range (default the last 30 days, at most 366), the pulls through grants by the department that
pulled, and the verifications by day, by method and by outcome. Everything is counted in the database
(GROUP BY): the number of queries does not grow with the rows.

Scope: the licences of the issuing departments in the reader's `view` scope; their pulls; the
verifications of their licences (verifications of unknown identifiers and files only for readers whose
scope is everything)."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from dgov.core import charts
from dgov.core.errors import ValidationError
from dgov.core.permissions import require_permission, scope_q
from dgov.licenses.models import License, LicenseStatus, LicenseUse, Method, Verification

DEFAULT_DAYS, MAX_DAYS = 30, 366


@dataclass(frozen=True)
class Period:
    since: dt.date
    until: dt.date


def period(since: dt.date | None = None, until: dt.date | None = None) -> Period:
    until = until or timezone.localdate()
    since = since or until - dt.timedelta(days=DEFAULT_DAYS - 1)
    if since > until:
        raise ValidationError(details={"until": [_("The end date is before the start date.")]})
    if (until - since).days + 1 > MAX_DAYS:
        raise ValidationError(details={"since": [_("Choose at most %(days)d days at once.") % {"days": MAX_DAYS}]})
    return Period(since, until)


def _rows(qs, field: str) -> list[dict]:
    counted = qs.values(field).annotate(n=Count("pk")).order_by("-n", field)
    rows = [{"name": r[field] or "—", "count": r["n"]} for r in counted]
    total = sum(r["count"] for r in rows)
    return charts.bars([{**r, "percent": 100 * r["count"] / total if total else 0} for r in rows])


def _within(qs, p: Period, field: str):
    start = timezone.make_aware(dt.datetime.combine(p.since, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(p.until + dt.timedelta(days=1), dt.time.min))
    return qs.filter(**{f"{field}__gte": start, f"{field}__lt": end})


def figures(user, p: Period) -> dict:
    require_permission(user, License, "view")
    q = scope_q(user, License, "view")
    licenses = License.objects.filter(q)
    uses = LicenseUse.objects.filter(license__in=licenses.values("pk"))
    # The verification's type and issuer are the licence's: the licence's scope applies to them as it is.
    verifications = Verification.objects.filter(q) if q else Verification.objects.all()
    verifications = _within(verifications, p, "at")
    by_status = {r["status"]: r["n"] for r in licenses.values("status").annotate(n=Count("pk"))}
    per_day = {r["day"]: r for r in verifications.annotate(day=TruncDate("at")).values("day").annotate(
        ok=Count("pk", filter=Q(valid=True)), failed=Count("pk", filter=Q(valid=False))).order_by("day")}
    days = [p.since + dt.timedelta(days=n) for n in range((p.until - p.since).days + 1)]
    periods = [{"label": f"{d:%m-%d}", "ok": per_day.get(d, {}).get("ok", 0),
                "failed": per_day.get(d, {}).get("failed", 0)} for d in days]
    methods = dict(Method.choices)
    by_method = [{**r, "name": str(methods.get(r["name"], r["name"]))} for r in _rows(verifications, "method")]
    return {
        "period": p,
        "licenses": {"total": sum(by_status.values()), "valid": by_status.get(LicenseStatus.VALID, 0),
                     "revoked": by_status.get(LicenseStatus.REVOKED, 0)},
        "by_type": _rows(licenses.exclude(status=LicenseStatus.CHANGED), "license_type__name"),
        "by_issuer": _rows(licenses.exclude(status=LicenseStatus.CHANGED), "issuer__name"),
        "by_status": [{**r, "name": str(LicenseStatus(r["name"]).label) if r["name"] in LicenseStatus.values
                       else r["name"]} for r in _rows(licenses, "status")],
        "uses": {"total": _within(uses, p, "at").count(),
                 "by_department": _rows(_within(uses, p, "at"), "department__name")},
        "verifications": {"total": sum(r["ok"] + r["failed"] for r in periods),
                          "valid": sum(r["ok"] for r in periods), "by_method": by_method,
                          "per_day": charts.columns(periods, [("ok", _("Verified valid"), 2),
                                                              ("failed", _("Verified not valid"), 1)])},
    }
