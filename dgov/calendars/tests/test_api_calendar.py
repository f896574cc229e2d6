"""The calendar-day API (crud_router keyed by date) and /api/v1/calendar/deadline."""

import datetime as dt
import json

import pytest

from dgov.accounts.testing import api_client
from dgov.calendars.models import CalendarDay
from dgov.core.models import AuditEntry
from dgov.core.testing import ApiContract, Case, assert_error

pytestmark = pytest.mark.django_db

# The calendar is reference data without a data scope: the same days hold in every county. No
# endpoint below has an object outside anyone's scope, so test_out_of_scope is None throughout.


class TestListDays(ApiContract):
    @pytest.fixture
    def case(self, world):
        return Case(method="get", url="/api/v1/calendar/days?year=2025", authorised=world.admin,
                    unauthorised=world.citizen, bad_url="/api/v1/calendar/days?year=twenty")

    test_out_of_scope = None


class TestGetDay(ApiContract):
    @pytest.fixture
    def case(self, world):
        return Case(method="get", url="/api/v1/calendar/days/2024-02-18", authorised=world.admin,
                    unauthorised=world.citizen, bad_url="/api/v1/calendar/days/2024-02-30")

    test_out_of_scope = None


class TestCreateDay(ApiContract):
    @pytest.fixture
    def case(self, world):
        return Case(method="post", url="/api/v1/calendar/days", authorised=world.admin,
                    unauthorised=world.yujiang_admin, ok_status=201,
                    payload={"date": "2099-01-01", "kind": "holiday", "festival": "元旦"},
                    bad_payload={"date": "2099-13-01", "kind": "rest"})

    test_out_of_scope = None


class TestUpdateDay(ApiContract):
    @pytest.fixture
    def case(self, world):
        return Case(method="patch", url="/api/v1/calendar/days/2024-02-18", authorised=world.admin,
                    unauthorised=world.yujiang_admin, payload={"note": "春节后第一天上班"},
                    bad_payload={"kind": "rest"})

    test_out_of_scope = None


class TestDeleteDay(ApiContract):
    @pytest.fixture
    def case(self, world):
        return Case(method="delete", url="/api/v1/calendar/days/2026-10-10", authorised=world.admin,
                    unauthorised=world.yujiang_admin, bad_url="/api/v1/calendar/days/tomorrow", ok_status=204)

    test_out_of_scope = None


class TestDeadline(ApiContract):
    @pytest.fixture
    def case(self, world):
        return Case(method="get", url="/api/v1/calendar/deadline?start=2025-09-30&days=1",
                    authorised=world.citizen, bad_url="/api/v1/calendar/deadline?start=2025-09-30&days=many")

    # Working-day arithmetic on public reference data: every signed-in user may ask.
    test_unauthorised = None
    test_out_of_scope = None


# --- reading -----------------------------------------------------------------------------------

def test_list_filters_and_shape(world):
    body = api_client(world.admin).get("/api/v1/calendar/days?year=2025&kind=workday").json()
    assert body["count"] == 5
    assert [d["date"] for d in body["items"]] == ["2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28",
                                                  "2025-10-11"]
    assert body["items"][0] == {"date": "2025-01-26", "kind": "workday", "festival": "春节", "note": ""}


def test_get_one_day(world):
    body = api_client(world.admin).get("/api/v1/calendar/days/2026-10-01").json()
    assert (body["kind"], body["festival"]) == ("holiday", "国庆节")


def test_a_day_not_in_the_calendar_is_404(world):
    assert_error(api_client(world.admin).get("/api/v1/calendar/days/2026-10-09"), 404, "not_found")


def test_every_official_with_the_view_permission_reads_the_calendar(world):
    """County administrators and staff hold calendar view in a region or "own" scope; the calendar
    has no scope dimension, so the permission alone decides."""
    for user in (world.yujiang_admin, world.official):
        client = api_client(user)
        assert client.get("/api/v1/calendar/days?year=2026").json()["count"] == CalendarDay.objects.filter(
            date__year=2026).count(), user
        assert client.get("/api/v1/calendar/days/2026-10-01").status_code == 200, user


@pytest.mark.parametrize("query", ["year=1800", "year=abc", "kind=rest", "limit=-1"])
def test_bad_list_filters(world, query):
    assert_error(api_client(world.admin).get(f"/api/v1/calendar/days?{query}"), 422, "invalid")


