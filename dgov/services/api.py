"""`/api/v1/services`: the service items (issue 8).

Public, without signing in: `GET /items` (the published guides, searched and filtered: `q` — two-character
Chinese words such as 结婚 or 社保 work —, `department`, `region`, `type`, `service_object`, `theme`, `online`;
best match first), `GET /items/{implementation_code}` (one whole guide: materials, fees, steps, the online
form, themes) and `GET /themes`.

For officials, within their scope: `GET|POST /implementations`, `GET|PUT /implementations/{code}`,
`POST /implementations/{code}/publish|retire`, `GET /implementations/{code}/versions`; the spreadsheet
`GET /implementations/export` (the same filters), `GET /implementations/template` and `POST
/implementations/import` (multipart `file`, optional `materials_file` for a .csv, `dry_run`); the base catalog
`GET|POST /base-items` and `PUT /base-items/{base_code}`.
"""

from django.utils import timezone
from ninja import File, Path, Query, Router, Status, UploadedFile
from ninja.pagination import paginate

from dgov.core.api import READ_ERRORS, WRITE_ERRORS, Pagination, actor_of, errors
from dgov.core.importexport import xlsx_response
from dgov.core.permissions import get_scoped, require_permission
from dgov.services import importer, selectors, services
from dgov.services.models import Implementation, ServiceItem
from dgov.services.schemas import (
    BASE_CODE_PATTERN,
    CODE_PATTERN,
    GuideListOut,
    GuideOut,
    GuideQuery,
    ImplementationIn,
    ImplementationListOut,
    ImplementationOut,
    ImplementationQuery,
    ImplementationVersionOut,
    ImportOut,
    ReasonIn,
    ServiceItemIn,
    ServiceItemOut,
    ThemeOut,
)

router = Router(tags=["services"])
CODE = Path(..., pattern=CODE_PATTERN, description="The implementation code (实施编码).")
BASE_CODE = Path(..., pattern=BASE_CODE_PATTERN, description="The base code (基本编码).")


# --- public ------------------------------------------------------------------------------------------------
@router.get("/items", auth=None, response={200: list[GuideListOut], **errors(400, 422)},
            operation_id="list_service_guides")
@paginate(Pagination)
def list_items(request, query: GuideQuery = Query(...)):
    """The published guides matching the query and filters, best match first (no login needed)."""
    return selectors.search(query.q, department=query.department or None, region=query.region or None,
                            item_type=query.type, service_object=query.service_object, theme=query.theme or None,
                            online=query.online)


@router.get("/items/{code}", auth=None, response={200: GuideOut, **errors(400, 404, 422)},
            operation_id="get_service_guide")
def get_item(request, code: str = CODE):
    """One published guide, complete (no login needed)."""
    return selectors.implementation_by_code(code)


@router.get("/themes", auth=None, response={200: list[ThemeOut], **errors(400, 422)},
            operation_id="list_service_themes")
def list_themes(request, audience: str = Query("", pattern=r"^(person|enterprise)?$")):
    """The themes for people and enterprises, each with its number of published guides."""
    return list(selectors.themes(audience or None))


# --- officials: implementations ------------------------------------------------------------------------------
def _filtered(request, query: ImplementationQuery):
    actor = actor_of(request)
    require_permission(actor, Implementation, "view")
    return selectors.filter_implementations(
        selectors.visible_implementations(actor), q=query.q, status=query.status or "",
        department=query.department or None, region=query.region or None, item_type=query.type, online=query.online)


@router.get("/implementations", response={200: list[ImplementationListOut], **READ_ERRORS},
            operation_id="list_implementations")
@paginate(Pagination)
def list_implementations(request, query: ImplementationQuery = Query(...)):
    """The implementations in your scope, every status."""
    return _filtered(request, query)


@router.get("/implementations/export", response={200: None, **READ_ERRORS}, operation_id="export_implementations")
def export_implementations(request, query: ImplementationQuery = Query(...)):
    """The implementations in your scope (the list's filters) as .xlsx: sheets 实施清单 and 申请材料, the import's
    layout."""
    data = importer.export_items(_filtered(request, query))
    return xlsx_response(data, f"service-implementations-{timezone.localtime():%Y%m%d-%H%M}.xlsx")


@router.get("/implementations/template", response={200: None, **READ_ERRORS},
            operation_id="implementations_import_template")
def import_template(request):
    """An empty workbook in the import's layout."""
    require_permission(actor_of(request), Implementation, "add")
    return xlsx_response(importer.template_xlsx(), "service-implementations-template.xlsx")


@router.post("/implementations/import", response={200: ImportOut, **WRITE_ERRORS},
             operation_id="import_implementations")
