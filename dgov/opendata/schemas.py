"""API schemas of dgov.opendata (names prefixed `Opendata`)."""

from datetime import datetime
from typing import Any, Literal

from ninja import Field, Schema

from dgov.opendata.models import DatasetStatus, License

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
