"""API schemas of data aggregation. Departments and catalog entries are referred to by their codes;
sources, datasets, load jobs and runs by their ids. A source's URL goes in, never out: responses
carry `safe_url` (password hidden)."""

from datetime import datetime
from typing import Annotated

from ninja import Field, Schema

from dgov.aggregation.models import LoadMode, LoadRun, MaskKind, Schedule, SourceDatabase, SourceMapping
from dgov.catalog.models import DataItem
from dgov.core.schemas import MAX_ID

Name = Annotated[str, Field(min_length=1, max_length=100)]
SourceName = Annotated[str, Field(min_length=1, max_length=128)]


class SourceOut(Schema):
    id: int
    department_code: str = Field(..., alias="department.code")
    department_name: str = Field(..., alias="department.name")
    name: str
    kind: SourceDatabase.Kind
    safe_url: str = Field(..., description="The connection URL with its password hidden.")
    description: str
    last_tested_at: datetime | None
    last_test_ok: bool | None
    is_demo: bool


class SourceIn(Schema):
    name: Name
    kind: SourceDatabase.Kind
    url: str = Field(..., min_length=1, max_length=1000,
                     description="postgresql://user:password@host:5432/db, mysql://…, or sqlite:////path (a file in "
                                 "the platform's source directory). Stored encrypted; never shown back.")
    description: str = Field("", max_length=500)
    department_code: str | None = Field(None, max_length=20, description="Default: your department.")


class SourcePatch(Schema):
    name: Name | None = None
    url: str | None = Field(None, min_length=1, max_length=1000)
    description: str | None = Field(None, max_length=500)


class SourceQuery(Schema):
    department: str = Field("", max_length=20)
    kind: SourceDatabase.Kind | None = None
    q: str = Field("", max_length=100)


class TestOut(Schema):
    ok: bool
    message: str


class SourceColumnOut(Schema):
    name: str
    type: str
    nullable: bool
    primary_key: bool


class ColumnSpec(Schema):
    name: str = Field("", max_length=63, description="ASCII column name; default from the item's data element.")
    item_name: str = Field(..., min_length=1, max_length=100, description="The catalog data item it carries.")
    is_key: bool = False
    mask: MaskKind | None = Field(None, description="Default: chosen from the item's personal-data class and name.")


class ColumnOut(Schema):
    name: str
    item_name: str
    data_type: DataItem.DataType
    is_key: bool
    mask: MaskKind
    position: int


class DatasetOut(Schema):
    id: int
    entry_code: str = Field(..., alias="entry.code")
    entry_name: str = Field(..., alias="entry.name")
    department_code: str = Field(..., alias="entry.department.code")
    table_name: str
    row_count: int
    last_seq: int
    last_loaded_at: datetime | None
    is_demo: bool
    columns: list[ColumnOut]


class DatasetIn(Schema):
    entry_code: str = Field(..., min_length=1, max_length=20, description="A published catalog entry's code.")
    columns: list[ColumnSpec] = Field(..., min_length=1, max_length=200)


class DatasetPatch(Schema):
    columns: list[ColumnSpec] = Field(..., min_length=1, max_length=200)


class DatasetQuery(Schema):
    department: str = Field("", max_length=20)
    q: str = Field("", max_length=100)


class JobOut(Schema):
    id: int
    name: str
    dataset_id: int
    entry_code: str = Field(..., alias="dataset.entry.code")
    source_id: int | None
    source_table: str
    column_map: dict[str, str]
    mode: LoadMode
    incremental_by: str
    incremental_column: str
    watermark: str
    schedule: Schedule
    next_run_at: datetime | None
    enabled: bool
    is_demo: bool


class JobIn(Schema):
    name: Name
    dataset_id: int = Field(..., ge=1, le=MAX_ID)
    source_id: int | None = Field(None, ge=1, le=MAX_ID, description="Empty: the job loads uploaded files.")
    source_table: str = Field("", max_length=128)
    column_map: dict[Annotated[str, Field(max_length=63)], Annotated[str, Field(max_length=128)]] = Field(
        ..., description="Dataset column → source column (or file header).")
    mode: LoadMode = LoadMode.FULL
    incremental_by: SourceMapping.IncrementalBy | None = None
    incremental_column: str = Field("", max_length=128)
    schedule: Schedule = Schedule.MANUAL
    enabled: bool = True


class JobPatch(Schema):
    name: Name | None = None
    source_table: str | None = Field(None, max_length=128)
    column_map: dict[Annotated[str, Field(max_length=63)], Annotated[str, Field(max_length=128)]] | None = None
    mode: LoadMode | None = None
    incremental_by: SourceMapping.IncrementalBy | None = None
    incremental_column: str | None = Field(None, max_length=128)
    schedule: Schedule | None = None
    enabled: bool | None = None


class JobQuery(Schema):
    dataset: int | None = Field(None, ge=1, le=MAX_ID)
    source: int | None = Field(None, ge=1, le=MAX_ID)
    q: str = Field("", max_length=100)


class RejectOut(Schema):
    row: int
    key: str
    reason: str


class RunOut(Schema):
    id: int
    job_id: int = Field(..., alias="mapping_id")
    dataset_id: int
    entry_code: str = Field(..., alias="dataset.entry.code")
    mode: LoadMode
    trigger: LoadRun.Trigger
    status: LoadRun.Status
    file_name: str
    started_at: datetime
    finished_at: datetime | None
    rows_read: int
    rows_written: int
    rows_unchanged: int
    rows_rejected: int
    rows_deleted: int
    error: str
    watermark_before: str
    watermark_after: str


class RunDetailOut(RunOut):
    rejects: list[RejectOut] = Field(..., description="The rejected rows with their reasons (at most 1000).")


class RunQuery(Schema):
    dataset: int | None = Field(None, ge=1, le=MAX_ID)
    job: int | None = Field(None, ge=1, le=MAX_ID)
    status: LoadRun.Status | None = None
