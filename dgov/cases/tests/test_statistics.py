"""The case statistics (政务服务统计, issue 8 point 12): the KPIs on known cases, implementations and
ratings; each reader's scope (the city's administrator everything, a county's its own district, an
official without `cases.view_case` nothing); the filters and the bounded date range; the number of
queries (independent of the number of cases); the API contract; the page with its charts and export."""

import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from dgov.accounts.testing import api_client
from dgov.cases import statistics
from dgov.cases.models import Case
from dgov.cases.testing import GUIXI_APPROVAL, YUJIANG_APPROVAL, make_implementation, submitted_case
from dgov.core.errors import NotFound, PermissionDenied, ValidationError
from dgov.core.testing import ApiContract, assert_error, audited, signed_in, zh
from dgov.core.testing import Case as ApiCase

pytestmark = pytest.mark.django_db
API = "/api/v1/services/statistics"
PAGE = "/workbench/cases/statistics/"
YUJIANG, GUIXI = "360603", "360681"


def today() -> dt.date:
    return timezone.localdate()


def days(n: int) -> dt.date:
    return today() + dt.timedelta(days=n)


def put(case: Case, **fields) -> Case:
    """Set the case's fields as its processing would have left them (the figures read only these)."""
    Case.objects.filter(pk=case.pk).update(**fields)
    case.refresh_from_db()
    return case


def rate(case: Case, level: int, rater) -> None:
    from dgov.ratings.models import Rating

    Rating.objects.create(case=case, level=level, rater=rater, department=case.department, region=case.region)


@pytest.fixture
def cases(world):
    """余江: a (promised, 1 visit): approved on time, refused late, in review and overdue (at the
    counter); b (instant, no visit): closed at acceptance. 贵溪: c (2 visits, no longer applied for
    online): submitted, not accepted, withdrawn. And one 余江 case received 40 days ago, still
    submitted past its intake deadline. Ratings 5 (on time), 1 (late), 3 (instant)."""
    a = make_implementation()
    b = make_implementation(case_kind="instant", promised_limit=0, materials=[])
    c = make_implementation(department_code=GUIXI_APPROVAL)
    now = timezone.now()
    citizen = world.citizen
    on_time = put(submitted_case(citizen, a), state="approved", outcome="approved", accepted_on=days(-5),
                  due_on=days(5), decided_at=now)
    late = put(submitted_case(citizen, a), state="refused", outcome="refused", accepted_on=days(-9), due_on=days(-3),
               decided_at=now)
    overdue = put(submitted_case(citizen, a), state="in_review", accepted_on=days(-9), due_on=days(-1),
                  channel="counter")
    instant = put(submitted_case(citizen, b), state="closed", outcome="approved", case_kind="instant",
                  accepted_on=today(), due_on=today(), decided_at=now, closed_at=now)
    waiting = submitted_case(citizen, c)
    put(submitted_case(citizen, c), state="not_accepted", outcome="not_accepted", decided_at=now)
    put(submitted_case(citizen, c), state="withdrawn", outcome="withdrawn")
    put(submitted_case(citizen, a), submitted_at=now - dt.timedelta(days=40), received_on=days(-40),
        intake_due_on=days(-33))
    type(c).objects.filter(pk=c.pk).update(online_apply=False, visits=2)
    type(a).objects.filter(pk=a.pk).update(visits=1)
    if statistics.ratings_installed():
        rate(on_time, 5, citizen)
        rate(late, 1, citizen)
        rate(instant, 3, citizen)
    return {"a": a, "b": b, "c": c, "on_time": on_time, "late": late, "overdue": overdue, "waiting": waiting}


def figures_for(user, **filters):
    return statistics.statistics(user, statistics.parse_filters(user, **filters))


def row(rows: list[dict], code: str) -> dict:
    return next(r for r in rows if r["code"] == code)


# --- the figures ----------------------------------------------------------------------------------
def test_the_counts_and_rates_of_the_cases_received(cases, world):
    f = figures_for(world.admin)
    t = f["totals"]
    assert (t["received"], t["accepted"], t["decided"], t["approved"], t["refused"], t["not_accepted"],
            t["withdrawn"], t["in_progress"]) == (7, 4, 3, 2, 1, 1, 1, 2)
    assert t["overdue_now"] == 2  # in review past its deadline, and the old one past its intake deadline
    assert (t["online_cases"], t["online_rate"]) == (6, 85.7)
    assert (t["instant_cases"], t["instant_case_rate"]) == (1, 14.3)
    assert t["average_visits"] == 1.29  # (3 × 1 + 0 + 3 × 2) ÷ 7
    assert (t["one_visit_cases"], t["one_visit_case_rate"]) == (4, 57.1)
    # due: 3 decided + 1 running past its deadline; on time: the approval and the instant case
    assert (t["due"], t["on_time"], t["late"], t["overdue_running"], t["on_time_rate"]) == (4, 2, 2, 1, 50.0)


