"""API schemas of sharing requests and grants. Departments, applications and catalog entries are
referred to by their codes, requests by their numbers (GX + year + sequence), grants by id."""

from datetime import date, datetime
from typing import Annotated, Literal

from ninja import Field, Schema

from dgov.core import schemas as core_schemas
from dgov.sharing.models import GrantStatus, Status
from dgov.sharing.services import (
    FILTERS_MAX,
    IN_VALUES_MAX,
    ITEMS_MAX,
    OPS,
    QUOTA_MAX,
    RATE_MAX,
    TEXT_MAX,
    VALUE_MAX,
)

ItemName = Annotated[str, Field(min_length=1, max_length=100)]
Text = Annotated[str, Field(max_length=TEXT_MAX)]
MAX_POSITIVE_BIGINT = 2**63 - 1
Scalar = (Annotated[str, Field(min_length=1, max_length=VALUE_MAX)]
          | Annotated[int, Field(ge=-MAX_POSITIVE_BIGINT, le=MAX_POSITIVE_BIGINT)] | float | bool)


class SharingCondition(Schema):
    item: ItemName
    op: Literal[OPS]  # type: ignore[valid-type]
    value: Scalar | Annotated[list[Scalar], Field(min_length=1, max_length=IN_VALUES_MAX)]


class SharingRequestIn(Schema):
    application_code: str = Field(..., min_length=1, max_length=50,
                                  description="The consumer application (of the consumer department).")
    entry_code: str = Field(..., min_length=1, max_length=20, description="A published catalog entry's code.")
    items: list[ItemName] = Field(..., min_length=1, max_length=ITEMS_MAX, description="The data items requested.")
    purpose: Text = Field(..., min_length=1)
    legal_basis: Text = Field(..., min_length=1)
    scenario: Text = Field(..., min_length=1)
    period_start: date
    period_end: date
    department_code: str | None = Field(None, max_length=20, description="The consumer department (default: yours).")


class SharingRequestQuery(Schema):
    status: Status | None = None
    overdue: bool | None = Field(None, description="Only requests past their current step's deadline (true) or "
                                                   "not (false).")
    role: Literal["", "consumer", "provider"] = Field(
        "", description="`consumer`: made by your department; `provider`: for your department's data.")
    department: str = Field("", max_length=20, description="A department taking part (consumer or provider).")
    q: str = Field("", max_length=100, description="Text in the number, entry, application or items.")


class SharingReasonIn(Schema):
    reason: Text = ""


class SharingProviderApproveIn(Schema):
    reason: Text = ""
    items: list[ItemName] | None = Field(None, min_length=1, max_length=ITEMS_MAX,
                                         description="Narrow the items (default: all requested).")
    row_filter: list[SharingCondition] | None = Field(None, max_length=FILTERS_MAX,
                                               description="Conditions every returned row must meet.")
    daily_quota: int | None = Field(None, ge=1, le=QUOTA_MAX, description="Calls per day (default: the platform's).")
    rate_limit: int | None = Field(None, ge=1, le=RATE_MAX, description="Calls per minute (default: the platform's).")
    unmasked_items: list[ItemName] | None = Field(None, max_length=ITEMS_MAX,
                                                  description="Approved items the consumer may see unmasked.")
    expires_on: date | None = Field(None, description="End the grant earlier than the requested period.")


class SharingEventOut(core_schemas.HistoryEventOut):
    status: str


class SharingRequestOut(Schema):
    number: str
    department_code: str = Field(..., alias="department.code")
    department_name: str = Field(..., alias="department.name")
    application_code: str = Field(..., alias="application.code")
    application_name: str = Field(..., alias="application.name")
    entry_code: str = Field(..., alias="entry.code")
    entry_name: str = Field(..., alias="entry.name")
    provider_code: str = Field(..., alias="provider.code")
    provider_name: str = Field(..., alias="provider.name")
    sharing_type: str
    items: list[str]
    purpose: str
    legal_basis: str
    scenario: str
    period_start: date
    period_end: date
    status: str
    submitted_on: date
    due_on: date | None
    overdue: bool = Field(..., alias="is_overdue")
    provider_due_on: date | None
    provider_decided_at: datetime | None
    provider_reason: str
    centre_due_on: date | None
    centre_decided_at: datetime | None
    centre_reason: str
    withdraw_reason: str
    approved_items: list[str]
    row_filter: list[dict]
    daily_quota: int | None
    rate_limit: int | None
    unmasked_items: list[str]
    expires_on: date | None
    created_at: datetime


class SharingRequestDetailOut(SharingRequestOut):
    events: list[SharingEventOut]
    grant_id: int | None = Field(None, description="The grant the request produced, if any.")


class SharingGrantQuery(Schema):
    status: GrantStatus | None = None
    usable: bool | None = Field(None, description="Only grants usable now (true) or not (false).")
    role: Literal["", "consumer", "provider"] = Field(
        "", description="`consumer`: held by your department's applications; `provider`: of your department's data.")
    application: str = Field("", max_length=50, description="The consumer application's code.")
    entry: str = Field("", max_length=20, description="The catalog entry's (data service's) code.")
    q: str = Field("", max_length=100, description="Text in the entry, application or items.")


class SharingGrantOut(Schema):
    id: int
    application_code: str = Field(..., alias="application.code")
    application_name: str = Field(..., alias="application.name")
    department_code: str = Field(..., alias="application.department.code")
    service_code: str = Field(..., alias="entry.code", description="The data service's code (the resource code).")
    entry_name: str = Field(..., alias="entry.name")
    provider_code: str = Field(..., alias="entry.department.code")
    items: list[str]
    row_filter: list[dict]
    valid_from: datetime
    expires_at: datetime
    daily_quota: int
    rate_limit: int
    unmasked_items: list[str]
    status: str
    usable: bool = Field(..., alias="is_usable")
    request_number: str | None = None
    revoked_reason: str
    revoked_at: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_request_number(obj):
        return obj.request.number if obj.request_id else None
