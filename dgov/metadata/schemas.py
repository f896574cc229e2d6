"""API schemas of dgov.metadata (names prefixed `Metadata`)."""

from datetime import datetime
from typing import Any

from ninja import Field, Schema

from dgov.core.schemas import Id


class MetadataTableQuery(Schema):
    source: Id | None = Field(None, description="Only this source database's tables.")
    datastore: bool = Field(False, description="Only the data store's tables.")
    q: str = Field("", max_length=128, description="Part of the table name.")
    department: str = Field("", max_length=20, description="Owning department code.")
    include_dropped: bool = Field(False, description="Also tables (and columns) dropped since.")


class MetadataColumnOut(Schema):
    name: str
    position: int
    data_type: str
    type_family: str
    max_length: int | None
    nullable: bool
    default: str
    comment: str
    is_primary_key: bool
    personal: bool
    element: str | None = Field(None, description="Identifier of the mapped data element.")
    dropped_at: datetime | None


class MetadataTableOut(Schema):
    id: int
    qualified_name: str
    location: str
    source: int | None
    source_name: str
    dataset: str | None = Field(None, description="Resource code of the dataset (data-store tables).")
    department: str = Field(..., description="Owning department code.")
    department_name: str
    schema_name: str = Field(..., description="Schema (PostgreSQL), database (MySQL) or main (SQLite); empty "
                                              "for the data store's tables.")
    name: str
    kind: str
    comment: str
    row_count: int | None
    row_count_exact: bool = Field(..., description="True: count(*); false: the catalog's estimate.")
    size_bytes: int | None
    primary_key: list[str]
    foreign_keys: list[dict[str, Any]]
    indexes: list[dict[str, Any]]
    harvested_at: datetime | None
    dropped_at: datetime | None
    columns: list[MetadataColumnOut]


class MetadataChangeOut(Schema):
    table: str
    table_id: int
    kind: str
    column: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class MetadataHarvestOut(Schema):
    id: int
    location: str
    source: int | None
    department: str | None
    trigger: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    tables: int
    columns: int
    changes: int
    error: str


class MetadataHarvestDetailOut(MetadataHarvestOut):
    change_set: list[MetadataChangeOut]


class MetadataHarvestIn(Schema):
    source: Id | None = Field(..., description="Source database id; null: the data store.")


class MetadataColumnIn(Schema):
    element: str | None = Field(..., max_length=64, description="Data element identifier; null removes the mapping.")
