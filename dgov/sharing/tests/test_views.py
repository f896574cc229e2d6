"""The sharing pages: the list with overdue flags, filters and export, the two-step request form
(Chinese errors, the negative list naming the item), a request's page with its decisions, the
grant's page with revocation, and data scope (404 outside it)."""

import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from dgov.calendars.selectors import add_working_days
from dgov.catalog.testing import GUIXI_CIVIL_AFFAIRS, item, make_editor, negative_list
from dgov.core.testing import signed_in, zh_html
from dgov.sharing import services
from dgov.sharing.models import GrantStatus, SharingRequest, Status
from dgov.sharing.testing import make_app, make_request, population_entry

LIST = "/data/exchange/requests/"
GRANTS = "/data/exchange/grants/"


def page(obj, suffix: str = "") -> str:
    return f"{LIST}{obj.number}/{suffix}"


@pytest.fixture
def late(consumer):
    request = make_request(actor=consumer)
    SharingRequest.objects.filter(pk=request.pk).update(due_on=add_working_days(request.submitted_on, -1))
    request.refresh_from_db()
    return request


def test_anonymous_and_unauthorised(world, late):
    assert signed_in(world.official).get(LIST).status_code == 403
    assert signed_in(world.official).get(page(late)).status_code == 403
    assert signed_in(world.official).get(f"{LIST}add/").status_code == 403
    assert signed_in(world.citizen).get(GRANTS).status_code == 403
    assert Client().get(LIST).status_code == 302


def test_both_sides_see_the_overdue_flag_others_get_404(consumer, provider, late):
    for user in (consumer, provider):
        html = signed_in(user).get(LIST).content.decode()
        assert late.number in html and "text-bg-danger" in html
        detail = signed_in(user).get(page(late))
        assert detail.status_code == 200 and "text-bg-danger" in detail.content.decode()
    outsider = make_editor(GUIXI_CIVIL_AFFAIRS)
    assert late.number not in signed_in(outsider).get(LIST).content.decode()
    assert signed_in(outsider).get(page(late)).status_code == 404
    assert signed_in(outsider).post(page(late), {"action": "provider_reject", "reason": "不"}).status_code == 404


def test_filters_and_export(consumer, late):
    granted = make_request(actor=consumer, status=Status.GRANTED)
    client = signed_in(consumer)
    html = client.get(LIST, {"overdue": "true"}).content.decode()
    assert late.number in html and granted.number not in html
    html = client.get(LIST, {"status": "granted"}).content.decode()
    assert granted.number in html and late.number not in html
    response = client.get(LIST, {"export": "xlsx"})
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert len(rows) == 3 and "低保对象社保待遇资格核验" in [str(c) for c in rows[1]]
    grants = client.get(GRANTS).content.decode()
    assert granted.entry.code in grants


def test_the_form_in_two_steps(consumer):
    app = make_app()
    entry = population_entry(items=[item("姓名"), item("救助类别"),
                                    item("联系电话", sharing_type="none", open_type="none")])
    negative_list(entry.code, "联系电话")
    client = signed_in(consumer)
    first = client.get(f"{LIST}add/")
    assert first.status_code == 200 and entry.code in first.content.decode()
    second = client.get(f"{LIST}add/", {"entry": entry.code})
    html = second.content.decode()
    assert second.status_code == 200 and 'value="联系电话"' in html and app.code in html
    form = {"entry_code": entry.code, "department": consumer.department_id, "application": app.pk,
            "items": ["姓名", "联系电话"], "purpose": "核验", "legal_basis": "依据", "scenario": "按件调用",
            "period_start": second.context["form"].initial["period_start"].isoformat(),
            "period_end": second.context["form"].initial["period_end"].isoformat()}
    refused = client.post(f"{LIST}add/", form)
    assert refused.status_code == 422 and "联系电话" in refused.content.decode()
    assert zh_html("This field is required.") not in refused.content.decode()
    empty = client.post(f"{LIST}add/", {**form, "purpose": "", "items": []})
    assert empty.status_code == 422 and zh_html("This field is required.") in empty.content.decode()
    done = client.post(f"{LIST}add/", {**form, "items": ["姓名"]})
    assert done.status_code == 302
    request = SharingRequest.objects.get()
    assert done["Location"].endswith(page(request)) and request.items == ["姓名"]


def test_decisions_on_the_page(consumer, provider, centre):
    request = make_request(actor=consumer, items=["姓名", "公民身份号码", "所属乡镇"])
    html = signed_in(consumer).get(page(request)).content.decode()
    assert 'value="withdraw"' in html and 'value="provider_approve"' not in html
    client = signed_in(provider)
    assert 'value="provider_approve"' in client.get(page(request)).content.decode()
    refused = client.post(page(request), {"action": "provider_approve", "reason": "同意", "items": ["姓名"],
                                          "row_filter": "所属乡镇 like 平定"})
    assert refused.status_code == 422 and "like" not in SharingRequest.objects.get().provider_reason
    ok = client.post(page(request), {"action": "provider_approve", "reason": "同意", "items": ["姓名", "所属乡镇"],
                                     "unmasked_items": ["所属乡镇"], "daily_quota": "200",
                                     "row_filter": "所属乡镇 in 平定乡，锦江镇"})
    assert ok.status_code == 302
    request.refresh_from_db()
    assert request.status == Status.PROVIDER_APPROVED and request.daily_quota == 200
    assert request.row_filter == [{"item": "所属乡镇", "op": "in", "value": ["平定乡", "锦江镇"]}]
    missing = signed_in(centre).post(page(request), {"action": "centre_approve", "reason": ""})
    assert missing.status_code == 422
    assert signed_in(centre).post(page(request), {"action": "centre_approve", "reason": "同意"}).status_code == 302
    grant = request.grants.get()
    html = signed_in(consumer).get(f"{GRANTS}{grant.pk}/").content.decode()
    assert "平定乡" in html and 'name="reason"' not in html  # the consumer cannot revoke
    assert signed_in(provider).post(f"{GRANTS}{grant.pk}/", {"action": "revoke", "reason": ""}).status_code == 422
    revoked = signed_in(provider).post(f"{GRANTS}{grant.pk}/", {"action": "revoke", "reason": "停止使用"})
    assert revoked.status_code == 302
    grant.refresh_from_db()
    assert grant.status == GrantStatus.REVOKED
    assert services.can(provider, "provider_approve", request) is False
