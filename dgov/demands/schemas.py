"""API schemas of the data supply–demand list. Departments and catalog entries are referred to by
their codes, demands by their numbers (XQ + year + sequence)."""

from datetime import date, datetime
from typing import Annotated, Literal

from ninja import Field, Schema

from dgov.catalog.models import SharingMethod, SharingType
from dgov.core import schemas as core_schemas
from dgov.demands.models import State
from dgov.demands.services import FIELD_MAX, FIELDS_MAX, TEXT_MAX

FieldName = Annotated[str, Field(min_length=1, max_length=FIELD_MAX)]
Text = Annotated[str, Field(max_length=TEXT_MAX)]


class DemandIn(Schema):
    title: str = Field(..., min_length=1, max_length=200, description="What data is needed.")
    fields: list[FieldName] = Field(..., min_length=1, max_length=FIELDS_MAX, description="The data items needed.")
    purpose: Text = Field(..., min_length=1)
    legal_basis: Text = Field(..., min_length=1)
    scenario: Text = ""
    sharing_method: SharingMethod
    department_code: str | None = Field(None, max_length=20,
                                        description="The requesting department (default: yours).")


class DemandPatch(Schema):
    title: str | None = Field(None, min_length=1, max_length=200)
    fields: list[FieldName] | None = Field(None, min_length=1, max_length=FIELDS_MAX)
    purpose: Text | None = Field(None, min_length=1)
    legal_basis: Text | None = Field(None, min_length=1)
    scenario: Text | None = None
    sharing_method: SharingMethod | None = None


class DemandQuery(Schema):
    state: State | None = None
    overdue: bool | None = Field(None, description="Only demands past their reply deadline (true) or not (false).")
    role: Literal["", "requester", "provider"] = Field(
        "", description="`requester`: filed by your department; `provider`: addressed to it.")
    department: str = Field("", max_length=20, description="A department taking part (requesting or providing).")
    q: str = Field("", max_length=100, description="Text in the number, title, fields or purpose.")


class MatchIn(Schema):
    entry_code: str = Field(..., min_length=1, max_length=20, description="A published catalog entry's code.")


class ConfirmIn(Schema):
    answer: Text = ""


class RejectIn(Schema):
    reason: Text = ""


class FulfilIn(Schema):
    fulfilment: Text = ""


class DemandOut(Schema):
    number: str
    department_code: str = Field(..., alias="department.code")
    department_name: str = Field(..., alias="department.name")
    title: str
    fields: list[str]
    purpose: str
    legal_basis: str
    scenario: str
    sharing_method: str
    state: str
    entry_code: str | None = None
    entry_name: str | None = None
    provider_code: str | None = None
    provider_name: str | None = None
    matched_on: date | None
    due_on: date | None
    overdue: bool = Field(..., alias="is_overdue")
    answer: str
    reason: str
    fulfilment: str
    fulfilled_on: date | None
    reminded_on: date | None
    created_at: datetime

    @staticmethod
    def resolve_entry_code(obj):
        return obj.entry.code if obj.entry_id else None

    @staticmethod
    def resolve_entry_name(obj):
        return obj.entry.name if obj.entry_id else None

    @staticmethod
    def resolve_provider_code(obj):
        return obj.provider.code if obj.provider_id else None

    @staticmethod
    def resolve_provider_name(obj):
        return obj.provider.name if obj.provider_id else None


class SuggestionOut(Schema):
    code: str = Field(..., alias="entry.code")
    name: str = Field(..., alias="entry.name")
    department_code: str = Field(..., alias="entry.department.code")
    department_name: str = Field(..., alias="entry.department.name")
    sharing_type: SharingType = Field(..., alias="entry.sharing_type")
    fields: dict[str, list[str]] = Field(..., description="Each wanted field → the entry's data items answering it.")
    found: int
    missing: list[str]
    title_terms: int
    refusal: list[str] = Field(..., description="Why it cannot be shared (不予共享, the data negative list).")


class DemandEventOut(core_schemas.HistoryEventOut):
    state: str


class DemandDetailOut(DemandOut):
    events: list[DemandEventOut]
    suggestions: list[SuggestionOut]
