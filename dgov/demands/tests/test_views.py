"""The supply–demand pages: the list with its filters, overdue flags and export, a demand's page
with suggestions and the steps, the form (Chinese errors), and data scope (404 outside it)."""

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from dgov.catalog.testing import GUIXI_CIVIL_AFFAIRS, YUJIANG_CIVIL_AFFAIRS, make_editor, make_reviewer
from dgov.core.testing import audited, signed_in, zh, zh_html
from dgov.demands import services
from dgov.demands.models import DataDemand, State
from dgov.demands.testing import make_demand, marriage_entry

LIST = "/data/catalog/demands/"


def page(demand, suffix: str = "") -> str:
    return f"{LIST}{demand.number}/{suffix}"


@pytest.fixture
def late(requester):
    demand = make_demand(actor=requester)
    return services.match(actor=make_reviewer(), demand=demand, entry=marriage_entry(), today=dt.date(2026, 1, 5))


def test_anonymous_and_unauthorised(world, late):
    assert signed_in(world.official).get(LIST).status_code == 403
    assert signed_in(world.official).get(page(late)).status_code == 403
    response = signed_in(world.citizen).get(LIST)
    assert response.status_code == 403
    from django.test import Client

    assert Client().get(LIST).status_code == 302


def test_both_sides_see_the_overdue_flag_others_get_404(requester, provider, late):
    for user in (requester, provider):
        response = signed_in(user).get(LIST)
        html = response.content.decode()
        assert response.status_code == 200 and late.number in html
        assert "text-bg-danger" in html  # the overdue badge, and the summary above the list
        detail = signed_in(user).get(page(late))
        assert detail.status_code == 200 and "text-bg-danger" in detail.content.decode()
    outsider = make_editor(GUIXI_CIVIL_AFFAIRS)
    assert late.number not in signed_in(outsider).get(LIST).content.decode()
    assert signed_in(outsider).get(page(late)).status_code == 404
    assert signed_in(outsider).post(page(late), {"action": "reject", "text": "不"}).status_code == 404


def test_filters_and_export(requester, late):
    open_demand = make_demand(actor=requester, title="居民社保参保状态核验")
    client = signed_in(requester)
    html = client.get(LIST, {"overdue": "true"}).content.decode()
    assert late.number in html and open_demand.number not in html
    html = client.get(LIST, {"state": "open"}).content.decode()
    assert open_demand.number in html and late.number not in html
    html = client.get(LIST, {"role": "provider"}).content.decode()
    assert late.number not in html
    html = client.get(LIST, {"q": "社保"}).content.decode()
    assert open_demand.number in html and late.number not in html
    response = client.get(LIST, {"export": "xlsx", "state": "matched"})
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.values)
    assert len(rows) == 2 and rows[1][0] == late.number
    assert "姓名、身份证号、婚姻状况" in rows[1]
    assert audited("demands.datademand.export") is not None


def test_file_a_demand_through_the_form(requester):
    client = signed_in(requester)
    form = client.get(f"{LIST}add/")
    assert form.status_code == 200
    response = client.post(f"{LIST}add/", {"department": requester.department_id, "title": "居民婚姻状况核验",
                                           "fields": "姓名\n身份证号、婚姻状况", "purpose": "低保审核",
                                           "legal_basis": "《社会救助暂行办法》", "sharing_method": "api"})
    demand = DataDemand.objects.get()
    assert response.status_code == 302 and response["Location"] == page(demand)
    assert demand.fields == ["姓名", "身份证号", "婚姻状况"] and demand.filed_by == requester


def test_form_errors_are_in_chinese_and_nothing_is_written(requester):
    response = signed_in(requester).post(f"{LIST}add/", {"department": requester.department_id, "title": "",
                                                        "fields": " \n ", "sharing_method": "api"})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'class="error-summary' in html and 'id="id_title_error"' in html and 'id="id_fields_error"' in html
    assert zh_html("This field is required.") in html and zh("This field is required.") == "此项为必填项。"
    assert not DataDemand.objects.exists()


def test_the_page_suggests_entries_and_matches_one(requester, provider):
    entry = marriage_entry()
    demand = make_demand(actor=requester, title="婚姻登记信息")
    client = signed_in(requester)
    html = client.get(page(demand)).content.decode()
    assert entry.name in html and entry.code in html and "demand-match" in html
    response = client.post(page(demand), {"action": "match", "entry": entry.code})
    assert response.status_code == 302
    demand.refresh_from_db()
    assert demand.state == State.MATCHED and demand.provider.code == YUJIANG_CIVIL_AFFAIRS
    # The provider now answers: without an answer the page says why and nothing changes.
    provider_client = signed_in(provider)
    html = provider_client.get(page(demand)).content.decode()
    assert 'value="confirm"' in html and 'value="reject"' in html
    response = provider_client.post(page(demand), {"action": "confirm", "text": ""})
    assert response.status_code == 422 and 'aria-invalid="true"' in response.content.decode()
    assert DataDemand.objects.get(pk=demand.pk).state == State.MATCHED
    response = provider_client.post(page(demand), {"action": "confirm", "text": "同意以接口方式提供。"})
    assert response.status_code == 302
    assert DataDemand.objects.get(pk=demand.pk).state == State.CONFIRMED
    # The requester cannot answer for the provider; the refusal is 403.
    assert 'value="fulfil"' in client.get(page(demand)).content.decode()
    response = client.post(page(demand), {"action": "fulfil", "text": "已开通接口"})
    assert response.status_code == 302
    assert DataDemand.objects.get(pk=demand.pk).state == State.FULFILLED


def test_the_requester_cannot_confirm(requester):
    demand = make_demand(actor=requester, state=State.MATCHED)
    response = signed_in(requester).post(page(demand), {"action": "confirm", "text": "好"})
    assert response.status_code == 403
    assert DataDemand.objects.get(pk=demand.pk).state == State.MATCHED


def test_only_an_open_demand_is_edited(requester):
    demand = make_demand(actor=requester, state=State.MATCHED)
    response = signed_in(requester).get(page(demand, "edit/"))
    assert response.status_code == 302 and response["Location"] == page(demand)
    open_demand = make_demand(actor=requester)
    assert signed_in(requester).get(page(open_demand, "edit/")).status_code == 200
