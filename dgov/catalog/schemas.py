"""API schemas of the data resource catalog. Other objects are referred to by natural keys: the
department, classification and region codes."""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from ninja import Field, FilterLookup, FilterSchema, Schema

from dgov.catalog.models import (
    DataItem,
    OpenType,
    PersonalDataClass,
    ResourceFormat,
    SharingMethod,
    SharingType,
    Status,
    UpdateCycle,
)
from dgov.core.api import Pagination
from dgov.core.schemas import InputDate

MAX_POSITIVE_INT = 2**31 - 1
MAX_POSITIVE_BIGINT = 2**63 - 1
MAX_FILTER_VALUES = 50

DepartmentCode = Annotated[str, Field(min_length=1, max_length=20)]
ClassificationCode = Annotated[str, Field(min_length=1, max_length=9)]
RegionCode = Annotated[str, Field(min_length=1, max_length=12)]
ResourceCode = Annotated[str, Field(min_length=1, max_length=20)]
CatalogTypeValue = Literal["1", "2", "3"]


# --- search -------------------------------------------------------------------------------------
class ResourceQuery(Pagination.Input):
    """Search text, filters and the page in one schema. A filter given several times matches any of
    its values; different filters must all match."""

    q: str = Field("", max_length=200, description="Words to find in names, summaries and data items "
                                                   "(Chinese: two characters or more, e.g. 社保).")
    department: list[DepartmentCode] = Field([], max_length=MAX_FILTER_VALUES, description="Provider department code.")
    catalog_type: list[CatalogTypeValue] = Field([], max_length=3,
                                                 description="1 base, 2 theme, 3 department resources.")
    classification: list[ClassificationCode] = Field([], max_length=MAX_FILTER_VALUES,
                                                     description="Classification code (exact).")
    sharing_type: list[SharingType] = Field([], max_length=3)
    open_type: list[OpenType] = Field([], max_length=3)
    format: list[ResourceFormat] = Field([], max_length=len(ResourceFormat.values))
    update_cycle: list[UpdateCycle] = Field([], max_length=len(UpdateCycle.values))
    region: list[RegionCode] = Field([], max_length=MAX_FILTER_VALUES,
                                     description="Owning region's code (6, 9 or 12 digits; exact).")
    status: list[Status] = Field([], max_length=len(Status.values))


class FacetValue(Schema):
    value: str
    name: str
    count: int


class Facets(Schema):
    department: list[FacetValue]
    catalog_type: list[FacetValue]
    classification: list[FacetValue]
    sharing_type: list[FacetValue]
    open_type: list[FacetValue]
    format: list[FacetValue]
    update_cycle: list[FacetValue]
    region: list[FacetValue]


class ResourceSummaryOut(Schema):
    code: str
    name: str
    catalog_type: str
    classification_code: str = Field(..., alias="classification.code")
    classification_name: str = Field(..., alias="classification.name")
    department_code: str = Field(..., alias="department.code")
    department_name: str = Field(..., alias="department.name")
    region_code: str = Field(..., alias="region.code")
    region_name: str = Field(..., alias="region.name")
    summary: str
    format: str
    sharing_type: str
    open_type: str
    update_cycle: str
    status: str
    version: int
    published_on: date | None
    data_updated_on: date | None
    updated_at: datetime


class ResourcePage(Schema):
    count: int
    items: list[ResourceSummaryOut]
    facets: Facets


# --- one entry ----------------------------------------------------------------------------------
class DataItemOut(Schema):
    position: int
    name: str
    data_type: str
    length: int | None
    data_element: str
    personal_data: str
    sharing_type: str = Field(..., description="empty: as the entry")
    open_type: str = Field(..., description="empty: as the entry")
    description: str


class ResourceOut(ResourceSummaryOut):
    sharing_conditions: str
    sharing_method: str
    open_conditions: str
    related_codes: list[str]
    source_system: str
    record_count: int | None
    status_reason: str
    created_at: datetime
    items: list[DataItemOut]

    @staticmethod
    def resolve_items(obj) -> list:
        return list(obj.items.all())


class DataItemIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    data_type: DataItem.DataType
    length: int | None = Field(None, ge=1, le=MAX_POSITIVE_INT)
    data_element: str = Field("", max_length=64)
    personal_data: PersonalDataClass = PersonalDataClass.NONE
    sharing_type: SharingType | Literal[""] = Field("", description="empty: as the entry; may only restrict it")
    open_type: OpenType | Literal[""] = Field("", description="empty: as the entry; may only restrict it")
    description: str = Field("", max_length=500)


