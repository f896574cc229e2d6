"""The shapes of `GET /api/v1/services/statistics` (see dgov.cases.statistics)."""

import datetime as dt

from ninja import Field, Schema


class CaseStatisticsQuery(Schema):
    since: dt.date | None = Field(None, description="First day of receipt (default: 29 days before `until`).")
    until: dt.date | None = Field(None, description="Last day (default: today); at most 366 days after `since`.")
    department: str = Field("", max_length=20, description="An implementing department's code of your scope.")
    region: str = Field("", max_length=12, description="A district: the 6-digit code of the city (its own level) "
                                                       "or of a county-level region of your scope.")


class CaseStatsFiltersOut(Schema):
    since: dt.date
    until: dt.date
    department: str
    region: str


class CaseStatsKpisOut(Schema):
    received: int = Field(..., description="cases received (submitted) in the range")
    accepted: int = Field(..., description="of them, accepted (by an official or by law)")
    decided: int = Field(..., description="of them, approved or refused")
    approved: int
    refused: int
    not_accepted: int
    withdrawn: int
    in_progress: int = Field(..., description="of them, still being handled")
    overdue_now: int = Field(..., description="cases in scope whose running deadline has passed, whenever received")
    online_cases: int = Field(..., description="of the received, applied for online")
    online_rate: float | None = Field(..., description="网上办件率, %: online_cases ÷ received")
    implementations: int = Field(..., description="published implementations")
    online_implementations: int = Field(..., description="of them, can be applied for online")
    online_apply_rate: float | None = Field(..., description="网上可办率, %")
    instant_implementations: int
    instant_implementation_rate: float | None = Field(..., description="即办件占比 of the items, %")
    instant_cases: int
    instant_case_rate: float | None = Field(..., description="即办件占比 of the cases, %")
    average_visits: float | None = Field(..., description="mean visits to the site per received case")
    one_visit_implementations: int
    one_visit_rate: float | None = Field(..., description="最多跑一次: items needing at most one visit, %")
    one_visit_cases: int
    one_visit_case_rate: float | None = Field(..., description="received cases whose item needs at most one visit, %")
    due: int = Field(..., description="decided, plus running and overdue now (the on-time rate's base)")
    on_time: int = Field(..., description="decided by the decision deadline")
    late: int = Field(..., description="due − on time")
    overdue_running: int = Field(..., description="of the received, accepted or in review past the deadline")
    on_time_rate: float | None = Field(..., description="按时办结率, %: on_time ÷ due")
    rated: bool = Field(..., description="whether the service ratings are installed")
    ratings: int = Field(..., description="ratings of the received cases")
    good_ratings: int = Field(..., description="好评: levels 3–5")
    bad_ratings: int = Field(..., description="差评: levels 1–2")
    satisfaction_rate: float | None = Field(..., description="满意度, %: good ÷ ratings")
    average_level: float | None = Field(..., description="mean level, 1–5")


class CaseStatsDepartmentOut(CaseStatsKpisOut):
    code: str
    name: str
    district: str = Field(..., description="the 6-digit code of the department's district")


class CaseStatsDistrictOut(CaseStatsKpisOut):
    code: str = Field(..., description="6 digits: the city (city level) or a county-level region")
    name: str


class CaseStatsDayOut(Schema):
    date: dt.date
    received: int
    decided: int = Field(..., description="approved or refused that day (cases in scope, whenever received)")


class CaseStatisticsOut(Schema):
    filters: CaseStatsFiltersOut
    ratings_available: bool
    totals: CaseStatsKpisOut
    by_department: list[CaseStatsDepartmentOut]
    by_district: list[CaseStatsDistrictOut]
    per_day: list[CaseStatsDayOut]
