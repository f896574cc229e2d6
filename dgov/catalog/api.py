"""`/api/v1/catalog/…`: the data resource catalog — search with facets, entries and their life cycle
and history, the negative list and the classifications.

Resource codes contain a slash (101001001/000001): the paths take them as they are
(`/resources/101001001/000001/submit`) or URL-encoded (`/resources/101001001%2F000001`)."""

from enum import Enum

from django.db.models import Count
from django.utils.translation import gettext as _
from ninja import File, Query, Router, Status, UploadedFile
from ninja.pagination import paginate

from dgov.catalog import alignment, importer, provincial, selectors, services, statistics
from dgov.catalog.models import CatalogEntry, Classification, NegativeListItem, ProvincialMapping
from dgov.catalog.schemas import (
    CatalogImportOut,
    ClassificationFilter,
    ClassificationOut,
    MappingIn,
    MappingOut,
    NegativeItemFilter,
    NegativeItemIn,
    NegativeItemOut,
    NegativeItemPatch,
    ProvincialImportOut,
    ProvincialOut,
    ProvincialQuery,
    ResourceIn,
    ResourceOut,
    ResourcePage,
    ResourcePatch,
    ResourceQuery,
    StatisticsOut,
    StatisticsQuery,
    TransitionIn,
    UnmappedPage,
    UnmappedQuery,
    VersionOut,
)
from dgov.core.api import READ_ERRORS, WRITE_ERRORS, Pagination, actor_of, crud_router
from dgov.core.errors import DgovError, ValidationError
from dgov.core.permissions import require_permission
from dgov.orgs.models import Department, Region
from dgov.orgs.selectors import normalize_region_code

router = Router(tags=["catalog"])
RESOURCE = "/resources/{path:code}"
NULLABLE = {"data_updated_on", "record_count"}
ITEM_FIELDS = ("name", "data_type", "length", "data_element", "personal_data", "sharing_type", "open_type",
               "description")


