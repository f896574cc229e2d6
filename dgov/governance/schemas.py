"""API schemas of dgov.governance (names prefixed `Governance`)."""

from datetime import date, datetime
from typing import Any

from ninja import Field, Schema

from dgov.core.schemas import Id, InputDate


class GovernanceLineageQuery(Schema):
    entry: str | None = Field(None, max_length=20, pattern=r"^[1-3][0-9]{8}/[0-9]{6}$",
                              description="A catalog entry's resource code.")
    table: Id | None = Field(None, description="A harvested table's id.")


class GovernanceLineageNode(Schema):
    id: str
    kind: str
    label: str
    url: str
    score: float | None = None
    table: int | None = None


class GovernanceLineageEdge(Schema):
    from_: str = Field(..., alias="from")
    to: str
    columns: list[list[str]]
    calls: int | None = None
    job: str | None = None
    status: str | None = None

    model_config = {"populate_by_name": True}


class GovernanceLineageOut(Schema):
    nodes: list[GovernanceLineageNode]
    edges: list[GovernanceLineageEdge]


class GovernancePeriodQuery(Schema):
    start: InputDate | None = None
    end: InputDate | None = None
    department: str | None = Field(None, max_length=20, description="Only this department's resources.")


class GovernancePublishIn(Schema):
    start: InputDate
    end: InputDate


class GovernanceEvaluationOut(Schema):
    period: dict[str, str]
    formula: dict[str, Any]
    resources: list[dict[str, Any]]
    departments: list[dict[str, Any]]


class GovernancePublicationOut(Schema):
    id: int
    period_start: date
    period_end: date
    published_at: datetime
    formula: dict[str, Any]
    resources: list[dict[str, Any]]
    departments: list[dict[str, Any]]


class GovernanceFeedbackIn(Schema):
    entry: str = Field(..., max_length=20, description="The rated catalog entry's resource code.")
    department: str | None = Field(None, max_length=20,
                                   description="The consuming department's code (default: your own).")
    score: int = Field(..., ge=1, le=5)
    comment: str = Field("", max_length=2000)


class GovernanceFeedbackPatch(Schema):
    score: int | None = Field(None, ge=1, le=5)
    comment: str | None = Field(None, max_length=2000)


class GovernanceReplyIn(Schema):
    reply: str = Field(..., min_length=1, max_length=2000)


class GovernanceFeedbackQuery(Schema):
    entry: str | None = Field(None, max_length=20)
    department: str | None = Field(None, max_length=20)


class GovernanceFeedbackOut(Schema):
    id: int
    entry: str
    entry_name: str
    department: str
    department_name: str
    score: int
    comment: str
    reply: str
    replied_at: datetime | None
    created_at: datetime
    updated_at: datetime
