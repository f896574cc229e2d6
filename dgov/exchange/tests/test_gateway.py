"""The signed gateway: authentication (401s), grants (403), only granted columns, masking, row
filters, caller filters and pages, rate limit and quota (429), headers, the log of every call."""

import json
import time

import pytest
from django.test import Client

from dgov.core.testing import assert_error
from dgov.crypto.primitives import sm3
from dgov.exchange import limits
from dgov.exchange.models import ConsumerCredential, ExchangeLogEntry
from dgov.exchange.services import credential_update
from dgov.exchange.testing import Consumer, make_consumer, signed_get, signed_headers

pytestmark = pytest.mark.django_db


def url(dataset) -> str:
    return f"/exchange/v1/services/{dataset.entry.code}"


@pytest.fixture
def consumer(datastore):
    return make_consumer()


def test_a_grant_for_two_items_returns_only_those_two_masked(consumer):
    me, grant, dataset = consumer
    response = signed_get(me, url(dataset))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["service"] == dataset.entry.code and body["has_more"] is False
    assert [set(row) for row in body["items"]] == [{"xm", "lxdh"}] * 3
    # ordered by key (the ID number), masked by each column's rule
    assert body["items"] == [{"xm": "张*", "lxdh": "138****5678"}, {"xm": "李*", "lxdh": "139****1111"},
                             {"xm": "欧***", "lxdh": "137****3333"}]
    assert "360602199001011234" not in response.content.decode()


def test_unmasked_items_come_back_in_clear(datastore):
    me, grant, dataset = make_consumer(items=["姓名", "公民身份号码"], unmasked_items=["公民身份号码"])
    body = signed_get(me, url(dataset), {"limit": 1}).json()
    assert body["items"] == [{"xm": "张*", "sfzh": "360602199001011234"}]
    assert body["has_more"] is True


def test_the_grants_row_filter_is_anded_to_the_callers_filters(datastore):
    me, grant, dataset = make_consumer(items=["姓名", "登记日期"],
                                       row_filter=[{"item": "登记日期", "op": "gte", "value": "2024-01-01"}])
    body = signed_get(me, url(dataset)).json()
    assert [r["djrq"] for r in body["items"]] == ["2024-03-01", "2025-07-15"]
    body = signed_get(me, url(dataset), {"djrq__lt": "2025-01-01"}).json()
    assert [r["djrq"] for r in body["items"]] == ["2024-03-01"]
    body = signed_get(me, url(dataset), {"djrq": "2023-11-30"}).json()  # outside the grant's rows
    assert body["items"] == []


def test_filters_and_pages(datastore):
    me, grant, dataset = make_consumer(unmasked_items=["姓名"])  # masked columns take exact matches only
    assert [r["xm"] for r in signed_get(me, url(dataset), {"xm__startswith": "李"}).json()["items"]] == ["李四"]
    assert len(signed_get(me, url(dataset), {"xm__in": "张三,李四"}).json()["items"]) == 2
    page = signed_get(me, url(dataset), {"limit": 2, "offset": 1}).json()
    assert [r["xm"] for r in page["items"]] == ["李四", "欧阳娜娜"] and page["offset"] == 1


@pytest.mark.parametrize("params, field", [
    ({"limit": 1001}, "limit"), ({"limit": 0}, "limit"), ({"offset": -1}, "offset"),
    ({"sfzh": "360602199001011234"}, "sfzh"),  # not granted: no filtering on it either
    ({"nosuch": "1"}, "nosuch"), ({"xm__like": "张"}, "xm__like"), ({"xm__startswith": "张\x00"}, "xm__startswith"),
])
def test_bad_filters_answer_422_naming_the_parameter(consumer, params, field):
    me, grant, dataset = consumer
    body = assert_error(signed_get(me, url(dataset), params), 422, "invalid")
    assert field in body["details"]


def test_a_value_that_does_not_fit_its_column_is_422(datastore):
    me, grant, dataset = make_consumer(items=["姓名", "登记日期"])
    assert_error(signed_get(me, url(dataset), {"djrq__gte": "not a date"}), 422, "invalid")


