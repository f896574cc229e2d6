"""Reads of the data resource catalog: which entries an official may see, faceted search, an entry
with its data items, its history and the negative list.

Who sees what (`visible_entries`):

- Reading the catalog needs `catalog.view_catalogentry` on some scope; without it every read is
  refused (403).
- A **published** entry is visible to every holder of that permission, whatever their scope: the
  published catalog is the city's shared inventory.
- An entry in any other state (draft, submitted, reviewed, withdrawn) is visible only within the
  reader's data scope for `view` (a department official: their department and its subunits), or
  within their scope for `review` (the big-data centre's reviewers, normally scope all).
- An entry's history (`entry_versions`) holds its earlier, unpublished states, so it follows the
  second rule even for a published entry.
- Writes (`entry_for`) go by the scope of the action itself (`change` for editing, submitting and
  reopening, `review` for approving, rejecting, publishing and withdrawing): a published entry of
  another department is visible, but editing it answers 404 like a missing one.
"""

from collections import Counter

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Count, Q, QuerySet

from dgov.catalog import search
from dgov.catalog.models import (
    CatalogEntry,
    CatalogType,
    Classification,
    EntryVersion,
    OpenType,
    ResourceFormat,
    SharingType,
    Status,
    UpdateCycle,
)
from dgov.core.cache import CATALOG, REFERENCE, ProcessCache
from dgov.core.errors import NotFound, ValidationError
from dgov.core.permissions import get_scoped, require_permission, scope_q
from dgov.orgs.models import Department, Region
from dgov.orgs.selectors import normalize_region_code

#: the facet fields, in the order a search page shows them
FACETS = ("department", "catalog_type", "classification", "sharing_type", "open_type", "format", "update_cycle",
          "region")
#: what `search_entries` filters on: the facets and the status
FILTERS = (*FACETS, "status")

_CHOICES = {"sharing_type": SharingType, "open_type": OpenType, "format": ResourceFormat,
            "update_cycle": UpdateCycle, "status": Status}


# --- visibility -------------------------------------------------------------------------------
def _insider_q(user) -> Q | None:
    """The entries whose every state `user` may see: their data scope for `view` or for `review`.
    None when that is every entry (a grant with scope all)."""
    parts = []
    for action in ("view", "review"):
        q = scope_q(user, CatalogEntry, action)
        if q is None:
            continue
        if not q:  # Q(): scope all
            return None
        # A subquery, not the scope's joins in the outer query: the database builds the (small) set
        # of in-scope ids once, and the facet counts need no join per row.
        parts.append(Q(pk__in=CatalogEntry.objects.filter(q).values("pk")))
    combined = Q(pk__in=[])
    for part in parts:
        combined |= part
    return combined


def visible_entries(user) -> QuerySet:
    """Every entry `user` may read (see the module's docstring). 403 without the view permission."""
    require_permission(user, CatalogEntry, "view")
    entries = CatalogEntry.objects.all()
    insider = _insider_q(user)
    if insider is None:
        return entries
    visible = entries.filter(Q(status=Status.PUBLISHED) | insider)
    # What every queryset derived from this one keeps true (Query.clone copies it): its unpublished
    # entries all lie in `insider`. The facet counts use it to reach those entries through the
    # small in-scope set rather than test every row of the catalog (`_counts_by_index`).
    visible.query.catalog_unpublished_within = insider
    return visible


def can_see_history(user, entry: CatalogEntry) -> bool:
    insider = _insider_q(user)
    return insider is None or CatalogEntry.objects.filter(insider, pk=entry.pk).exists()


# --- search and facets ------------------------------------------------------------------------
def _values(raw) -> list[str]:
    if raw is None:
        return []
    items = [raw] if isinstance(raw, str) else list(raw)
    return sorted({str(v).strip() for v in items if v is not None and str(v).strip()})


def _ids(model, field: str, codes: list[str]) -> list[int]:
    return list(model.objects.filter(**{f"{field}__in": codes}).values_list("pk", flat=True))


def _region_codes(codes: list[str]) -> list[str]:
    try:
        return [normalize_region_code(c) for c in codes]
    except ValidationError as exc:
        raise ValidationError(details={"region": exc.details.get("code", [])}) from None


