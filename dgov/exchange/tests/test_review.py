"""Regressions from the security review of the gateway: what a caller must not be able to read,
infer or leave unlogged, and the credential pages and API on odd but valid input."""

import pytest
from django.test import Client

from dgov.accounts.testing import api_client
from dgov.catalog.testing import make_superuser
from dgov.core.testing import assert_error, signed_in
from dgov.crypto.primitives import sm3
from dgov.exchange import offline
from dgov.exchange.masking import mask
from dgov.exchange.models import ConsumerCredential, ExchangeLogEntry
from dgov.exchange.services import credential_create
from dgov.exchange.testing import Consumer, make_consumer, signed_get
from dgov.sharing.models import Grant
from dgov.sharing.testing import YUJIANG_HRSS, make_app

pytestmark = pytest.mark.django_db


def url(dataset) -> str:
    return f"/exchange/v1/services/{dataset.entry.code}"


@pytest.fixture
def one_minute(monkeypatch):
    """Every call counted in the same minute and day, so a test never straddles a window's edge."""
    from dgov.exchange import limits

    real = limits.window_start
    fixed = {window: real(window, limits.timezone.now()) for window in (limits.MINUTE, limits.DAY)}
    monkeypatch.setattr(limits, "window_start", lambda window, now: fixed[window])


def test_a_grant_whose_items_match_no_column_serves_nothing(datastore):
    # The data store reads every column when given none: this once answered every column in clear.
    me, grant, dataset = make_consumer()
    Grant.objects.filter(pk=grant.pk).update(items=["已改名的信息项"])
    response = signed_get(me, url(dataset))
    assert_error(response, 503, "grant_misconfigured")
    assert "13812345678" not in response.content.decode() and "张三" not in response.content.decode()
    Grant.objects.filter(pk=grant.pk).update(items=[])
    assert_error(signed_get(me, url(dataset)), 503, "grant_misconfigured")


@pytest.mark.parametrize("params", [
    {"sfzh__startswith": "3606"}, {"sfzh__gte": "360602199001011234"}, {"sfzh__lt": "4"},
    {"sfzh__in": "360602199001011234,360603198505052345"}, {"sfzh__ne": "360602199001011234"},
    {"xm__startswith": "张"},
])
def test_a_masked_column_cannot_be_probed_by_prefix_range_list_or_exclusion(datastore, params):
    me, grant, dataset = make_consumer(items=["姓名", "公民身份号码"])
    body = assert_error(signed_get(me, url(dataset), params), 422, "invalid")
    assert set(body["details"]) == set(params)


def test_a_masked_column_can_be_matched_exactly_and_an_unmasked_one_freely(datastore):
    me, grant, dataset = make_consumer(items=["姓名", "公民身份号码"], unmasked_items=["姓名"])
    body = signed_get(me, url(dataset), {"sfzh": "360603198505052345"}).json()
    assert body["items"] == [{"xm": "李四", "sfzh": "3606**********2345"}]
    assert len(signed_get(me, url(dataset), {"xm__startswith": "欧"}).json()["items"]) == 1
    doc = signed_get(me, url(dataset) + "/openapi.json").json()
    names = {p["name"] for p in doc["paths"][url(dataset)]["get"]["parameters"]}
    assert {"sfzh", "xm__startswith", "xm__in"} <= names and not {n for n in names if n.startswith("sfzh__")}


def test_a_repeated_limit_or_offset_is_refused(datastore):
    # "limit=1&limit=1000" and "limit=1000&limit=1" canonicalise (and so sign) alike.
    me, grant, dataset = make_consumer()
    body = assert_error(signed_get(me, url(dataset), [("limit", "1"), ("limit", "1000")]), 422, "invalid")
    assert "limit" in body["details"]
    assert_error(signed_get(me, url(dataset), [("offset", "0"), ("offset", "2")]), 422, "invalid")
    # a repeated filter is fine: all its conditions are ANDed, whatever their order
    assert signed_get(me, url(dataset), [("xm", "张三"), ("xm", "张三")]).status_code == 200


def test_an_over_long_key_id_is_not_cut_to_a_known_one(datastore):
    me, grant, dataset = make_consumer()
    credential = ConsumerCredential.objects.get(key_id=me.key_id)
    long_id = "a" * 40
    ConsumerCredential.objects.filter(pk=credential.pk).update(key_id=long_id)
    assert signed_get(Consumer(me.app_code, long_id, me.secret), url(dataset)).status_code == 200
    assert_error(signed_get(Consumer(me.app_code, long_id + "zz", me.secret), url(dataset)), 401,
                 "invalid_credentials")


def test_the_purpose_of_the_sharing_request_is_logged_and_chained(datastore):
    from dgov.exchange import chain
    from dgov.sharing.testing import make_request

    me, grant, dataset = make_consumer()
    sharing_request = make_request(purpose="低保对象社保待遇资格核验（审计测试）")
    Grant.objects.filter(pk=grant.pk).update(request=sharing_request)
    response = signed_get(me, url(dataset))
    entry = ExchangeLogEntry.objects.get(request_id=response["X-Request-Id"])
    assert (entry.sharing_request_id, entry.purpose) == (sharing_request.pk, "低保对象社保待遇资格核验（审计测试）")
    # the purpose is under the hash: the export carries it, and editing it breaks the chain
    import io
    import json

    out = io.StringIO()
    chain.export(out)
    lines = out.getvalue().splitlines()
    assert offline.verify_lines(lines)[0]
    assert json.loads(lines[-1])["purpose"] == "低保对象社保待遇资格核验（审计测试）"
    assert chain.verify().ok
    ExchangeLogEntry.objects.filter(pk=entry.pk).update(purpose="篡改的用途")
    result = chain.verify()
    assert not result.ok and result.broken_seq == entry.seq