def _plain(value):
    """Enum members (the schemas' choices) as the plain strings the models store."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _check_code(code: str) -> str:
    messages = services.code_errors(code, None)
    if messages:
        raise ValidationError(details={"code": messages})
    return code


def _apply(entry: CatalogEntry, data: dict, actor) -> None:
    """Set the input fields on `entry`, natural keys resolved; every key that does not resolve is a
    field error."""
    errors: dict[str, list[str]] = {}
    values = dict(data)
    code = values.pop("classification_code", None)
    if code:
        values["classification"] = Classification.objects.filter(code=code).first()
        if values["classification"] is None:
            errors["classification_code"] = [_("No classification has this code.")]
    code = values.pop("department_code", None)
    if code:
        values["department"] = Department.objects.filter(code=code).first()
        if values["department"] is None:
            errors["department_code"] = [_("No department has this code.")]
    elif entry._state.adding:
        if actor.department_id is None:
            errors["department_code"] = [_("Name the provider department.")]
        else:
            values["department"] = actor.department
    code = values.pop("region_code", None)
    if code:
        try:
            values["region"] = Region.objects.filter(code=normalize_region_code(code)).first()
            if values["region"] is None:
                errors["region_code"] = [_("No region has this code.")]
        except DgovError as exc:
            errors["region_code"] = exc.details.get("code", [str(exc.message)])
    for index, related in enumerate(values.get("related_codes") or ()):
        for message in services.code_errors(related, None):
            errors.setdefault(f"related_codes[{index}]", []).append(message)
    if errors:
        raise ValidationError(details=errors)
    for name, value in values.items():
        setattr(entry, name, value)


def _detail(entry: CatalogEntry) -> CatalogEntry:
    return (CatalogEntry.objects.select_related("department", "classification", "region")
            .prefetch_related("items").get(pk=entry.pk))


# --- search -----------------------------------------------------------------------------------
@router.get("/resources", response={200: ResourcePage, **READ_ERRORS}, operation_id="search_catalog_resources")
def search_resources(request, query: ResourceQuery = Query(...)):
    """Search the catalog: `q` over names, summaries and data items, filters, and facets counted over
    the results (every facet after `q` and all filters, so its counts add up to `count`). Published
    entries are visible to every reader of the catalog, the others only within your data scope and
    to reviewers."""
    actor = actor_of(request)
    filters = {field: getattr(query, field) for field in selectors.FILTERS}
    results, facets = selectors.search_entries(selectors.visible_entries(actor), q=query.q, filters=filters)
    count = selectors.facet_total(facets)
    items = selectors.entry_page(results, query.offset, query.limit, total=count) if query.offset < count else []
    return {"count": count, "items": items, "facets": facets}


@router.post("/resources", response={201: ResourceOut, **WRITE_ERRORS}, operation_id="create_catalog_resource")
def create_resource(request, payload: ResourceIn):
    """Create a draft entry with its data items. Without `code` it gets the classification's next
    free code; the department defaults to yours."""
    actor = actor_of(request)
    require_permission(actor, CatalogEntry, "add")
    data = _plain(payload.dict())
    items, reason = data.pop("items"), data.pop("reason")
    data["code"] = data.get("code") or ""
    entry = CatalogEntry()
    _apply(entry, data, actor)
    services.entry_save(actor=actor, entry=entry, items=items, reason=reason)
    return Status(201, _detail(entry))


# The paths below /resources/{code} come before it: the code holds a slash, and `{path:code}` would
# otherwise swallow "/versions" and the actions.
@router.get(f"{RESOURCE}/versions", response={200: list[VersionOut], **READ_ERRORS},
            operation_id="list_catalog_resource_versions")
@paginate(Pagination)
def list_versions(request, code: str):
    """The entry's history, newest first: every version with what the entry held after it, who
    and why. Only within your data scope and for reviewers, even for a published entry."""
    versions = list(selectors.entry_versions(actor_of(request), _check_code(code)))
    snapshots = selectors.snapshot_codes([v.snapshot for v in versions])
    return [{"version": v.version, "action": v.action, "actor": v.actor.username if v.actor else None,
             "reason": v.reason, "created_at": v.created_at, "snapshot": snapshot}
            for v, snapshot in zip(versions, snapshots, strict=True)]


def _transition_view(action: str):
    permission = services.TRANSITIONS[action][2]

    def view(request, code: str, payload: TransitionIn | None = None):
        actor = actor_of(request)
        entry = selectors.entry_for(actor, permission, _check_code(code))
        services.transition(actor=actor, entry=entry, action=action,
                            reason=payload.reason if payload else "")
        return _detail(entry)

    view.__name__ = f"{action}_resource"
    view.__doc__ = {
        "submit": "Submit a draft for review (the department).",
        "approve": "Approve a submitted entry (reviewers).",
        "reject": "Send a submitted or reviewed entry back to draft, with the `reason` (reviewers).",
        "publish": "Publish a reviewed entry (reviewers).",
        "withdraw": "Withdraw a published entry, with the `reason` (reviewers).",
        "reopen": "Reopen a withdrawn entry as a draft (the department).",
    }[action]
    return view


for _action in services.TRANSITIONS:
    router.post(f"{RESOURCE}/{_action}", response={200: ResourceOut, **WRITE_ERRORS},
                operation_id=f"{_action}_catalog_resource")(_transition_view(_action))


# --- alignment with the provincial catalog (before RESOURCE, which would take "/provincial") -----
def _suggestions(found) -> list[dict]:
    return [{"code": s.provincial.code, "name": s.provincial.name, "provider": s.provincial.provider,
             "score": s.score} for s in found]


def _mapping(entry: CatalogEntry) -> dict:
    mapping = ProvincialMapping.objects.filter(entry=entry).select_related("provincial", "mapped_by").first()
    target = mapping.provincial if mapping else None
    return {"code": entry.code, "provincial_code": target.code if target else None,
            "provincial_name": target.name if target else None,
            "provincial_withdrawn": target.withdrawn if target else None,
            "method": mapping.method if mapping else None,
            "mapped_by": mapping.mapped_by.username if mapping and mapping.mapped_by else None,
            "mapped_at": mapping.mapped_at if mapping else None,
            "suggestions": _suggestions(alignment.suggestions([entry]).get(entry.pk, []))}


@router.get(f"{RESOURCE}/provincial", response={200: MappingOut, **READ_ERRORS},
            operation_id="get_catalog_resource_provincial")
def get_provincial_mapping(request, code: str):
    """The provincial entry this entry is mapped to (if any), and suggestions by name similarity.
    For the department's editors and the reviewers whose scope holds the entry."""
    return _mapping(alignment.entry_for_mapping(actor_of(request), _check_code(code)))


@router.put(f"{RESOURCE}/provincial", response={200: MappingOut, **WRITE_ERRORS},
            operation_id="map_catalog_resource_provincial")
def put_provincial_mapping(request, code: str, payload: MappingIn):
    """Map the entry to the provincial entry `provincial_code`, or unmap it with `null`. The
    department's editors map their own entries, reviewers any in their scope (404 outside it).
    Every change is a new version of the entry and is audited."""
    actor = actor_of(request)
    entry = alignment.entry_for_mapping(actor, _check_code(code))
    services.map_to_provincial(actor=actor, entry=entry, provincial_code=payload.provincial_code,
                               method=payload.method)
    return _mapping(entry)


@router.get(RESOURCE, response={200: ResourceOut, **READ_ERRORS}, operation_id="get_catalog_resource")
def get_resource(request, code: str):
    """One entry with its data items."""
    return selectors.entry_detail(actor_of(request), _check_code(code))


