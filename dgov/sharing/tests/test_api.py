"""The sharing API: the contract of every endpoint (anonymous, unauthorised, out of scope, in
scope, bad input), both parties' views, and the acceptance path request → provider → centre →
grant, with the negative list refused in the error shape."""

import datetime as dt

import pytest
from django.utils import timezone

from dgov.accounts.testing import api_client
from dgov.catalog.testing import GUIXI_CIVIL_AFFAIRS, item
from dgov.core.testing import ApiContract, Case, assert_error, call
from dgov.sharing import selectors
from dgov.sharing.models import Status
from dgov.sharing.testing import GUIXI_HRSS, make_app, make_request, population_entry

REQUESTS = "/api/v1/exchange/requests"
GRANTS = "/api/v1/exchange/grants"


def url(obj, suffix: str = "") -> str:
    return f"{REQUESTS}/{obj.number}{suffix}"


def payload(app, entry, **fields) -> dict:
    today = timezone.localdate()
    return {"application_code": app.code, "entry_code": entry.code, "items": ["姓名", "救助类别"],
            "purpose": "低保对象就业援助资格核验", "legal_basis": "《社会救助暂行办法》第十一条",
            "scenario": "就业援助系统按件调用", "period_start": today.isoformat(),
            "period_end": (today + dt.timedelta(days=180)).isoformat(), **fields}


def guixi_request():
    return make_request(application=make_app(GUIXI_HRSS), entry=population_entry(GUIXI_CIVIL_AFFAIRS, name="贵溪低保"))


class TestList(ApiContract):
    @pytest.fixture
    def case(self, world, consumer):
        make_request(actor=consumer)
        return Case(method="get", url=f"{REQUESTS}?status=submitted&role=consumer", authorised=consumer,
                    unauthorised=world.official, bad_url=f"{REQUESTS}?status=sometimes")

    test_out_of_scope = None  # a list: see test_each_side_sees_its_requests


class TestCreate(ApiContract):
    @pytest.fixture
    def case(self, world, consumer):
        app, entry = make_app(), population_entry()
        return Case(method="post", url=REQUESTS, authorised=consumer, unauthorised=world.official,
                    payload=payload(app, entry), bad_payload=payload(app, entry, items=[]), ok_status=201)

    test_out_of_scope = None  # another department's application is a 422: see test_create_refusals


class TestGet(ApiContract):
    @pytest.fixture
    def case(self, world, consumer):
        own = make_request(actor=consumer)
        return Case(method="get", url=url(own), authorised=consumer, unauthorised=world.official,
                    out_of_scope_url=url(guixi_request()), bad_url=f"{REQUESTS}/GX-1")


def step_case(world, actor, suffix, obj, other, body, bad):
    return Case(method="post", url=url(obj, suffix), authorised=actor, unauthorised=world.official,
                out_of_scope_url=url(other, suffix), payload=body, bad_payload=bad)


class TestProviderApprove(ApiContract):
    @pytest.fixture
    def case(self, world, consumer, provider):
        return step_case(world, provider, "/provider-approve", make_request(actor=consumer), guixi_request(),
                         {"reason": "同意", "items": ["姓名"], "daily_quota": 100,
                          "row_filter": [{"item": "所属乡镇", "op": "in", "value": ["平定乡", "锦江镇"]}]},
                         {"reason": "同意", "daily_quota": 0})


class TestProviderReject(ApiContract):
    @pytest.fixture
    def case(self, world, consumer, provider):
        return step_case(world, provider, "/provider-reject", make_request(actor=consumer), guixi_request(),
                         {"reason": "不符合条件"}, {"reason": ""})


class TestCentreApprove(ApiContract):
    @pytest.fixture
    def case(self, world, consumer, centre):
        return Case(method="post", url=url(make_request(actor=consumer, status=Status.PROVIDER_APPROVED),
                                           "/centre-approve"),
                    authorised=centre, unauthorised=world.official, payload={"reason": "同意"},
                    bad_payload={"reason": 5})

    test_out_of_scope = None  # the big-data centre's scope is the whole city


class TestCentreReject(ApiContract):
    @pytest.fixture
    def case(self, world, consumer, centre):
        return Case(method="post", url=url(make_request(actor=consumer, status=Status.PROVIDER_APPROVED),
                                           "/centre-reject"),
                    authorised=centre, unauthorised=world.official, payload={"reason": "依据不足"},
                    bad_payload={"reason": ""})

    test_out_of_scope = None  # the big-data centre's scope is the whole city


class TestWithdraw(ApiContract):
    @pytest.fixture
    def case(self, world, consumer):
        return step_case(world, consumer, "/withdraw", make_request(actor=consumer), guixi_request(),
                         {"reason": "不再需要"}, {"reason": "x" * 1001})


