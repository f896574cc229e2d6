"""`/api/v1/services/policies`: the contract of every endpoint (anonymous, unauthorised, out of scope, in
scope, bad input) and what the answers hold."""

import pytest

from dgov.accounts.testing import api_client, make_enterprise
from dgov.core.testing import ApiContract, Case, assert_error, call
from dgov.policies import services
from dgov.policies.models import Policy, PolicyMatch, PolicyStatus
from dgov.policies.testing import (
    GUIXI_HRSS,
    HIGH_TECH,
    SCIENCE,
    benefit_implementation,
    make_policy,
    make_policy_admin,
    make_profile,
)

URL = "/api/v1/services/policies"
BAD_RULES = {"all": [{"field": "colour", "op": "eq", "value": 1}]}


@pytest.fixture
def guixi(db):
    """A policy administrator of 贵溪市人社局 only."""
    return make_policy_admin(scope_kind="department", target=GUIXI_HRSS)


@pytest.fixture
def city(db):
    return make_policy_admin()


@pytest.fixture
def own(guixi):
    return make_policy(guixi, department=GUIXI_HRSS, title="贵溪政策")


@pytest.fixture
def other(city):
    return make_policy(city, department=SCIENCE, title="市科技局政策")


@pytest.fixture
def enterprise(db):
    found = make_enterprise()
    make_profile(found, tags=["高新技术企业"])
    return found


def payload(**extra):
    return {"title": "新政策", "department": GUIXI_HRSS, "summary": "说明", "benefit": "奖励", "kind": "apply",
            "valid_from": "2026-01-01", "rules": HIGH_TECH, **extra}


class TestPublicList(ApiContract):
    test_anonymous = test_unauthorised = test_out_of_scope = None  # public

    @pytest.fixture
    def case(self, own, world):
        return Case(method="get", url=URL, authorised=None, bad_url=f"{URL}?limit=0")

    def test_lists_only_published(self, own, city):
        make_policy(city, publish=False, title="草稿")
        body = api_client(None).get(URL).json()
        assert [p["title"] for p in body["items"]] == ["贵溪政策"]
        assert body["items"][0]["rules_text"] and body["items"][0]["rules"] == HIGH_TECH


class TestPublicDetail(ApiContract):
    test_anonymous = test_unauthorised = None  # public

    @pytest.fixture
    def case(self, own, city):
        draft = make_policy(city, publish=False)
        return Case(method="get", url=f"{URL}/{own.pk}", authorised=None, out_of_scope_url=f"{URL}/{draft.pk}",
                    bad_url=f"{URL}/x")


class TestMine(ApiContract):
    test_out_of_scope = None  # an enterprise's own matches: nothing else to reach

    @pytest.fixture
    def case(self, own, guixi, enterprise):
        services.match(actor=guixi, policy=own)
        return Case(method="get", url=f"{URL}/mine", authorised=enterprise.account, unauthorised=guixi,
                    bad_url=f"{URL}/mine?limit=0")

    def test_the_explanation(self, case):
        body = api_client(case.authorised).get(case.url).json()
        assert body["count"] == 1
        item = body["items"][0]
        assert item["eligible"] and item["explanation"][0]["group"] and item["explanation"][1]["held"]


class TestManageList(ApiContract):
    test_out_of_scope = None  # a list: what is out of scope is not in it

    @pytest.fixture
    def case(self, own, other, guixi, world):
        return Case(method="get", url=f"{URL}/manage", authorised=guixi, unauthorised=world.citizen,
                    bad_url=f"{URL}/manage?status=nonsense")

    def test_only_the_scope(self, case):
        body = api_client(case.authorised).get(case.url).json()
        assert [p["title"] for p in body["items"]] == ["贵溪政策"]