def apply_filters(queryset, filters: dict | None) -> QuerySet:
    """`queryset` narrowed by `filters`: field → a value or a list of values (any of them), for the
    fields in FILTERS; empty values are ignored. Natural keys in: department and classification
    codes, region codes of 6, 9 or 12 digits (exact: the region or department itself, not its
    subtree, so that a filter and its facet count always agree), catalog type 1, 2 or 3."""
    for key, raw in (filters or {}).items():
        if key not in FILTERS:
            raise ValueError(f"unknown catalog filter: {key}")
        values = _values(raw)
        if not values:
            continue
        if key == "department":
            queryset = queryset.filter(department_id__in=_ids(Department, "code", values))
        elif key == "classification":
            queryset = queryset.filter(classification_id__in=_ids(Classification, "code", values))
        elif key == "region":
            queryset = queryset.filter(region_id__in=_ids(Region, "code", _region_codes(values)))
        elif key == "catalog_type":
            # The type is the first digit of the code, which always begins with the classification's
            # code (the services check it): filter on the small classification table.
            prefixes = Q(pk__in=[])
            for value in values:
                prefixes |= Q(code__startswith=value)
            queryset = queryset.filter(classification_id__in=list(
                Classification.objects.filter(prefixes).values_list("pk", flat=True)))
        else:
            queryset = queryset.filter(**{f"{key}__in": values})
    return queryset


#: the facets counted in the database, as (field, column); the catalog type is summed from the classifications
_COUNTED = (("department", "department_id"), ("classification", "classification_id"), ("region", "region_id"),
            ("sharing_type", "sharing_type"), ("open_type", "open_type"), ("format", "format"),
            ("update_cycle", "update_cycle"))
_NOT_PUBLISHED = [s for s in Status.values if s != Status.PUBLISHED]


def _counts_by_index(queryset) -> dict[str, Counter]:
    """One GROUP BY (status, field) per facet, which the (status, field) indexes answer alone, in
    their own order, when `queryset` filters on nothing but status and visibility: the whole catalog
    as a reader sees it, where a single pass would read every row. A reader who sees only the
    published catalog and their own unpublished entries gets the two counted apart: the published
    entries straight from the indexes, the others through the small set of entries in their scope."""
    if not queryset.query.where:
        parts = [queryset]
    else:
        unpublished = queryset.filter(status__in=_NOT_PUBLISHED)
        within = getattr(queryset.query, "catalog_unpublished_within", None)
        if within is not None:
            unpublished = unpublished.filter(within)
        parts = [queryset.filter(status=Status.PUBLISHED), unpublished]
    counts: dict[str, Counter] = {field: Counter() for field, _column in _COUNTED}
    for part in parts:
        for field, column in _COUNTED:
            for _status, value, n in part.order_by().values_list("status", column).annotate(n=Count("*")):
                counts[field][value] += n
    return counts


#: the SQLite covering index of the facet columns (migration 0005; on PostgreSQL, 0004)
FACET_INDEX = "catalog_entry_facet_cover"
_FOREIGN_KEYS = {"department", "classification", "region"}


def _counts_in_one_pass(queryset) -> dict[str, Counter]:
    """Every facet in one statement over the filtered rows, which the database finds once (through
    the search index, or the filters' indexes).

    PostgreSQL: GROUP BY GROUPING SETS, one group per facet value. SQLite: one `group_concat` per
    facet column, counted here. Grouping there (a common table expression materialised once, one
    GROUP BY per facet) sorted the rows seven times; the concatenated columns cost a single pass.
    SQLite reads the columns from the covering index (named with INDEXED BY: its planner would
    read each matching id's table row, whose facet columns often sit on overflow pages behind the
    summary). Both took the facets of a query matching 38 % of 100 000 entries from about 85 ms to
    about 40 ms (bench/README.md, "Catalog search")."""
    counts: dict[str, Counter] = {field: Counter() for field, _column in _COUNTED}
    inner = queryset.order_by().values(*(column for _field, column in _COUNTED))
    try:
        sql, params = inner.query.get_compiler(using=inner.db).as_sql()
    except EmptyResultSet:
        return counts
    connection = connections[inner.db]
    quoted = [connection.ops.quote_name(column) for _field, column in _COUNTED]
    if connection.vendor == "postgresql":
        statement = (f"SELECT {', '.join(quoted)}, COUNT(*) FROM ({sql}) AS facet_rows "
                     f"GROUP BY GROUPING SETS ({', '.join(f'({q})' for q in quoted)})")
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
            rows = cursor.fetchall()
        for row in rows:
            # Each row groups one facet: its column is the only one set (facet columns are never null).
            index = next(i for i, value in enumerate(row[:-1]) if value is not None)
            counts[_COUNTED[index][0]][row[index]] += row[-1]
        return counts
    table = connection.ops.quote_name(CatalogEntry._meta.db_table)
    # The outer FROM is the statement's first (the select list names plain columns only).
    sql = sql.replace(f"FROM {table}", f"FROM {table} INDEXED BY {FACET_INDEX}", 1)
    statement = f"SELECT {', '.join(f'group_concat({q})' for q in quoted)} FROM ({sql})"
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        row = cursor.fetchone()
    for (field, _column), joined in zip(_COUNTED, row, strict=True):
        # Facet values are ids and choice slugs: never null, never holding a comma.
        values = joined.split(",") if joined else []
        counts[field] = Counter(map(int, values) if field in _FOREIGN_KEYS else values)
    return counts