def test_no_grant_is_403_and_an_unknown_service_the_same(consumer, datastore):
    me, grant, dataset = consumer
    other, _grant, other_dataset = make_consumer()
    assert_error(signed_get(me, url(other_dataset)), 403, "no_grant")
    assert_error(signed_get(me, "/exchange/v1/services/307000000/999999"), 403, "no_grant")
    from dgov.sharing.services import revoke

    revoke(actor=grant.granted_by or _root(), grant=grant, reason="测试：撤销")
    assert_error(signed_get(me, url(dataset)), 403, "no_grant")


def _root():
    from dgov.catalog.testing import make_superuser

    return make_superuser()


def test_unsigned_and_wrongly_signed_calls_are_401(consumer):
    me, grant, dataset = consumer
    assert_error(Client().get(url(dataset)), 401, "not_authenticated")
    wrong = Consumer(me.app_code, me.key_id, "not-the-secret")
    assert_error(signed_get(wrong, url(dataset)), 401, "invalid_signature")
    assert_error(signed_get(Consumer(me.app_code, "nosuch.key", me.secret), url(dataset)), 401, "invalid_credentials")
    assert_error(signed_get(Consumer("another-app", me.key_id, me.secret), url(dataset)), 401, "invalid_credentials")
    # the signature covers the query: a changed filter is not the signed request
    headers = signed_headers(me, url(dataset), "limit=1")
    assert_error(Client().get(url(dataset) + "?limit=2", headers=headers), 401, "invalid_signature")
    assert_error(signed_get(me, url(dataset), headers={"X-Dgov-Nonce": "short"}), 401)


def test_stale_timestamps_and_replays_are_refused(consumer):
    me, grant, dataset = consumer
    old = str(int(time.time()) - limits.window_seconds() - 5)
    assert_error(signed_get(me, url(dataset), timestamp=old), 401, "stale_timestamp")
    future = str(int(time.time()) + limits.window_seconds() + 5)
    assert_error(signed_get(me, url(dataset), timestamp=future), 401, "stale_timestamp")
    headers = signed_headers(me, url(dataset))
    assert Client().get(url(dataset), headers=headers).status_code == 200
    assert_error(Client().get(url(dataset), headers=headers), 401, "replayed")


