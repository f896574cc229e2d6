"""Issue 5's first two acceptance points, end to end through the platform's own interfaces: the
officials act through `/api/v1/` with their tokens, the consumer application through the signed
gateway.

1. A consumer without a grant gets 403 from the gateway; a grant for two data items returns only
   those two; personal fields are masked; a replayed signed request is refused; changing one
   exchange-log record makes its verification fail.
2. A 有条件共享 request passes provider and centre approval and the consumer can call the service at
   once (within the same minute: no job or delay between the centre's approval and the first call);
   a request for a negative-listed item is refused.
"""

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from dgov.accounts.testing import api_client, make_user
from dgov.aggregation import datastore as store
from dgov.aggregation.testing import make_dataset
from dgov.catalog.testing import YUJIANG_CIVIL_AFFAIRS, item, make_reviewer, make_superuser, negative_list
from dgov.core.testing import assert_error
from dgov.exchange import chain
from dgov.exchange.models import ExchangeLogEntry
from dgov.exchange.testing import ROWS, Consumer, signed_get, signed_headers
from dgov.sharing.models import Grant
from dgov.sharing.testing import YUJIANG_HRSS, make_app, population_entry

pytestmark = pytest.mark.django_db


def post(user, url, payload):
    return api_client(user).post(url, json.dumps(payload), content_type="application/json")


@pytest.fixture
def parties(datastore):
    root = make_superuser()
    dataset = make_dataset(actor=root, sharing_type="conditional", sharing_conditions="依法履职使用",
                           name="城乡低保对象信息（验收）")
    store.upsert(dataset, ROWS)
    return {
        "dataset": dataset,
        "application": make_app(YUJIANG_HRSS, name="社会救助资格核验系统"),
        "consumer": make_user(department_code=YUJIANG_HRSS, roles=[("catalog_editor", "department", YUJIANG_HRSS),
                                                                   ("staff", "all", None)]),
        "provider": make_user(department_code=YUJIANG_CIVIL_AFFAIRS,
                              roles=[("catalog_editor", "department", YUJIANG_CIVIL_AFFAIRS), ("staff", "all", None)]),
        "centre": make_reviewer(),
    }


def credential(parties) -> Consumer:
    """The consumer department's data administrator makes an HMAC-SM3 credential for its application."""
    response = post(parties["consumer"], "/api/v1/exchange/credentials",
                    {"application_code": parties["application"].code, "algorithm": "HMAC-SM3"})
    assert response.status_code == 201, response.content
    body = response.json()
    return Consumer(parties["application"].code, body["key_id"], body["secret"])


def request_and_approve(parties, items) -> str:
    today = timezone.localdate()
    created = post(parties["consumer"], "/api/v1/exchange/requests", {
        "application_code": parties["application"].code, "entry_code": parties["dataset"].entry.code,
        "items": items, "purpose": "低保对象资格复核", "legal_basis": "《社会救助暂行办法》第十一条",
        "scenario": "社会救助系统按件核验", "period_start": today.isoformat(),
        "period_end": (today + dt.timedelta(days=180)).isoformat()})
    assert created.status_code == 201, created.content
    number = created.json()["number"]
    base = f"/api/v1/exchange/requests/{number}"
    response = post(parties["provider"], f"{base}/provider-approve", {"reason": "符合共享条件"})
    assert response.status_code == 200, response.content
    response = post(parties["centre"], f"{base}/centre-approve", {"reason": "同意"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "granted"
    return number


def test_acceptance_1_grant_columns_masking_replay_and_a_tamper_evident_log(parties, capsys):
    me = credential(parties)
    url = f"/exchange/v1/services/{parties['dataset'].entry.code}"
    assert_error(signed_get(me, url), 403, "no_grant")  # no grant yet

    request_and_approve(parties, ["姓名", "联系电话"])
    headers = signed_headers(me, url)
    response = Client().get(url, headers=headers)
    assert response.status_code == 200, response.content
    rows = response.json()["items"]
    assert len(rows) == len(ROWS) and all(set(row) == {"xm", "lxdh"} for row in rows)  # only the two items
    assert rows[0] == {"xm": "张*", "lxdh": "138****5678"}  # masked
    assert all(r["sfzh"] not in response.content.decode() for r in ROWS)

    assert_error(Client().get(url, headers=headers), 401, "replayed")  # the same signed request again

    call_command("exchange_log", "verify")
    assert "intact: 3 entries" in capsys.readouterr().out
    entry = ExchangeLogEntry.objects.get(request_id=response["X-Request-Id"])
    ExchangeLogEntry.objects.filter(pk=entry.pk).update(rows=0)  # hide what was delivered
    result = chain.verify()
    assert not result.ok and result.broken_seq == entry.seq
    with pytest.raises(SystemExit):
        call_command("exchange_log", "verify")


def test_acceptance_2_an_approved_conditional_request_is_callable_at_once(parties):
    me = credential(parties)
    url = f"/exchange/v1/services/{parties['dataset'].entry.code}"
    number = request_and_approve(parties, ["姓名", "公民身份号码"])
    grant = Grant.objects.get(request__number=number)
    assert grant.valid_from <= timezone.now()
    response = signed_get(me, url)  # straight after the centre's approval: nothing else runs in between
    assert response.status_code == 200, response.content
    assert response.json()["items"][0] == {"xm": "张*", "sfzh": "3606**********1234"}
    log = ExchangeLogEntry.objects.get(request_id=response["X-Request-Id"])
    assert (log.grant_id, log.sharing_request_id, log.status) == (grant.pk, grant.request_id, 200)


def test_acceptance_2_a_request_for_a_negative_listed_item_is_refused(parties):
    entry = population_entry(items=[item("姓名", personal_data="personal"),
                                    item("联系电话", personal_data="personal", sharing_type="none", open_type="none")])
    negative_list(entry.code, "联系电话")
    today = timezone.localdate()
    response = post(parties["consumer"], "/api/v1/exchange/requests", {
        "application_code": parties["application"].code, "entry_code": entry.code, "items": ["姓名", "联系电话"],
        "purpose": "核验", "legal_basis": "《社会救助暂行办法》", "scenario": "按件核验",
        "period_start": today.isoformat(), "period_end": (today + dt.timedelta(days=30)).isoformat()})
    body = assert_error(response, 422, "negative_list")
    assert any("联系电话" in message for message in body["details"]["items"])
