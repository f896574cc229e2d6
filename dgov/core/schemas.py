from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Field, FilterLookup, FilterSchema, Schema


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
    since: Annotated[datetime | None, FilterLookup("occurred_at__gte")] = None
    until: Annotated[datetime | None, FilterLookup("occurred_at__lt")] = None
