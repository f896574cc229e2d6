"""Reads of dgov.metadata, always within the user's scope."""

from django.db.models import Count, Prefetch, Q

from dgov.aggregation.models import SourceDatabase
from dgov.core.permissions import get_scoped, require_permission
from dgov.metadata.models import Harvest, MetaChange, MetaColumn, MetaTable
from dgov.metadata.services import may_harvest_datastore


def tables(user, *, source: int | None = None, datastore: bool = False, q: str = "", department: str = "",
           include_dropped: bool = False):
    """Harvested tables in scope, with their columns (live ones unless `include_dropped`)."""
    require_permission(user, MetaTable, "view")
    columns = MetaColumn.objects.select_related("element").order_by("position")
    if not include_dropped:
        columns = columns.filter(dropped_at__isnull=True)
    qs = (MetaTable.objects.restrict(user, "view")
          .select_related("department", "source", "dataset", "last_harvest")
          .prefetch_related(Prefetch("columns", queryset=columns))
          .annotate(column_count=Count("columns", filter=Q(columns__dropped_at__isnull=True))))
    if source is not None:
        qs = qs.filter(source_id=source)
    if datastore:
        qs = qs.filter(source__isnull=True)
    if q:
        qs = qs.filter(name__icontains=q)
    if department:
        qs = qs.filter(department__code=department)
    if not include_dropped:
        qs = qs.filter(dropped_at__isnull=True)
    return qs.order_by("location", "schema", "name")


def table(user, pk: int, action: str = "view") -> MetaTable:
    return get_scoped(user, action, MetaTable.objects.select_related("department", "source", "dataset"), pk=pk)


def table_columns(table: MetaTable):
    return table.columns.select_related("element").order_by("dropped_at", "position")


def table_changes(table: MetaTable, limit: int = 50):
    return table.changes.select_related("harvest").order_by("-harvest__started_at", "kind", "column")[:limit]


def harvests(user):
    require_permission(user, Harvest, "view")
    return Harvest.objects.restrict(user, "view").select_related("source", "department", "actor")


def harvest(user, pk: int) -> Harvest:
    return get_scoped(user, "view", Harvest.objects.select_related("source", "department", "actor"), pk=pk)


def harvest_changes(harvest: Harvest):
    return (MetaChange.objects.filter(harvest=harvest).select_related("table")
            .order_by("table__schema", "table__name", "kind", "column"))


def harvestable_sources(user):
    """The source databases the user may harvest (those of departments in the `run_harvest` scope)."""
    from dgov.core.permissions import resolver

    out = []
    for source in SourceDatabase.objects.select_related("department").order_by("name"):
        if resolver().allows(user, "run", Harvest(source=source, department=source.department)):
            out.append(source)
    return out


def may_harvest(user) -> bool:
    return may_harvest_datastore(user) or bool(harvestable_sources(user))
