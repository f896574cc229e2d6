"""The exchange statistics (数据交换统计): the figures on known calls and requests, each reader's scope
(a department's data administrator counts only its own applications' calls and its own requests;
the big-data centre and the auditors everything), the bounded date range, the number of queries
(independent of the number of calls), the API contract, and the page with its charts and export."""

import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from dgov.accounts.testing import make_user
from dgov.calendars.selectors import working_days_between, working_days_counter
from dgov.catalog.testing import make_reviewer
from dgov.core import charts
from dgov.core.errors import NotFound, PermissionDenied, ValidationError
from dgov.core.testing import ApiContract, Case, audited, signed_in, zh
from dgov.exchange import statistics
from dgov.exchange.models import ExchangeLogEntry
from dgov.sharing.models import SharingRequest, Status
from dgov.sharing.testing import GUIXI_HRSS, YUJIANG_HRSS, make_app, make_request, population_entry

pytestmark = pytest.mark.django_db
API = "/api/v1/exchange/statistics"
PAGE = "/data/exchange/statistics/"
MARCH = {"since": dt.date(2025, 3, 1), "until": dt.date(2025, 3, 31)}
END_OF_MARCH = dt.date(2025, 3, 31)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def days_ago(n: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=n)


def officer(department_code: str):
    """A department's data administrator (catalog_editor, scope: the department)."""
    return make_user(department_code=department_code, roles=[("catalog_editor", "department", department_code),
                                                             ("staff", "all", None)])


@pytest.fixture
def editor():
    return officer(YUJIANG_HRSS)


@pytest.fixture
def reviewer():
    return make_reviewer()


@pytest.fixture
def calls(db):
    """Yesterday and today: 余江 (5 calls: 4 of service S1, one a 429; 1 of S2), 贵溪 (3 of S1, one a
    500), one unsigned call (401, no service); and one 余江 call 40 days ago, outside the range."""
    service = population_entry()
    yujiang, guixi = make_app(YUJIANG_HRSS, code="yj-app"), make_app(GUIXI_HRSS, code="gx-app")
    s1, s2 = service.code, "360603909/999999"
    seq = iter(range(1, 100))

    def call(app, code, day, status=200, latency=10, error="", hour=10):
        return ExchangeLogEntry(
            occurred_at=at(day, hour), request_id=f"req-{next(seq)}", application=app,
            app_code=app.code if app else "forged", service_code=code, method="GET", path="/exchange/v1/x",
            status=status, error_code=error, rows=2 if status == 200 else 0, latency_ms=latency, body_sm3="0" * 64)

    yesterday, today = days_ago(1), days_ago(0)
    ExchangeLogEntry.objects.bulk_create([
        call(yujiang, s1, yesterday, latency=10), call(yujiang, s1, yesterday, latency=20),
        call(yujiang, s1, yesterday, latency=250), call(yujiang, s1, yesterday, 429, 1, "quota_exceeded", hour=11),
        call(yujiang, s2, today, latency=1234, hour=1),
        call(guixi, s1, today, latency=5), call(guixi, s1, today, latency=5),
        call(guixi, s1, today, 500, 30, "internal", hour=2),
        call(None, "", today, 401, 1, "bad_signature", hour=3),
        call(yujiang, s1, days_ago(40)),
    ])
    return {"s1": s1, "s2": s2, "service": service, "yujiang": yujiang, "guixi": guixi}


def figures(user, **filters):
    return statistics.statistics(user, statistics.parse_filters(user, **filters))["calls"]