class TestGrantList(ApiContract):
    @pytest.fixture
    def case(self, world, consumer):
        make_request(actor=consumer, status=Status.GRANTED)
        return Case(method="get", url=f"{GRANTS}?usable=true&role=consumer", authorised=consumer,
                    unauthorised=world.official, bad_url=f"{GRANTS}?status=maybe")

    test_out_of_scope = None  # a list


class TestGrantGet(ApiContract):
    @pytest.fixture
    def case(self, world, consumer):
        own = make_request(actor=consumer, status=Status.GRANTED).grants.get()
        other = make_request(application=make_app(GUIXI_HRSS), entry=population_entry(GUIXI_CIVIL_AFFAIRS),
                             status=Status.GRANTED).grants.get()
        return Case(method="get", url=f"{GRANTS}/{own.pk}", authorised=consumer, unauthorised=world.official,
                    out_of_scope_url=f"{GRANTS}/{other.pk}", bad_url=f"{GRANTS}/0")


class TestGrantRevoke(ApiContract):
    @pytest.fixture
    def case(self, world, consumer, provider):
        own = make_request(actor=consumer, status=Status.GRANTED).grants.get()
        other = make_request(application=make_app(GUIXI_HRSS), entry=population_entry(GUIXI_CIVIL_AFFAIRS),
                             status=Status.GRANTED).grants.get()
        return Case(method="post", url=f"{GRANTS}/{own.pk}/revoke", authorised=provider, unauthorised=world.official,
                    out_of_scope_url=f"{GRANTS}/{other.pk}/revoke", payload={"reason": "超范围使用"},
                    bad_payload={"reason": ""})


# --- behaviour ----------------------------------------------------------------------------------
def test_request_provider_centre_grant(consumer, provider, centre):
    app, entry = make_app(), population_entry()
    created = call(api_client(consumer), "post", REQUESTS, payload(app, entry))
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "submitted" and body["due_on"] and body["events"][0]["action"] == "submit"
    number = body["number"]
    approved = call(api_client(provider), "post", f"{REQUESTS}/{number}/provider-approve",
                    {"reason": "同意", "items": ["姓名"], "unmasked_items": [], "rate_limit": 5})
    assert approved.status_code == 200 and approved.json()["status"] == "provider_approved"
    granted = call(api_client(centre), "post", f"{REQUESTS}/{number}/centre-approve", {"reason": "同意"})
    assert granted.status_code == 200, granted.content
    assert granted.json()["status"] == "granted" and granted.json()["grant_id"]
    grant = selectors.active_grant(app, entry)
    assert grant.pk == granted.json()["grant_id"] and grant.items == ["姓名"] and grant.rate_limit == 5
    listed = api_client(consumer).get(f"{GRANTS}?usable=true").json()
    assert [g["service_code"] for g in listed["items"]] == [entry.code]
    # the provider cannot approve twice: the request is no longer waiting for it
    assert_error(call(api_client(provider), "post", f"{REQUESTS}/{number}/provider-approve", {"reason": "再次"}), 409)


def test_create_refusals(consumer):
    app = make_app()
    entry = population_entry(items=[item("姓名"), item("联系电话", sharing_type="none", open_type="none")])
    from dgov.catalog.testing import negative_list

    negative_list(entry.code, "联系电话")
    body = assert_error(call(api_client(consumer), "post", REQUESTS, payload(app, entry, items=["姓名", "联系电话"])),
                        422, "negative_list")
    assert any("联系电话" in m for m in body["details"]["items"])
    other = make_app(GUIXI_HRSS)
    body = assert_error(call(api_client(consumer), "post", REQUESTS, payload(other, entry, items=["姓名"])), 422)
    assert "application_code" in body["details"]
    body = assert_error(call(api_client(consumer), "post", REQUESTS, payload(app, entry, entry_code="999999999/000001",
                                                                             items=["姓名"])), 422)
    assert "entry_code" in body["details"]


def test_each_side_sees_its_requests(consumer, provider, outsider, centre):
    mine = make_request(actor=consumer)
    other = guixi_request()
    numbers = lambda user, q="": {r["number"] for r in api_client(user).get(f"{REQUESTS}{q}").json()["items"]}  # noqa: E731
    assert numbers(consumer) == {mine.number}
    assert numbers(provider) == {mine.number}
    assert numbers(provider, "?role=consumer") == set() and numbers(provider, "?role=provider") == {mine.number}
    assert numbers(outsider) == {other.number}
    assert numbers(centre) == {mine.number, other.number}
