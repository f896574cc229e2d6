from datetime import datetime
from typing import Any, Literal

from ninja import Field, FilterSchema, Schema


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
    actor: str | None = Field(None, max_length=150, q="actor_username")
    action: str | None = Field(None, max_length=80, q="action__startswith")
    object_type: str | None = Field(None, max_length=100)
    object_id: str | None = Field(None, max_length=64)
    outcome: Literal["success", "denied", "failed"] | None = None
    request_id: str | None = Field(None, max_length=64)
    since: datetime | None = Field(None, q="occurred_at__gte")
    until: datetime | None = Field(None, q="occurred_at__lt")
