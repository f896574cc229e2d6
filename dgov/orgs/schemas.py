from typing import Annotated, Literal

from django.db.models import Q
from ninja import Field, FilterLookup, FilterSchema, Schema

from dgov.core.api import Pagination
from dgov.orgs.selectors import region_get

Level = Literal["province", "city", "county", "township", "village"]


class RegionOut(Schema):
    code: str
    name: str
    level: str
    parent_code: str | None = None

    @staticmethod
    def resolve_parent_code(obj) -> str | None:
        """From a Region, or from a row of `selectors.region_rows_within` (which carries it)."""
        if isinstance(obj, dict):
            return obj.get("parent__code")
        return obj.parent.code if obj.parent_id else None


class RegionPage(Schema):
    count: int
    items: list[RegionOut]


class RegionListQuery(Pagination.Input):
    """Filters and the page in one schema: one validation per request on this hot path."""

    within: str | None = Field(None, max_length=12, description="6, 9 or 12-digit code: this region and below.")
    level: Level | None = None


class DepartmentOut(Schema):
    code: str
    name: str
    short_name: str
    doc_prefix: str
    kind: str
    region_code: str = Field(..., alias="region.code")
    parent_code: str | None = Field(None, alias="parent.code")
    note: str
    is_active: bool
    credit_code: str


CREDIT_CODE = Field("", max_length=18, description="The unified social credit code (GB 32100), or empty.")


class DepartmentIn(Schema):
    code: str = Field(..., pattern=r"^[0-9A-Za-z_-]{1,20}$")
    name: str = Field(..., min_length=1, max_length=100)
    short_name: str = Field("", max_length=50)
    doc_prefix: str = Field("", max_length=20)
    kind: Literal["government", "management_committee", "department", "institution", "township"]
    region_code: str | None = Field(None, max_length=12, description="Defaults to the parent's region.")
    parent_code: str | None = Field(None, max_length=20)
    note: str = Field("", max_length=200)
    is_active: bool = True
    credit_code: str = CREDIT_CODE


class DepartmentPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=100)
    short_name: str | None = Field(None, max_length=50)
    doc_prefix: str | None = Field(None, max_length=20)
    kind: Literal["government", "management_committee", "department", "institution", "township"] | None = None
    region_code: str | None = Field(None, max_length=12)
    parent_code: str | None = Field(None, max_length=20)
    note: str | None = Field(None, max_length=200)
    is_active: bool | None = None
    credit_code: str | None = Field(None, max_length=18, description=CREDIT_CODE.description)


class DepartmentFilter(FilterSchema):
    q: Annotated[str | None, FilterLookup(["name__icontains", "short_name__icontains"])] = Field(None, max_length=100)
    kind: Literal["government", "management_committee", "department", "institution", "township"] | None = None
    region: str | None = Field(None, max_length=12, description="Region code: units in it and below.")

    def filter_region(self, value):
        return Q(region__path__startswith=region_get(value).path) if value else Q()


class ManagementAreaOut(Schema):
    code: str
    name: str
    region_code: str = Field(..., alias="region.code")
    township_codes: list[str]
    note: str

    @staticmethod
    def resolve_township_codes(obj) -> list[str]:
        return [r.code for r in obj.townships.all()]
