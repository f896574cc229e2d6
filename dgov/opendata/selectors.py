"""Reads of dgov.opendata.

The public side (`published`, `published_dataset`, `search`) needs no user: it is what anyone may read —
published open datasets whose catalog entry is still published, still opened and not on the negative list.
The officials' side (`datasets`, `dataset_for`) is scoped with `restrict(user, action)`.
"""

import datetime as dt
import uuid

from django.core.cache import cache
from django.db.models import Avg, Count, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from dgov.aggregation import datastore
from dgov.aggregation.models import LoadRun
from dgov.catalog import search as catalog_search
from dgov.catalog.models import CatalogEntry, NegativeListItem, Status
from dgov.core.cache import CATALOG, OPEN_DATA, REFERENCE, ProcessCache
from dgov.core.errors import NotFound
from dgov.core.permissions import get_scoped, require_permission
from dgov.opendata.models import (
    AccessApplication,
    DataRequest,
    DatasetRating,
    DatasetStatus,
    DeveloperKey,
    KeyUsage,
    OpenDataset,
    RequestStatus,
    Topic,
)
from dgov.opendata.services import OPEN_TYPES, store_of

#: facets the portal and `package_search` offer: name → the field counted
FACETS = {
    "topic": "topics__code",
    "department": "entry__department__code",
    "format": "entry__format",
    "open_type": "entry__open_type",
    "update_cycle": "entry__update_cycle",
}
#: what else the CKAN API counts (license_id)
COUNTED = {**FACETS, "license": "license"}
_TOPIC_LINKS = OpenDataset.topics.through
#: summaries by the SQL of the datasets they count (see `summarised`)
_SUMMARIES = ProcessCache("opendata-summaries", maxsize=2000, ttl=300)
CHART_SECONDS = 24 * 3600
SORTS = {"modified": "-modified_at", "published": "-published_at", "title": "title", "views": "-view_count",
         "downloads": "-download_count"}


def published() -> QuerySet:
    """Every dataset the public may see."""
    listed = NegativeListItem.objects.filter(item_name="").values("resource_code")
    return (OpenDataset.objects.filter(status=DatasetStatus.PUBLISHED, entry__status=Status.PUBLISHED,
                                       entry__open_type__in=OPEN_TYPES)
            .exclude(entry__code__in=listed)
            .select_related("entry", "entry__department", "entry__region", "entry__classification"))


def published_dataset(ref: str) -> OpenDataset:
    """A published dataset by CKAN id (uuid) or name; 404 otherwise (unpublished ones included: the public
    cannot tell them from missing ones)."""
    ref = (ref or "").strip()
    q = Q(name=ref)
    try:
        q |= Q(uuid=uuid.UUID(ref))
    except ValueError:
        pass
    dataset = published().filter(q).prefetch_related("topics").first()
    if dataset is None:
        raise NotFound()
    return dataset


def filter_facet(qs: QuerySet, facet: str, values: list) -> QuerySet:
    """`qs` narrowed to the datasets holding any of `values` of `facet` (a name of FACETS or COUNTED). Topics
    are matched through a subquery, so that a dataset in several topics stays one row (no DISTINCT needed)."""
    if facet == "topic":
        return qs.filter(pk__in=_TOPIC_LINKS.objects.filter(topic__code__in=values).values("opendataset_id"))
    return qs.filter(**{f"{COUNTED[facet]}__in": values})


def search(*, q: str = "", filters: dict[str, list[str]] | None = None, sort: str = "modified",
           facets: tuple[str, ...] = tuple(FACETS)) -> tuple[QuerySet, dict[str, list[tuple[str, int]]]]:
    """Published datasets matching `q` (the catalog's Chinese search over the entry) and `filters`
    ({facet: [values]}: values of one facet ORed, facets ANDed), ordered by `sort`; and for each of `facets` the
    values present with their counts (over the matching datasets), most frequent first (`facet_counts`)."""
    qs = published()
    if q and q.strip():
        qs = qs.filter(entry__in=catalog_search.filter_query(CatalogEntry.objects.all(), q))
    for facet, values in (filters or {}).items():
        if values:
            qs = filter_facet(qs, facet, values)
    counts = facet_counts(qs, facets)["facets"] if facets else {}
    return qs.order_by(SORTS.get(sort, "-modified_at"), "pk"), counts


