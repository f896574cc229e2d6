"""API schemas of ratings (names prefixed `Rating`: schema names are unique across the project)."""

from datetime import date, datetime
from typing import Literal

from ninja import Field, Schema

from dgov.ratings.models import INDICATORS, Step
from dgov.ratings.services import COMMENT_MAX, TEXT_MAX


class RatingIn(Schema):
    case: str = Field(..., min_length=1, max_length=24, description="The case's reference (YT…).")
    level: int = Field(..., ge=1, le=5, description="5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意.")
    indicators: list[Literal[tuple(INDICATORS)]] = Field(  # type: ignore[valid-type]
        default_factory=list, max_length=len(INDICATORS),
        description="The indicators chosen as the reasons (at least one for a bad rating): "
                    + ", ".join(f"{k} {v}" for k, v in INDICATORS.items()))
    comment: str = Field("", max_length=COMMENT_MAX)


class RatingQuery(Schema):
    level: int | None = Field(None, ge=1, le=5)
    state: Literal["none", "verify", "fix", "callback", "closed"] | None = Field(
        None, description="The rectification's state; none: ratings without one.")
    overdue: bool | None = None


class RatingStepIn(Schema):
    step: Literal[tuple(s for s in Step.values if s != Step.CLOSED)]  # type: ignore[valid-type]
    text: str = Field(..., min_length=1, max_length=TEXT_MAX)
    founded: bool | None = Field(None, description="verify: whether the complaint is founded.")
    satisfied: bool | None = Field(None, description="callback: whether the applicant is satisfied.")


class RatingStepOut(Schema):
    step: str
    text: str
    at: datetime
    by: str


class RatingRectificationOut(Schema):
    state: str
    due_on: date | None
    overdue: bool
    founded: bool | None
    verification: str
    verified_at: datetime | None
    fix: str
    fixed_at: datetime | None
    callback: str
    satisfied: bool | None
    called_back_at: datetime | None
    closed_at: datetime | None
    steps: list[RatingStepOut]


class RatingOut(Schema):
    id: int
    case: str
    item: str
    department: str
    level: int
    level_label: str
    bad: bool
    indicators: list[str]
    comment: str
    channel: str
    created_at: datetime
    rectification: RatingRectificationOut | None
