import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Field, FilterLookup, FilterSchema, Schema

HolderKindIn = Literal["person", "enterprise"]
StatusIn = Literal["valid", "changed", "revoked", "expired"]


class LicenseFieldOut(Schema):
    key: str
    label: str
    kind: str
    required: bool
    choices: list[str]


class LicenseTypeOut(Schema):
    code: str
    name: str
    holder_kind: str
    defining_department_code: str = Field(..., alias="defining_department.code")
    defining_department_name: str = Field(..., alias="defining_department.name")
    issuing_department_codes: list[str]
    physical_licence: str
    fields: list[LicenseFieldOut]
    validity_months: int | None
    face: dict[str, Any]
    status: str

    @staticmethod
    def resolve_issuing_department_codes(obj) -> list[str]:
        return [d.code for d in obj.issuing_departments.all()]


class LicenseListOut(Schema):
    identifier: str
    type_code: str = Field(..., alias="license_type.code")
    type_name: str = Field(..., alias="license_type.name")
    issuer_code: str = Field(..., alias="issuer.code")
    issuer_name: str = Field(..., alias="issuer.name")
    serial: int
    version: int
    holder_kind: str
    holder_name: str
    holder_code_masked: str
    issued_on: dt.date
    valid_from: dt.date
    valid_until: dt.date | None
    status: str
    source: str
    url: str

    @staticmethod
    def resolve_url(obj) -> str:
        return f"/api/v1/licenses/{obj.identifier}"


class LicenseEventOut(Schema):
    kind: str
    reason: str
    at: dt.datetime


class LicenseOut(LicenseListOut):
    """One licence with the holder's code unmasked (every read is audited; a pull is also shown to
    the holder), its data, file digest, seal and status-list entry."""

    holder_code: str
    metadata: dict[str, Any]
    physical_number: str
    signed_at: dt.datetime
    seal_es_id: str = Field(..., alias="seal.es_id")
    file_sm3: str
    case_reference: str
    previous: str | None
    next: str | None
    file_url: str
    verify_url: str
    credential_status: dict[str, Any] | None = Field(
        None, description="The W3C credentialStatus entry (BitstringStatusListEntry) of the licence.")
    events: list[LicenseEventOut]

    @staticmethod
    def resolve_previous(obj) -> str | None:
        return obj.previous.identifier if obj.previous_id else None

    @staticmethod
    def resolve_next(obj) -> str | None:
        successor = getattr(obj, "next_version", None) if obj.status == "changed" else None
        return successor.identifier if successor else None

    @staticmethod
    def resolve_file_url(obj) -> str:
        return f"/api/v1/licenses/{obj.identifier}/file"

    @staticmethod
    def resolve_verify_url(obj) -> str:
        from dgov.licenses.services import verify_url

        return verify_url(obj.identifier)

    @staticmethod
    def resolve_credential_status(obj) -> dict | None:
        from dgov.licenses.statuslist import entry

        return entry(obj)

    @staticmethod
    def resolve_events(obj) -> list:
        return list(obj.events.all())


class LicenseIssueIn(Schema):
    type_code: str = Field(..., min_length=21, max_length=21, description="The licence type's code.")
    issuer_code: str = Field(..., max_length=20, description="The issuing department's code (e.g. 360603907).")
    holder_kind: HolderKindIn
    holder_code: str = Field(..., min_length=1, max_length=30, description="身份证号 or 统一社会信用代码.")
    holder_name: str = Field(..., min_length=1, max_length=200)
    fields: dict[str, Any] = Field(default_factory=dict, description="The type's fields by key.")
    physical_number: str = Field("", max_length=64)
    case_reference: str | None = Field(None, max_length=64, description="The case whose result this licence is.")
    issued_on: dt.date | None = None
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None


class LicenseReasonIn(Schema):
    reason: str = Field(..., min_length=1, max_length=500)


class LicenseReissueIn(LicenseReasonIn):
    fields: dict[str, Any] | None = Field(None, description="The new values (default: unchanged).")
    holder_name: str | None = Field(None, min_length=1, max_length=200)
    physical_number: str | None = Field(None, max_length=64)


class LicenseFilter(FilterSchema):
    type_code: Annotated[str | None, FilterLookup("license_type__code")] = Field(None, max_length=21)
    issuer_code: Annotated[str | None, FilterLookup("issuer__code")] = Field(None, max_length=20)
    status: StatusIn | None = None
    holder_name: Annotated[str | None, FilterLookup("holder_name__icontains")] = Field(None, max_length=100)


class LicenseCheckOut(Schema):
    name: str
    ok: bool
    detail: str


class VerifiedLicenseOut(Schema):
    identifier: str
    type_name: str = Field(..., alias="license_type.name")
    issuer_name: str = Field(..., alias="issuer.name")
    holder_name_masked: str
    issued_on: dt.date
    valid_until: dt.date | None
    version: int


class LicenseVerifyIn(Schema):
    identifier: str = Field(..., min_length=1, max_length=200)


class LicenseVerifyOut(Schema):
    valid: bool
    status: str
    checks: list[LicenseCheckOut]
    license: VerifiedLicenseOut | None = None


class LicenseTrustOut(Schema):
    maker: str
    certificates: list[dict[str, Any]]
    status_list: str


class LicenseGrantIn(Schema):
    identifier: str = Field(..., max_length=100)
    department_code: str = Field(..., max_length=20)
    expires_at: dt.datetime | None = Field(None, description="Default: 30 days from now.")
    days: int | None = Field(None, ge=1, le=3660, description="Instead of expires_at: how many days from now.")
    case_reference: str = Field("", max_length=64)
    purpose: str = Field("", max_length=200)


class LicenseGrantOut(Schema):
    id: int
    identifier: str = Field(..., alias="license.identifier")
    type_name: str = Field(..., alias="license.license_type.name")
    department_code: str = Field(..., alias="department.code")
    department_name: str = Field(..., alias="department.name")
    case_reference: str
    purpose: str
    valid_from: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    active: bool

    @staticmethod
    def resolve_active(obj) -> bool:
        return obj.is_active()


class LicenseUseOut(Schema):
    identifier: str = Field(..., alias="license.identifier")
    department_code: str = Field(..., alias="department.code")
    department_name: str = Field(..., alias="department.name")
    username: str
    action: str
    case_reference: str
    at: dt.datetime
