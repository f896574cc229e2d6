"""`/api/v1/exchange/credentials` against the API contract, and its rules (secret shown once,
SM2 keys checked, out-of-scope applications refused, every write audited)."""

import pytest

from dgov.accounts.testing import api_client, make_user
from dgov.core.testing import ApiContract, Case, assert_error, audited
from dgov.crypto.primitives import SM2PrivateKey
from dgov.exchange.models import ConsumerCredential
from dgov.exchange.services import credential_create
from dgov.sharing.testing import GUIXI_HRSS, YUJIANG_HRSS, make_app

BASE = "/api/v1/exchange/credentials"


@pytest.fixture
def apps(world):
    yujiang, guixi = make_app(YUJIANG_HRSS), make_app(GUIXI_HRSS)
    mine, _ = credential_create(actor=world.admin, application=yujiang, algorithm="HMAC-SM3")
    theirs, _ = credential_create(actor=world.admin, application=guixi, algorithm="HMAC-SM3")
    return {"yujiang": yujiang, "guixi": guixi, "mine": mine, "theirs": theirs}


class TestList(ApiContract):
    test_out_of_scope = None  # a list has no object out of scope: test_list_is_scoped

    @pytest.fixture
    def case(self, world, apps):
        return Case(method="get", url=BASE, authorised=world.yujiang_admin, unauthorised=world.official,
                    bad_url=f"{BASE}?enabled=maybe")


def test_list_is_scoped(world, apps):
    keys = [c["key_id"] for c in api_client(world.yujiang_admin).get(BASE).json()["items"]]
    assert keys == [apps["mine"].key_id]
    assert len(api_client(world.admin).get(BASE).json()["items"]) == 2
    assert api_client(world.admin).get(f"{BASE}?application={apps['guixi'].code}").json()["count"] == 1


class TestGet(ApiContract):
    @pytest.fixture
    def case(self, world, apps):
        return Case(method="get", url=f"{BASE}/{apps['mine'].key_id}", authorised=world.yujiang_admin,
                    unauthorised=world.official, out_of_scope_url=f"{BASE}/{apps['theirs'].key_id}",
                    bad_url=f"{BASE}/not-a-key-id")


class TestCreate(ApiContract):
    test_out_of_scope = None  # an application out of scope is refused like an unknown one (422): below

    @pytest.fixture
    def case(self, world, apps):
        return Case(method="post", url=BASE, authorised=world.yujiang_admin, unauthorised=world.official,
                    payload={"application_code": apps["yujiang"].code, "algorithm": "HMAC-SM3"},
                    bad_payload={"application_code": apps["yujiang"].code, "algorithm": "RSA"}, ok_status=201)


class TestUpdate(ApiContract):
    @pytest.fixture
    def case(self, world, apps):
        return Case(method="patch", url=f"{BASE}/{apps['mine'].key_id}", authorised=world.yujiang_admin,
                    unauthorised=world.official, out_of_scope_url=f"{BASE}/{apps['theirs'].key_id}",
                    payload={"enabled": False}, bad_payload={"enabled": "maybe"})


def test_the_hmac_secret_is_returned_once_and_stored_encrypted(world, apps):
    client = api_client(world.yujiang_admin)
    body = client.post(BASE, {"application_code": apps["yujiang"].code, "algorithm": "HMAC-SM3"},
                       content_type="application/json").json()
    assert len(body["secret"]) >= 40 and body["key_id"].startswith(apps["yujiang"].code + ".")
    again = client.get(f"{BASE}/{body['key_id']}").json()
    assert "secret" not in again
    assert ConsumerCredential.objects.get(key_id=body["key_id"]).secret == body["secret"]
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM exchange_consumercredential WHERE key_id = %s", [body["key_id"]])
        stored = cursor.fetchone()[0]
    assert stored.startswith("dgov:v") and body["secret"] not in stored
    entry = audited("exchange.consumercredential.create")
    assert body["secret"] not in str(entry.changes)


def test_an_sm2_credential_needs_a_valid_public_key(world, apps):
    client = api_client(world.yujiang_admin)
    pem = SM2PrivateKey.generate().public_key().to_pem()
    ok = client.post(BASE, {"application_code": apps["yujiang"].code, "algorithm": "SM2", "public_key": pem},
                     content_type="application/json")
    assert ok.status_code == 201 and ok.json()["secret"] == "" and "BEGIN PUBLIC KEY" in ok.json()["public_key"]
    for bad in ("", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"):
        body = assert_error(client.post(BASE, {"application_code": apps["yujiang"].code, "algorithm": "SM2",
                                               "public_key": bad}, content_type="application/json"), 422)
        assert "public_key" in body["details"]


def test_an_application_out_of_scope_is_refused_like_an_unknown_one(world, apps):
    client = api_client(world.yujiang_admin)
    for code in (apps["guixi"].code, "no-such-app"):
        body = assert_error(client.post(BASE, {"application_code": code, "algorithm": "HMAC-SM3"},
                                        content_type="application/json"), 422)
        assert "application_code" in body["details"]


def test_a_departments_data_administrator_manages_its_own_applications(world, apps):
    editor = make_user(department_code=YUJIANG_HRSS, roles=[("catalog_editor", "department", YUJIANG_HRSS)])
    client = api_client(editor)
    assert client.post(BASE, {"application_code": apps["yujiang"].code, "algorithm": "HMAC-SM3"},
                       content_type="application/json").status_code == 201
    assert client.patch(f"{BASE}/{apps['theirs'].key_id}", {"enabled": False},
                        content_type="application/json").status_code == 404
    response = client.patch(f"{BASE}/{apps['mine'].key_id}", {"enabled": False, "expires_at": None},
                            content_type="application/json")
    assert response.status_code == 200 and response.json()["enabled"] is False
    assert audited("exchange.consumercredential.change").changes["enabled"] == [True, False]