EXAMPLE_RESOURCE = {
    "classification_code": "307", "name": "婚姻登记信息", "summary": "结婚、离婚登记和补领婚姻登记证的记录。",
    "format": "database", "sharing_type": "conditional", "sharing_conditions": "用于婚姻状况核验",
    "sharing_method": "api", "open_type": "none", "update_cycle": "daily",
    "items": [{"name": "男方姓名", "data_type": "string", "length": 50, "personal_data": "personal"},
              {"name": "登记日期", "data_type": "date"}],
}


class ResourceIn(Schema):
    model_config = {"json_schema_extra": {"examples": [EXAMPLE_RESOURCE]}}

    code: ResourceCode | None = Field(None, description="Leave out to get the classification's next free code.")
    classification_code: ClassificationCode
    name: str = Field(..., min_length=1, max_length=200)
    department_code: DepartmentCode | None = Field(None, description="Default: the caller's department.")
    region_code: RegionCode | None = Field(None, description="Default: the department's region.")
    summary: str = Field(..., min_length=1, max_length=2000)
    format: ResourceFormat
    sharing_type: SharingType
    sharing_conditions: str = Field("", max_length=1000)
    sharing_method: SharingMethod | Literal[""] = ""
    open_type: OpenType
    open_conditions: str = Field("", max_length=1000)
    update_cycle: UpdateCycle
    data_updated_on: InputDate | None = None
    related_codes: list[ResourceCode] = Field([], max_length=100)
    source_system: str = Field("", max_length=200)
    record_count: int | None = Field(None, ge=0, le=MAX_POSITIVE_BIGINT)
    items: list[DataItemIn] = Field(..., max_length=1000)
    reason: str = Field("", max_length=500, description="Why (kept with the version).")


class ResourcePatch(Schema):
    """Changes to a draft; `items`, when given, replaces every data item."""

    classification_code: ClassificationCode | None = None
    name: str | None = Field(None, min_length=1, max_length=200)
    department_code: DepartmentCode | None = None
    region_code: RegionCode | None = None
    summary: str | None = Field(None, min_length=1, max_length=2000)
    format: ResourceFormat | None = None
    sharing_type: SharingType | None = None
    sharing_conditions: str | None = Field(None, max_length=1000)
    sharing_method: SharingMethod | Literal[""] | None = None
    open_type: OpenType | None = None
    open_conditions: str | None = Field(None, max_length=1000)
    update_cycle: UpdateCycle | None = None
    data_updated_on: InputDate | None = None
    related_codes: list[ResourceCode] | None = Field(None, max_length=100)
    source_system: str | None = Field(None, max_length=200)
    record_count: int | None = Field(None, ge=0, le=MAX_POSITIVE_BIGINT)
    items: list[DataItemIn] | None = Field(None, max_length=1000)
    reason: str = Field("", max_length=500, description="Why (kept with the version).")


class TransitionIn(Schema):
    reason: str = Field("", max_length=500, description="Required to reject and to withdraw.")


class VersionOut(Schema):
    version: int
    action: str
    actor: str | None = Field(None, description="username")
    reason: str
    created_at: datetime
    snapshot: dict[str, Any] = Field(..., description="The entry after this change, with its data items.")


# --- negative list, classifications -------------------------------------------------------------
class NegativeItemOut(Schema):
    id: int
    resource_code: str
    item_name: str = Field(..., description="empty: the whole resource")
    legal_basis: str
    scope_note: str
    created_at: datetime
    updated_at: datetime


class NegativeItemIn(Schema):
    model_config = {"json_schema_extra": {"examples": [{
        "resource_code": "101000000/000001", "item_name": "公民身份号码",
        "legal_basis": "《中华人民共和国个人信息保护法》第二十八条", "scope_note": "共享和开放"}]}}

    resource_code: ResourceCode
    item_name: str = Field("", max_length=100, description="empty: the whole resource")
    legal_basis: str = Field(..., min_length=1, max_length=1000)
    scope_note: str = Field("", max_length=500)


class NegativeItemPatch(Schema):
    resource_code: ResourceCode | None = None
    item_name: str | None = Field(None, max_length=100)
    legal_basis: str | None = Field(None, min_length=1, max_length=1000)
    scope_note: str | None = Field(None, max_length=500)


