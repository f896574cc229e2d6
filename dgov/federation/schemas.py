"""API schemas of federation: peers by node code, subscriptions, publications and runs by id."""

from datetime import datetime
from typing import Annotated

from ninja import Field, FilterLookup, FilterSchema, Schema

from dgov.federation.models import PeerRole, Subscription, SyncRun


class PeerOut(Schema):
    code: str
    name: str
    role: PeerRole
    base_url: str
    public_key_pem: str
    enabled: bool
    paired_at: datetime | None
    is_demo: bool


class PeerIn(Schema):
    code: str = Field(..., pattern=r"^[0-9]{2,12}$", description="The peer's node code (its region code).")
    name: str = Field(..., min_length=1, max_length=100)
    role: PeerRole
    base_url: str = Field(..., min_length=8, max_length=200, description="Where the peer's node answers.")
    public_key_pem: str = Field(..., min_length=1, max_length=2000,
                                description="The peer's SM2 public key (PEM), from its `dgov node show`.")
    enabled: bool = True


class PeerPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=100)
    role: PeerRole | None = None
    base_url: str | None = Field(None, min_length=8, max_length=200)
    public_key_pem: str | None = Field(None, min_length=1, max_length=2000)
    enabled: bool | None = None


class PeerFilter(FilterSchema):
    role: PeerRole | None = None
    enabled: bool | None = None


class SubscriptionOut(Schema):
    id: int
    peer_code: str = Field(..., alias="peer.code")
    feed: str
    kind: Subscription.Kind
    dataset_code: str | None = Field(None, alias="dataset.entry.code")
    enabled: bool
    checkpoint: int
    source_seq: int
    lag: int
    rows_applied: int
    last_success_at: datetime | None
    last_failure_at: datetime | None
    last_error: str


class SubscriptionFilter(FilterSchema):
    peer: Annotated[str | None, FilterLookup("peer__code")] = Field(None, max_length=12)
    kind: Subscription.Kind | None = None
    failing: bool | None = Field(None, description="Only subscriptions whose last sync failed (true) or not.")

    def filter_failing(self, value):
        from django.db.models import Q

        if value is None:
            return Q()
        return ~Q(last_error="") if value else Q(last_error="")


class PublicationOut(Schema):
    id: int
    peer_code: str = Field(..., alias="peer.code")
    dataset_code: str = Field(..., alias="dataset.entry.code")
    remote_checkpoint: int
    last_push_at: datetime | None
    last_error: str


class SyncRunOut(Schema):
    id: int
    peer_code: str = Field(..., alias="peer.code")
    feed: str
    direction: SyncRun.Direction
    status: SyncRun.Status
    started_at: datetime
    finished_at: datetime | None
    from_seq: int
    to_seq: int
    batches: int
    rows_applied: int
    rows_deleted: int
    error: str


class SyncRunFilter(FilterSchema):
    peer: Annotated[str | None, FilterLookup("peer__code")] = Field(None, max_length=12)
    feed: str | None = Field(None, max_length=20)
    status: SyncRun.Status | None = None


class NodeOut(Schema):
    code: str
    name: str
    url: str
    public_key_pem: str
    fingerprint: str