@router.patch(RESOURCE, response={200: ResourceOut, **WRITE_ERRORS}, operation_id="update_catalog_resource")
def update_resource(request, code: str, payload: ResourcePatch):
    """Change a draft (only drafts can be edited: 409 otherwise). `items`, when given, replaces the
    data items. `null` clears `data_updated_on` and `record_count` and leaves any other field as it
    is. Entries outside your data scope answer 404."""
    actor = actor_of(request)
    entry = selectors.entry_for(actor, "change", _check_code(code))
    data = {k: v for k, v in _plain(payload.dict(exclude_unset=True)).items() if v is not None or k in NULLABLE}
    items = data.pop("items", None)
    if items is None:
        items = [{field: getattr(item, field) for field in ITEM_FIELDS} for item in entry.items.all()]
    reason = data.pop("reason", "")
    _apply(entry, data, actor)
    services.entry_save(actor=actor, entry=entry, items=items, reason=reason)
    return _detail(entry)


# --- the negative list and the classifications -------------------------------------------------
def _save_negative_item(*, actor, instance):
    return services.negative_item_save(actor=actor, item=instance)


negative_list_router = crud_router(
    model=NegativeListItem, out_schema=NegativeItemOut, in_schema=NegativeItemIn, patch_schema=NegativeItemPatch,
    filters=NegativeItemFilter, save=_save_negative_item, tags=["catalog"])

classifications_router = crud_router(
    model=Classification, out_schema=ClassificationOut, filters=ClassificationFilter, lookup="code",
    lookup_type=str, queryset=lambda: Classification.objects.select_related("parent"), tags=["catalog"])

router.add_router("/negative-list", negative_list_router)
router.add_router("/classifications", classifications_router)


# --- spreadsheet import ----------------------------------------------------------------------------
@router.post("/import", response={200: CatalogImportOut, **WRITE_ERRORS}, operation_id="import_catalog_resources")
def import_resources(request, file: UploadedFile = File(...), dry_run: bool = False):
    """Create draft entries from an .xlsx or .csv file (multipart `file`, one row per entry, the
    columns of the template the import page offers; the 信息项 format is in `dgov.catalog.importer`).
    Every row is validated completely first; nothing is written unless every row passes (`ok`
    false: every error by row and column, still 200). `dry_run=true` only validates. Rows for
    departments outside your scope are row errors."""
    return importer.import_catalog(actor=actor_of(request), file=file, filename=file.name or "", dry_run=dry_run)


# --- the provincial catalog, the alignment report and the statistics -----------------------------
@router.post("/provincial/import", response={200: ProvincialImportOut, **WRITE_ERRORS},
             operation_id="import_provincial_catalog")
def import_provincial(request, file: UploadedFile = File(...), dry_run: bool = False):
    """Import the provincial catalog from an .xlsx or .json file (multipart `file`; the format is
    in `dgov.catalog.provincial`). Every row is validated first; nothing is written unless all
    pass (`ok` false: the errors by row and column, still 200). Upserts by provincial code and
    marks entries missing from the file as withdrawn. `dry_run=true` only validates."""
    return provincial.import_provincial(actor=actor_of(request), file=file, filename=file.name or "",
                                        dry_run=dry_run)


@router.get("/provincial", response={200: list[ProvincialOut], **READ_ERRORS}, operation_id="list_provincial_catalog")
@paginate(Pagination)
def list_provincial(request, query: ProvincialQuery = Query(...)):
    """The provincial catalog (current entries; `withdrawn=true` for the withdrawn ones, null for
    all), searched by code, name or provider, with how many city entries map to each."""
    return (alignment.provincial_entries(actor_of(request), q=query.q, withdrawn=query.withdrawn)
            .annotate(mapped_entries=Count("mappings")).order_by("code"))


@router.get("/alignment/unmapped", response={200: UnmappedPage, **READ_ERRORS},
            operation_id="list_catalog_unmapped")
def list_unmapped(request, query: UnmappedQuery = Query(...)):
    """The entries you may map that have no provincial entry yet (published first, withdrawn
    entries left out), each with suggestions; per department how many are mapped and unmapped;
    and how many current provincial entries no city entry maps to. `department` outside your
    scope answers 404."""
    actor = actor_of(request)
    entries = alignment.unmapped_entries(actor, department=query.department)
    count = entries.count()
    page = list(entries[query.offset:query.offset + query.limit])
    found = alignment.suggestions(page)
    items = [{"code": e.code, "name": e.name, "department_code": e.department.code,
              "department_name": e.department.name, "status": e.status,
              "suggestions": _suggestions(found.get(e.pk, []))} for e in page]
    departments = [d for d in alignment.alignment_summary(actor)
                   if not query.department or d["code"] == query.department]
    return {"count": count, "items": items, "departments": departments,
            "unreferenced_provincial": alignment.unreferenced_provincial(actor).count()}


@router.get("/statistics", response={200: StatisticsOut, **READ_ERRORS}, operation_id="catalog_statistics")
def get_statistics(request, query: StatisticsQuery = Query(...)):
    """The catalog's figures over the entries you may see (the published catalog and, within your
    scope, the unpublished entries): entries per department, the shares of the sharing and open
    types, entries holding personal data, entries whose data is older than their update cycle,
    entries per status. `region` (that region and below), `department` and `status` narrow them."""
    filters = {"region": query.region, "department": query.department,
               "status": query.status.value if query.status else ""}
    return statistics.statistics(actor_of(request), filters)