def test_the_centre_counts_every_call_per_day_service_application_and_failure(calls, reviewer):
    f = figures(reviewer)
    assert (f["total"], f["ok"], f["refused"], f["failed"], f["rows"]) == (9, 6, 2, 1, 12)
    assert f["failed_percent"] == 33.3
    assert len(f["per_day"]) == 30 and f["per_day"][-1]["date"] == days_ago(0).isoformat()
    assert f["per_day"][-2:] == [{"date": days_ago(1).isoformat(), "ok": 3, "refused": 1, "failed": 0},
                                 {"date": days_ago(0).isoformat(), "ok": 3, "refused": 1, "failed": 1}]
    assert sum(d["ok"] + d["refused"] + d["failed"] for d in f["per_day"]) == 9  # not the call 40 days ago
    s1, blank, s2 = f["by_service"]
    assert (s1["service_code"], s1["name"], s1["count"], s1["failed"], s1["percent"]) == (
        calls["s1"], calls["service"].name, 7, 2, 77.8)
    assert (s1["p50_ms"], s1["p95_ms"]) == (10, 250)  # successful calls only: 5, 5, 10, 20, 250
    assert (s2["service_code"], s2["count"], s2["p50_ms"], s2["p95_ms"]) == (calls["s2"], 1, 1200, 1200)  # 2 digits
    assert (blank["service_code"], blank["count"], blank["p50_ms"]) == ("", 1, None)
    assert [(a["code"], a["count"], a["failed"]) for a in f["by_application"]] == [
        ("yj-app", 5, 1), ("gx-app", 3, 1), ("", 1, 1)]  # the forged app code is not believed
    assert [(x["status"], x["error_code"], x["count"]) for x in f["failures_by_status"]] == [
        (401, "bad_signature", 1), (429, "quota_exceeded", 1), (500, "internal", 1)]
    assert [x["error_code"] for x in f["latest_failures"]] == ["bad_signature", "internal", "quota_exceeded"]


def test_a_department_counts_only_its_own_applications_calls(calls, editor, world):
    mine = figures(editor)
    assert (mine["total"], mine["ok"], mine["refused"], mine["failed"]) == (5, 4, 1, 0)
    assert [a["code"] for a in mine["by_application"]] == ["yj-app"]
    assert [(s["service_code"], s["count"]) for s in mine["by_service"]] == [(calls["s1"], 4), (calls["s2"], 1)]
    assert [x["error_code"] for x in mine["latest_failures"]] == ["quota_exceeded"]
    assert figures(officer(GUIXI_HRSS))["total"] == 3
    assert figures(world.auditor)["total"] == 9  # the auditors see all


def test_the_range_and_the_department_narrow_the_calls(calls, reviewer, editor):
    assert figures(reviewer, since=days_ago(45), until=days_ago(35))["total"] == 1
    assert figures(reviewer, since=days_ago(1), until=days_ago(1))["total"] == 4
    assert figures(reviewer, department=GUIXI_HRSS)["total"] == 3
    with pytest.raises(NotFound):
        statistics.parse_filters(editor, department=GUIXI_HRSS)  # outside the editor's scope
    with pytest.raises(NotFound):
        statistics.parse_filters(reviewer, department="999999999")
    with pytest.raises(ValidationError) as bad:
        statistics.parse_filters(reviewer, since=dt.date(2025, 3, 2), until=dt.date(2025, 3, 1))
    assert set(bad.value.details) == {"until"}
    with pytest.raises(ValidationError) as bad:  # the default start (30 days earlier) would not exist
        statistics.parse_filters(reviewer, until=dt.date(1, 1, 1))
    assert "until" in bad.value.details
    with pytest.raises(ValidationError) as long:
        statistics.parse_filters(reviewer, since=dt.date(2024, 1, 1), until=dt.date(2025, 1, 1))  # 367 days
    assert set(long.value.details) == {"since"}
    assert statistics.parse_filters(reviewer, since=dt.date(2024, 1, 1), until=dt.date(2024, 12, 31)).since
    with pytest.raises(ValidationError):
        statistics.parse_filters(reviewer, since=dt.date(1, 1, 1), until=dt.date(1, 1, 2))


def test_without_the_exchange_log_there_are_no_statistics(calls, world):
    with pytest.raises(PermissionDenied):
        statistics.statistics(world.official, statistics.parse_filters(world.official))