def test_disabled_and_expired_credentials_are_refused_at_once(consumer):
    me, grant, dataset = consumer
    assert signed_get(me, url(dataset)).status_code == 200  # now cached by the worker
    credential = ConsumerCredential.objects.get(key_id=me.key_id)
    credential_update(actor=_root(), credential=credential, enabled=False)
    assert_error(signed_get(me, url(dataset)), 401, "credential_disabled")
    credential_update(actor=_root(), credential=credential, enabled=True)
    assert signed_get(me, url(dataset)).status_code == 200
    from datetime import timedelta

    from django.utils import timezone

    ConsumerCredential.objects.filter(pk=credential.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    credential_update(actor=_root(), credential=ConsumerCredential.objects.get(pk=credential.pk))  # audited: bumps
    assert_error(signed_get(me, url(dataset)), 401, "credential_expired")


def test_sm2_credentials_sign_with_the_applications_private_key(datastore):
    me, grant, dataset = make_consumer(algorithm="SM2")
    assert signed_get(me, url(dataset)).status_code == 200
    from dgov.crypto.primitives import SM2PrivateKey

    forged = Consumer(me.app_code, me.key_id, private_key=SM2PrivateKey.generate())
    assert_error(signed_get(forged, url(dataset)), 401, "invalid_signature")


def test_rate_limit_and_daily_quota_answer_429(datastore, monkeypatch):
    # Every call in one minute and one day, so the test never straddles a window's edge.
    real = limits.window_start
    fixed = {window: real(window, limits.timezone.now()) for window in (limits.MINUTE, limits.DAY)}
    monkeypatch.setattr(limits, "window_start", lambda window, now: fixed[window])
    me, grant, dataset = make_consumer(rate_limit=2, daily_quota=1000)
    assert [signed_get(me, url(dataset)).status_code for _ in range(2)] == [200, 200]
    response = signed_get(me, url(dataset))
    assert_error(response, 429, "rate_limited")
    assert response["Retry-After"] == "60"
    me, grant, dataset = make_consumer(rate_limit=100, daily_quota=1)
    assert signed_get(me, url(dataset)).status_code == 200
    assert_error(signed_get(me, url(dataset)), 429, "quota_exceeded")
    assert limits.used(grant.pk, limits.DAY) == 1  # refused calls are not counted


def test_every_answer_carries_a_request_id_and_the_bodys_sm3(consumer):
    me, grant, dataset = consumer
    for response in (signed_get(me, url(dataset)), Client().get(url(dataset)), Client().post(url(dataset)),
                     Client().get("/exchange/v1/nosuch")):
        assert response["X-Body-SM3"] == sm3(response.content).hex()
        assert response["X-Request-Id"]
    assert Client().post(url(dataset)).status_code == 405
    assert_error(Client().get("/exchange/v1/nosuch"), 404, "not_found")


def test_an_unexpected_failure_is_answered_in_the_error_shape_and_logged(consumer, monkeypatch):
    from dgov.aggregation import datastore

    me, grant, dataset = consumer

    def broken(*args, **kwargs):
        raise RuntimeError("the data store is down")

    monkeypatch.setattr(datastore, "select", broken)
    response = signed_get(me, url(dataset))
    assert_error(response, 500, "server_error")
    assert "data store" not in response.content.decode()
    entry = ExchangeLogEntry.objects.get(request_id=response["X-Request-Id"])
    assert (entry.status, entry.error_code, entry.service_code) == (500, "server_error", dataset.entry.code)


def test_every_call_is_logged_with_its_outcome(consumer):
    me, grant, dataset = consumer
    ok = signed_get(me, url(dataset))
    refused = Client().get(url(dataset))
    ok_entry = ExchangeLogEntry.objects.get(request_id=ok["X-Request-Id"])
    assert (ok_entry.app_code, ok_entry.key_id, ok_entry.service_code, ok_entry.grant_id, ok_entry.status,
            ok_entry.rows) == (me.app_code, me.key_id, dataset.entry.code, grant.pk, 200, 3)
    assert ok_entry.body_sm3 == ok["X-Body-SM3"] and ok_entry.seq is not None and len(ok_entry.hash) == 64
    bad = ExchangeLogEntry.objects.get(request_id=refused["X-Request-Id"])
    assert (bad.status, bad.error_code, bad.rows) == (401, "not_authenticated", 0)
    assert bad.seq == ok_entry.seq + 1 and bad.prev_hash == ok_entry.hash


def test_allowed_lists_the_services_with_their_columns(consumer):
    me, grant, dataset = consumer
    body = signed_get(me, "/exchange/v1/allowed").json()
    assert body["application"] == me.app_code
    [service] = body["services"]
    assert service["service_code"] == dataset.entry.code and service["url"] == url(dataset)
    assert [(c["column"], c["item"], c["masked"]) for c in service["columns"]] == [
        ("xm", "姓名", True), ("lxdh", "联系电话", True)]
    assert (service["rate_limit"], service["daily_quota"]) == (grant.rate_limit, grant.daily_quota)
    assert_error(Client().get("/exchange/v1/allowed"), 401)


def test_the_openapi_document_describes_only_the_granted_columns(consumer):
    me, grant, dataset = consumer
    doc = signed_get(me, url(dataset) + "/openapi.json").json()
    row = doc["components"]["schemas"]["Row"]["properties"]
    assert set(row) == {"xm", "lxdh"}
    assert row["xm"]["description"].startswith("姓名")
    assert url(dataset) in doc["paths"]
    names = {p["name"] for p in doc["paths"][url(dataset)]["get"]["parameters"]}
    assert {"limit", "offset", "xm", "lxdh", "X-Dgov-Signature"} <= names
    assert "sfzh" not in names and "xm__startswith" not in names  # masked: exact matches only
    json.dumps(doc)  # plain JSON