# --- writing -----------------------------------------------------------------------------------

def _send(user, method, url, payload=None):
    client = api_client(user)
    if payload is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, data=json.dumps(payload), content_type="application/json")


def test_create_changes_the_arithmetic_and_is_audited(world):
    response = _send(world.admin, "post", "/api/v1/calendar/days",
                     {"date": "2099-01-01", "kind": "holiday", "festival": "元旦"})
    assert response.status_code == 201
    assert response.json() == {"date": "2099-01-01", "kind": "holiday", "festival": "元旦", "note": ""}
    deadline = api_client(world.citizen).get("/api/v1/calendar/deadline?start=2098-12-31&days=1").json()
    assert deadline["deadline"] == "2099-01-02"  # Thursday 1 January is now a holiday
    entry = AuditEntry.objects.filter(action="calendars.calendarday.create").order_by("-seq").first()
    assert entry.actor_username == "t_admin" and entry.object_repr.startswith("2099-01-01")
    assert entry.changes["kind"] == [None, "holiday"]


def test_duplicate_date_is_refused(world):
    body = assert_error(_send(world.admin, "post", "/api/v1/calendar/days",
                              {"date": "2024-02-18", "kind": "holiday"}), 422, "invalid")
    assert "date" in body["details"]
    assert CalendarDay.objects.get(date=dt.date(2024, 2, 18)).kind == "workday"


def test_patch_changes_only_what_is_sent(world):
    response = _send(world.admin, "patch", "/api/v1/calendar/days/2024-02-18", {"note": "上班"})
    assert response.json() == {"date": "2024-02-18", "kind": "workday", "festival": "春节", "note": "上班"}
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.changes == {"note": ["", "上班"]}


def test_patch_cannot_change_the_date(world):
    response = _send(world.admin, "patch", "/api/v1/calendar/days/2024-02-18", {"date": "2024-02-19"})
    assert response.status_code == 200
    assert CalendarDay.objects.filter(date=dt.date(2024, 2, 18)).exists()
    assert not CalendarDay.objects.filter(date=dt.date(2024, 2, 19)).exists()


def test_delete_makes_the_day_ordinary_again(world):
    assert _send(world.admin, "delete", "/api/v1/calendar/days/2026-10-10").status_code == 204
    deadline = api_client(world.admin).get("/api/v1/calendar/deadline?start=2026-10-09&days=1").json()
    assert deadline["deadline"] == "2026-10-12"
    entry = AuditEntry.objects.filter(action="calendars.calendarday.delete").get()
    assert entry.changes["kind"] == [None, "workday"] and entry.changes["date"] == [None, "2026-10-10"]


def test_unauthorised_writes_are_audited_as_denied(world):
    _send(world.yujiang_admin, "post", "/api/v1/calendar/days", {"date": "2099-01-01", "kind": "holiday"})
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.outcome, entry.actor_username) == ("denied", "t_yujiang_admin")
    assert not CalendarDay.objects.filter(date=dt.date(2099, 1, 1)).exists()


# --- deadlines ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("start", "days", "deadline"), [
    ("2025-09-30", 1, "2025-10-09"), ("2024-02-09", 1, "2024-02-18"), ("2026-09-30", 5, "2026-10-13"),
    ("2024-02-18", -1, "2024-02-09"), ("2025-06-03", 0, "2025-06-03"), ("2024-01-02", 20, "2024-01-30"),
])
def test_deadline(world, start, days, deadline):
    body = api_client(world.citizen).get(f"/api/v1/calendar/deadline?start={start}&days={days}").json()
    assert body == {"start": start, "days": days, "deadline": deadline}


@pytest.mark.parametrize("query", ["start=2025-02-30&days=1", "days=1", "start=2025-01-01",
                                   "start=2025-01-01&days=3651", "start=2025-01-01&days=-3651",
                                   "start=yesterday&days=1", "start=0013-12-15&days=-2796"])
def test_deadline_bad_input(world, query):
    body = assert_error(api_client(world.citizen).get(f"/api/v1/calendar/deadline?{query}"), 422, "invalid")
    assert body["details"]


def test_deadline_at_the_limits(world):
    body = api_client(world.citizen).get("/api/v1/calendar/deadline?start=2025-01-01&days=3650").json()
    assert body["deadline"] > "2038-01-01"