def test_the_queries_do_not_grow_with_the_calls(calls, reviewer):
    def queries():
        reviewer_fresh = type(reviewer).objects.get(pk=reviewer.pk)  # grants loaded inside the count
        with CaptureQueriesContext(connection) as captured:
            statistics.statistics(reviewer_fresh, statistics.parse_filters(reviewer_fresh))
        return len(captured)

    queries()  # the per-process caches (grants, content types) filled
    before = queries()
    more = [ExchangeLogEntry(occurred_at=at(days_ago(n % 20), n % 24), request_id=f"more-{n}",
                             application=calls["guixi" if n % 2 else "yujiang"], app_code="x",
                             service_code=f"360603909/{n % 15:06d}", method="GET", path="/x",
                             status=(200, 404, 503)[n % 3], latency_ms=n * 7, body_sm3="0" * 64) for n in range(300)]
    ExchangeLogEntry.objects.bulk_create(more)
    assert queries() == before <= 16


# --- sharing requests -----------------------------------------------------------------------------
@pytest.fixture
def requests(db):
    """March 2025 (no public holiday): by 余江区人社局 (to 余江区民政局), R1 granted (provider 2 working
    days, centre 3), R2 rejected late (14 against 10), R3 waiting for the provider past its due date,
    R4 waiting for the centre past its due date; by 贵溪市人社局, R5 waiting past its due date."""
    day = dt.date(2025, 3, 3)  # Monday

    def request(status, application=None, **fields):
        made = make_request(status=status, application=application)  # made today, then moved to March 2025
        SharingRequest.objects.filter(pk=made.pk).update(**fields)
        return made

    return {
        "r1": request(Status.GRANTED, submitted_on=day, provider_decided_at=at(dt.date(2025, 3, 5)),
                      provider_due_on=dt.date(2025, 3, 17), centre_decided_at=at(dt.date(2025, 3, 10)),
                      centre_due_on=dt.date(2025, 3, 12)),
        "r2": request(Status.REJECTED, submitted_on=day, provider_decided_at=at(dt.date(2025, 3, 21)),
                      provider_due_on=dt.date(2025, 3, 17)),
        "r3": request(Status.SUBMITTED, submitted_on=dt.date(2025, 3, 10), due_on=dt.date(2025, 3, 24),
                      provider_due_on=dt.date(2025, 3, 24)),
        "r4": request(Status.PROVIDER_APPROVED, submitted_on=day, provider_decided_at=at(dt.date(2025, 3, 4)),
                      provider_due_on=dt.date(2025, 3, 17), due_on=dt.date(2025, 3, 11),
                      centre_due_on=dt.date(2025, 3, 11)),
        "r5": request(Status.SUBMITTED, application=make_app(GUIXI_HRSS), submitted_on=dt.date(2025, 3, 20),
                      due_on=dt.date(2025, 3, 28), provider_due_on=dt.date(2025, 3, 28)),
    }


def sharing(user, **filters):
    return statistics.statistics(user, statistics.parse_filters(user, **{**MARCH, **filters}),
                                 today=END_OF_MARCH)["requests"]


def test_approval_times_in_working_days_against_the_deadlines(requests, reviewer, settings):
    settings.DGOV_SHARING_PROVIDER_WORKING_DAYS, settings.DGOV_SHARING_CENTRE_WORKING_DAYS = 10, 5
    r = sharing(reviewer)
    assert r["total"] == 5
    assert {s["value"]: s["count"] for s in r["by_status"]} == {
        "submitted": 2, "provider_approved": 1, "granted": 1, "rejected": 1, "withdrawn": 0}
    # provider: 2 (R1), 14 (R2, Mar 3 → Mar 21), 1 (R4) working days; R2 was decided after its due date
    assert r["provider"] == {"deadline_days": 10, "decided": 3, "within_deadline": 2, "within_percent": 66.7,
                             "median_days": 2, "p90_days": 14, "max_days": 14}
    # centre: R1 from Wednesday Mar 5 to Monday Mar 10: 3 working days
    assert r["centre"] == {"deadline_days": 5, "decided": 1, "within_deadline": 1, "within_percent": 100.0,
                           "median_days": 3, "p90_days": 3, "max_days": 3}
    assert r["overdue"] == {"provider": 2, "centre": 1, "total": 3}