def summarised(qs: QuerySet, build, *what):
    """`build()`, a summary of the datasets of `qs` (how many, facet counts), kept per process until an open
    dataset, the catalog or the reference data change (an audited write bumps their generations), as Solr's
    query result cache keeps CKAN's: a repeated search is counted once per change, not once per visit.
    `what` tells summaries of the same datasets apart."""
    generation = (OPEN_DATA.current(), CATALOG.current(), REFERENCE.current())
    return _SUMMARIES.get_or_build_over(qs, generation, build, *what)


def facet_counts(qs: QuerySet, facets: tuple[str, ...] = tuple(FACETS)) -> dict:
    """{"count": how many datasets `qs` holds, "facets": {facet: [(value, count), …]}} for `facets` (names of
    COUNTED), each most frequent first; kept (`summarised`)."""
    def build():
        return {"count": qs.count(), "facets": {facet: value_counts(qs, facet) for facet in facets}}

    return summarised(qs, build, "facets", tuple(facets))


def value_counts(qs: QuerySet, facet: str) -> list[tuple[str, int]]:
    """One GROUP BY: every dataset is one row of `qs` and holds one value of each field (several topics)."""
    if facet == "topic":
        rows = (_TOPIC_LINKS.objects.filter(opendataset__in=qs.values("pk")).values_list("topic__code")
                .annotate(n=Count("pk")).order_by("-n", "topic__code"))
    else:
        field = COUNTED[facet]
        rows = (qs.order_by().exclude(**{f"{field}__isnull": True}).values_list(field)
                .annotate(n=Count("pk")).order_by("-n", field))
    return [(value, n) for value, n in rows]


def topics() -> list[Topic]:
    """The topics, each with `count`: its published datasets (kept: `summarised`; read-only)."""
    qs = published()
    return summarised(qs, lambda: list(
        Topic.objects.annotate(count=Count("datasets", filter=Q(datasets__in=qs), distinct=True))
        .order_by("position", "code")), "topics")


def organisations() -> list:
    """The departments with published datasets, each with `count`, most first (kept: `summarised`)."""
    qs = published()

    def build():
        rows = (qs.values("entry__department__code", "entry__department__name")
                .annotate(n=Count("pk")).order_by("-n", "entry__department__code"))
        return [{"code": r["entry__department__code"], "name": r["entry__department__name"], "count": r["n"]}
                for r in rows]

    return summarised(qs, build, "organisations")


def datasets(user, *, status: str = "", q: str = "") -> QuerySet:
    """Open datasets of the user's scope (officials), any status."""
    require_permission(user, OpenDataset, "view")
    qs = OpenDataset.objects.restrict(user, "view").select_related("entry", "entry__department")
    if status:
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(entry__code__icontains=q))
    return qs.order_by("-updated_at", "-pk")


def dataset_for(user, pk, action: str = "view") -> OpenDataset:
    return get_scoped(user, action, OpenDataset.objects.select_related("entry", "entry__department"), pk=pk)


def scoped(user, model, *, status: str = "", related: tuple = ()) -> QuerySet:
    """Objects of `model` in the user's scope for "view" (applications, data requests: those addressed to the
    departments of the scope), optionally of one status, pending first then newest (the officials' lists)."""
    require_permission(user, model, "view")
    qs = model.objects.restrict(user, "view").select_related(*related)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("status", "-created_at", "-pk")


APPLICATION_RELATED = ("dataset", "dataset__entry__department", "applicant", "decided_by")


def my_applications(user, *, status: str = "") -> QuerySet:
    """The user's own applications, newest first."""
    qs = AccessApplication.objects.filter(applicant=user).select_related(*APPLICATION_RELATED)
    return (qs.filter(status=status) if status else qs).order_by("-created_at", "-pk")


def application_for(user, pk, action: str = "view") -> AccessApplication:
    """One application: the applicant's own, or one in the user's scope for `action` (404 outside it, 403
    without the permission)."""
    qs = AccessApplication.objects.select_related(*APPLICATION_RELATED)
    own = qs.filter(pk=pk, applicant_id=getattr(user, "pk", None)).first() if action == "view" else None
    return own or get_scoped(user, action, qs, pk=pk)


def row_count(entry: CatalogEntry) -> int:
    dataset = store_of(entry)
    return datastore.count(dataset, cached=True) if dataset is not None else 0


