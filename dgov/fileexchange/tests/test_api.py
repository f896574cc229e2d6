"""`/api/v1/exchange/packages` against the API contract, and downloads by the recipient application:
signed like a gateway call (SM2), with its API token, replay refused, every download recorded."""

import json

import pytest
from django.test import Client

from dgov.accounts.services import token_create
from dgov.accounts.testing import api_client
from dgov.core.testing import ApiContract, Case, assert_error
from dgov.exchange.testing import Consumer, signed_headers
from dgov.fileexchange import build, services
from dgov.fileexchange.models import PackageDownload
from dgov.sharing.testing import GUIXI_HRSS

from .conftest import ROWS, make_recipient, platform_pem

pytestmark = pytest.mark.django_db
BASE = "/api/v1/exchange/packages"


@pytest.fixture
def packages(recipient, dataset, consumer_official):
    theirs = make_recipient(dataset, department=GUIXI_HRSS)
    mine = services.package_create(actor=consumer_official, grant=recipient.grant, fmt="csv")
    other = services.package_create(actor=theirs.application.account, grant=theirs.grant, fmt="csv")
    return {"mine": mine, "theirs": other, "recipient": recipient, "other_recipient": theirs}


class TestList(ApiContract):
    test_out_of_scope = None  # a list has no object out of scope: test_list_is_scoped

    @pytest.fixture
    def case(self, world, packages, consumer_official):
        return Case(method="get", url=BASE, authorised=consumer_official, unauthorised=world.official,
                    bad_url=f"{BASE}?format=doc")


def test_list_is_scoped(packages, consumer_official, provider_official, centre, outsider):
    def ids(user):
        return sorted(p["package_id"] for p in api_client(user).get(BASE).json()["items"])

    assert ids(consumer_official) == [packages["mine"].package_id]
    assert ids(provider_official) == sorted([packages["mine"].package_id, packages["theirs"].package_id])
    assert len(ids(centre)) == 2 and ids(outsider) == []
    app = packages["other_recipient"].application.account
    assert ids(app) == [packages["theirs"].package_id]


class TestCreate(ApiContract):
    @pytest.fixture
    def case(self, world, packages, consumer_official):
        return Case(method="post", url=BASE, authorised=consumer_official, unauthorised=world.official,
                    payload={"grant_id": packages["recipient"].grant.pk, "format": "xlsx"},
                    extra={"out": packages["other_recipient"].grant.pk},
                    bad_payload={"grant_id": packages["recipient"].grant.pk, "format": "doc"}, ok_status=201)

    def test_out_of_scope(self, case):
        response = api_client(case.authorised).post(BASE, data=json.dumps({"grant_id": case.extra["out"]}),
                                                    content_type="application/json")
        assert_error(response, 404)