def test_a_department_counts_only_the_requests_it_made_or_received(requests, editor, reviewer):
    mine = sharing(editor)  # 余江区人社局 made R1–R4; R5 is 贵溪's
    assert mine["total"] == 4 and mine["overdue"] == {"provider": 1, "centre": 1, "total": 2}
    provider_side = sharing(officer("360603909"))  # 余江区民政局 received all five
    assert provider_side["total"] == 5
    assert sharing(reviewer, department=GUIXI_HRSS)["total"] == 1
    assert sharing(reviewer, since=dt.date(2025, 3, 15))["total"] == 1  # only R5 was submitted after the 15th
    assert sharing(officer(GUIXI_HRSS))["provider"]["decided"] == 0


def test_auditors_see_the_calls_and_the_requests_but_a_reader_without_the_permission_no_requests(requests, world):
    figures = statistics.statistics(world.auditor, statistics.parse_filters(world.auditor))
    assert figures["requests"] is not None and "by_status" in figures["requests"]  # auditors read requests
    from django.contrib.auth.models import Permission

    from dgov.accounts.models import Role

    log_reader = Role.objects.create(code="exchange_log_reader", name="交换日志查阅")
    log_reader.permissions.add(Permission.objects.get(content_type__app_label="exchange",
                                                      codename="view_exchangelogentry"))
    reader = make_user(roles=[("exchange_log_reader", "all", None)])
    figures = statistics.statistics(reader, statistics.parse_filters(reader))
    assert figures["calls"]["total"] == 0 and figures["requests"] is None


def test_the_working_day_counter_agrees_with_the_calendar():
    from dgov.calendars.models import CalendarDay, DayKind

    CalendarDay.objects.update_or_create(date=dt.date(2025, 5, 1), defaults={"kind": DayKind.HOLIDAY})
    CalendarDay.objects.update_or_create(date=dt.date(2025, 4, 27), defaults={"kind": DayKind.WORKDAY})  # Sunday
    start, end = dt.date(2025, 4, 20), dt.date(2025, 5, 10)
    count = working_days_counter(start, end)
    for a in (start, dt.date(2025, 4, 25), dt.date(2025, 4, 30)):
        for b in (dt.date(2025, 4, 27), dt.date(2025, 5, 1), end):
            assert count(a, b) == working_days_between(a, b), (a, b)
    with pytest.raises(ValueError):
        count(start, dt.date(2025, 6, 1))


def test_percentiles_are_nearest_rank():
    assert statistics._percentile([], 50) is None
    assert statistics._percentile([(1, 1), (2, 1), (14, 1)], 50) == 2
    assert statistics._percentile([(5, 2), (10, 1), (20, 1), (250, 1)], 95) == 250
    assert statistics._percentile([(7, 100)], 1) == 7


def test_columns_stack_to_scale():
    chart = charts.columns([{"label": "a", "ok": 3, "bad": 1}, {"label": "b", "ok": 0, "bad": 2}, {"label": "c",
                                                                                                  "ok": 0, "bad": 0}],
                           [("ok", "OK", 2), ("bad", "Bad", 1)])
    a, b, c = chart["periods"]
    assert chart["peak"] == 4 and chart["width"] == 30
    assert [s["height"] for s in a["segments"]] == ["75.00", "25.00"] and a["segments"][1]["y"] == "0.00"
    assert [s["height"] for s in b["segments"]] == ["50.00"] and c["segments"] == []
    assert [v["count"] for v in a["values"]] == [3, 1] and a["total"] == 4