def import_implementations(request, file: UploadedFile = File(...), materials_file: UploadedFile | None = File(None),
                           dry_run: bool = False):
    """Upsert implementations (by code) with their materials from an .xlsx (sheets 实施清单 and 申请材料) or a
    .csv (`materials_file`: the materials as a second .csv). Every row is checked first; nothing is written
    unless every row passes (`ok` false: the errors by sheet, row and column, still 200). `dry_run=true` only
    checks."""
    result = importer.import_items(file, actor=actor_of(request), dry_run=dry_run, filename=file.name or "",
                                   materials_file=materials_file,
                                   materials_filename=materials_file.name if materials_file else None)
    return {"ok": result.ok, "committed": result.committed, "total": result.total, "materials": result.materials,
            "created": result.created, "updated": result.updated, "unchanged": result.unchanged,
            "items_created": result.items_created,
            "errors": [{"sheet": e.sheet, "row": e.row, "column": e.column, "message": e.message}
                       for e in result.errors]}


def _data(payload: ImplementationIn) -> tuple[dict, list[dict], str]:
    data = payload.model_dump()
    materials = data.pop("materials")
    reason = data.pop("reason")
    if not data["code"]:
        data.pop("code")
    if not data["handling_code"]:
        data.pop("handling_code")
    data["fees"] = [{**fee, "amount": str(fee["amount"])} for fee in data["fees"]]
    return data, materials, reason


def _reload(impl: Implementation) -> Implementation:
    return (Implementation.objects.select_related("item", "department", "region", "result_license_type",
                                                  "supervising_department")
            .prefetch_related("materials__license_type", "themes").get(pk=impl.pk))


@router.post("/implementations", response={201: ImplementationOut, **WRITE_ERRORS},
             operation_id="create_implementation")
def create_implementation(request, payload: ImplementationIn):
    """A new implementation (a draft) in your scope, with its materials."""
    data, materials, reason = _data(payload)
    impl = services.implementation_save(actor=actor_of(request), data=data, materials=materials, reason=reason)
    return Status(201, _reload(impl))


@router.get("/implementations/{code}", response={200: ImplementationOut, **READ_ERRORS},
            operation_id="get_implementation")
def get_implementation(request, code: str = CODE):
    return selectors.implementation_in_scope(actor_of(request), code)


@router.put("/implementations/{code}", response={200: ImplementationOut, **WRITE_ERRORS},
            operation_id="update_implementation")
def update_implementation(request, payload: ImplementationIn, code: str = CODE):
    """Replace the implementation's fields and materials (a new version; the status stays)."""
    actor = actor_of(request)
    impl = selectors.implementation_in_scope(actor, code, "change")
    data, materials, reason = _data(payload)
    data.setdefault("code", impl.code)
    return _reload(services.implementation_save(actor=actor, implementation=impl, data=data, materials=materials,
                                                reason=reason))


@router.post("/implementations/{code}/publish", response={200: ImplementationOut, **WRITE_ERRORS},
             operation_id="publish_implementation")
def publish_implementation(request, payload: ReasonIn, code: str = CODE):
    actor = actor_of(request)
    impl = selectors.implementation_in_scope(actor, code, "publish")
    return _reload(services.publish(actor=actor, implementation=impl, reason=payload.reason))


@router.post("/implementations/{code}/retire", response={200: ImplementationOut, **WRITE_ERRORS},
             operation_id="retire_implementation")
def retire_implementation(request, payload: ReasonIn, code: str = CODE):
    """Take the guide off the portal (`reason` required)."""
    actor = actor_of(request)
    impl = selectors.implementation_in_scope(actor, code, "publish")
    return _reload(services.retire(actor=actor, implementation=impl, reason=payload.reason))


@router.get("/implementations/{code}/versions", response={200: list[ImplementationVersionOut], **READ_ERRORS},
            operation_id="list_implementation_versions")
def list_versions(request, code: str = CODE):
    return selectors.versions(selectors.implementation_in_scope(actor_of(request), code))


# --- officials: the base catalog ----------------------------------------------------------------------------
@router.get("/base-items", response={200: list[ServiceItemOut], **READ_ERRORS}, operation_id="list_service_items")
@paginate(Pagination)
def list_base_items(request, q: str = Query("", max_length=100), type: str = Query("", pattern=r"^(\d{2})?$")):
    """The base catalog (基本目录), for officials who manage items."""
    require_permission(actor_of(request), ServiceItem, "view")
    return selectors.items(q=q, item_type=type)


@router.post("/base-items", response={201: ServiceItemOut, **WRITE_ERRORS}, operation_id="create_service_item")
def create_base_item(request, payload: ServiceItemIn):
    return Status(201, services.item_save(actor=actor_of(request), data=payload.model_dump()))


@router.put("/base-items/{base_code}", response={200: ServiceItemOut, **WRITE_ERRORS},
            operation_id="update_service_item")
def update_base_item(request, payload: ServiceItemIn, base_code: str = BASE_CODE):
    actor = actor_of(request)
    item = get_scoped(actor, "change", ServiceItem, base_code=base_code)
    return services.item_save(actor=actor, item=item, data=payload.model_dump())