def _sorted(values: list[dict]) -> list[dict]:
    return sorted(values, key=lambda v: (-v["count"], v["value"]))


#: facets by the SQL of the results they were counted over (see `facet_counts`)
_FACET_CACHE = ProcessCache("catalog-facets", maxsize=2000, ttl=300)


def facet_counts(queryset, *, narrowed: bool = True) -> dict[str, list[dict]]:
    """`_facet_counts` of `queryset`, kept per process until the catalog or the reference data
    change (Solr's query result cache, which CKAN's search relies on, does the same): the landing
    page of the catalog and repeated searches are counted once per change, not once per visit. The
    key is the SQL of `queryset` with its parameters (so a reader's scope is part of it) and the
    language (the facets carry labels)."""
    generation = (CATALOG.current(), REFERENCE.current())
    return _FACET_CACHE.get_or_build_over(queryset, generation, lambda: _facet_counts(queryset, narrowed=narrowed),
                                          narrowed)


def _facet_counts(queryset, *, narrowed: bool = True) -> dict[str, list[dict]]:
    """For each facet field, its values among the entries of `queryset` with their counts (most
    frequent first): `{"department": [{"value": "360603909", "name": "余江区民政局", "count": 3}, …], …}`.

    `narrowed` says that `queryset` is a search or filtered on facet fields: all facets are then
    counted in one statement over the matching rows. Otherwise (the whole catalog a reader sees,
    at most filtered by status) one GROUP BY per facet is answered from the (status, field) indexes.
    Either way one small query each then names the departments, classifications and regions found.
    Every entry has exactly one value of every facet, so each facet's counts add up to the number
    of entries in `queryset`."""
    by_index = not narrowed and connections[queryset.db].vendor != "postgresql"
    counts = _counts_by_index(queryset) if by_index else _counts_in_one_pass(queryset)
    facets: dict[str, list[dict]] = {}
    for field, model in (("department", Department), ("classification", Classification), ("region", Region)):
        found = {pk: n for pk, n in counts[field].items() if n}
        names = {pk: (code, name) for pk, code, name in
                 model.objects.filter(pk__in=list(found)).values_list("pk", "code", "name")}
        facets[field] = _sorted([{"value": names[pk][0], "name": names[pk][1], "count": n}
                                 for pk, n in found.items()])
    types: Counter = Counter()
    for item in facets["classification"]:
        types[item["value"][0]] += item["count"]
    labels = dict(CatalogType.choices)
    facets["catalog_type"] = _sorted([{"value": t, "name": str(labels.get(t, t)), "count": n}
                                      for t, n in types.items()])
    for field in ("sharing_type", "open_type", "format", "update_cycle"):
        labels = dict(_CHOICES[field].choices)
        facets[field] = _sorted([{"value": value, "name": str(labels.get(value, value)), "count": n}
                                 for value, n in counts[field].items() if n])
    return {field: facets[field] for field in FACETS}


def facet_total(facets: dict[str, list[dict]]) -> int:
    """The number of entries the facets were counted over (any facet's counts add up to it)."""
    return sum(item["count"] for item in facets["department"])


