"""Reads of the data responsibility list. Every user-facing read starts from
`DataDuty.objects.restrict(user, action)`: a department's data administrator sees their
department's duties, the big-data centre (scope all) every department's.

`linked` (annotated by `with_flags`) says whether a catalog entry that is not withdrawn holds the
duty's data; an active duty without one is flagged (`DataDuty.flagged`, the filter `unlinked`)."""

from types import SimpleNamespace

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from dgov.catalog.models import CatalogEntry, Status
from dgov.core.permissions import require_permission
from dgov.duties.models import DataDuty, DutyStatus

#: a duty is unlinked (flagged) when it is in force and no live entry holds its data
UNLINKED = Q(status=DutyStatus.ACTIVE, linked=False)


def with_flags(queryset: QuerySet) -> QuerySet:
    """Duties annotated with `linked`, their department and their entries (in code order) loaded."""
    live = CatalogEntry.objects.filter(duties=OuterRef("pk")).exclude(status=Status.WITHDRAWN)
    return (queryset.select_related("department").annotate(linked=Exists(live))
            .prefetch_related(Prefetch("entries", CatalogEntry.objects.order_by("code"))))


def duty_queryset() -> QuerySet:
    """The base of every list and lookup (restricted by the caller)."""
    return with_flags(DataDuty.objects.all())


def visible_duties(user, action: str = "view") -> QuerySet:
    """The duties `user` may `action`; 403 without the permission."""
    require_permission(user, DataDuty, action)
    return duty_queryset().restrict(user, action)


def counts(queryset: QuerySet) -> dict[str, int]:
    """Duties in force in `queryset`: how many, how many covered by the catalog, how many flagged."""
    totals = queryset.order_by().filter(status=DutyStatus.ACTIVE).aggregate(
        total=Count("pk"), unlinked=Count("pk", filter=Q(linked=False)))
    return {"total": totals["total"], "linked": totals["total"] - totals["unlinked"],
            "unlinked": totals["unlinked"]}


def department_summary(user) -> list[SimpleNamespace]:
    """Per department within the user's scope: the duties in force, the linked and the flagged ones
    and the share covered by the catalog (percent), in the department tree's order."""
    rows = (visible_duties(user).order_by().filter(status=DutyStatus.ACTIVE)
            .values("department__code", "department__name", "department__path")
            .annotate(total=Count("pk"), unlinked=Count("pk", filter=Q(linked=False)))
            .order_by("department__path"))
    out = []
    for row in rows:
        linked = row["total"] - row["unlinked"]
        out.append(SimpleNamespace(code=row["department__code"], name=row["department__name"], total=row["total"],
                                   linked=linked, unlinked=row["unlinked"],
                                   coverage=round(100 * linked / row["total"]) if row["total"] else 0))
    return out


def duties_of_entry(user, entry: CatalogEntry) -> QuerySet:
    """The duties whose data `entry` holds, as far as `user` may see them (none without the permission)."""
    return DataDuty.objects.restrict(user, "view").filter(entries=entry).select_related("department")
