"""The shapes of `GET /api/v1/exchange/statistics` (see dgov.exchange.statistics)."""

import datetime as dt

from ninja import Field, Schema


class ExchangeStatisticsQuery(Schema):
    since: dt.date | None = Field(None, description="First day (default: 29 days before `until`).")
    until: dt.date | None = Field(None, description="Last day (default: today); at most 366 days after `since`.")
    department: str = Field("", max_length=20, description="A department code of your scope: its applications' "
                                                            "calls and the requests it made or received.")


class ExchangeStatsFiltersOut(Schema):
    since: dt.date
    until: dt.date
    department: str


class ExchangeStatsDayOut(Schema):
    date: dt.date
    ok: int = Field(..., description="successful calls (status below 400)")
    refused: int = Field(..., description="calls refused (4xx: signature, grant, quota, input)")
    failed: int = Field(..., description="calls that failed (5xx)")


class ExchangeStatsServiceOut(Schema):
    service_code: str = Field(..., description="the catalog resource code; empty for calls naming no service")
    name: str
    count: int
    failed: int = Field(..., description="unsuccessful calls (4xx and 5xx)")
    percent: float = Field(..., description="share of all calls in the range")
    p50_ms: int | None = Field(..., description="median latency of the successful calls (two significant digits)")
    p95_ms: int | None = Field(..., description="95th-percentile latency of the successful calls")


class ExchangeStatsApplicationOut(Schema):
    code: str = Field(..., description="the consumer application's code; empty for unidentified callers")
    name: str
    count: int
    failed: int
    percent: float


class ExchangeStatsFailureOut(Schema):
    status: int
    error_code: str
    count: int
    percent: float = Field(..., description="share of the unsuccessful calls")


class ExchangeStatsLatestFailureOut(Schema):
    id: int
    occurred_at: dt.datetime
    request_id: str
    app_code: str
    service_code: str
    status: int
    error_code: str


class ExchangeStatsCallsOut(Schema):
    total: int
    ok: int
    refused: int
    failed: int
    rows: int = Field(..., description="rows returned by the successful calls")
    failed_percent: float = Field(..., description="share of unsuccessful calls (4xx and 5xx)")
    per_day: list[ExchangeStatsDayOut]
    by_service: list[ExchangeStatsServiceOut] = Field(..., description="the 10 most called data services")
    by_application: list[ExchangeStatsApplicationOut] = Field(..., description="the 20 most calling applications")
    failures_by_status: list[ExchangeStatsFailureOut]
    latest_failures: list[ExchangeStatsLatestFailureOut]


class ExchangeStatsStatusCountOut(Schema):
    value: str
    name: str
    count: int
    percent: float


class ExchangeStatsStepOut(Schema):
    deadline_days: int = Field(..., description="the configured deadline in working days")
    decided: int
    within_deadline: int = Field(..., description="decided on or before the step's due date")
    within_percent: float
    median_days: int | None = Field(..., description="working days taken, median")
    p90_days: int | None = Field(..., description="working days taken, 90th percentile")
    max_days: int | None


class ExchangeStatsOverdueOut(Schema):
    provider: int
    centre: int
    total: int


class ExchangeStatsRequestsOut(Schema):
    total: int = Field(..., description="requests submitted in the range")
    by_status: list[ExchangeStatsStatusCountOut]
    provider: ExchangeStatsStepOut
    centre: ExchangeStatsStepOut
    overdue: ExchangeStatsOverdueOut = Field(..., description="requests waiting past their step's due date now, "
                                                 "whenever submitted")


class ExchangeStatisticsOut(Schema):
    filters: ExchangeStatsFiltersOut
    calls: ExchangeStatsCallsOut
    requests: ExchangeStatsRequestsOut | None = Field(..., description="null when you may not see sharing requests")