def search_entries(queryset, *, q: str = "", filters: dict | None = None) -> tuple[QuerySet, dict]:
    """Full-text search (`q`, see dgov.catalog.search) and filters (see `apply_filters`) over
    `queryset` (normally `visible_entries(user)`), with facets.

    Facet semantics are CKAN's: every facet is counted over the results, that is after `q` and all
    the filters, the facet's own field included. So each facet's counts add up to the number of
    results, and a value's count is exactly what the results would number with that value added to
    its filter. `facet_total(facets)` gives the number of results without another query."""
    filtered = apply_filters(queryset, filters)
    results = search.filter_query(filtered, q)
    facet_filtered = any(_values(v) for k, v in (filters or {}).items() if k != "status")
    if q and q.strip() and not facet_filtered:
        # the same rows, probed entry by entry, for `entry_page` to read in code order (Query
        # attributes survive the queryset's clones). Not with facet filters: the planners then
        # start from a filter's index and sort, and probing every row that way costs more.
        results.query.catalog_probe = search.filter_query(filtered, q, probe=True)
    narrowed = bool(q and q.strip()) or facet_filtered
    return results, facet_counts(results, narrowed=narrowed)


#: a search matching at least this share of the catalog reads its first pages by probing entries in
#: code order (see `entry_page`)
PROBE_SHARE = 0.05


def entry_page(results, offset: int, limit: int, *, total: int | None = None) -> list[CatalogEntry]:
    """One page of `results` (in code order) with department, classification and region: the page's
    ids first, then their rows. One query with the joins lets SQLite's planner read every visible
    row and sort them rather than walk the code index and stop at the page's end.

    A search that matches a large share of the catalog (`total` results, known from the facets)
    would sort tens of thousands of ids for twenty: its early pages walk the code index instead and
    test each entry against the search index, stopping at the page's end (about
    (offset + limit) / share entries read)."""
    ordered = results
    probe = getattr(results.query, "catalog_probe", None)
    if probe is not None and total and offset + limit <= 10 * limit:
        catalog_size = _catalog_size(results.db)
        if catalog_size and total >= PROBE_SHARE * catalog_size:
            ordered = probe
    ids = list(ordered.order_by("code").values_list("pk", flat=True)[offset:offset + limit])
    rows = CatalogEntry.objects.select_related("department", "classification", "region").in_bulk(ids)
    return [rows[pk] for pk in ids]


_SIZE_CACHE = ProcessCache("catalog-size", maxsize=8, ttl=300)


def _catalog_size(db: str) -> int:
    """How many entries the catalog holds (per data generation)."""
    return _SIZE_CACHE.get_or_build(db, CATALOG.current(), lambda: CatalogEntry.objects.using(db).count())


# --- one entry --------------------------------------------------------------------------------
def entry_detail(user, code: str) -> CatalogEntry:
    """The entry with this resource code, with its data items, if `user` may read it (404 if not)."""
    entry = (visible_entries(user).select_related("department", "classification", "region")
             .prefetch_related("items").filter(code=code).first())
    if entry is None:
        raise NotFound()
    return entry


def entry_for(user, action: str, code: str) -> CatalogEntry:
    """The entry with this code for a write that needs `action` ("change", "review"): 403 without
    the permission on any scope, 404 when the entry is missing or outside the action's scope."""
    return get_scoped(user, action, CatalogEntry.objects.select_related("department", "classification", "region")
                      .prefetch_related("items"), code=code)


def entry_versions(user, code: str) -> QuerySet:
    """The entry's versions, newest first: for readers in its data scope and reviewers (404 for
    others, even when the entry is published)."""
    entry = entry_detail(user, code)
    if not can_see_history(user, entry):
        raise NotFound()
    return EntryVersion.objects.filter(entry=entry).select_related("actor").order_by("-version")


def snapshot_codes(snapshots: list[dict]) -> list[dict]:
    """Version snapshots with the department, classification and region ids they store replaced by
    codes (`department_code`, …), as the API shows them."""
    wanted = {field: {s.get(field) for s in snapshots if s.get(field) is not None}
              for field in ("department", "classification", "region")}
    codes = {field: dict(model.objects.filter(pk__in=wanted[field]).values_list("pk", "code"))
             for field, model in (("department", Department), ("classification", Classification),
                                  ("region", Region))}
    out = []
    for snapshot in snapshots:
        shown = dict(snapshot)
        for field in ("department", "classification", "region"):
            if field in shown:
                shown[f"{field}_code"] = codes[field].get(shown.pop(field))
        out.append(shown)
    return out
