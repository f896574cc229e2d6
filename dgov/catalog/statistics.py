"""The figures of the statistics page (数据资源统计) and its API: entries per department, the shares
of the sharing and open types, entries holding personal data, entries whose data is older than
their update cycle, entries per status — all over the entries the reader may see
(`selectors.visible_entries`), narrowed by region, department and status.
"""

import datetime as dt
import io

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from dgov.catalog.models import (
    UPDATE_CYCLE_DAYS,
    DataItem,
    OpenType,
    PersonalDataClass,
    SharingType,
    Status,
    UpdateCycle,
)
from dgov.catalog.selectors import visible_entries
from dgov.core.errors import ValidationError
from dgov.core.importexport import safe_cell
from dgov.orgs.models import Region
from dgov.orgs.selectors import normalize_region_code

_CHOICES = {"sharing_type": SharingType, "open_type": OpenType}


def stale_q(today: dt.date | None = None) -> Q:
    """Entries whose data is older than their update cycle allows (UPDATE_CYCLE_DAYS): last
    updated before today minus the cycle. Irregular cycles and entries without a date never are."""
    today = today or timezone.localdate()
    q = Q(pk__in=[])
    for cycle, days in UPDATE_CYCLE_DAYS.items():
        q |= Q(update_cycle=cycle, data_updated_on__lt=today - dt.timedelta(days=days))
    return q


def personal_q(kind: str | None = None) -> Q:
    """Entries holding personal data (any kind, or `kind`: personal, sensitive) in a data item."""
    items = DataItem.objects.exclude(personal_data=PersonalDataClass.NONE) if kind is None else \
        DataItem.objects.filter(personal_data=kind)
    return Q(pk__in=items.values("entry_id"))


STATISTICS_FILTERS = ("region", "department", "status")


def statistics_entries(user, filters: dict | None = None) -> QuerySet:
    """The entries the statistics count: those `user` may see, narrowed by region (the region and
    everything below it), department (a code) and status."""
    entries = visible_entries(user)
    filters = {k: (v or "").strip() for k, v in (filters or {}).items() if k in STATISTICS_FILTERS}
    if filters.get("region"):
        try:
            code = normalize_region_code(filters["region"])
        except ValidationError as exc:
            raise ValidationError(details={"region": exc.details.get("code", [])}) from None
        region = Region.objects.filter(code=code).first()
        if region is None:
            raise ValidationError(details={"region": [_("No region has this code.")]})
        entries = entries.filter(region__path__startswith=region.path)
    if filters.get("department"):
        entries = entries.filter(department__code=filters["department"])
    if filters.get("status"):
        if filters["status"] not in Status.values:
            raise ValidationError(details={"status": [_("Choose one of the allowed values.")]})
        entries = entries.filter(status=filters["status"])
    return entries


def _shares(entries, field: str) -> list[dict]:
    labels = dict(_CHOICES[field].choices)
    counts = dict(entries.order_by().values_list(field).annotate(n=Count("pk")).values_list(field, "n"))
    total = sum(counts.values())
    return [{"value": value, "name": str(labels[value]), "count": counts.get(value, 0),
             "percent": round(100 * counts.get(value, 0) / total, 1) if total else 0.0}
            for value in _CHOICES[field].values]


def statistics(user, filters: dict | None = None, *, today: dt.date | None = None) -> dict:
    """The figures of the statistics page (数据资源统计) over the entries `user` may see, filtered:
    total; entries per department (most first); the shares of the sharing and open types; entries
    holding personal data (any, and sensitive); entries whose data is older than their update
    cycle; entries per status."""
    entries = statistics_entries(user, filters)
    total = entries.count()
    departments = (entries.order_by().values("department__code", "department__name")
                   .annotate(n=Count("pk")).order_by("-n", "department__code"))
    stale = entries.filter(stale_q(today)).count()
    personal = entries.filter(personal_q()).count()
    sensitive = entries.filter(personal_q(PersonalDataClass.SENSITIVE)).count()
    statuses = dict(entries.order_by().values_list("status").annotate(n=Count("pk")).values_list("status", "n"))

    def share(n):
        return round(100 * n / total, 1) if total else 0.0

    return {
        "total": total,
        "by_department": [{"code": d["department__code"], "name": d["department__name"], "count": d["n"],
                           "percent": share(d["n"])} for d in departments],
        "by_sharing_type": _shares(entries, "sharing_type"),
        "by_open_type": _shares(entries, "open_type"),
        "personal_data": {"count": personal, "sensitive": sensitive, "percent": share(personal)},
        "stale": {"count": stale, "percent": share(stale),
                  "undated": entries.filter(data_updated_on__isnull=True).exclude(
                      update_cycle=UpdateCycle.IRREGULAR).count()},
        "by_status": [{"value": value, "name": str(label), "count": statuses.get(value, 0)}
                      for value, label in Status.choices],
    }


def workbook(figures: dict, filters: list[tuple[str, str]]) -> bytes:
    """The figures as an .xlsx: a summary sheet (with the filters applied) and one sheet per chart."""
    wb = Workbook(write_only=True)
    summary = wb.create_sheet(_("Summary"))
    summary.append([_("Data resource statistics"), timezone.localtime().strftime("%Y-%m-%d %H:%M")])
    for label, value in filters:
        summary.append([label, safe_cell(str(value))])
    summary.append([_("Entries"), figures["total"]])
    summary.append([_("Entries holding personal data"), figures["personal_data"]["count"]])
    summary.append([_("Entries holding sensitive personal data"), figures["personal_data"]["sensitive"]])
    summary.append([_("Entries whose data is older than their update cycle"), figures["stale"]["count"]])
    summary.append([_("Entries without a date of the last update"), figures["stale"]["undated"]])
    sheets = [
        (_("Departments"), [_("Provider department code"), _("Provider department"), _("Entries"), _("Share (%)")],
         [[d["code"], d["name"], d["count"], d["percent"]] for d in figures["by_department"]]),
        (_("Sharing type"), [_("Sharing type"), _("Entries"), _("Share (%)")],
         [[s["name"], s["count"], s["percent"]] for s in figures["by_sharing_type"]]),
        (_("Open type"), [_("Open type"), _("Entries"), _("Share (%)")],
         [[s["name"], s["count"], s["percent"]] for s in figures["by_open_type"]]),
        (_("Status"), [_("Status"), _("Entries")], [[s["name"], s["count"]] for s in figures["by_status"]]),
    ]
    for title, header, rows in sheets:
        sheet = wb.create_sheet(title)
        sheet.append(header)
        for row in rows:
            sheet.append([safe_cell(cell) if isinstance(cell, str) else cell for cell in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
