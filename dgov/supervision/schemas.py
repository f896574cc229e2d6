"""API schemas of supervision tasks (names prefixed `Supervision`)."""

from datetime import date, datetime
from typing import Literal

from ninja import Field, Schema

from dgov.supervision.models import TaskState
from dgov.supervision.services import NOTE_MAX


class SupervisionQuery(Schema):
    state: TaskState | None = None
    overdue: bool | None = None


class SupervisionNoteIn(Schema):
    note: str = Field("", max_length=NOTE_MAX)


class SupervisionTransitionIn(Schema):
    action: Literal["acknowledge", "start", "close"]
    note: str = Field("", max_length=NOTE_MAX, description="Required to close.")


class SupervisionEventOut(Schema):
    action: str
    to_state: str
    note: str
    at: datetime
    by: str


class SupervisionTaskOut(Schema):
    id: int
    reference: str
    item: str
    implementation: str
    approving_department: str
    supervising_department: str
    supervising_department_code: str
    department_assumed: bool
    holder_name: str
    holder_code_masked: str
    holder_is_enterprise: bool
    result_license: str
    decided_at: datetime
    state: str
    due_on: date
    overdue: bool
    acknowledged_at: datetime | None
    supervising_at: datetime | None
    closed_at: datetime | None
    note: str
    allowed_actions: list[str]
    history: list[SupervisionEventOut]