def test_the_rates_of_the_published_items(cases, world):
    yujiang = figures_for(world.admin, department=YUJIANG_APPROVAL)["totals"]
    assert (yujiang["implementations"], yujiang["online_implementations"],
            yujiang["online_apply_rate"]) == (2, 2, 100.0)
    assert (yujiang["instant_implementations"], yujiang["instant_implementation_rate"]) == (1, 50.0)
    assert (yujiang["one_visit_implementations"], yujiang["one_visit_rate"]) == (2, 100.0)
    guixi = figures_for(world.admin, region=GUIXI)["totals"]
    assert (guixi["implementations"], guixi["online_apply_rate"], guixi["one_visit_rate"]) == (1, 0.0, 0.0)
    assert guixi["received"] == 3 and guixi["on_time_rate"] is None  # nothing decided or overdue: no rate


def test_satisfaction_from_the_ratings(cases, world):
    t = figures_for(world.admin)["totals"]
    assert statistics.ratings_installed() and figures_for(world.admin)["ratings_available"]  # dgov.ratings
    assert (t["ratings"], t["good_ratings"], t["bad_ratings"]) == (3, 2, 1)
    assert t["satisfaction_rate"] == 66.7 and t["average_level"] == 3.0
    guixi = figures_for(world.admin, region=GUIXI)["totals"]
    assert guixi["ratings"] == 0 and guixi["satisfaction_rate"] is None


def test_per_department_district_and_day(cases, world):
    f = figures_for(world.admin)
    yujiang, guixi = row(f["by_district"], YUJIANG), row(f["by_district"], GUIXI)
    assert (yujiang["received"], yujiang["on_time_rate"], yujiang["overdue_now"]) == (4, 50.0, 2)
    assert (guixi["received"], guixi["online_rate"], guixi["not_accepted"]) == (3, 100.0, 1)
    assert row(f["by_district"], "360600")["received"] == 0  # the city level is always listed
    assert [r["code"] for r in f["by_district"]][:1] == ["360600"]
    dept = row(f["by_department"], YUJIANG_APPROVAL)
    assert dept["district"] == YUJIANG and dept["received"] == 4 and dept["implementations"] == 2
    assert row(f["by_department"], GUIXI_APPROVAL)["average_visits"] == 2.0
    assert len(f["per_day"]) == 30 and f["per_day"][-1] == {"date": today().isoformat(), "received": 7,
                                                            "decided": 3}
    assert sum(d["received"] for d in f["per_day"]) == 7


def test_a_county_counts_only_its_own_district(cases, world):
    f = figures_for(world.yujiang_admin)
    assert f["totals"]["received"] == 4 and [r["code"] for r in f["by_district"]] == [YUJIANG]
    assert [r["code"] for r in f["by_department"]] == [YUJIANG_APPROVAL]
    assert f["totals"]["implementations"] == 2
    with pytest.raises(NotFound):
        statistics.parse_filters(world.yujiang_admin, department=GUIXI_APPROVAL)
    with pytest.raises(NotFound):
        statistics.parse_filters(world.yujiang_admin, region=GUIXI)
    assert {d.code for d in statistics.departments_in_scope(world.yujiang_admin)} >= {YUJIANG_APPROVAL}
    assert GUIXI_APPROVAL not in {d.code for d in statistics.departments_in_scope(world.yujiang_admin)}


def test_without_the_case_permission_there_are_no_statistics(cases, world):
    for user in (world.official, world.citizen):
        with pytest.raises(PermissionDenied):
            figures_for(user)
        with pytest.raises(PermissionDenied):
            statistics.parse_filters(user, department=YUJIANG_APPROVAL)


def test_the_range_narrows_the_cases_and_is_bounded(cases, world):
    old = figures_for(world.admin, since=days(-45), until=days(-35))["totals"]
    assert old["received"] == 1 and old["overdue_now"] == 2  # overdue now: whenever received
    assert figures_for(world.admin, since=days(-45))["totals"]["received"] == 8
    for bad, field in (({"since": days(1), "until": days(0)}, "until"),
                       ({"since": days(-400), "until": days(0)}, "since"),
                       ({"until": dt.date(1, 1, 1)}, "until"), ({"since": dt.date(1999, 12, 31)}, "since"),
                       ({"region": "36060"}, "region"), ({"region": "360603001000"}, "region")):
        with pytest.raises(ValidationError) as exc:
            statistics.parse_filters(world.admin, **bad)
        assert field in exc.value.details, bad
    assert statistics.parse_filters(world.admin, region="360603000000").region.code == "360603000000"
    with pytest.raises(NotFound):
        statistics.parse_filters(world.admin, region="110101")