class TestCreate(ApiContract):
    @pytest.fixture
    def case(self, guixi, world):
        return Case(method="post", url=f"{URL}/manage", authorised=guixi, unauthorised=world.official,
                    payload=payload(), bad_payload=payload(rules=BAD_RULES), ok_status=201)

    def test_out_of_scope(self, case):  # creating for another department: 403 out_of_scope
        response = call(api_client(case.authorised), "post", case.url, payload(department=SCIENCE))
        assert_error(response, 403, "out_of_scope")
        assert not Policy.objects.exists()

    def test_rule_problems_name_where(self, case):
        body = assert_error(call(api_client(case.authorised), "post", case.url, payload(rules=BAD_RULES)), 422)
        assert any("field" in p for p in body["details"]["rules"])


def _one(method, suffix="", ok_status=200, body=None, bad=None):
    class Contract(ApiContract):
        @pytest.fixture
        def case(self, own, other, guixi, world):
            if method == "delete" or suffix == "/publish":
                own_draft = make_policy(guixi, department=GUIXI_HRSS, publish=False, title="草稿")
                other_draft = make_policy(make_policy_admin(), publish=False, title="他人草稿")
                target, foreign = own_draft, other_draft
            else:
                target, foreign = own, other
            return Case(method=method, url=f"{URL}/manage/{target.pk}{suffix}", authorised=guixi,
                        unauthorised=world.citizen, out_of_scope_url=f"{URL}/manage/{foreign.pk}{suffix}",
                        payload=body, bad_url=f"{URL}/manage/x{suffix}", bad_payload=bad, ok_status=ok_status)

    return Contract


TestGet = _one("get")
TestUpdate = _one("put", body=payload(title="改过的"), bad=payload(rules=BAD_RULES))
TestDelete = _one("delete", ok_status=204)
TestPublish = _one("post", "/publish")
TestExpire = _one("post", "/expire")
TestMatch = _one("post", "/match")
TestPreview = _one("post", "/preview", body={}, bad={"rules": BAD_RULES})


class TestMatches(ApiContract):
    test_out_of_scope = None  # a list

    @pytest.fixture
    def case(self, own, other, guixi, city, enterprise, world):
        services.match(actor=guixi, policy=own)
        services.match(actor=city, policy=other)
        return Case(method="get", url=f"{URL}/matches", authorised=guixi, unauthorised=world.citizen,
                    bad_url=f"{URL}/matches?policy=x")

    def test_only_the_scope(self, case, own):
        body = api_client(case.authorised).get(case.url).json()
        assert {m["policy"] for m in body["items"]} == {own.pk}


class TestRuns(ApiContract):
    test_out_of_scope = None

    @pytest.fixture
    def case(self, guixi, world):
        return Case(method="get", url=f"{URL}/runs", authorised=guixi, unauthorised=world.citizen,
                    bad_url=f"{URL}/runs?offset=-1")


class TestRunAll(ApiContract):
    test_out_of_scope = None  # matches what is in scope
    test_bad_input = None  # takes no input

    @pytest.fixture
    def case(self, own, guixi, enterprise, world):
        return Case(method="post", url=f"{URL}/runs", authorised=guixi, unauthorised=world.citizen, ok_status=201)


def test_the_acceptance_through_the_api(city, enterprise):
    """Create, publish and match a 免申即享 policy through the API: the eligible enterprise gets its case."""
    impl = benefit_implementation()
    client = api_client(city)
    created = client.post(f"{URL}/manage", data=payload(kind="automatic", department=SCIENCE,
                                                        implementation=impl.code), content_type="application/json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    preview = client.post(f"{URL}/manage/{pk}/preview", data={}, content_type="application/json").json()
    assert [p["eligible"] for p in preview] == [True]
    assert client.post(f"{URL}/manage/{pk}/publish").json()["status"] == PolicyStatus.PUBLISHED
    run = client.post(f"{URL}/manage/{pk}/match").json()
    assert run["cases"] == 1
    again = client.post(f"{URL}/manage/{pk}/match").json()
    assert again["cases"] == 0 and again["changed"] == 0
    mine = api_client(enterprise.account).get(f"{URL}/mine").json()
    assert mine["items"][0]["case"] == PolicyMatch.objects.get(policy_id=pk).case.reference
    assert assert_error(client.delete(f"{URL}/manage/{pk}"), 409)
