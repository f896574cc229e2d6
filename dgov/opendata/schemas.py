"""API schemas of dgov.opendata (names prefixed `Opendata`)."""

from datetime import datetime
from typing import Any, Literal

from ninja import Field, Schema

from dgov.opendata.applications import MAX_DAYS
from dgov.opendata.models import ApplicationStatus, DatasetStatus, License, RequestStatus

TOPIC_CODE = r"^[a-z0-9-]{1,40}$"


class OpendataTopicOut(Schema):
    code: str
    name: str
    description: str
    eu_theme: str


class OpendataEventOut(Schema):
    action: str
    actor: str
    note: str
    at: datetime


class OpendataDatasetOut(Schema):
    id: int
    uuid: str
    name: str
    entry: str = Field(..., description="The catalog entry's resource code.")
    entry_name: str
    department: str
    open_type: str
    title: str
    description: str
    topics: list[str]
    keywords: list[str]
    license: str
    status: DatasetStatus
    scan: dict[str, Any]
    columns: list[dict[str, str]] = Field(..., description="The columns served to the public: name, data item, mask.")
    published_at: datetime | None
    modified_at: datetime | None
    events: list[OpendataEventOut]


class OpendataDatasetQuery(Schema):
    status: DatasetStatus | None = None
    q: str = Field("", max_length=100, description="Part of the title or the resource code.")


class OpendataDatasetIn(Schema):
    entry: str = Field(..., max_length=20, pattern=r"^[1-3][0-9]{8}/[0-9]{6}$",
                       description="The published catalog entry to open (resource code).")
    title: str = Field("", max_length=200, description="Empty: the entry's name.")
    description: str = Field("", max_length=4000, description="Empty: the entry's summary.")
    topics: list[str] = Field([], max_length=10, description="Topic codes (`/api/v1/opendata/topics`).")
    keywords: list[str] = Field([], max_length=20)
    license: License = License.CC_BY


class OpendataDatasetPatch(Schema):
    title: str = Field("", max_length=200)
    description: str = Field("", max_length=4000)
    topics: list[str] | None = Field(None, max_length=10)
    keywords: list[str] | None = Field(None, max_length=20)
    license: License | None = None


class OpendataReviewIn(Schema):
    decision: Literal["publish", "return"]
    note: str = Field("", max_length=1000)


class OpendataNoteIn(Schema):
    note: str = Field(..., min_length=1, max_length=1000)


DATASET_NAME = Field(..., max_length=100, description="The published dataset's name (its portal address and CKAN "
                                                      "package name).")


class OpendataAgreementOut(Schema):
    text: str = Field(..., description="The data-use agreement (Markdown).")
    digest: str = Field(..., description="Its SM3 digest (hex), kept with every application that accepts it.")


class OpendataAccessOut(Schema):
    kind: str
    format: str
    rows: int
    at: datetime


class OpendataApplicationOut(Schema):
    id: int
    dataset: str
    dataset_title: str
    department: str = Field(..., description="The provider department, which decides.")
    applicant: str
    organisation: str
    purpose: str
    scenario: str
    agreement_digest: str
    agreed_at: datetime
    requested_days: int
    status: ApplicationStatus
    decided_by: str
    decided_at: datetime | None
    reason: str
    valid_until: datetime | None
    created_at: datetime
    accesses: list[OpendataAccessOut] | None = Field(
        None, description="One application only: the downloads and API calls under it, latest first (50).")


class OpendataApplicationQuery(Schema):
    status: ApplicationStatus | None = None


class OpendataApplicationIn(Schema):
    dataset: str = DATASET_NAME
    purpose: str = Field(..., min_length=1, max_length=2000)
    scenario: str = Field(..., min_length=1, max_length=500, description="Where the data will be used.")
    organisation: str = Field("", max_length=200, description="The organisation the applicant acts for.")
    requested_days: int = Field(..., ge=1, le=MAX_DAYS)
    agreed: bool = Field(..., description="The applicant read and accepts the data-use agreement "
                                          "(`/api/v1/opendata/agreement`); false is refused.")


class OpendataDecisionIn(Schema):
    decision: Literal["approve", "reject"]
    reason: str = Field("", max_length=1000, description="Required to reject.")
    days: int | None = Field(None, ge=1, le=MAX_DAYS, description="Days of access granted (at most those asked "
                                                                   "for; empty: all of them).")


class OpendataReasonIn(Schema):
    reason: str = Field(..., min_length=1, max_length=1000)


class OpendataRequestOut(Schema):
    id: int
    title: str
    description: str
    department: str
    department_code: str
    status: RequestStatus
    answer: str
    dataset: str | None = Field(..., description="The dataset opened in answer.")
    answered_at: datetime | None
    created_at: datetime


class OpendataRequestQuery(Schema):
    status: RequestStatus | None = None


class OpendataRequestIn(Schema):
    title: str = Field(..., min_length=1, max_length=200)
    description: str = Field(..., min_length=1, max_length=2000, description="The data needed and what for.")
    department: str = Field(..., max_length=20, pattern=r"^[0-9A-Za-z-]{1,20}$",
                            description="The code of the department asked (`/api/v1/departments`).")


class OpendataAnswerIn(Schema):
    status: Literal["answered", "planned", "declined"]
    answer: str = Field(..., min_length=1, max_length=2000, description="What the public will read.")
    dataset: str = Field("", max_length=100, description="A published dataset opened in answer (its name).")