def test_the_queries_do_not_grow_with_the_cases(cases, world):
    def queries(user) -> int:
        with CaptureQueriesContext(connection) as captured:
            figures_for(user)
        return len(captured)

    readers = (world.admin, world.yujiang_admin)  # a scope of all, and a county's
    for user in readers:
        queries(user)  # the reader's grants and the reference data cached
    before = [queries(user) for user in readers]
    for _n in range(6):
        submitted_case(world.citizen, cases["b"])
    assert [queries(user) for user in readers] == before
    assert max(before) <= 16


# --- the API --------------------------------------------------------------------------------------
class TestStatisticsApi(ApiContract):
    @pytest.fixture
    def case(self, cases, world):
        return ApiCase(method="get", url=f"{API}?department={YUJIANG_APPROVAL}", authorised=world.yujiang_admin,
                       unauthorised=world.official, out_of_scope_url=f"{API}?department={GUIXI_APPROVAL}",
                       bad_url=f"{API}?since=2026-03-10&until=2026-03-01")

    def test_in_scope(self, case):
        body = api_client(case.authorised).get(case.url).json()
        assert body["filters"] == {"since": days(-29).isoformat(), "until": today().isoformat(),
                                   "department": YUJIANG_APPROVAL, "region": ""}
        assert body["totals"]["received"] == 4 and body["totals"]["on_time_rate"] == 50.0
        assert [d["code"] for d in body["by_district"]] == [YUJIANG] and len(body["per_day"]) == 30
        assert api_client(case.authorised).get(API, {"region": YUJIANG}).json()["totals"]["received"] == 4

    def test_bad_ranges_and_filters(self, case):
        client = api_client(case.authorised)
        body = assert_error(client.get(API, {"since": "2024-01-01", "until": "2025-06-30"}), 422)
        assert set(body["details"]) == {"since"}
        assert_error(client.get(API, {"until": "0001-01-01"}), 422)  # no overflow of the default start
        assert_error(client.get(API, {"since": "2025-02-30"}), 422)
        assert_error(client.get(API, {"region": "abc"}), 422)
        assert_error(client.get(API, {"region": GUIXI}), 404)
        assert_error(api_client(case.authorised).get(API, {"department": "999999999"}), 404)
        assert_error(api_client(case.unauthorised).get(API, {"department": "999999999"}), 403)


# --- the page -------------------------------------------------------------------------------------
def test_the_page_draws_the_charts(cases, world):
    response = signed_in(world.admin).get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="chart-per-day"' in html and 'id="chart-outcomes"' in html
    for metric in ("online_rate", "online_apply_rate", "instant_case_rate", "average_visits", "one_visit_rate",
                   "on_time_rate", "satisfaction_rate"):
        assert f'data-metric="{metric}"' in html, metric
        assert f'id="chart-districts-{metric}"' in html and f'id="chart-departments-{metric}"' in html
    assert html.count('class="period"') == 30
    assert 'data-figure="received">7<' in html and 'data-figure="on_time_rate">50.0%<' in html
    assert 'style="' not in html.split("<main", 1)[1]  # the CSP allows no inline styles
    assert zh("Case statistics") in html and zh("On-time rate") in html


def test_the_page_shows_a_county_its_own_and_refuses_others(cases, world):
    client = signed_in(world.yujiang_admin)
    html = client.get(PAGE).content.decode()
    assert 'data-figure="received">4<' in html and f'value="{GUIXI_APPROVAL}"' not in html
    assert 'data-figure="received">4<' in client.get(PAGE, {"department": GUIXI_APPROVAL}).content.decode()
    assert signed_in(world.official).get(PAGE).status_code == 403
    assert signed_in(world.citizen).get(PAGE).status_code == 403


def test_a_bad_range_on_the_page_is_shown_in_chinese(cases, world):
    response = signed_in(world.admin).get(PAGE, {"since": days(1).isoformat(), "until": days(0).isoformat(),
                                                  "region": YUJIANG})
    html = response.content.decode()
    assert response.status_code == 200 and "is-invalid" in html
    assert zh("The end date is before the start date.") in html
    assert 'data-figure="received">4<' in html  # the default range, still for the district


def test_the_statistics_export_to_xlsx(cases, world):
    response = signed_in(world.admin).get(PAGE, {"export": "xlsx", "region": GUIXI})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="case-statistics-' in response["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.content))
    assert len(wb.sheetnames) == 4
    summary = {r[0]: r[1] for r in wb.worksheets[0].iter_rows(values_only=True)}
    assert summary[zh("Received")] == 3 and summary[zh("District")] == "贵溪市"
    districts = list(wb.worksheets[1].iter_rows(values_only=True))
    assert districts[1][:3] == (GUIXI, "贵溪市", 3)
    assert len(list(wb.worksheets[3].iter_rows(values_only=True))) == 31
    assert audited("cases.case.export").changes["report"] == "statistics"
