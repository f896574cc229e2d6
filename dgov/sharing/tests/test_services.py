"""Sharing requests through the services: the three sharing types, the negative list, the two
decisions with reasons and deadlines, the grant and its terms, withdrawal, revocation, expiry, the
overdue reminders and who hears about each step."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dgov.calendars.selectors import add_working_days
from dgov.catalog.models import NegativeListItem
from dgov.catalog.testing import GUIXI_CIVIL_AFFAIRS, item, make_entry, negative_list
from dgov.core.errors import Conflict, PermissionDenied, ValidationError
from dgov.core.testing import audited
from dgov.notifications.models import OutboxMessage
from dgov.sharing import selectors, services
from dgov.sharing.models import Grant, GrantStatus, SharingEvent, SharingRequest, Status
from dgov.sharing.testing import GUIXI_HRSS, make_app, make_request, population_entry

pytestmark = pytest.mark.django_db


def subjects(user) -> list[str]:
    return list(OutboxMessage.objects.filter(user=user).values_list("subject", flat=True))


def test_conditional_request_goes_to_the_provider_with_a_working_day_deadline(consumer, provider, settings):
    settings.DGOV_SHARING_PROVIDER_WORKING_DAYS = 7
    today = timezone.localdate()
    request = make_request(actor=consumer)
    assert request.status == Status.SUBMITTED and request.number.startswith(f"GX{today.year}")
    assert request.sharing_type == "conditional" and request.provider.code == "360603909"
    assert request.due_on == request.provider_due_on == add_working_days(today, 7)
    assert [e.action for e in request.events.all()] == ["submit"]
    assert audited("sharing.sharingrequest.create", object_id=str(request.pk))
    assert any(request.number in s for s in subjects(provider)), "the provider is told"


def test_unconditional_data_is_granted_at_once(consumer, provider):
    entry = population_entry(sharing_type="unconditional")
    request = make_request(actor=consumer, entry=entry)
    assert request.status == Status.GRANTED and request.due_on is None
    grant = selectors.active_grant(request.application, entry)
    assert grant is not None and grant.items == ["姓名", "救助类别"] and grant.request == request
    assert [e.action for e in request.events.all()] == ["submit", "grant"]


def test_a_conditional_item_of_an_unconditional_entry_makes_the_request_conditional(consumer):
    entry = population_entry(sharing_type="unconditional", items=[
        item("姓名"), item("公民身份号码", sharing_type="conditional")])
    assert make_request(actor=consumer, entry=entry, items=["姓名"]).status == Status.GRANTED
    request = make_request(actor=consumer, entry=entry, items=["姓名", "公民身份号码"])
    assert request.status == Status.SUBMITTED and request.sharing_type == "conditional"


def test_not_shared_entries_and_items_cannot_be_requested(consumer):
    closed = population_entry(sharing_type="none", name="不予共享的资源")
    with pytest.raises(ValidationError) as exc:
        make_request(actor=consumer, entry=closed)
    assert "不予共享的资源" in str(exc.value.details["entry"])
    entry = population_entry(items=[item("姓名"), item("病史", sharing_type="none")])
    with pytest.raises(ValidationError) as exc:
        make_request(actor=consumer, entry=entry, items=["姓名", "病史"])
    assert any("病史" in m for m in exc.value.details["items"])
    with pytest.raises(ValidationError) as exc:
        make_request(actor=consumer, entry=entry, items=["姓名", "不存在的项"])
    assert any("不存在的项" in m for m in exc.value.details["items"])
    assert not SharingRequest.objects.exists()


def test_a_negative_listed_item_is_refused_naming_it(consumer):
    entry = population_entry(items=[item("姓名"), item("联系电话", sharing_type="none", open_type="none")])
    negative_list(entry.code, "联系电话")
    with pytest.raises(ValidationError) as exc:
        make_request(actor=consumer, entry=entry, items=["姓名", "联系电话"])
    assert exc.value.code == "negative_list"
    assert any("联系电话" in m for m in exc.value.details["items"])
    assert make_request(actor=consumer, entry=entry, items=["姓名"]).status == Status.SUBMITTED


def test_the_inputs_are_checked(consumer):
    app = make_app()
    today = timezone.localdate()
    with pytest.raises(ValidationError) as exc:
        make_request(actor=consumer, application=app, items=[], purpose=" ", period_start=today - dt.timedelta(days=1),
                     period_end=today - dt.timedelta(days=2))
    assert {"items", "purpose", "period_start", "period_end"} <= set(exc.value.details)
    with pytest.raises(ValidationError) as exc:
        make_request(actor=consumer, application=app, period_end=today + dt.timedelta(days=5 * 366))
    assert "period_end" in exc.value.details
    own = population_entry(department_code="360603905", name="人社自己的资源")
    with pytest.raises(ValidationError) as exc:
        make_request(actor=consumer, application=app, entry=own)
    assert "entry" in exc.value.details
    unpublished = make_entry(department_code="360603909", items=[item("姓名")])
    with pytest.raises(ValidationError) as exc:
        make_request(actor=consumer, application=app, entry=unpublished, items=["姓名"])
    assert "entry" in exc.value.details
    other_app = make_app(GUIXI_HRSS)
    with pytest.raises((ValidationError, PermissionDenied)):
        make_request(actor=consumer, application=other_app)


def test_only_the_consumer_department_may_submit(outsider):
    with pytest.raises(PermissionDenied):
        make_request(actor=outsider)  # an application of 余江区人社局: out of 贵溪市民政局's scope


def test_one_pending_request_per_application_and_entry(consumer):
    request = make_request(actor=consumer)
    with pytest.raises(Conflict):
        make_request(actor=consumer, application=request.application, entry=request.entry)


def test_provider_then_centre_approval_creates_a_grant_on_the_providers_terms(consumer, provider, centre):
    request = make_request(actor=consumer, items=["姓名", "公民身份号码", "救助类别"])
    with pytest.raises(ValidationError) as exc:
        services.provider_approve(actor=provider, request=request, reason="")
    assert "reason" in exc.value.details
    last = request.period_start + dt.timedelta(days=30)
    services.provider_approve(
        actor=provider, request=request, reason="同意提供", items=["姓名", "公民身份号码"],
        row_filter=[{"item": "所属乡镇", "op": "eq", "value": "平定乡"}], daily_quota=500, rate_limit=10,
        unmasked_items=["姓名"], expires_on=last)
    request.refresh_from_db()
    assert request.status == Status.PROVIDER_APPROVED and request.provider_reason == "同意提供"
    assert request.due_on == request.centre_due_on
    assert any(request.number in s for s in subjects(centre)), "the centre is told"
    assert selectors.active_grant(request.application, request.entry) is None
    services.centre_approve(actor=centre, request=request, reason="符合条件")
    request.refresh_from_db()
    assert request.status == Status.GRANTED and request.centre_reason == "符合条件" and request.due_on is None
    grant = selectors.active_grant(request.application, request.entry)
    assert grant.items == ["姓名", "公民身份号码"] and grant.unmasked_items == ["姓名"]
    assert grant.row_filter == [{"item": "所属乡镇", "op": "eq", "value": "平定乡"}]
    assert (grant.daily_quota, grant.rate_limit) == (500, 10)
    assert timezone.localtime(grant.expires_at).date() == last + dt.timedelta(days=1)
    assert grant.valid_from <= timezone.now()
    assert [e.action for e in request.events.all()] == ["submit", "provider_approve", "centre_approve", "grant"]
    assert all(e.text for e in request.events.all() if e.action.endswith(("approve", "reject")))
    assert any(request.number in s for s in subjects(consumer)), "the consumer is told"


def test_the_providers_terms_are_checked(consumer, provider):
    request = make_request(actor=consumer)
    for terms, field in ((dict(items=["公民身份号码"]), "items"), (dict(unmasked_items=["联系电话"]), "unmasked_items"),
                         (dict(row_filter=[{"item": "无此项", "op": "eq", "value": 1}]), "row_filter"),
                         (dict(row_filter=[{"item": "姓名", "op": "like", "value": "张"}]), "row_filter"),
                         (dict(row_filter=[{"item": "姓名", "op": "in", "value": "张三"}]), "row_filter"),
                         (dict(daily_quota=0), "daily_quota"),
                         (dict(expires_on=request.period_end + dt.timedelta(days=1)), "expires_on")):
        with pytest.raises(ValidationError) as exc:
            services.provider_approve(actor=provider, request=request, reason="同意", **terms)
        assert field in exc.value.details, terms
    request.refresh_from_db()
    assert request.status == Status.SUBMITTED


def test_who_may_decide(consumer, provider, outsider, centre):
    request = make_request(actor=consumer)
    assert services.can(provider, "provider_approve", request) and not services.can(consumer, "provider_approve",
                                                                                     request)
    with pytest.raises(PermissionDenied):
        services.provider_approve(actor=consumer, request=request, reason="自己批准")
    with pytest.raises(PermissionDenied) as exc:
        services.provider_approve(actor=outsider, request=request, reason="别的县")
    assert exc.value.code == "out_of_scope"
    with pytest.raises(Conflict):
        services.centre_approve(actor=centre, request=request, reason="越过提供方")
    services.provider_approve(actor=provider, request=request, reason="同意")
    with pytest.raises(PermissionDenied):
        services.centre_approve(actor=provider, request=request, reason="提供方不能终审")


def test_rejections_and_withdrawal_need_reasons(consumer, provider, centre):
    request = make_request(actor=consumer)
    with pytest.raises(ValidationError):
        services.provider_reject(actor=provider, request=request, reason=" ")
    services.provider_reject(actor=provider, request=request, reason="超出履职范围")
    request.refresh_from_db()
    assert request.status == Status.REJECTED and request.provider_reason == "超出履职范围"
    assert any("被驳回" in s or "rejected" in s for s in subjects(consumer))
    approved = make_request(actor=consumer, status=Status.PROVIDER_APPROVED)
    services.centre_reject(actor=centre, request=approved, reason="需补充法律依据")
    approved.refresh_from_db()
    assert approved.status == Status.REJECTED and approved.centre_reason == "需补充法律依据"
    pending = make_request(actor=consumer)
    with pytest.raises(PermissionDenied):
        services.withdraw(actor=provider, request=pending, reason="提供方不能撤回")
    services.withdraw(actor=consumer, request=pending, reason="不再需要")
    pending.refresh_from_db()
    assert pending.status == Status.WITHDRAWN and pending.withdraw_reason == "不再需要"
    assert not Grant.objects.exists()


def test_centre_approval_refused_when_the_negative_list_changed_meanwhile(consumer, provider, centre):
    request = make_request(actor=consumer, status=Status.PROVIDER_APPROVED)
    # The negative list is the authority, even before the catalog has caught up with it.
    NegativeListItem.objects.create(resource_code=request.entry.code, item_name="姓名", legal_basis="测试依据")
    with pytest.raises(ValidationError) as exc:
        services.centre_approve(actor=centre, request=request, reason="同意")
    assert exc.value.code == "negative_list"
    request.refresh_from_db()
    assert request.status == Status.PROVIDER_APPROVED and not Grant.objects.exists()


def test_a_new_grant_replaces_the_old_one(consumer):
    first = make_request(actor=consumer, status=Status.GRANTED)
    old = selectors.active_grant(first.application, first.entry)
    second = make_request(actor=consumer, application=first.application, entry=first.entry, items=["姓名"],
                          status=Status.GRANTED)
    old.refresh_from_db()
    assert old.status == GrantStatus.REVOKED and second.number in old.revoked_reason
    assert selectors.active_grant(first.application, first.entry).request == second


def test_revocation(consumer, provider, outsider, centre):
    request = make_request(actor=consumer, status=Status.GRANTED)
    grant = request.grants.get()
    assert not services.can_revoke(consumer, grant) and services.can_revoke(provider, grant)
    with pytest.raises(PermissionDenied):
        services.revoke(actor=consumer, grant=grant, reason="消费方")
    with pytest.raises(PermissionDenied):
        services.revoke(actor=outsider, grant=grant, reason="别的县")
    with pytest.raises(ValidationError):
        services.revoke(actor=provider, grant=grant, reason="")
    services.revoke(actor=provider, grant=grant, reason="发现超范围使用")
    grant.refresh_from_db()
    assert grant.status == GrantStatus.REVOKED and grant.revoked_by == provider
    assert selectors.active_grant(grant.application, grant.entry) is None
    assert request.events.filter(action=SharingEvent.Action.REVOKE, text="发现超范围使用").exists()
    with pytest.raises(Conflict):
        services.revoke(actor=centre, grant=grant, reason="再次")


def test_active_grant_is_one_query_and_respects_time_and_publication(consumer):
    request = make_request(actor=consumer, status=Status.GRANTED)
    app, entry = request.application, request.entry
    with CaptureQueriesContext(connection) as queries:
        grant = selectors.active_grant(app, entry)
    assert grant is not None and len(queries) == 1
    assert selectors.active_grant(app, entry, at=grant.expires_at) is None
    assert selectors.active_grant(app, entry, at=grant.valid_from - dt.timedelta(seconds=1)) is None
    assert list(selectors.grants_for_application(app)) == [grant]
    other = make_app()
    assert selectors.active_grant(other, entry) is None and not selectors.grants_for_application(other).exists()
    entry.status = "withdrawn"
    entry.save(update_fields=["status"])
    assert selectors.active_grant(app, entry) is None and not selectors.grants_for_application(app).exists()


def test_a_grant_for_a_future_period_starts_then(consumer, provider, centre):
    start = timezone.localdate() + dt.timedelta(days=10)
    request = make_request(actor=consumer, status=Status.GRANTED, period_start=start,
                           period_end=start + dt.timedelta(days=20))
    grant = request.grants.get()
    assert timezone.localtime(grant.valid_from).date() == start
    assert selectors.active_grant(request.application, request.entry) is None
    assert selectors.active_grant(request.application, request.entry, at=grant.valid_from) == grant


def test_expiry_marks_grants_expired(consumer):
    request = make_request(actor=consumer, status=Status.GRANTED)
    grant = request.grants.get()
    assert services.expire_grants(now=grant.expires_at - dt.timedelta(seconds=1)) == 0
    assert services.expire_grants(now=grant.expires_at) == 1
    grant.refresh_from_db()
    assert grant.status == GrantStatus.EXPIRED


def test_overdue_requests_are_flagged_and_reminded_once_per_step(consumer, provider, centre):
    today = timezone.localdate()
    request = make_request(actor=consumer)
    late = add_working_days(request.due_on, 1)
    assert not request.overdue_on(request.due_on) and request.overdue_on(late)
    assert list(SharingRequest.objects.overdue(late)) == [request]
    assert services.remind_overdue(today=today) == {"requests": 0, "messages": 0}
    before = OutboxMessage.objects.count()
    result = services.remind_overdue(today=late)
    assert result["requests"] == 1 and result["messages"] >= 2
    assert OutboxMessage.objects.filter(user=provider).count() == 2  # asked to decide, then reminded
    assert OutboxMessage.objects.count() == before + result["messages"]
    assert services.remind_overdue(today=late) == {"requests": 0, "messages": 0}
    assert request.events.filter(action="remind").count() == 1
    services.provider_approve(actor=provider, request=request, reason="同意")
    request.refresh_from_db()
    assert request.reminded_on is None and not request.overdue_on(today)  # a new step, a new deadline
    centre_late = add_working_days(request.due_on, 1)
    assert services.remind_overdue(today=centre_late)["requests"] == 1
    assert any("逾期" in s or "overdue" in s for s in subjects(centre))


def test_the_guixi_provider_is_out_of_yujiang_officials_scope(outsider):
    entry = population_entry(department_code=GUIXI_CIVIL_AFFAIRS, name="贵溪低保对象")
    request = make_request(entry=entry)
    assert SharingRequest.objects.restrict(outsider, "view").filter(pk=request.pk).exists(), "the provider sees it"
    assert services.can(outsider, "provider_approve", request)
