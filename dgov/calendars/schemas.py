import datetime as dt
from typing import Annotated, Literal

from ninja import Field, FilterLookup, FilterSchema, Schema

from dgov.core.schemas import InputDate


class CalendarDayOut(Schema):
    date: dt.date
    kind: str
    festival: str
    note: str


class CalendarDayIn(Schema):
    date: InputDate
    kind: Literal["holiday", "workday"]
    festival: str = Field("", max_length=20)
    note: str = Field("", max_length=200)


class CalendarDayPatch(Schema):
    kind: Literal["holiday", "workday"] | None = None
    festival: str | None = Field(None, max_length=20)
    note: str | None = Field(None, max_length=200)


class CalendarDayFilter(FilterSchema):
    year: Annotated[int | None, FilterLookup("date__year")] = Field(None, ge=1900, le=2200)
    kind: Literal["holiday", "workday"] | None = None


class DeadlineQuery(Schema):
    start: InputDate
    days: int = Field(..., ge=-3650, le=3650, description="Working days to add (negative: count back).")


class DeadlineOut(Schema):
    start: dt.date
    days: int
    deadline: dt.date
