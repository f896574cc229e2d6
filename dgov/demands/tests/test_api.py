"""The supply–demand API: the contract of every endpoint (anonymous, unauthorised, out of scope, in
scope, bad input), both parties' views, the filters, and the steps' errors in the one error shape."""

import datetime as dt

import pytest

from dgov.accounts.testing import api_client
from dgov.catalog.testing import GUIXI_CIVIL_AFFAIRS, YUJIANG_CIVIL_AFFAIRS
from dgov.core.testing import ApiContract, Case, assert_error, call
from dgov.demands import services
from dgov.demands.models import DataDemand, State
from dgov.demands.testing import YUJIANG_HRSS, make_demand, marriage_entry

BASE = "/api/v1/catalog/demands"
GUIXI_HRSS = "360681905"


def url(demand, suffix: str = "") -> str:
    return f"{BASE}/{demand.number}{suffix}"


def payload(**fields) -> dict:
    return {"title": "居民婚姻状况核验", "fields": ["姓名", "身份证号", "婚姻状况"], "purpose": "社会救助审核",
            "legal_basis": "《社会救助暂行办法》第十一条", "scenario": "低保审批系统按件调用", "sharing_method": "api",
            **fields}


# --- the contract, per endpoint -----------------------------------------------------------------
class TestList(ApiContract):
    @pytest.fixture
    def case(self, world, requester):
        make_demand(actor=requester)
        return Case(method="get", url=f"{BASE}?state=open&role=requester", authorised=requester,
                    unauthorised=world.official, bad_url=f"{BASE}?state=sometimes")

    test_out_of_scope = None  # a list: see test_each_side_sees_its_demands


class TestGet(ApiContract):
    @pytest.fixture
    def case(self, world, requester):
        own = make_demand(actor=requester)
        other = make_demand(department_code=GUIXI_HRSS)
        return Case(method="get", url=url(own), authorised=requester, unauthorised=world.official,
                    out_of_scope_url=url(other), bad_url=f"{BASE}/XQ-1")


class TestCreate(ApiContract):
    @pytest.fixture
    def case(self, world, requester):
        return Case(method="post", url=BASE, authorised=requester, unauthorised=world.official, payload=payload(),
                    bad_payload=payload(fields=[]), ok_status=201)

    # Filing for another department is refused as out of scope (403): see test_filing_for_another_department.
    test_out_of_scope = None


class TestUpdate(ApiContract):
    @pytest.fixture
    def case(self, world, requester):
        own = make_demand(actor=requester)
        other = make_demand(department_code=GUIXI_HRSS)
        return Case(method="patch", url=url(own), authorised=requester, unauthorised=world.official,
                    out_of_scope_url=url(other), payload={"purpose": "核验低保申请人的婚姻状况"},
                    bad_payload={"sharing_method": "fax"})


class TestMatch(ApiContract):
    @pytest.fixture
    def case(self, world, requester, centre):
        entry = marriage_entry()
        own = make_demand(actor=requester)
        other = make_demand(department_code=GUIXI_HRSS)
        return Case(method="post", url=url(own, "/match"), authorised=requester, unauthorised=world.official,
                    out_of_scope_url=url(other, "/match"), payload={"entry_code": entry.code},
                    bad_payload={"entry_code": "307000000/999999"})


def provider_case(world, provider, action: str, field: str, text: str) -> Case:
    """The provider's answer to a demand matched to its entry; out of scope: one matched to 贵溪市民政局."""
    matched = make_demand(state=State.MATCHED)
    other = make_demand(state=State.MATCHED, entry=marriage_entry(GUIXI_CIVIL_AFFAIRS))
    return Case(method="post", url=url(matched, f"/{action}"), authorised=provider, unauthorised=world.official,
                out_of_scope_url=url(other, f"/{action}"), payload={field: text}, bad_payload={field: "  "})


class TestConfirm(ApiContract):
    @pytest.fixture
    def case(self, world, provider):
        return provider_case(world, provider, "confirm", "answer", "同意，接口方式提供")


class TestReject(ApiContract):
    @pytest.fixture
    def case(self, world, provider):
        return provider_case(world, provider, "reject", "reason", "数据由省级系统管理")


class TestFulfil(ApiContract):
    @pytest.fixture
    def case(self, world, requester):
        confirmed = make_demand(state=State.CONFIRMED)
        other = make_demand(department_code=GUIXI_HRSS, state=State.CONFIRMED)
        return Case(method="post", url=url(confirmed, "/fulfil"), authorised=requester, unauthorised=world.official,
                    out_of_scope_url=url(other, "/fulfil"), payload={"fulfilment": "已开通接口"},
                    bad_payload={"fulfilment": ""})


