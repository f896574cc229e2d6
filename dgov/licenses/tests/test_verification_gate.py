"""The wallet is gated on real-name verification (实名核验): a 身份证号 typed at registration is only a
claim, so an account whose identity no identity officer has checked holds no licences — it sees none,
downloads none and grants no department access — until it is verified."""

import json

from dgov.accounts.testing import api_client, make_citizen
from dgov.accounts.tests.support import make_identity_officer
from dgov.core.testing import assert_error, signed_in, zh
from dgov.licenses.models import LicenseGrant

from .conftest import YUJIANG, issue

BASE = "/api/v1/licenses"


def _impostor_with_licence(world, license_type, seals, departments):
    """An unverified citizen of 余江区 who registered with the number a licence was issued to."""
    citizen = make_citizen("claimant", region_code="360603001000")
    lic = issue(world.yujiang_admin, license_type, departments[YUJIANG], citizen)
    return citizen, lic


def _post(client, url, payload):
    return client.post(url, data=json.dumps(payload), content_type="application/json")


def test_an_unverified_citizen_with_a_matching_number_sees_nothing_and_cannot_grant(
        world, license_type, seals, departments):
    citizen, lic = _impostor_with_licence(world, license_type, seals, departments)
    web = signed_in(citizen)
    page = web.get("/licenses/wallet/")
    assert page.status_code == 200
    text = page.content.decode()
    assert lic.identifier not in text and zh("Your identity is not verified yet") in text
    assert web.get(f"/licenses/wallet/{lic.pk}/file/").status_code == 404
    refused = web.post("/licenses/wallet/grants/", {"license": lic.identifier,
                                                    "department": departments[YUJIANG].pk, "days": "7"})
    assert refused.status_code == 403
    client = api_client(citizen)
    assert_error(client.get(f"{BASE}/mine"), 403)
    assert_error(_post(client, f"{BASE}/grants", {"identifier": lic.identifier, "department_code": YUJIANG}), 403)
    assert_error(client.get(f"{BASE}/{lic.identifier}"), 404)
    assert not LicenseGrant.objects.exists()


def test_after_an_identity_officer_verifies_the_wallet_shows_the_licences(world, license_type, seals, departments):
    citizen, lic = _impostor_with_licence(world, license_type, seals, departments)
    officer = make_identity_officer(county="360603")
    done = _post(api_client(officer), f"/api/v1/users/{citizen.pk}/verify-identity",
                 {"method": "counter", "note": "身份证原件已核对"})
    assert done.status_code == 200, done.content
    page = signed_in(citizen).get("/licenses/wallet/")
    assert lic.identifier in page.content.decode()
    client = api_client(citizen)
    assert [item["identifier"] for item in client.get(f"{BASE}/mine").json()["items"]] == [lic.identifier]
    granted = _post(client, f"{BASE}/grants", {"identifier": lic.identifier, "department_code": YUJIANG})
    assert granted.status_code == 201
    # A mistake is found: the verification is withdrawn and the wallet is empty again.
    undone = _post(api_client(officer), f"/api/v1/users/{citizen.pk}/unverify-identity", {"note": "证件不符"})
    assert undone.status_code == 200
    assert_error(api_client(citizen).get(f"{BASE}/mine"), 403)
    assert lic.identifier not in signed_in(citizen).get("/licenses/wallet/").content.decode()
