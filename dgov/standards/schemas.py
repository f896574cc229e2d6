"""API schemas of dgov.standards (names prefixed `Standards`)."""

from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Field, Schema

from dgov.core.schemas import Id
from dgov.standards.models import ElementStatus, ElementType

# A model version number (stored as a small integer).
VersionNumber = Annotated[int, Field(ge=1, le=32767)]


class StandardsCodeValueOut(Schema):
    code: str
    name: str
    parent_code: str


class StandardsCodeValueIn(Schema):
    code: str = Field(..., min_length=1, max_length=40)
    name: str = Field(..., min_length=1, max_length=200)
    parent_code: str = Field("", max_length=40)


class StandardsCodeSetOut(Schema):
    id: int
    code: str
    name: str
    standard: str
    version: str
    source: str
    description: str
    is_builtin: bool


class StandardsCodeSetDetailOut(StandardsCodeSetOut):
    values: list[StandardsCodeValueOut]


class StandardsCodeSetQuery(Schema):
    q: str = Field("", max_length=100)
    builtin: bool | None = None


class StandardsCodeSetIn(Schema):
    code: str = Field(..., min_length=1, max_length=40)
    name: str = Field(..., min_length=1, max_length=100)
    standard: str = Field("", max_length=100)
    version: str = Field("", max_length=40)
    source: str = Field("", max_length=500)
    description: str = Field("", max_length=2000)
    values: list[StandardsCodeValueIn] = Field(default_factory=list, max_length=5000)


class StandardsCodeSetPatchIn(Schema):
    name: str | None = Field(None, min_length=1, max_length=100)
    standard: str | None = Field(None, max_length=100)
    version: str | None = Field(None, max_length=40)
    source: str | None = Field(None, max_length=500)
    description: str | None = Field(None, max_length=2000)
    values: list[StandardsCodeValueIn] | None = Field(None, max_length=5000)


class StandardsElementQuery(Schema):
    status: ElementStatus | None = None
    q: str = Field("", max_length=100)
    identifier: str = Field("", max_length=64)


class StandardsElementEventOut(Schema):
    action: str
    to_status: str
    note: str
    at: datetime
    by: str


class StandardsElementOut(Schema):
    id: int
    identifier: str
    version: int
    name: str
    english_name: str
    definition: str
    data_type: str
    max_length: int | None
    format: str
    pattern: str
    code_set: str | None
    value_domain: str
    unit: str
    check_digit: str
    personal: bool
    status: str
    department_code: str | None
    is_builtin: bool
    released_at: datetime | None


class StandardsElementDetailOut(StandardsElementOut):
    allowed_actions: list[str]
    history: list[StandardsElementEventOut]
    versions: list[int]
    used_by_data_items: int
    used_by_columns: int


class StandardsElementIn(Schema):
    identifier: str = Field(..., min_length=1, max_length=64)
    name: str = Field(..., min_length=1, max_length=100)
    english_name: str = Field("", max_length=100)
    definition: str = Field(..., min_length=1, max_length=2000)
    data_type: ElementType
    max_length: int | None = Field(None, ge=1, le=1_000_000)
    format: str = Field("", max_length=100)
    pattern: str = Field("", max_length=300)
    code_set: str = Field("", max_length=40, description="The code set's code, e.g. GB/T 2261.1-2003.")
    value_domain: str = Field("", max_length=500)
    unit: str = Field("", max_length=40)
    check_digit: Literal["", "id_number", "credit_code"] = ""
    personal: bool = False
    department_code: str = Field("", max_length=20, description="Default: your department.")


class StandardsElementPatchIn(Schema):
    identifier: str | None = Field(None, min_length=1, max_length=64)
    name: str | None = Field(None, min_length=1, max_length=100)
    english_name: str | None = Field(None, max_length=100)
    definition: str | None = Field(None, min_length=1, max_length=2000)
    data_type: ElementType | None = None
    max_length: int | None = Field(None, ge=1, le=1_000_000)
    format: str | None = Field(None, max_length=100)
    pattern: str | None = Field(None, max_length=300)
    code_set: str | None = Field(None, max_length=40)
    value_domain: str | None = Field(None, max_length=500)
    unit: str | None = Field(None, max_length=40)
    check_digit: Literal["", "id_number", "credit_code"] | None = None
    personal: bool | None = None
    department_code: str | None = Field(None, max_length=20)


class StandardsTransitionIn(Schema):
    action: Literal["review", "return", "release", "retire", "new_version"]
    note: str = Field("", max_length=1000, description="Required to return and to retire.")


class StandardsModelQuery(Schema):
    q: str = Field("", max_length=100)
    department: str = Field("", max_length=20)


class StandardsVersionSummaryOut(Schema):
    number: int
    status: str
    note: str
    created_at: datetime
    released_at: datetime | None


class StandardsModelOut(Schema):
    code: str
    name: str
    description: str
    department_code: str
    department: str
    latest_version: int | None
    released_version: int | None


class StandardsModelDetailOut(StandardsModelOut):
    versions: list[StandardsVersionSummaryOut]


class StandardsModelIn(Schema):
    code: str = Field(..., min_length=2, max_length=40)
    name: str = Field(..., min_length=1, max_length=100)
    description: str = Field("", max_length=2000)
    department_code: str = Field(..., min_length=1, max_length=20)


class StandardsModelPatchIn(Schema):
    name: str | None = Field(None, min_length=1, max_length=100)
    description: str | None = Field(None, max_length=2000)


class StandardsVersionOut(StandardsVersionSummaryOut):
    model: str
    definition: dict[str, Any]


class StandardsNewVersionIn(Schema):
    note: str = Field("", max_length=1000)


class StandardsVersionIn(Schema):
    definition: dict[str, Any] = Field(..., description="The model's definition: see dgov/standards/models.py.")
    note: str | None = Field(None, max_length=1000)


class StandardsDiffQuery(Schema):
    from_: VersionNumber = Field(..., alias="from")
    to: VersionNumber


class StandardsDiffOut(Schema):
    model: str
    from_version: int
    to_version: int
    entities_added: list[str]
    entities_removed: list[str]
    entities_changed: list[dict[str, Any]]
    attributes_added: list[dict[str, Any]]
    attributes_removed: list[dict[str, Any]]
    attributes_changed: list[dict[str, Any]]
    relations_added: list[dict[str, Any]]
    relations_removed: list[dict[str, Any]]


class StandardsCheckQuery(Schema):
    entity: str = Field(..., min_length=1, max_length=63)
    table: Id = Field(..., description="The harvested table's id (metadata.MetaTable).")


class StandardsProblemOut(Schema):
    kind: str
    column: str
    expected: Any = None
    actual: Any = None


class StandardsCheckOut(Schema):
    model: str
    version: int
    entity: str
    table: str
    table_id: int
    ok: bool
    problems: list[StandardsProblemOut]