# --- behaviour ----------------------------------------------------------------------------------
def test_each_side_sees_its_demands(requester, provider, outsider, centre):
    filed = make_demand(actor=requester, state=State.MATCHED)
    elsewhere = make_demand(department_code=GUIXI_HRSS)

    def numbers(user, query=""):
        response = api_client(user).get(f"{BASE}{query}")
        assert response.status_code == 200, response.content
        return {item["number"] for item in response.json()["items"]}

    assert numbers(requester) == {filed.number}
    assert numbers(provider) == {filed.number}  # addressed to it
    assert numbers(outsider) == set()
    assert numbers(centre) == {filed.number, elsewhere.number}
    assert numbers(requester, "?role=requester") == {filed.number}
    assert numbers(requester, "?role=provider") == set()
    assert numbers(provider, "?role=provider") == {filed.number}
    assert numbers(centre, f"?department={YUJIANG_CIVIL_AFFAIRS}") == {filed.number}
    assert numbers(centre, "?q=婚姻") == {filed.number, elsewhere.number}
    assert numbers(centre, "?state=open") == {elsewhere.number}


def test_overdue_filter_and_flag(requester, centre):
    late = make_demand(actor=requester)
    services.match(actor=centre, demand=late, entry=marriage_entry(), today=dt.date(2026, 1, 5))
    in_time = make_demand(actor=requester, state=State.MATCHED)
    body = api_client(requester).get(f"{BASE}?overdue=true").json()
    assert [i["number"] for i in body["items"]] == [late.number]
    assert body["items"][0]["overdue"] is True and body["items"][0]["due_on"] == "2026-01-19"
    body = api_client(requester).get(f"{BASE}?overdue=false").json()
    assert [i["number"] for i in body["items"]] == [in_time.number]


def test_the_detail_has_suggestions_and_history(requester):
    entry = marriage_entry()
    response = api_client(requester).post(BASE, data=payload(title="婚姻登记信息"), content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "open" and body["department_code"] == YUJIANG_HRSS
    assert [e["action"] for e in body["events"]] == ["file"]
    assert body["suggestions"][0]["code"] == entry.code
    assert body["suggestions"][0]["fields"]["婚姻状况"] == ["婚姻状况"]
    assert body["suggestions"][0]["missing"] == []  # 姓名 and 身份证号 are held as 男方姓名, 男方身份证号


def test_filing_for_another_department_is_out_of_scope(requester):
    response = call(api_client(requester), "post", BASE, payload(department_code=GUIXI_HRSS))
    assert_error(response, 403, "out_of_scope")
    response = call(api_client(requester), "post", BASE, payload(department_code="999999999"))
    assert assert_error(response, 422, "invalid")["details"]["department_code"]
    assert not DataDemand.objects.exists()


def test_confirm_by_the_wrong_department_and_illegal_steps(requester, provider):
    matched = make_demand(actor=requester, state=State.MATCHED)
    # The requester sees the demand but does not answer for the provider.
    assert_error(call(api_client(requester), "post", url(matched, "/confirm"), {"answer": "好"}), 403, "out_of_scope")
    response = call(api_client(provider), "post", url(matched, "/confirm"), {"answer": "同意"})
    assert response.status_code == 200 and response.json()["state"] == "confirmed"
    assert_error(call(api_client(provider), "post", url(matched, "/confirm"), {"answer": "同意"}), 409, "conflict")
    assert_error(call(api_client(requester), "patch", url(matched), {"title": "改"}), 409, "conflict")
    # A confirmed demand can no longer be rejected: the state is checked first.
    assert_error(call(api_client(provider), "post", url(matched, "/reject"), {"reason": "晚了"}), 409, "conflict")
    response = call(api_client(requester), "post", url(matched, "/fulfil"), {"fulfilment": "已开通接口"})
    assert response.status_code == 200 and response.json()["state"] == "fulfilled"
    assert [e["action"] for e in response.json()["events"]] == ["file", "match", "confirm", "fulfil"]


def test_reject_without_a_reason_names_the_field(provider):
    matched = make_demand(state=State.MATCHED)
    body = assert_error(call(api_client(provider), "post", url(matched, "/reject"), {}), 422, "invalid")
    assert "reason" in body["details"]
    assert DataDemand.objects.get(pk=matched.pk).state == State.MATCHED
