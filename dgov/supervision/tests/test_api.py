"""`/api/v1/services/supervision`: the contract of every endpoint and what each answers."""

import pytest

from dgov.accounts.testing import api_client
from dgov.core.testing import ApiContract, Case, assert_error, call
from dgov.supervision.models import TaskState

URL = "/api/v1/services/supervision"


class TestListTasks(ApiContract):
    test_out_of_scope = None  # a list: what is out of scope is not in it (tested below)

    @pytest.fixture
    def case(self, world, officer, approved):
        return Case(method="get", url=URL, authorised=officer, unauthorised=world.official,
                    bad_url=f"{URL}?state=lost")


class TestGetTask(ApiContract):
    @pytest.fixture
    def case(self, world, officer, approved, guixi_approved):
        return Case(method="get", url=f"{URL}/{approved.supervision_task.pk}", authorised=officer,
                    unauthorised=world.official, out_of_scope_url=f"{URL}/{guixi_approved.supervision_task.pk}",
                    bad_url=f"{URL}/x")


class TestAcknowledge(ApiContract):
    @pytest.fixture
    def case(self, world, officer, approved, guixi_approved):
        return Case(method="post", url=f"{URL}/{approved.supervision_task.pk}/acknowledge", authorised=officer,
                    unauthorised=world.official,
                    out_of_scope_url=f"{URL}/{guixi_approved.supervision_task.pk}/acknowledge",
                    payload={"note": "已认领"}, bad_payload={"note": "长" * 2001})


class TestTransition(ApiContract):
    @pytest.fixture
    def case(self, world, officer, approved, guixi_approved):
        return Case(method="post", url=f"{URL}/{approved.supervision_task.pk}/transitions", authorised=officer,
                    unauthorised=world.official,
                    out_of_scope_url=f"{URL}/{guixi_approved.supervision_task.pk}/transitions",
                    payload={"action": "acknowledge"}, bad_payload={"action": "fly"})


def test_the_list_is_scoped_filtered_and_says_what_is_allowed(officer, approved, guixi_approved):
    client = api_client(officer)
    body = client.get(URL).json()
    assert body["count"] == 1
    task = body["items"][0]
    assert task["reference"] == approved.reference and task["state"] == "pushed"
    assert task["allowed_actions"] == ["acknowledge"] and task["overdue"] is False
    assert task["holder_code_masked"] and task["holder_code_masked"] != approved.applicant_code
    assert client.get(f"{URL}?state=closed").json()["count"] == 0
    assert client.get(f"{URL}?overdue=true").json()["count"] == 0


def test_acknowledge_twice_is_422_with_what_is_allowed(officer, approved):
    client = api_client(officer)
    url = f"{URL}/{approved.supervision_task.pk}/acknowledge"
    first = call(client, "post", url, {"note": "已认领"})
    assert first.status_code == 200 and first.json()["state"] == TaskState.ACKNOWLEDGED
    body = assert_error(call(client, "post", url, {}), 422, "not_allowed")
    assert body["details"]["allowed"] == ["start", "close"]
    closed = call(client, "post", f"{URL}/{approved.supervision_task.pk}/transitions",
                  {"action": "close", "note": "检查合格"})
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    assert [h["action"] for h in closed.json()["history"]] == ["push", "acknowledge", "close"]


def test_a_citizen_is_refused(world, approved):
    assert_error(api_client(world.citizen).get(URL), 403)


def test_an_id_out_of_range_is_not_a_server_error(officer):
    for url in (f"{URL}/99999999999999999999999", f"{URL}/-1"):
        assert api_client(officer).get(url).status_code in (404, 422)
