import datetime as dt

from ninja import Field, Schema

from dgov.catalog.schemas import MAX_POSITIVE_BIGINT
from dgov.census.models import AssignmentState, CampaignState


class ProgressOut(Schema):
    assigned: int
    done: int = Field(..., description="Assignments submitted or accepted.")
    overdue: int
    rate: float = Field(..., description="Completion rate in per cent: done / assigned.")
    by_state: dict[str, int]


class CampaignOut(Schema):
    id: int
    year: int
    name: str
    instructions: str
    opens_on: dt.date
    due_on: dt.date
    state: CampaignState
    progress: ProgressOut


class CampaignIn(Schema):
    year: int = Field(..., ge=2000, le=2100)
    name: str = Field(..., min_length=1, max_length=200)
    instructions: str = Field("", max_length=4000)
    opens_on: dt.date
    due_on: dt.date


class CampaignPatch(Schema):
    year: int | None = Field(None, ge=2000, le=2100)
    name: str | None = Field(None, min_length=1, max_length=200)
    instructions: str | None = Field(None, max_length=4000)
    opens_on: dt.date | None = None
    due_on: dt.date | None = None


class CampaignFilter(Schema):
    year: int | None = Field(None, ge=2000, le=2100)
    state: CampaignState | None = None


class AssignIn(Schema):
    department_codes: list[str] = Field([], max_length=500, description="Departments by code.")
    under: str = Field("", max_length=20, description="A unit's code: its government departments and public "
                                                       "institutions.")
    region_code: str = Field("", max_length=12, description="A region's code: the departments and institutions "
                                                            "of it and the regions below it.")


class AssignmentOut(Schema):
    id: int
    campaign_id: int
    campaign: str = Field(..., alias="campaign.name")
    department_code: str = Field(..., alias="department.code")
    department: str = Field(..., alias="department.name")
    state: AssignmentState
    overdue: bool = Field(..., alias="is_overdue")
    due_on: dt.date = Field(..., alias="campaign.due_on")
    entries_before: int | None
    entries_after: int | None
    confirmed: int
    updated: int
    created: int
    submitted_at: dt.datetime | None
    last_upload_at: dt.datetime | None = None
    return_reason: str


class AssignmentFilter(Schema):
    campaign: int | None = Field(None, ge=1, le=MAX_POSITIVE_BIGINT)
    state: AssignmentState | None = None
    department: str = Field("", max_length=20)
    overdue: bool | None = None


class RowErrorOut(Schema):
    row: int
    column: str
    message: str


class UploadOut(Schema):
    id: int
    filename: str
    size: int
    digest: str = Field(..., description="SM3 digest of the file, hexadecimal.")
    dry_run: bool
    ok: bool
    created: int = Field(..., alias="created_count")
    updated: int = Field(..., alias="updated_count")
    unchanged: int = Field(..., alias="unchanged_count")
    errors: list[RowErrorOut]
    not_in_file: list[str] = Field(..., description="Resource codes of the department's entries in force (not "
                                                    "withdrawn) that the file leaves out.")
    uploaded_by: str | None = Field(None, alias="uploaded_by.username")
    created_at: dt.datetime


class ReopenIn(Schema):
    due_on: dt.date = Field(..., description="The new due date: today or later.")


class ReturnIn(Schema):
    reason: str = Field(..., min_length=1, max_length=500)
