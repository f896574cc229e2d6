"""Regressions found in review: the provider cannot approve no item (the page once granted all of
them), an entry that leaves "published" ends its grants (republication must not revive them), a
grant cannot be approved to end in the past, the row filter's values must suit the items' types,
the centre's decision needs a scope holding the provider, and the create API does not tell whether
another department's application code exists."""

import datetime as dt

import pytest
from django.utils import timezone

from dgov.accounts.testing import api_client, make_user
from dgov.catalog import services as catalog_services
from dgov.catalog.testing import GUIXI_CIVIL_AFFAIRS, item, make_superuser
from dgov.core.errors import PermissionDenied, ValidationError
from dgov.core.testing import audited, signed_in
from dgov.sharing import selectors, services
from dgov.sharing.models import Grant, GrantStatus, SharingEvent, SharingRequest, Status
from dgov.sharing.testing import GUIXI_HRSS, make_app, make_request, population_entry

pytestmark = pytest.mark.django_db


def test_the_provider_approving_no_item_is_refused_not_widened_to_all(consumer, provider):
    request = make_request(actor=consumer, items=["姓名", "公民身份号码", "救助类别"])
    with pytest.raises(ValidationError) as exc:
        services.provider_approve(actor=provider, request=request, reason="同意", items=[])
    assert "items" in exc.value.details
    # The page: every box unticked is a refusal shown on the page, and nothing is approved.
    response = signed_in(provider).post(f"/data/exchange/requests/{request.number}/",
                                        {"action": "provider_approve", "reason": "同意"})
    assert response.status_code == 422
    request.refresh_from_db()
    assert request.status == Status.SUBMITTED and request.approved_items == []
    # Ticking one approves exactly that one.
    response = signed_in(provider).post(f"/data/exchange/requests/{request.number}/",
                                        {"action": "provider_approve", "reason": "同意", "items": ["救助类别"]})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == Status.PROVIDER_APPROVED and request.approved_items == ["救助类别"]


def test_withdrawing_the_entry_revokes_its_grants_and_republishing_does_not_revive_them(consumer):
    request = make_request(actor=consumer, status=Status.GRANTED)
    grant, entry = request.grants.get(), request.entry
    other = make_request(actor=consumer, entry=population_entry(name="另一资源"), status=Status.GRANTED).grants.get()
    catalog_services.transition(actor=make_superuser(), entry=entry, action="withdraw", reason="资源调整")
    grant.refresh_from_db()
    assert grant.status == GrantStatus.REVOKED and entry.name in grant.revoked_reason
    assert audited("sharing.grant.revoke", object_id=str(grant.pk))
    assert request.events.filter(action=SharingEvent.Action.REVOKE).exists()
    other.refresh_from_db()
    assert other.status == GrantStatus.ACTIVE, "only the withdrawn entry's grants end"
    # Back to published (as reopen → edit → review → publish would): the old grant stays dead.
    type(entry).objects.filter(pk=entry.pk).update(status="published")
    assert selectors.active_grant(request.application, entry) is None
    assert not Grant.objects.filter(entry=entry, status=GrantStatus.ACTIVE).exists()


def test_a_grant_cannot_be_approved_to_end_in_the_past(consumer, provider, centre):
    today = timezone.localdate()
    started = today - dt.timedelta(days=10)
    request = make_request(actor=consumer, today=started, period_start=started,
                           period_end=started + dt.timedelta(days=60))
    with pytest.raises(ValidationError) as exc:
        services.provider_approve(actor=provider, request=request, reason="同意",
                                  expires_on=today - dt.timedelta(days=1))
    assert "expires_on" in exc.value.details
    services.provider_approve(actor=provider, request=request, reason="同意", expires_on=today)
    # Approved earlier with an end that has passed meanwhile: the centre cannot create a dead grant.
    SharingRequest.objects.filter(pk=request.pk).update(expires_on=today - dt.timedelta(days=1))
    with pytest.raises(ValidationError):
        services.centre_approve(actor=centre, request=request, reason="同意")
    assert not Grant.objects.exists()


@pytest.mark.parametrize(("condition", "ok"), [
    ({"item": "保障金额", "op": "gte", "value": 300}, True),
    ({"item": "保障金额", "op": "gte", "value": "三百"}, False),
    ({"item": "保障金额", "op": "in", "value": [100, "x"]}, False),
    ({"item": "保障金额", "op": "startswith", "value": "3"}, False),
    ({"item": "登记日期", "op": "gte", "value": "2024-01-01"}, True),
    ({"item": "登记日期", "op": "gte", "value": "去年"}, False),
    ({"item": "享受低保", "op": "eq", "value": True}, True),
    ({"item": "享受低保", "op": "eq", "value": "也许"}, False),
    ({"item": "所属乡镇", "op": "startswith", "value": "平定"}, True),
])
def test_the_row_filter_values_must_suit_the_items_types(condition, ok):
    entry = population_entry(items=[item("姓名"), item("所属乡镇"), item("保障金额", data_type="decimal", length=None),
                                    item("登记日期", data_type="date", length=None),
                                    item("享受低保", data_type="boolean", length=None)])
    if ok:
        assert services.clean_row_filter([condition], entry) == [condition]
    else:
        with pytest.raises(ValidationError) as exc:
            services.clean_row_filter([condition], entry)
        assert condition["item"] in exc.value.details["row_filter"][0]


