"""`/api/v1/services/ratings`: the contract of every endpoint and what each answers."""

import pytest

from dgov.accounts.testing import api_client, make_citizen
from dgov.core.testing import ApiContract, Case, assert_error, call
from dgov.ratings import services
from dgov.ratings.models import Rating, Step

URL = "/api/v1/services/ratings"


@pytest.fixture
def bad_rating(world, decided):
    return services.rate(actor=world.citizen, case=decided, level=1, indicators=["attitude"], comment="差")


@pytest.fixture
def guixi_bad_rating(world, guixi_decided):
    return services.rate(actor=world.citizen, case=guixi_decided, level=2, indicators=["efficiency"])


class TestCreateRating(ApiContract):
    @pytest.fixture
    def case(self, world, decided):
        return Case(method="post", url=URL, authorised=world.citizen, unauthorised=world.official,
                    payload={"case": decided.reference, "level": 5, "indicators": ["attitude"]},
                    bad_payload={"case": decided.reference, "level": 9}, ok_status=201,
                    extra={"other": make_citizen("r_api_other")})

    def test_out_of_scope(self, case):
        # another applicant's case is not found (the reference is in the body, not the path)
        assert_error(call(api_client(case.extra["other"]), "post", URL, case.payload), 404)


class TestListRatings(ApiContract):
    test_out_of_scope = None  # a list: what is out of scope is not in it (tested below)

    @pytest.fixture
    def case(self, world, manager, bad_rating):
        return Case(method="get", url=URL, authorised=manager, unauthorised=world.official,
                    bad_url=f"{URL}?level=7")


class TestGetRating(ApiContract):
    @pytest.fixture
    def case(self, world, manager, bad_rating, guixi_bad_rating):
        return Case(method="get", url=f"{URL}/{bad_rating.pk}", authorised=manager, unauthorised=world.official,
                    out_of_scope_url=f"{URL}/{guixi_bad_rating.pk}", bad_url=f"{URL}/x")


class TestRecordStep(ApiContract):
    @pytest.fixture
    def case(self, world, manager, bad_rating, guixi_bad_rating):
        return Case(method="post", url=f"{URL}/{bad_rating.pk}/rectification", authorised=manager,
                    unauthorised=world.official, out_of_scope_url=f"{URL}/{guixi_bad_rating.pk}/rectification",
                    payload={"step": "verify", "text": "经核实属实", "founded": True},
                    bad_payload={"step": "close", "text": ""})


def test_the_applicant_rates_and_reads_their_rating(world, decided):
    client = api_client(world.citizen)
    response = call(client, "post", URL, {"case": decided.reference, "level": 2, "indicators": ["efficiency"],
                                          "comment": "太慢"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["case"], body["level"], body["bad"]) == (decided.reference, 2, True)
    assert body["rectification"]["state"] == "verify" and body["rectification"]["overdue"] is False
    listed = client.get(URL).json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == body["id"]
    again = call(client, "post", URL, {"case": decided.reference, "level": 5})
    assert_error(again, 409, "already_rated")


def test_a_bad_rating_without_an_indicator_is_422_and_an_undecided_case_409(world, officials):
    from dgov.cases.testing import make_implementation, submitted_case

    case = submitted_case(world.citizen, make_implementation())
    assert_error(call(api_client(world.citizen), "post", URL, {"case": case.reference, "level": 5}), 409,
                 "not_rateable")
    from .conftest import decide

    case = decide(case, officials.all_roles)
    body = assert_error(call(api_client(world.citizen), "post", URL, {"case": case.reference, "level": 1}), 422)
    assert "indicators" in body["details"]


def test_the_officials_list_is_scoped_and_filtered(world, manager, bad_rating, guixi_bad_rating, officials):
    client = api_client(manager)
    assert [r["id"] for r in client.get(URL).json()["items"]] == [bad_rating.pk]
    assert client.get(f"{URL}?state=verify").json()["count"] == 1
    assert client.get(f"{URL}?state=closed").json()["count"] == 0
    assert client.get(f"{URL}?level=5").json()["count"] == 0
    assert client.get(f"{URL}?overdue=true").json()["count"] == 0
    # the citizen sees both of their own ratings, another citizen none
    assert api_client(world.citizen).get(URL).json()["count"] == 2
    assert api_client(make_citizen("r_nobody")).get(URL).json()["count"] == 0


def test_the_loop_through_the_api_and_a_step_out_of_turn(world, manager, bad_rating):
    client = api_client(manager)
    url = f"{URL}/{bad_rating.pk}/rectification"
    body = assert_error(call(client, "post", url, {"step": "callback", "text": "回访", "satisfied": True}), 422,
                        "not_allowed")
    assert body["details"]["allowed"] == ["verify"]
    for payload in ({"step": "verify", "text": "属实", "founded": True}, {"step": "fix", "text": "已整改"},
                    {"step": "callback", "text": "已回访", "satisfied": True}):
        response = call(client, "post", url, payload)
        assert response.status_code == 200, response.content
    rect = response.json()["rectification"]
    assert rect["state"] == "closed" and [s["step"] for s in rect["steps"]] == ["verify", "fix", "callback"]
    assert Rating.objects.get(pk=bad_rating.pk).rectification.state == Step.CLOSED


def test_the_applicant_cannot_record_steps_and_a_good_rating_has_none(world, manager, decided):
    good = services.rate(actor=world.citizen, case=decided, level=5)
    assert_error(call(api_client(world.citizen), "post", f"{URL}/{good.pk}/rectification",
                      {"step": "verify", "text": "x", "founded": True}), 403)
    assert_error(call(api_client(manager), "post", f"{URL}/{good.pk}/rectification",
                      {"step": "verify", "text": "x", "founded": True}), 404)


def test_an_id_out_of_range_is_not_a_server_error(manager):
    for url in (f"{URL}/99999999999999999999999", f"{URL}/-1"):
        assert api_client(manager).get(url).status_code in (404, 422)