def chart_for(entry: CatalogEntry, columns: list) -> dict | None:
    """A simple chart where the data suits one: the rows per value of the first opened, unmasked, non-key text
    column holding 2 to 12 distinct values (over every live row). None when no column suits. Kept in the cache
    until the data is loaded again: finding the column reads the table."""
    dataset = store_of(entry)
    if dataset is None:
        return None
    candidates = [c for c in columns if c.data_type == "string" and c.mask == "none" and not c.is_key]
    loaded = dataset.last_loaded_at.timestamp() if dataset.last_loaded_at else 0
    key = f"opendata:chart:{dataset.pk}:{dataset.last_seq}:{loaded:.0f}:" + ",".join(c.name for c in candidates)

    def find():
        for column in candidates:
            top = datastore.value_counts(dataset, column.name, limit=12)
            if 2 <= len(top) <= 12:
                return {"column": column.name, "rows": [{"name": value, "count": n} for value, n in top]}
        return {}  # no column suits (cached too)

    found = cache.get_or_set(key, find, CHART_SECONDS)
    if not found:
        return None
    return {"column": next(c for c in candidates if c.name == found["column"]), "rows": found["rows"]}


def data_history(entry: CatalogEntry, limit: int = 10) -> list:
    """The latest successful loads of the entry's data (when the data changed and how much)."""
    return list(LoadRun.objects.filter(dataset__entry=entry, status=LoadRun.Status.SUCCEEDED)
                .order_by("-started_at")[:limit])


def counts() -> dict:
    """Headline figures of the portal (kept: `summarised`)."""
    qs = published()
    return summarised(qs, lambda: {
        "datasets": qs.count(), "departments": qs.values("entry__department").distinct().count(),
        "topics": Topic.objects.filter(datasets__in=qs).distinct().count()}, "counts")


def statistics() -> dict:
    """The portal's figures for the city: per department the datasets and records opened, downloads and API
    calls (the counters kept on each dataset), and the public data requests answered; with the totals."""
    rows = {}
    for d in published().annotate(rows=Coalesce("entry__dataset__row_count", 0)):
        dept = d.entry.department
        row = rows.setdefault(dept.code, {"code": dept.code, "name": dept.name, "datasets": 0, "conditional": 0,
                                          "records": 0, "downloads": 0, "api_calls": 0, "requests": 0,
                                          "answered": 0})
        row["datasets"] += 1
        row["conditional"] += d.entry.open_type == "conditional"
        row["records"] += d.rows
        row["downloads"] += d.download_count
        row["api_calls"] += d.api_call_count
    for r in (DataRequest.objects.values("department__code", "department__name")
              .annotate(n=Count("pk"), answered=Count("pk", filter=~Q(status=RequestStatus.OPEN)))):
        row = rows.setdefault(r["department__code"], {
            "code": r["department__code"], "name": r["department__name"], "datasets": 0, "conditional": 0,
            "records": 0, "downloads": 0, "api_calls": 0, "requests": 0, "answered": 0})
        row["requests"], row["answered"] = r["n"], r["answered"]
    departments = sorted(rows.values(), key=lambda r: (-r["datasets"], -r["records"], r["code"]))
    keys = ("datasets", "conditional", "records", "downloads", "api_calls", "requests", "answered")
    totals = {k: sum(r[k] for r in departments) for k in keys}
    return {"departments": departments, "totals": totals}


def ratings(dataset: OpenDataset) -> dict:
    """The dataset's ratings: how many, the mean (one decimal), and the visible comments, newest first."""
    qs = DatasetRating.objects.filter(dataset=dataset)
    agg = qs.aggregate(n=Count("pk"), mean=Avg("score"))
    return {"count": agg["n"], "mean": round(agg["mean"], 1) if agg["mean"] is not None else None,
            "comments": qs.filter(is_hidden=False).exclude(comment="").select_related("user")[:50]}


def public_requests() -> QuerySet:
    return DataRequest.objects.select_related("department", "dataset").order_by("-created_at", "-pk")


def my_keys(user) -> list:
    """The user's developer keys, each with `use`: `today` (calls today), `month` (calls in the last 30 days)."""
    since = timezone.localdate() - dt.timedelta(days=29)
    keys = list(DeveloperKey.objects.filter(user=user).order_by("-is_active", "-created_at"))
    usage = {}
    for row in KeyUsage.objects.filter(key__in=keys, day__gte=since).values("key_id", "day", "calls", "refused"):
        slot = usage.setdefault(row["key_id"], {"today": 0, "month": 0, "refused": 0})
        slot["month"] += row["calls"]
        slot["refused"] += row["refused"]
        if row["day"] == timezone.localdate():
            slot["today"] = row["calls"]
    for key in keys:
        key.use = usage.get(key.pk, {"today": 0, "month": 0, "refused": 0})
    return keys
