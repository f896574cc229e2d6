"""Schemas of /api/v1/services/policies (names prefixed Policy…, unique across the project)."""

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from ninja import Field, Schema


class PolicyPublicOut(Schema):
    id: int
    title: str
    department: str
    department_code: str
    document_number: str
    summary: str
    benefit: str
    benefit_amount: Decimal | None
    kind: str
    valid_from: dt.date
    valid_until: dt.date | None
    rules: dict
    rules_text: list[str] = Field(..., description="The rules in words, one line per group or condition, indented "
                                                   "by two spaces per level.")
    apply_url: str


class EnterprisePolicyOut(PolicyPublicOut):
    status: str
    implementation: str | None
    published_at: dt.datetime | None
    is_demo: bool


class EnterprisePolicyIn(Schema):
    title: str = Field(..., min_length=1, max_length=200)
    department: str = Field(..., max_length=20, description="The issuing department's code.")
    document_number: str = Field("", max_length=60)
    summary: str = Field(..., min_length=1, max_length=4000)
    benefit: str = Field(..., min_length=1, max_length=500)
    benefit_amount: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    kind: Literal["apply", "automatic"] = "apply"
    valid_from: dt.date
    valid_until: dt.date | None = None
    rules: dict = Field(default_factory=dict, description="The rule tree (docs/services.md, point 10).")
    implementation: str | None = Field(None, max_length=40, description="The benefit item's implementation code.")
    apply_url: str = Field("", max_length=300)


class PolicyQuery(Schema):
    status: Literal["draft", "published", "expired"] | None = None
    kind: Literal["apply", "automatic"] | None = None


class PolicyConditionOut(Schema):
    text: str
    depth: int
    group: bool
    held: bool
    actual: str | None = None


class PolicyMatchOut(Schema):
    id: int
    policy: int
    policy_title: str
    enterprise: str
    credit_code: str
    eligible: bool
    matched_at: dt.datetime
    notified_at: dt.datetime | None
    case: str | None
    explanation: list[PolicyConditionOut]


class PolicyMatchQuery(Schema):
    policy: int | None = Field(None, ge=1, le=2**31 - 1)
    eligible: bool | None = None


class PolicyPreviewIn(Schema):
    rules: dict | None = Field(None, description="Rules to try (default: the policy's own).")


class PolicyPreviewOut(Schema):
    enterprise: str
    credit_code: str
    eligible: bool
    explanation: list[PolicyConditionOut]


class PolicyRunOut(Schema):
    id: int | None
    policy: int | None
    policies: int
    evaluated: int
    eligible: int
    changed: int
    notified: int
    cases: int
    started_at: dt.datetime | None


class PolicyValidateOut(Schema):
    valid: bool
    problems: list[str]
    details: Any = None
