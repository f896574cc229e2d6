"""Regressions found in review: who hears of a demand, what a code lookup reveals, the filters'
messages."""

import pytest

from dgov.accounts.models import RoleAssignment
from dgov.accounts.permissions import forget_grants
from dgov.accounts.testing import api_client
from dgov.catalog.models import Status as EntryStatus
from dgov.catalog.testing import GUIXI_CIVIL_AFFAIRS, make_entry
from dgov.core.cache import IDENTITY
from dgov.core.errors import ValidationError
from dgov.core.testing import assert_error, call
from dgov.demands import selectors, services
from dgov.demands.models import State
from dgov.demands.testing import make_demand, marriage_entry
from dgov.notifications.models import OutboxMessage

BASE = "/api/v1/catalog/demands"


def test_a_filer_who_lost_the_role_no_longer_hears_of_the_demand(requester, provider, centre):
    """The official who filed a demand is told of its steps only while they may still see it."""
    demand = make_demand(actor=requester)
    services.match(actor=centre, demand=demand, entry=marriage_entry())
    RoleAssignment.objects.filter(user=requester).delete()
    forget_grants(requester)
    IDENTITY.bump()  # a direct write: tell the per-process caches
    assert requester not in services.requester_side(demand)
    services.reject(actor=provider, demand=demand, reason="数据由省级系统管理")
    assert not OutboxMessage.objects.filter(user=requester).exists()


def test_matching_by_code_reveals_nothing_about_unpublished_entries(requester):
    """An unknown code and another department's draft answer alike: the API is no oracle for
    codes that are not published."""
    demand = make_demand(actor=requester)
    draft = make_entry(name="婚姻登记档案", department_code=GUIXI_CIVIL_AFFAIRS, status=EntryStatus.DRAFT)
    unknown = assert_error(call(api_client(requester), "post", f"{BASE}/{demand.number}/match",
                                {"entry_code": "307000000/999999"}), 422, "invalid")
    hidden = assert_error(call(api_client(requester), "post", f"{BASE}/{demand.number}/match",
                               {"entry_code": draft.code}), 422, "invalid")
    assert unknown["details"] == hidden["details"] and unknown["message"] == hidden["message"]
    assert set(hidden["details"]) == {"entry_code"}


def test_bad_filter_values_are_named_in_words(requester):
    with pytest.raises(ValidationError) as exc:
        selectors.filter_demands(selectors.visible_demands(requester), requester, state="sometimes",
                                 role="bystander")
    assert set(exc.value.details) == {"state", "role"}
    assert all("sometimes" not in m and "bystander" not in m for ms in exc.value.details.values() for m in ms)


def test_a_bad_role_in_the_api_is_named_in_chinese(requester):
    body = assert_error(api_client(requester).get(f"{BASE}?role=bystander"), 422, "invalid")
    assert body["details"] == {"role": ["请从允许的取值中选择。"]}


def test_the_text_filter_finds_a_wanted_field(requester):
    demand = make_demand(actor=requester, title="居民信息核验", fields=["婚姻状况"], purpose="低保审核")
    found = selectors.filter_demands(selectors.visible_demands(requester), requester, q="婚姻状况")
    assert list(found) == [demand]


def test_a_withdrawn_entry_cannot_be_confirmed(requester, provider):
    """The entry was withdrawn from the catalog after the match: the provider can only reject."""
    from dgov.catalog.models import CatalogEntry

    demand = make_demand(actor=requester, state=State.MATCHED)
    CatalogEntry.objects.filter(pk=demand.entry_id).update(status=EntryStatus.WITHDRAWN)
    with pytest.raises(ValidationError) as exc:
        services.confirm(actor=provider, demand=demand, answer="同意")
    assert demand.entry.name in exc.value.details["entry"][0]
    assert services.reject(actor=provider, demand=demand, reason="目录条目已撤销").state == State.REJECTED


def test_a_second_submit_of_a_step_is_refused_on_the_page(requester, provider):
    from dgov.core.testing import signed_in

    demand = make_demand(actor=requester, state=State.MATCHED)
    url = f"/data/catalog/demands/{demand.number}/"
    client = signed_in(provider)
    assert client.post(url, {"action": "confirm", "text": "同意"}).status_code == 302
    again = client.post(url, {"action": "confirm", "text": "同意"})
    assert again.status_code == 422 and "error-summary" in again.content.decode()
    assert demand.events.filter(action="confirm").count() == 1


def test_matching_by_code_on_the_page_reveals_nothing_either(requester):
    from dgov.core.testing import signed_in

    demand = make_demand(actor=requester)
    draft = make_entry(name="婚姻登记档案", department_code=GUIXI_CIVIL_AFFAIRS, status=EntryStatus.DRAFT)
    url = f"/data/catalog/demands/{demand.number}/"
    client = signed_in(requester)

    def errors(code):
        html = client.post(url, {"action": "match", "entry": code}).content.decode()
        return html[html.index("error-summary"):html.index("</ul>", html.index("error-summary"))]

    assert errors(draft.code) == errors("307000000/999999")
    demand.refresh_from_db()
    assert demand.state == State.OPEN


def test_filing_without_a_department_names_the_api_input(db):
    from dgov.accounts.testing import make_user

    city_wide = make_user(roles=[("catalog_editor", "all", None)])  # no department of their own
    body = assert_error(call(api_client(city_wide), "post", BASE, {
        "title": "居民婚姻状况核验", "fields": ["婚姻状况"], "purpose": "社会救助审核",
        "legal_basis": "《社会救助暂行办法》第十一条", "sharing_method": "api"}), 422, "invalid")
    assert set(body["details"]) == {"department_code"}
