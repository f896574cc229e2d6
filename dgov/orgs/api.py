from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.pagination import paginate

from dgov.core.api import READ_ERRORS, Pagination, by_natural_key, cached_json, crud_router
from dgov.core.cache import REFERENCE, ProcessCache
from dgov.core.errors import DgovError, ValidationError
from dgov.orgs import selectors, services
from dgov.orgs.models import Department, ManagementArea
from dgov.orgs.schemas import (
    DepartmentFilter,
    DepartmentIn,
    DepartmentOut,
    DepartmentPatch,
    ManagementAreaOut,
    RegionListQuery,
    RegionOut,
    RegionPage,
)

regions_router = Router(tags=["regions"])


_region_pages = ProcessCache("region-pages", maxsize=5000, ttl=3600)


@regions_router.get("", response={200: RegionPage, **READ_ERRORS}, operation_id="list_regions")
def list_regions(request, query: RegionListQuery = Query(...)):
    """Regions (reference data, readable by every signed-in user): `within` a region's subtree,
    at one `level`; `limit`/`offset` pages. Pages are cached per process until a region changes."""
    within = selectors.normalize_region_code(query.within) if query.within else None
    key = (within, query.level, query.limit, query.offset)
    return cached_json(_region_pages, key, REFERENCE.current(), RegionPage,
                       lambda: selectors.region_page(within, query.level, query.limit, query.offset))


@regions_router.get("/{code}", response={200: RegionOut, **READ_ERRORS}, operation_id="get_region")
def get_region(request, code: str):
    """One region by its 6, 9 or 12-digit code."""
    return selectors.region_get(code)


areas_router = Router(tags=["regions"])


@areas_router.get("", response={200: list[ManagementAreaOut], **READ_ERRORS}, operation_id="list_management_areas")
@paginate(Pagination)
def list_management_areas(request):
    """Functional areas (风景名胜区, 高新区, 新区) and the townships they administer."""
    return ManagementArea.objects.select_related("region").prefetch_related("townships").order_by("code")


def _resolve_department(data: dict) -> dict:
    """Natural keys in, objects out; a key that does not resolve is a field error."""
    values = dict(data)
    errors = {}
    if "region_code" in values:
        code = values.pop("region_code")
        if code:
            try:
                values["region"] = selectors.region_get(code)
            except DgovError as exc:
                errors["region_code"] = [str(exc.message)]
    if "parent_code" in values:
        code = values.pop("parent_code")
        values["parent"] = None
        if code:
            try:
                values["parent"] = by_natural_key(Department, "parent_code", _("No department has this code."),
                                                  code=code)
            except ValidationError as exc:
                errors.update(exc.details)
    if errors:
        raise ValidationError(details=errors)
    return values


def _save_department(*, actor, instance):
    return services.department_save(actor=actor, department=instance)


departments_router = crud_router(
    model=Department, out_schema=DepartmentOut, in_schema=DepartmentIn, patch_schema=DepartmentPatch,
    filters=DepartmentFilter, lookup="code", lookup_type=str, resolve=_resolve_department,
    save=_save_department, queryset=lambda: Department.objects.select_related("region", "parent"),
    tags=["departments"],
)