def test_create_answers_with_the_manifest_and_refuses_clearly(packages, dataset, consumer_official):
    created = api_client(consumer_official).post(
        BASE, data=json.dumps({"grant_id": packages["recipient"].grant.pk, "format": "csv"}),
        content_type="application/json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["manifest"]["data"]["rows"] == len(ROWS) and body["downloads"] == []
    assert body["download_url"] == f"{BASE}/{body['id']}/download"
    hmac_only = make_recipient(dataset, algorithm="HMAC-SM3")
    refused = api_client(consumer_official).post(BASE, data=json.dumps({"grant_id": hmac_only.grant.pk}),
                                                 content_type="application/json")
    assert_error(refused, 422, "no_sm2_credential")


class TestGet(ApiContract):
    @pytest.fixture
    def case(self, world, packages, consumer_official):
        return Case(method="get", url=f"{BASE}/{packages['mine'].pk}", authorised=consumer_official,
                    unauthorised=world.official, out_of_scope_url=f"{BASE}/{packages['theirs'].pk}",
                    bad_url=f"{BASE}/0")


class TestDownload(ApiContract):
    @pytest.fixture
    def case(self, world, packages, consumer_official):
        return Case(method="get", url=f"{BASE}/{packages['mine'].pk}/download", authorised=consumer_official,
                    unauthorised=world.official, out_of_scope_url=f"{BASE}/{packages['theirs'].pk}/download",
                    bad_url=f"{BASE}/x/download")

    def test_in_scope(self, case):
        response = api_client(case.authorised).get(case.url)
        assert response.status_code == 200 and response["Content-Type"] == "application/zip"
        assert build.lib.sm3(response.content).hex() == response["X-Package-SM3"]


class TestSigningKey(ApiContract):
    test_out_of_scope = None  # the platform's public key has no scope

    @pytest.fixture
    def case(self, world, consumer_official):
        return Case(method="get", url=f"{BASE}/signing-key", authorised=consumer_official,
                    unauthorised=world.official, bad_url=f"{BASE}/signing-key?version=0")


def test_signing_key_verifies_manifests(packages, consumer_official):
    from dgov.fileexchange import signing

    body = api_client(consumer_official).get(f"{BASE}/signing-key").json()
    assert body["public_key_pem"] == platform_pem() and body["signer_id"] == "1234567812345678"
    package = packages["mine"]
    manifest = json.loads(package.manifest)
    assert manifest["signature"]["key_fingerprint"] == body["fingerprint"]
    assert signing.verify(package.manifest.encode(), b"\x30\x00", 1) is False
    assert_error(api_client(consumer_official).get(f"{BASE}/signing-key?version=99"), 404)


def test_signed_download_by_the_recipient(packages):
    recipient, package = packages["recipient"], packages["mine"]
    consumer = Consumer(recipient.application.code, recipient.credential.key_id, private_key=recipient.private_key)
    path = f"{BASE}/{package.pk}/download"
    headers = signed_headers(consumer, path)
    response = Client().get(path, headers=headers)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/zip"
    assert build.lib.sm3(response.content).hex() == response["X-Package-SM3"] == package.package_sm3
    manifest, data = build.open_package(response.content, recipient.private_key, platform_pem())
    assert manifest["recipient"]["key_id"] == recipient.credential.key_id
    download = PackageDownload.objects.get(package=package)
    assert (download.channel, download.key_id, download.application_id) == (
        "signed", recipient.credential.key_id, recipient.application.pk)
    assert_error(Client().get(path, headers=headers), 401, "replayed")
    # another application's package: 404, even correctly signed
    other = f"{BASE}/{packages['theirs'].pk}/download"
    assert_error(Client().get(other, headers=signed_headers(consumer, other)), 404)
    # a wrong signature
    bad = {**signed_headers(consumer, path), "X-Dgov-Signature": "AAAA"}
    assert_error(Client().get(path, headers=bad), 401, "invalid_signature")
    # signed list: only its own
    listed = Client().get(BASE, headers=signed_headers(consumer, BASE))
    assert [p["package_id"] for p in listed.json()["items"]] == [package.package_id]


def test_token_download_by_the_recipient(packages):
    recipient, package = packages["recipient"], packages["mine"]
    _token, plaintext = token_create(user=recipient.application.account, name="files")
    response = Client().get(f"{BASE}/{package.pk}/download", headers={"Authorization": f"Bearer {plaintext}"})
    assert response.status_code == 200
    assert PackageDownload.objects.get(package=package).channel == "api"
    detail = Client().get(f"{BASE}/{package.pk}", headers={"Authorization": f"Bearer {plaintext}"}).json()
    assert detail["downloads"][0]["channel"] == "api"


def test_providers_and_centre_do_not_download(packages, provider_official, centre):
    url = f"{BASE}/{packages['mine'].pk}/download"
    assert_error(api_client(provider_official).get(url), (403, 404))
    assert_error(api_client(centre).get(url), 403)
    assert api_client(provider_official).get(f"{BASE}/{packages['mine'].pk}").status_code == 200