def test_the_centres_decision_needs_a_scope_holding_the_provider(consumer):
    # A reviewer for 余江区 only: it may decide on requests for 余江区's data, not release 贵溪市's
    # data to a 余江区 consumer.
    county = make_user(department_code="360600036", roles=[("catalog_reviewer", "region", "360603"),
                                                          ("staff", "all", None)])
    foreign = make_request(actor=consumer, entry=population_entry(GUIXI_CIVIL_AFFAIRS, name="贵溪低保"),
                           status=Status.PROVIDER_APPROVED)
    assert not services.can(county, "centre_approve", foreign)
    with pytest.raises(PermissionDenied):
        services.centre_approve(actor=county, request=foreign, reason="同意")
    own = make_request(actor=consumer, status=Status.PROVIDER_APPROVED)
    assert services.can(county, "centre_approve", own)
    services.centre_approve(actor=county, request=own, reason="同意")
    assert own.grants.filter(status=GrantStatus.ACTIVE).exists()
    # The same for the reviewer holding only the provider's county: the data is its region's.
    guixi = make_user(department_code="360600036", roles=[("catalog_reviewer", "region", "360681"),
                                                         ("staff", "all", None)])
    assert services.can(guixi, "centre_approve", foreign)
    # And the reviewer of a third county sees nothing of it.
    assert not SharingRequest.objects.restrict(county, "decide").filter(pk=foreign.pk).exists()


def test_create_does_not_reveal_other_departments_application_codes(consumer):
    other = make_app(GUIXI_HRSS, code="guixi-secret-app")
    entry = population_entry()
    today = timezone.localdate()
    body = {"entry_code": entry.code, "items": ["姓名"], "purpose": "核验", "legal_basis": "依据", "scenario": "调用",
            "period_start": today.isoformat(), "period_end": (today + dt.timedelta(days=30)).isoformat(),
            "department_code": GUIXI_HRSS}
    client = api_client(consumer)
    answers = [client.post("/api/v1/exchange/requests", {**body, "application_code": code},
                           content_type="application/json") for code in (other.code, "no-such-app")]
    assert [a.status_code for a in answers] == [403, 403]
    assert answers[0].json()["code"] == answers[1].json()["code"] == "out_of_scope"


def test_a_period_far_in_the_future_is_refused_not_a_server_error(consumer):
    app, entry = make_app(), population_entry(sharing_type="unconditional", name="无条件共享的资源")
    body = {"application_code": app.code, "entry_code": entry.code, "items": ["姓名"], "purpose": "核验",
            "legal_basis": "依据", "scenario": "调用", "period_start": "9999-12-30", "period_end": "9999-12-31"}
    response = api_client(consumer).post("/api/v1/exchange/requests", body, content_type="application/json")
    assert response.status_code == 422 and "period_start" in response.json()["details"]
    assert not SharingRequest.objects.exists() and not Grant.objects.exists()


@pytest.mark.parametrize("url", ["/api/v1/exchange/requests", "/api/v1/exchange/grants",
                                 "/data/exchange/requests/", "/data/exchange/grants/"])
def test_the_lists_query_the_same_number_of_times_for_one_row_or_many(consumer, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count() -> int:
        client = api_client(consumer) if url.startswith("/api/") else signed_in(consumer)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    make_request(actor=consumer, status=Status.GRANTED)
    one = count()
    for n in range(4):
        make_request(actor=consumer, entry=population_entry(name=f"资源{n}"), status=Status.GRANTED)
    assert count() == one


def test_the_centre_cannot_grant_a_row_filter_the_entry_no_longer_supports(consumer, provider, centre):
    request = make_request(actor=consumer)
    services.provider_approve(actor=provider, request=request, reason="同意",
                              row_filter=[{"item": "所属乡镇", "op": "eq", "value": "平定乡"}])
    # The entry was withdrawn, edited (the item dropped) and republished meanwhile.
    request.entry.items.filter(name="所属乡镇").delete()
    with pytest.raises(ValidationError) as exc:
        services.centre_approve(actor=centre, request=request, reason="同意")
    assert "row_filter" in exc.value.details
    assert not Grant.objects.exists()
