"""API schemas of data quality (names prefixed `Quality`)."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ninja import Field, Schema

from dgov.core.schemas import Id
from dgov.quality.models import QualityRun, RuleKind, TaskState
from dgov.quality.services import NOTE_MAX


class QualityRunIn(Schema):
    table: Id | str = Field(..., description="The harvested table: its id, or its qualified name such as "
                                              "`datastore/ds_x` or `source-3/public.people`.")


class QualityResultOut(Schema):
    rule: str
    rule_id: int | None
    kind: str
    checked: int
    failed: int
    failed_pct: float
    passed: bool
    details: dict[str, Any]
    sample: list[dict[str, Any]]
    error: str


class QualityRunOut(Schema):
    id: int
    table: str
    table_id: int
    department: str
    status: QualityRun.Status
    trigger: QualityRun.Trigger
    score: float | None
    rows: int | None
    statements: int
    dialect: str
    error: str
    started_at: datetime
    finished_at: datetime | None
    results: list[QualityResultOut]


class QualityRunSummaryOut(Schema):
    id: int
    table: str
    table_id: int
    department: str
    status: QualityRun.Status
    trigger: QualityRun.Trigger
    score: float | None
    rows: int | None
    started_at: datetime
    finished_at: datetime | None


class QualityRunQuery(Schema):
    table: Id | None = None
    status: QualityRun.Status | None = None


class QualityRuleIn(Schema):
    table: Id | str
    name: str = Field(..., min_length=1, max_length=100)
    kind: RuleKind
    columns: list[str] = []
    params: dict[str, Any] = {}
    threshold_pct: Decimal = Field(Decimal(0), ge=0, le=100, max_digits=6, decimal_places=3)
    weight: int = Field(1, ge=1, le=100)
    remediate: bool = True
    enabled: bool = True
    description: str = Field("", max_length=500)


class QualityRuleOut(Schema):
    id: int
    table: str
    table_id: int
    department: str
    name: str
    kind: str
    columns: list[str]
    params: dict[str, Any]
    threshold_pct: float
    weight: int
    remediate: bool
    enabled: bool
    description: str


class QualityRuleQuery(Schema):
    table: Id | None = None
    kind: RuleKind | None = None


class QualityDepartmentScoreOut(Schema):
    department: str
    code: str
    score: float | None
    tables: int


class QualityTableScoreOut(Schema):
    table: str
    table_id: int
    department: str
    score: float | None
    run: int
    at: datetime


class QualityScoresOut(Schema):
    city: float | None
    formula: str
    departments: list[QualityDepartmentScoreOut]
    tables: list[QualityTableScoreOut]


class QualityTaskQuery(Schema):
    state: TaskState | None = None
    overdue: bool | None = None


class QualityFixIn(Schema):
    note: str = Field(..., min_length=1, max_length=NOTE_MAX)


class QualityTaskEventOut(Schema):
    action: str
    to_state: str
    note: str
    run: int | None
    at: datetime
    by: str


class QualityTaskOut(Schema):
    id: int
    rule: str
    rule_id: int
    table: str
    department: str
    state: TaskState
    due_on: date
    overdue: bool
    failed_at_open: int
    opened_by_run: int
    last_check_run: int | None
    last_failed: int | None
    fix_note: str
    fixed_at: datetime | None
    closed_at: datetime | None
    escalated_at: datetime | None
    history: list[QualityTaskEventOut]