# --- the API --------------------------------------------------------------------------------------
class TestStatisticsApi(ApiContract):
    @pytest.fixture
    def case(self, calls, requests, editor, world):
        return Case(method="get", url=f"{API}?department={YUJIANG_HRSS}", authorised=editor,
                    unauthorised=world.official, out_of_scope_url=f"{API}?department={GUIXI_HRSS}",
                    bad_url=f"{API}?since=2025-03-10&until=2025-03-01")

    def test_in_scope(self, case):
        from dgov.accounts.testing import api_client

        body = api_client(case.authorised).get(case.url).json()
        assert body["filters"] == {"since": days_ago(29).isoformat(), "until": days_ago(0).isoformat(),
                                   "department": YUJIANG_HRSS}
        assert body["calls"]["total"] == 5 and [a["code"] for a in body["calls"]["by_application"]] == ["yj-app"]
        march = api_client(case.authorised).get(API, {"since": "2025-03-01", "until": "2025-03-31"}).json()
        assert march["calls"]["total"] == 0 and march["requests"]["total"] == 4
        assert march["requests"]["provider"]["p90_days"] == 14

    def test_a_range_too_long_or_out_of_the_calendar_is_refused(self, case):
        from dgov.accounts.testing import api_client
        from dgov.core.testing import assert_error

        client = api_client(case.authorised)
        body = assert_error(client.get(API, {"since": "2024-01-01", "until": "2025-06-30"}), 422)
        assert set(body["details"]) == {"since"}
        assert_error(client.get(API, {"since": "1900-01-01"}), 422)
        assert_error(client.get(API, {"since": "2025-02-30"}), 422)
        assert_error(client.get(API, {"department": "999999999"}), 404)


# --- the page -------------------------------------------------------------------------------------
def test_the_page_draws_the_charts(calls, requests, reviewer):
    response = signed_in(reviewer).get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    for chart in ("per-day", "services", "applications", "failures", "outcomes", "latency", "approval",
                  "request-statuses"):
        assert f'id="chart-{chart}"' in html, chart
    assert html.count('class="period"') == 30  # a column per day
    assert html.count('class="chart-s2 bar"') == 3  # a bar per data service
    assert 'data-figure="calls">9<' in html
    assert 'style="' not in html.split("<main", 1)[1]  # the CSP allows no inline styles
    assert zh("Approval times against the deadlines") in html and zh("Calls by day") in html
    assert "bad_signature" in html  # among the latest unsuccessful calls


def test_the_page_shows_a_department_its_own_and_refuses_the_others(calls, editor, world):
    client = signed_in(editor)
    html = client.get(PAGE).content.decode()
    assert 'data-figure="calls">5<' in html and "gx-app" not in html
    assert f'value="{GUIXI_HRSS}"' not in html  # not offered
    assert client.get(PAGE, {"department": GUIXI_HRSS}).status_code == 200  # ignored as an invalid choice
    assert 'data-figure="calls">5<' in client.get(PAGE, {"department": GUIXI_HRSS}).content.decode()
    assert signed_in(world.official).get(PAGE).status_code == 403
    assert signed_in(world.citizen).get(PAGE).status_code == 403
    auditor = signed_in(world.auditor).get(PAGE).content.decode()
    assert 'data-figure="calls">9<' in auditor and 'id="chart-approval"' in auditor  # auditors read requests


def test_a_bad_range_on_the_page_is_shown_in_chinese(calls, reviewer):
    response = signed_in(reviewer).get(PAGE, {"since": "2025-03-10", "until": "2025-03-01"})
    html = response.content.decode()
    assert response.status_code == 200 and "is-invalid" in html
    assert zh("The end date is before the start date.") in html
    assert 'data-figure="calls">9<' in html  # the default range instead
    narrowed = signed_in(reviewer).get(PAGE, {"since": "2025-03-10", "until": "2025-03-01",
                                              "department": YUJIANG_HRSS}).content.decode()
    assert 'data-figure="calls">5<' in narrowed  # the department still applies


def test_the_statistics_export_to_xlsx(calls, requests, reviewer):
    response = signed_in(reviewer).get(PAGE, {"export": "xlsx", "department": YUJIANG_HRSS})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="exchange-statistics-' in response["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.content))
    assert len(wb.sheetnames) == 7
    summary = {row[0]: row[1] for row in wb.worksheets[0].iter_rows(values_only=True)}
    assert summary[zh("Calls")] == 5 and summary[zh("Department")] == "余江区人力资源和社会保障局"
    days = list(wb.worksheets[1].iter_rows(values_only=True))
    assert len(days) == 31 and days[-1] == (days_ago(0).isoformat(), 1, 0, 0)
    services = list(wb.worksheets[2].iter_rows(values_only=True))
    assert services[1][:3] == (calls["s1"], calls["service"].name, 4)
    assert audited("exchange.log.export").changes["report"] == "statistics"