class NegativeItemFilter(FilterSchema):
    resource_code: ResourceCode | None = None
    q: Annotated[str | None, FilterLookup(["resource_code__icontains", "item_name__icontains",
                                           "legal_basis__icontains"])] = Field(None, max_length=100)


class ClassificationOut(Schema):
    code: str
    name: str
    level: int
    parent_code: str | None = Field(None, alias="parent.code")


class ClassificationFilter(FilterSchema):
    level: int | None = Field(None, ge=1, le=4)
    parent: Annotated[ClassificationCode | None, FilterLookup("parent__code")] = None
    q: Annotated[str | None, FilterLookup(["code__startswith", "name__icontains"])] = Field(None, max_length=100)


# --- the provincial catalog and the alignment -----------------------------------------------------
class ImportErrorOut(Schema):
    row: int = Field(..., description="the spreadsheet's row number, or the object's position in the JSON list "
                                      "(from 1); 0 for the file itself")
    column: str = Field(..., description="the header or JSON key")
    message: str


class CatalogImportOut(Schema):
    ok: bool
    created: int = Field(..., description="entries created (in a dry run: that would be created); 0 when refused")
    errors: list[ImportErrorOut]


class ProvincialImportOut(Schema):
    ok: bool
    created: int
    updated: int
    withdrawn: int
    errors: list[ImportErrorOut]


class ProvincialQuery(Schema):
    q: str = Field("", max_length=200, description="Words in the code, name or provider department.")
    withdrawn: bool | None = Field(False, description="true: only withdrawn entries; null: all.")


class ProvincialOut(Schema):
    code: str
    name: str
    provider: str
    classification_code: str
    summary: str
    sharing_type: str
    update_cycle: str
    withdrawn: bool
    mapped_entries: int = Field(..., description="how many city entries are mapped to it")


class MappingIn(Schema):
    provincial_code: str | None = Field(..., max_length=40, description="the provincial resource code; null "
                                                                        "removes the mapping")
    method: Literal["manual", "suggestion"] = "manual"


class ProvincialSuggestionOut(Schema):
    code: str
    name: str
    provider: str
    score: float = Field(..., description="name similarity, 0 to 1")


class MappingOut(Schema):
    code: str = Field(..., description="the city entry's resource code")
    provincial_code: str | None
    provincial_name: str | None
    provincial_withdrawn: bool | None
    method: str | None
    mapped_by: str | None
    mapped_at: datetime | None
    suggestions: list[ProvincialSuggestionOut]


class UnmappedQuery(Pagination.Input):
    department: str = Field("", max_length=20, description="Provider department code.")


class UnmappedItemOut(Schema):
    code: str
    name: str
    department_code: str
    department_name: str
    status: str
    suggestions: list[ProvincialSuggestionOut]


class DepartmentAlignmentOut(Schema):
    code: str
    name: str
    total: int
    mapped: int
    unmapped: int


class UnmappedPage(Schema):
    count: int
    items: list[UnmappedItemOut]
    departments: list[DepartmentAlignmentOut]
    unreferenced_provincial: int = Field(..., description="current provincial entries no city entry maps to")


# --- statistics -----------------------------------------------------------------------------------
class StatisticsQuery(Schema):
    region: str = Field("", max_length=12, description="Region code (6, 9 or 12 digits): that region and below.")
    department: str = Field("", max_length=20, description="Provider department code.")
    status: Status | None = None


class CountOut(Schema):
    value: str
    name: str
    count: int
    percent: float = 0.0


class DepartmentCountOut(Schema):
    code: str
    name: str
    count: int
    percent: float


class PersonalDataFiguresOut(Schema):
    count: int = Field(..., description="entries with a data item holding personal information")
    sensitive: int = Field(..., description="entries with a data item holding sensitive personal information")
    percent: float


class StaleOut(Schema):
    count: int = Field(..., description="entries whose data is older than their update cycle allows")
    percent: float
    undated: int = Field(..., description="entries with a regular cycle but no date of the data's last update")


class StatisticsOut(Schema):
    total: int
    by_department: list[DepartmentCountOut]
    by_sharing_type: list[CountOut]
    by_open_type: list[CountOut]
    personal_data: PersonalDataFiguresOut
    stale: StaleOut
    by_status: list[CountOut]
