"""API schemas of cases. Cases are referred to by their reference (`YT` + yyyymmdd + 6 digits),
implementations by their implementation code, materials by their id in the implementation."""

from datetime import date, datetime
from typing import Any, Literal

from ninja import Field, Schema

from dgov.cases.models import State
from dgov.cases.services import ACTIONS, PROCEDURES, REASON_MAX


class CaseMaterialIn(Schema):
    material: int = Field(..., description="The material's id in the implementation.")
    licence: str = Field(..., min_length=1, max_length=80,
                         description="The identifier of an e-licence you hold that replaces the material (免证办).")


class CaseIn(Schema):
    implementation: str = Field(..., min_length=1, max_length=40, description="The implementation code.")
    answers: dict[str, Any] = Field(default_factory=dict, description="The form's answers, by field key.")
    materials: list[CaseMaterialIn] = Field(default_factory=list, max_length=50,
                                        description="Materials given as e-licences (uploads: the web pages).")
    submit: bool = Field(False, description="Submit at once (else the case stays a draft).")


class CorrectionItemIn(Schema):
    material: int | None = None
    name: str = Field("", max_length=200)
    reason: str = Field(..., min_length=1, max_length=500)


class CaseTransitionIn(Schema):
    action: Literal[tuple(a for a in ACTIONS if a != "withdraw")]  # type: ignore[valid-type]
    reason: str = Field("", max_length=REASON_MAX)
    items: list[CorrectionItemIn] | None = Field(None, max_length=100,
                                                  description="request_correction: the complete list.")
    procedure: Literal[tuple(PROCEDURES)] | None = Field(  # type: ignore[valid-type]
        None, description="suspend: the special procedure.")
    fields: dict[str, Any] | None = Field(None, description="approve: values of the result licence's fields.")


class CaseQuery(Schema):
    state: State | None = None
    warning: Literal["yellow", "red", "overdue", "any"] | None = None


class EventOut(Schema):
    action: str
    from_state: str
    to_state: str
    reason: str
    at: datetime
    by: str
    department: str
    public: bool
    data: dict


class CaseMaterialOut(Schema):
    id: int
    material: int | None
    name: str
    kind: str
    filename: str
    content_type: str
    size: int
    sm3: str
    license_identifier: str


class CaseOut(Schema):
    reference: str | None
    implementation: str
    title: str
    department: str
    region: str
    applicant_name: str
    state: State
    outcome: str
    case_kind: str
    submitted_at: datetime | None
    received_on: date | None
    intake_due_on: date | None
    accepted_on: date | None
    deemed_accepted: bool
    due_on: date | None
    limit_days: int
    limit_unit: str
    paused_days: int
    warning: str
    remaining_days: int | None
    result_license: str


class CaseDetailOut(CaseOut):
    answers: dict[str, Any]
    materials: list[CaseMaterialOut]
    history: list[EventOut]
    allowed_actions: list[str]
