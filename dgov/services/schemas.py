import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from ninja import Field, Schema

CODE_PATTERN = r"^[0-9A-Z]{31,36}$"
BASE_CODE_PATTERN = r"^[0-9A-Z]{12}$"
ItemTypeIn = Literal["01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "20"]
ServiceObjectIn = Literal["person", "enterprise", "both"]
StatusIn = Literal["draft", "published", "retired"]


# --- the public guides -----------------------------------------------------------------------------------
class GuideQuery(Schema):
    q: str = Field("", max_length=100, description="Words of the item (two-character Chinese words work: 结婚, 社保).")
    department: str = Field("", max_length=20, description="The implementing department's code (its units too).")
    region: str = Field("", max_length=12, pattern=r"^(\d{6}|\d{12})?$",
                        description="A region code, 6 or 12 digits (the regions within it too).")
    type: ItemTypeIn | None = Field(None, description="The item type code (01 行政许可 … 20 公共服务).")
    service_object: Literal["person", "enterprise"] | None = None
    theme: str = Field("", max_length=40, description="A theme code.")
    online: bool | None = Field(None, description="true: only items that can be applied for online.")


class FeeOut(Schema):
    name: str
    amount: Decimal
    basis: str = ""


class StepOut(Schema):
    name: str
    description: str = ""
    limit: int = 0


class MaterialOut(Schema):
    name: str
    required: bool
    form: str
    copies: int
    source: str
    license_type_code: str | None = None
    license_type_name: str | None = None
    notes: str

    @staticmethod
    def resolve_license_type_code(obj) -> str | None:
        return obj.license_type.code if obj.license_type_id else None

    @staticmethod
    def resolve_license_type_name(obj) -> str | None:
        return obj.license_type.name if obj.license_type_id else None


class ThemeRef(Schema):
    code: str
    name: str
    audience: str


class GuideListOut(Schema):
    code: str
    name: str
    item_name: str = Field(..., alias="item.name")
    base_code: str = Field(..., alias="item.base_code")
    item_type: str = Field(..., alias="item.item_type")
    department_code: str = Field(..., alias="department.code")
    department_name: str = Field(..., alias="department.name")
    region_code: str = Field(..., alias="region.code")
    region_name: str = Field(..., alias="region.name")
    service_object: str
    case_kind: str
    promised_limit: int
    promised_unit: str
    visits: int
    online_depth: int
    online_apply: bool
    url: str

    @staticmethod
    def resolve_url(obj) -> str:
        return f"/api/v1/services/items/{obj.code}"


class GuideOut(GuideListOut):
    """The whole guide of one published implementation."""

    legal_basis: str = Field(..., alias="item.legal_basis")
    description: str = Field(..., alias="item.description")
    level: str = Field(..., alias="item.level")
    statutory_limit: int
    statutory_unit: str
    fees: list[FeeOut]
    acceptance_conditions: str
    process_steps: list[StepOut]
    result_type: str
    result_name: str
    result_license_type_code: str | None = None
    place: str
    hours: str
    enquiry_phone: str
    complaint_phone: str
    form: dict[str, Any]
    materials: list[MaterialOut]
    themes: list[ThemeRef]
    version: int
    updated_at: dt.datetime

    @staticmethod
    def resolve_result_license_type_code(obj) -> str | None:
        return obj.result_license_type.code if obj.result_license_type_id else None

    @staticmethod
    def resolve_form(obj) -> dict:
        from dgov.services import formdef

        return formdef.effective_form(obj) if obj.online_apply else (obj.form or {})

    @staticmethod
    def resolve_materials(obj) -> list:
        return list(obj.materials.all())

    @staticmethod
    def resolve_themes(obj) -> list:
        return list(obj.themes.all())


class ThemeOut(Schema):
    code: str
    name: str
    audience: str
    description: str
    order: int
    count: int = Field(0, description="Published implementations in the theme.")

    @staticmethod
    def resolve_count(obj) -> int:
        return getattr(obj, "published_count", 0)


# --- officials -------------------------------------------------------------------------------------------
class ImplementationQuery(Schema):
    q: str = Field("", max_length=100)
    status: StatusIn | None = None
    department: str = Field("", max_length=20)
    region: str = Field("", max_length=12, pattern=r"^(\d{6}|\d{12})?$")
    type: ItemTypeIn | None = None
    online: bool | None = None


class ImplementationListOut(GuideListOut):
    status: str
    version: int
    updated_at: dt.datetime

    @staticmethod
    def resolve_url(obj) -> str:
        return f"/api/v1/services/implementations/{obj.code}"


class ImplementationOut(GuideOut):
    status: str
    supervising_department_code: str | None = None
    is_demo: bool

    @staticmethod
    def resolve_url(obj) -> str:
        return f"/api/v1/services/implementations/{obj.code}"

    @staticmethod
    def resolve_form(obj) -> dict:
        return obj.form or {}

    @staticmethod
    def resolve_supervising_department_code(obj) -> str | None:
        return obj.supervising_department.code if obj.supervising_department_id else None


class FeeIn(Schema):
    name: str = Field(..., max_length=200)
    amount: Decimal = Field(..., ge=0, le=100000000, decimal_places=2)
    basis: str = Field("", max_length=1000)


class StepIn(Schema):
    name: str = Field(..., max_length=100)
    description: str = Field("", max_length=1000)
    limit: int = Field(0, ge=0, le=3650)


class MaterialIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    required: bool = True
    form: Literal["electronic", "original", "copy", "both"] = "electronic"
    copies: int = Field(1, ge=0, le=99)
    source: Literal["applicant", "government", "intermediary", "other"] = "applicant"
    license_type: str = Field("", max_length=21, description="The type code of the e-licence that can replace it.")
    notes: str = Field("", max_length=500)


class ImplementationIn(Schema):
    """An implementation: references by code (the item by its base code). Without `code`, the rule's code is
    given (the department's credit code, the level digit, the base code and `handling_code`)."""

    item: str = Field(..., pattern=BASE_CODE_PATTERN, description="The base code of the service item.")
    code: str = Field("", max_length=40)
    handling_code: str = Field("", pattern=r"^\d{0,5}$", description="The business-handling item code, if any.")
    name: str = Field("", max_length=200)
    department: str = Field(..., max_length=20)
    region: str = Field("", max_length=12, pattern=r"^(\d{6}|\d{12})?$")
    service_object: ServiceObjectIn
    case_kind: Literal["instant", "promised"]
    statutory_limit: int = Field(0, ge=0, le=3650)
    statutory_unit: Literal["working", "natural"] = "working"
    promised_limit: int = Field(0, ge=0, le=3650)
    promised_unit: Literal["working", "natural"] = "working"
    visits: int = Field(0, ge=0, le=10)
    online_depth: int = Field(4, ge=1, le=4)
    fees: list[FeeIn] = Field(default_factory=list, max_length=50)
    acceptance_conditions: str = Field("", max_length=4000)
    process_steps: list[StepIn] = Field(default_factory=list, max_length=30)
    result_type: Literal["licence", "approval", "other", "none"] = "none"
    result_name: str = Field("", max_length=200)
    result_license_type: str = Field("", max_length=21)
    place: str = Field("", max_length=300)
    hours: str = Field("", max_length=300)
    enquiry_phone: str = Field("", max_length=100)
    complaint_phone: str = Field("", max_length=100)
    online_apply: bool = False
    form: dict[str, Any] = Field(default_factory=dict)
    supervising_department: str = Field("", max_length=20)
    themes: list[str] = Field(default_factory=list, max_length=20)
    materials: list[MaterialIn] = Field(default_factory=list, max_length=100)
    reason: str = Field("", max_length=500)


class ReasonIn(Schema):
    reason: str = Field("", max_length=500)


class ImplementationVersionOut(Schema):
    version: int
    action: str
    reason: str
    actor: str | None = None
    created_at: dt.datetime
    snapshot: dict[str, Any]

    @staticmethod
    def resolve_actor(obj) -> str | None:
        return obj.actor.username if obj.actor_id else None


class ItemImportErrorOut(Schema):
    sheet: str
    row: int
    column: str
    message: str


class ImportOut(Schema):
    ok: bool
    committed: bool
    total: int
    materials: int
    created: int
    updated: int
    unchanged: int
    items_created: int
    errors: list[ItemImportErrorOut]


class ServiceItemOut(Schema):
    base_code: str
    name: str
    item_type: str
    legal_basis: str
    level: str
    description: str
    keywords: str
    status: str


class ServiceItemIn(Schema):
    base_code: str = Field(..., pattern=BASE_CODE_PATTERN)
    name: str = Field(..., min_length=1, max_length=200)
    item_type: ItemTypeIn
    legal_basis: str = Field(..., min_length=1, max_length=4000)
    level: Literal["national", "provincial", "municipal", "county"] = "national"
    description: str = Field("", max_length=2000)
    keywords: str = Field("", max_length=200)
    status: StatusIn = "published"