def test_calls_with_odd_paths_are_answered_and_logged(datastore):
    for path in ("/exchange/v1", "/exchange/v1/%00x", "/exchange/v1/services/%00"):
        response = Client().get(path)
        body = assert_error(response, 404, "not_found")
        assert body and response["X-Body-SM3"] == sm3(response.content).hex()
        entry = ExchangeLogEntry.objects.get(request_id=response["X-Request-Id"])
        assert entry.status == 404 and "\x00" not in entry.path


def test_a_nul_in_a_signing_header_is_still_logged(datastore):
    response = Client().get("/exchange/v1/allowed", headers={"X-Dgov-App": "app\x00x", "X-Dgov-Key-Id": "k\x00"})
    assert_error(response, 401)
    entry = ExchangeLogEntry.objects.get(request_id=response["X-Request-Id"])
    assert entry.app_code == "app\ufffdx"


def test_too_many_query_fields_is_a_bad_request_not_a_server_error(datastore, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    me, grant, dataset = make_consumer()
    response = signed_get(me, url(dataset), [("xm", "张三")] * 6)
    assert_error(response, 400, "bad_request")
    assert ExchangeLogEntry.objects.get(request_id=response["X-Request-Id"]).status == 400


def test_deactivating_the_applications_account_on_the_user_page_stops_it_at_once(datastore):
    from dgov.accounts.models import Application
    from dgov.accounts.services import user_update

    me, grant, dataset = make_consumer()
    assert signed_get(me, url(dataset)).status_code == 200  # the credential is now cached by this worker
    account = Application.objects.get(code=me.app_code).account
    user_update(actor=make_superuser(), user=account, is_active=False)
    assert_error(signed_get(me, url(dataset)), 401, "application_inactive")


def test_the_credential_edit_page_works_and_disabling_there_stops_calls(datastore):
    me, grant, dataset = make_consumer()
    client = signed_in(make_superuser())
    edit = f"/data/exchange/credentials/{me.key_id}/edit/"
    assert client.get(edit).status_code == 200
    response = client.post(edit, {"expires_at": ""})  # "enabled" unticked
    assert response.status_code == 302
    assert ConsumerCredential.objects.get(key_id=me.key_id).enabled is False
    assert_error(signed_get(me, url(dataset)), 401, "credential_disabled")


def test_the_api_addresses_credentials_of_applications_with_any_slug_code(world):
    app = make_app(YUJIANG_HRSS, code="YJ_Civil-App")
    credential, _secret = credential_create(actor=world.admin, application=app, algorithm="HMAC-SM3")
    client = api_client(world.admin)
    assert client.get(f"/api/v1/exchange/credentials/{credential.key_id}").status_code == 200
    response = client.patch(f"/api/v1/exchange/credentials/{credential.key_id}", {"enabled": False},
                            content_type="application/json")
    assert response.status_code == 200 and response.json()["enabled"] is False


@pytest.mark.parametrize("kind, value, masked", [
    # shorter than the rule's usual length: masked whole, not 7 of 8 digits kept
    ("phone", "62123456", "********"), ("phone", "0701-6212345", "070*****2345"),
    ("id_number", "360602900101123", "3606*******1123"), ("id_number", "36060219", "********"),
    ("bank_card", "62220212345", "***********"), ("bank_card", "6222021234567890", "622202******7890"),
    # an address keeps at most half of itself
    ("address", "江西省鹰潭市X", "江西省****"), ("address", "余江", "余****"), ("address", "江", "*"),
    # the domain follows the last "@"
    ("email", "a@b@example.cn", "a***@example.cn"), ("email", "@example.cn", "@example.cn"),
    ("name", "买买提·艾力", "买*****"), ("name", " 张三", " **"),
    ("id_number", "36060219900101123X", "3606**********123X"),
])
def test_masks_on_odd_input(kind, value, masked):
    assert mask(kind, value) == masked


def test_nonces_and_counters_in_redis(datastore, settings, one_minute):
    """With Redis the replay check and the counters live there (SET NX, INCR), shared by nodes."""
    import secrets

    from django.core.cache import cache

    from dgov.exchange import limits
    from dgov.exchange.models import ExchangeNonce
    from dgov.exchange.testing import signed_headers

    prefix = f"dgov-test-{secrets.token_hex(8)}"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:6379/0", "KEY_PREFIX": prefix}}
    assert limits._redis()
    try:
        me, grant, dataset = make_consumer(rate_limit=2, daily_quota=1000)
        headers = signed_headers(me, url(dataset))
        assert Client().get(url(dataset), headers=headers).status_code == 200
        assert_error(Client().get(url(dataset), headers=headers), 401, "replayed")
        assert signed_get(me, url(dataset)).status_code == 200
        assert_error(signed_get(me, url(dataset)), 429, "rate_limited")
        # refused calls are not counted, as with the database's counters
        assert limits.used(grant.pk, limits.MINUTE) == 2 and limits.used(grant.pk, limits.DAY) == 2
        assert not ExchangeNonce.objects.exists()
    finally:
        # only this test's keys: never flush a Redis database others share
        client = cache._cache.get_client(write=True)
        keys = list(client.scan_iter(f"{prefix}:*"))
        if keys:
            client.delete(*keys)
