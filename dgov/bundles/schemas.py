"""API schemas of one-thing bundles (class names prefixed `Bundle…`: unique across the project)."""

from datetime import datetime
from typing import Any

from ninja import Field, Schema


class BundleMemberOut(Schema):
    implementation: str = Field(..., description="The member's implementation code.")
    name: str
    department: str
    region: str
    case_kind: str
    limit_days: int
    limit_unit: str


class BundleMaterialOut(Schema):
    name: str
    required: bool
    online: bool = Field(..., description="Provided online (false: a paper original shown at the counter).")
    license_type: str | None = Field(None, description="The e-licence type that can replace it (免证办).")
    implementations: list[str]


class BundleListOut(Schema):
    code: str
    name: str
    description: str
    audience: str
    members: int


class BundleOut(BundleListOut):
    implementations: list[BundleMemberOut]
    form: dict[str, Any] = Field(..., description="The combined form (the members' questions, each key once).")
    materials: list[BundleMaterialOut]
    limit_days: int = Field(..., description="The longest member time limit.")
    limit_unit: str


class BundleApplicationIn(Schema):
    bundle: str = Field(..., min_length=1, max_length=40, description="The bundle's code.")
    answers: dict[str, Any] = Field(default_factory=dict, description="The combined form's answers, by key.")
    submit: bool = Field(False, description="Submit at once: fans out into one case per member (else a draft).")


class BundleCaseOut(Schema):
    reference: str
    implementation: str
    title: str
    department: str
    state: str
    outcome: str
    result_license: str


class BundleApplicationOut(Schema):
    id: int
    bundle: str
    bundle_name: str
    reference: str | None
    state: str
    submitted_at: datetime | None
    completed_at: datetime | None
    cases: list[BundleCaseOut]
