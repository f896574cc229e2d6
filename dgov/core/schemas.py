from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal

from ninja import Field, FilterLookup, FilterSchema, Schema
from pydantic import AfterValidator

# Dates and times accepted as input: within years any record of a city can carry, and UTC offsets
# that exist (every database stores them; date arithmetic cannot overflow).
MIN_YEAR, MAX_YEAR = 1900, 2200
MAX_OFFSET = timedelta(hours=14)


def _check_date(value: date) -> date:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(f"the year must be between {MIN_YEAR} and {MAX_YEAR}")
    return value


def _check_datetime(value: datetime) -> datetime:
    _check_date(value.date())
    offset = value.utcoffset()
    if offset is not None and abs(offset) > MAX_OFFSET:
        raise ValueError("the UTC offset must be within ±14:00")
    return value


InputDate = Annotated[date, AfterValidator(_check_date)]
InputDateTime = Annotated[datetime, AfterValidator(_check_datetime)]

# A record id given as input (path, query or body): positive and within a 64-bit key, so that a fuzzed
# huge number is a 422 rather than an overflow inside the database driver.
MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class AuditEntryOut(Schema):
    seq: int
    occurred_at: datetime
    actor_id: int | None
    actor_username: str
    action: str
    object_type: str
    object_id: str
    object_repr: str
    changes: Any
    outcome: str
    ip: str | None
    request_id: str
    source: str
    hash: str


class AuditFilter(FilterSchema):
    actor: Annotated[str | None, FilterLookup("actor_username")] = Field(None, max_length=150)
    action: Annotated[str | None, FilterLookup("action__startswith")] = Field(None, max_length=80)
    object_type: str | None = Field(None, max_length=100)
    object_id: str | None = Field(None, max_length=64)
    outcome: Literal["success", "denied", "failed"] | None = None
    request_id: str | None = Field(None, max_length=64)
    since: Annotated[InputDateTime | None, FilterLookup("occurred_at__gte")] = None
    until: Annotated[InputDateTime | None, FilterLookup("occurred_at__lt")] = None


class HistoryEventOut(Schema):
    """One step of a record's history (its `…Event` rows: `_event_history.html` shows the same);
    a subclass adds the record's state field."""

    action: str
    actor: str | None = None
    department: str | None = None
    text: str
    created_at: datetime

    @staticmethod
    def resolve_actor(obj):
        return obj.actor.username if obj.actor_id else None

    @staticmethod
    def resolve_department(obj):
        return obj.department.code if obj.department_id else None
