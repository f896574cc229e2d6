"""Reads of data aggregation, each from `restrict(user, action)`: the source databases, datasets, load
jobs and load runs a user may see (the provider department's own; the big-data centre's: all)."""

from django.db.models import Prefetch, Q, QuerySet

from dgov.aggregation.models import Dataset, DatasetColumn, LoadRun, SourceDatabase, SourceMapping
from dgov.catalog.models import CatalogEntry
from dgov.catalog.models import Status as EntryStatus
from dgov.core.permissions import get_scoped, require_permission, scope_q


def visible_sources(user, *, department: str = "", kind: str = "", q: str = "") -> QuerySet:
    require_permission(user, SourceDatabase, "view")
    qs = SourceDatabase.objects.restrict(user, "view").select_related("department")
    if department:
        qs = qs.filter(department__code=department)
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(name__icontains=q)
    return qs


def source_for(user, pk: int, action: str = "view") -> SourceDatabase:
    return get_scoped(user, action, SourceDatabase.objects.select_related("department"), pk=pk)


def _datasets():
    return Dataset.objects.select_related("entry", "entry__department").prefetch_related(
        Prefetch("columns", DatasetColumn.objects.order_by("position")))


def visible_datasets(user, *, department: str = "", q: str = "") -> QuerySet:
    require_permission(user, Dataset, "view")
    qs = _datasets().restrict(user, "view")
    if department:
        qs = qs.filter(entry__department__code=department)
    if q:
        qs = qs.filter(Q(entry__name__icontains=q) | Q(entry__code__startswith=q))
    return qs


def dataset_for(user, pk: int, action: str = "view") -> Dataset:
    return get_scoped(user, action, _datasets(), pk=pk)


def _strip(q: Q, prefix: str) -> Q:
    """`q` on Dataset (lookups through `entry__`) as the same Q on CatalogEntry."""
    out = Q()
    out.connector, out.negated = q.connector, q.negated
    for child in q.children:
        if isinstance(child, Q):
            out.children.append(_strip(child, prefix))
        else:
            key, value = child
            out.children.append((key.removeprefix(prefix), value))
    return out


def entries_without_dataset(user) -> QuerySet:
    """Published catalog entries without a dataset for which the user may add one."""
    q = scope_q(user, Dataset, "add")
    if q is None:
        return CatalogEntry.objects.none()
    return (CatalogEntry.objects.filter(_strip(q, "entry__"), status=EntryStatus.PUBLISHED, dataset__isnull=True)
            .select_related("department").order_by("code"))


def _mappings():
    return SourceMapping.objects.select_related("dataset", "dataset__entry", "dataset__entry__department", "source")


def visible_mappings(user, *, dataset: int | None = None, source: int | None = None, q: str = "") -> QuerySet:
    require_permission(user, SourceMapping, "view")
    qs = _mappings().restrict(user, "view")
    if dataset:
        qs = qs.filter(dataset_id=dataset)
    if source:
        qs = qs.filter(source_id=source)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(dataset__entry__name__icontains=q))
    return qs


def mapping_for(user, pk: int, action: str = "view") -> SourceMapping:
    return get_scoped(user, action, _mappings(), pk=pk)


def _runs():
    return LoadRun.objects.select_related("mapping", "dataset", "dataset__entry", "actor")


def visible_runs(user, *, dataset: int | None = None, mapping: int | None = None, status: str = "") -> QuerySet:
    require_permission(user, LoadRun, "view")
    qs = _runs().restrict(user, "view").defer("rejects")  # up to 1000 reasons a run: for its own page
    if dataset:
        qs = qs.filter(dataset_id=dataset)
    if mapping:
        qs = qs.filter(mapping_id=mapping)
    if status:
        qs = qs.filter(status=status)
    return qs


def run_for(user, pk: int) -> LoadRun:
    return get_scoped(user, "view", _runs(), pk=pk)
