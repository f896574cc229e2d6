"""`/api/v1/licenses` against the API contract (anonymous, unauthorised, out of scope, in scope, bad
input), endpoint by endpoint, and what relying systems depend on: verification, the status list, trust."""

import base64
import json

import pytest
from django.test import Client

from dgov.accounts.testing import api_client
from dgov.core.testing import ApiContract, Case, assert_error, audited
from dgov.licenses.models import License, LicenseGrant

from .conftest import GUIXI, VALUES, YUJIANG

pytestmark = pytest.mark.django_db
BASE = "/api/v1/licenses"


def wrong_check(identifier: str) -> str:
    return identifier[:-1] + ("A" if identifier[-1] != "A" else "B")


def post(user, url, payload):
    return api_client(user).post(url, data=json.dumps(payload), content_type="application/json")


def issue_payload(world, license_type, issuer_code=YUJIANG, **extra):
    return {"type_code": license_type.code, "issuer_code": issuer_code, "holder_kind": "person",
            "holder_code": world.citizen.person.id_number, "holder_name": "李娜", "fields": VALUES, **extra}


# --- the catalogue --------------------------------------------------------------------------------
class TestTypes(ApiContract):
    test_unauthorised = None  # the catalogue is public to every signed-in user
    test_out_of_scope = None  # and has no scope

    @pytest.fixture
    def case(self, world, license_type):
        return Case(method="get", url=f"{BASE}/types", authorised=world.citizen, bad_url=f"{BASE}/types?limit=0")

    def test_in_scope(self, case, license_type):
        body = api_client(case.authorised).get(case.url).json()
        assert body["count"] == 1 and body["items"][0]["code"] == license_type.code
        assert body["items"][0]["fields"][0]["key"] == "address"


class TestType(ApiContract):
    test_unauthorised = None  # public to every signed-in user
    test_out_of_scope = None

    @pytest.fixture
    def case(self, world, license_type):
        return Case(method="get", url=f"{BASE}/types/{license_type.code}", authorised=world.official,
                    bad_url=f"{BASE}/types/{'x' * 30}")


# --- issuing and listing --------------------------------------------------------------------------
class TestIssue(ApiContract):
    @pytest.fixture
    def case(self, world, license_type, seals):
        return Case(method="post", url=BASE, authorised=world.yujiang_admin, unauthorised=world.official,
                    payload=issue_payload(world, license_type), ok_status=201,
                    bad_payload=issue_payload(world, license_type, holder_kind="martian"))

    def test_out_of_scope(self, case, world, license_type):
        """An issuing department outside the official's scope: refused (a write, so 403 out_of_scope)."""
        response = post(case.authorised, BASE, issue_payload(world, license_type, issuer_code=GUIXI))
        assert_error(response, 403, "out_of_scope")
        assert audited("api:POST /api/v1/licenses", outcome="denied")

    def test_in_scope(self, case, world):
        response = post(case.authorised, BASE, {**case.payload, "case_reference": "YJ-2026-0001"})
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["version"] == 1 and body["source"] == "case" and body["holder_code"] == case.payload["holder_code"]
        assert body["credential_status"]["statusListIndex"] == str(License.objects.get().status_index)
        assert audited("licenses.license.issue")

    def test_every_wrong_field_is_named(self, case, world, license_type):
        payload = {**case.payload, "holder_code": "360602199001011230", "fields": {"category": "旅游", "since": "x",
                                                                               "nope": 1}}
        body = assert_error(post(case.authorised, BASE, payload), 422, "invalid")
        wrong = {"holder_code", "fields.address", "fields.category", "fields.since", "fields.nope"}
        assert wrong <= set(body["details"])


class TestList(ApiContract):
    test_out_of_scope = None  # a list: test_list_is_scoped

    @pytest.fixture
    def case(self, world, yujiang_license):
        return Case(method="get", url=BASE, authorised=world.yujiang_admin, unauthorised=world.official,
                    bad_url=f"{BASE}?status=lost")


def test_list_is_scoped(world, yujiang_license, guixi_license):
    def identifiers(user, query=""):
        return [i["identifier"] for i in api_client(user).get(f"{BASE}{query}").json()["items"]]

    assert identifiers(world.yujiang_admin) == [yujiang_license.identifier]
    assert sorted(identifiers(world.admin)) == sorted([yujiang_license.identifier, guixi_license.identifier])
    assert identifiers(world.admin, f"?issuer_code={GUIXI}") == [guixi_license.identifier]
    listed = api_client(world.admin).get(BASE).json()["items"][0]
    assert "holder_code" not in listed and listed["holder_code_masked"].count("*") == 10


# --- one licence ----------------------------------------------------------------------------------
def licence_case(world, yujiang_license, guixi_license, suffix="", **extra):
    return Case(method="get", url=f"{BASE}/{yujiang_license.identifier}{suffix}", authorised=world.yujiang_admin,
                unauthorised=world.official, out_of_scope_url=f"{BASE}/{guixi_license.identifier}{suffix}",
                bad_url=f"{BASE}/{wrong_check(yujiang_license.identifier)}{suffix}", **extra)


class TestGet(ApiContract):
    @pytest.fixture
    def case(self, world, yujiang_license, guixi_license):
        return licence_case(world, yujiang_license, guixi_license)

    def test_bad_input(self, case):
        body = assert_error(api_client(case.authorised).get(case.bad_url), 422, "invalid_identifier")
        assert "check character" in json.dumps(body["details"]) or "校验" in json.dumps(body["details"],
                                                                                      ensure_ascii=False)

    def test_the_holder_reads_it_and_the_read_is_audited(self, case, world, yujiang_license):
        body = api_client(world.citizen).get(case.url).json()
        assert body["holder_code"] == world.citizen.person.id_number and body["events"][0]["kind"] == "issue"
        assert audited("personal_data.read", object_id=str(yujiang_license.pk), actor_id=world.citizen.pk)
        other = api_client(make_other_citizen()).get(case.url)
        assert_error(other, 404)


def make_other_citizen():
    from dgov.accounts.testing import make_citizen

    return make_citizen("t_other_citizen", verified=True)


class TestFile(ApiContract):
    @pytest.fixture
    def case(self, world, yujiang_license, guixi_license):
        return licence_case(world, yujiang_license, guixi_license, "/file")

    def test_in_scope(self, case, yujiang_license):
        response = api_client(case.authorised).get(case.url)
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert response.content == bytes(yujiang_license.pdf) and response["X-File-SM3"] == yujiang_license.file_sm3


class TestUses(ApiContract):
    @pytest.fixture
    def case(self, world, yujiang_license, guixi_license):
        return licence_case(world, yujiang_license, guixi_license, "/uses")


class TestRevoke(ApiContract):
    @pytest.fixture
    def case(self, world, yujiang_license, guixi_license):
        return Case(method="post", url=f"{BASE}/{yujiang_license.identifier}/revoke", authorised=world.yujiang_admin,
                    unauthorised=world.official, out_of_scope_url=f"{BASE}/{guixi_license.identifier}/revoke",
                    payload={"reason": "违规取得"}, bad_payload={"reason": ""})

    def test_in_scope(self, case, yujiang_license):
        body = post(case.authorised, case.url, case.payload).json()
        assert body["status"] == "revoked" and body["events"][-1]["reason"] == "违规取得"
        assert_error(post(case.authorised, case.url, case.payload), 409)


class TestReissue(ApiContract):
    @pytest.fixture
    def case(self, world, yujiang_license, guixi_license):
        return Case(method="post", url=f"{BASE}/{yujiang_license.identifier}/reissue", authorised=world.yujiang_admin,
                    unauthorised=world.official, out_of_scope_url=f"{BASE}/{guixi_license.identifier}/reissue",
                    payload={"reason": "地址变更", "fields": {**VALUES, "address": "新地址"}}, ok_status=201,
                    bad_payload={"reason": "地址变更", "fields": {"category": "旅游"}})

    def test_in_scope(self, case, yujiang_license):
        body = post(case.authorised, case.url, case.payload).json()
        assert body["version"] == 2 and body["serial"] == yujiang_license.serial
        assert body["previous"] == yujiang_license.identifier and body["metadata"]["address"] == "新地址"
        old = api_client(case.authorised).get(f"{BASE}/{yujiang_license.identifier}").json()
        assert old["status"] == "changed" and old["next"] == body["identifier"]


# --- holders --------------------------------------------------------------------------------------
class TestMine(ApiContract):
    test_out_of_scope = None  # one's own licences

    @pytest.fixture
    def case(self, world, yujiang_license, guixi_license):
        return Case(method="get", url=f"{BASE}/mine", authorised=world.citizen, unauthorised=world.official,
                    bad_url=f"{BASE}/mine?current=maybe")

    def test_in_scope(self, case):
        assert api_client(case.authorised).get(case.url).json()["count"] == 2


class TestGrantCreate(ApiContract):
    @pytest.fixture
    def case(self, world, yujiang_license):
        other = make_other_citizen()
        from .conftest import issue

        theirs = issue(world.yujiang_admin, yujiang_license.license_type, yujiang_license.issuer, other)
        payload = {"identifier": yujiang_license.identifier, "department_code": GUIXI, "days": 7}
        return Case(method="post", url=f"{BASE}/grants", authorised=world.citizen, unauthorised=world.official,
                    payload=payload, ok_status=201, extra={"theirs": theirs.identifier},
                    bad_payload={**payload, "department_code": "nowhere"})

    def test_out_of_scope(self, case):
        assert_error(post(case.authorised, case.url, {**case.payload, "identifier": case.extra["theirs"]}), 404)


class TestGrantRevoke(ApiContract):
    @pytest.fixture
    def case(self, world, yujiang_license, departments):
        from dgov.licenses import services

        def give(user, lic):
            return services.grant_create(actor=user, license=lic, department=departments[GUIXI],
                                         expires_at=timezone_in(days=3))

        other = make_other_citizen()
        from .conftest import issue

        theirs = give(other, issue(world.yujiang_admin, yujiang_license.license_type, yujiang_license.issuer, other))
        mine = give(world.citizen, yujiang_license)
        return Case(method="post", url=f"{BASE}/grants/{mine.pk}/revoke", authorised=world.citizen,
                    unauthorised=world.official, out_of_scope_url=f"{BASE}/grants/{theirs.pk}/revoke",
                    bad_url=f"{BASE}/grants/0/revoke")


def timezone_in(**delta):
    import datetime as dt

    from django.utils import timezone

    return timezone.now() + dt.timedelta(**delta)


class TestGrants(ApiContract):
    test_out_of_scope = None  # a list: the holder's own grants, or those to departments in scope

    @pytest.fixture
    def case(self, world, yujiang_license, departments):
        from dgov.licenses import services

        services.grant_create(actor=world.citizen, license=yujiang_license, department=departments[GUIXI],
                              expires_at=timezone_in(days=3))
        return Case(method="get", url=f"{BASE}/grants", authorised=world.citizen, unauthorised=world.official,
                    bad_url=f"{BASE}/grants?offset=-1")

    def test_departments_see_the_grants_they_were_given(self, case, world):
        assert api_client(world.guixi_admin).get(case.url).json()["count"] == 1
        assert api_client(world.yujiang_admin).get(case.url).json()["count"] == 0


# --- public ---------------------------------------------------------------------------------------
class TestVerify(ApiContract):
    test_anonymous = test_unauthorised = test_out_of_scope = None  # public: anyone may verify

    @pytest.fixture
    def case(self, world, yujiang_license):
        return Case(method="post", url=f"{BASE}/verify", authorised=None,
                    payload={"identifier": yujiang_license.identifier}, bad_payload={"identifier": ""})

    def test_in_scope(self, case):
        body = post(None, case.url, case.payload).json()
        assert body["valid"] is True and body["status"] == "valid"
        assert [c["name"] for c in body["checks"]] == ["format", "identifier", "digest", "signature", "seal_maker",
                                                        "seal_validity", "signer_certificate", "metadata", "status",
                                                        "seal_status"]
        assert body["license"]["holder_name_masked"].endswith("*")


def verify_file(data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return Client().post(f"{BASE}/verify", {"file": SimpleUploadedFile("l.pdf", data, "application/pdf")})


def failed(body) -> set[str]:
    return {c["name"] for c in body["checks"] if not c["ok"]}


def test_a_wrong_check_character_is_refused_with_a_clear_check(yujiang_license):
    body = post(None, f"{BASE}/verify", {"identifier": wrong_check(yujiang_license.identifier)}).json()
    assert body["valid"] is False and body["status"] == "invalid"
    assert body["checks"] == [{"name": "identifier", "ok": False, "detail": body["checks"][0]["detail"]}]
    assert "check character" in body["checks"][0]["detail"] or "校验" in body["checks"][0]["detail"]


def test_a_file_verifies_and_one_changed_byte_fails(yujiang_license):
    good = bytes(yujiang_license.pdf)
    assert verify_file(good).json()["valid"] is True
    at = good.index(b"/Type /Page") if b"/Type /Page" in good else len(good) // 3
    changed = good[:at] + bytes([good[at] ^ 0x01]) + good[at + 1:]
    body = verify_file(changed).json()
    assert body["valid"] is False and "digest" in failed(body)
    assert_error(Client().post(f"{BASE}/verify", {}, content_type="multipart/form-data; boundary=x"), 422)
    assert_error(Client().post(f"{BASE}/verify", data="{", content_type="application/json"), 400)


def test_a_revoked_or_changed_licence_is_reported_so(world, yujiang_license, guixi_license):
    from dgov.licenses import services

    services.revoke(actor=world.yujiang_admin, license=yujiang_license, reason="吊销")
    body = verify_file(bytes(yujiang_license.pdf)).json()
    assert (body["valid"], body["status"], failed(body)) == (False, "revoked", {"status"})
    new = services.reissue(actor=world.guixi_admin, license=guixi_license, reason="换证")
    body = post(None, f"{BASE}/verify", {"identifier": guixi_license.identifier}).json()
    assert (body["valid"], body["status"]) == (False, "changed") and new.identifier in json.dumps(body)


def test_a_revoked_seal_fails_its_check(world, yujiang_license):
    from dgov.licenses import services

    services.seal_revoke(actor=world.admin, seal=yujiang_license.seal, reason="印章遗失")
    body = post(None, f"{BASE}/verify", {"identifier": yujiang_license.identifier}).json()
    assert body["valid"] is False and failed(body) == {"seal_status"}


def test_verification_is_rate_limited(settings, yujiang_license):
    from django.core.cache import cache

    cache.clear()
    settings.DGOV_LICENSE_VERIFY_RATE = "2/min"
    payload = {"identifier": yujiang_license.identifier}
    assert [post(None, f"{BASE}/verify", payload).status_code for _ in range(3)] == [200, 200, 429]
    cache.clear()


def test_the_status_list_is_signed_cacheable_and_lists_revocations(world, yujiang_license, guixi_license):
    from dgov.crypto.primitives import DEFAULT_SIGNER_ID
    from dgov.licenses import maker, services, statuslist

    services.revoke(actor=world.yujiang_admin, license=yujiang_license, reason="吊销")
    response = Client().get(f"{BASE}/status-list")
    assert response.status_code == 200 and "max-age" in response["Cache-Control"]
    credential = json.loads(response.content)
    assert credential["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    bits = statuslist.decode(credential["credentialSubject"]["encodedList"])
    assert len(bits) * 8 >= statuslist.MIN_BITS
    assert statuslist.is_set(bits, yujiang_license.status_index)
    assert not statuslist.is_set(bits, guixi_license.status_index)
    signature = base64.b64decode(response["X-Dgov-Signature"])
    assert maker.public_key().verify(response.content, signature, DEFAULT_SIGNER_ID)
    assert response["X-Dgov-Signer"] == maker.certificate().fingerprint
    cached = Client().get(f"{BASE}/status-list", headers={"If-None-Match": response["ETag"]})
    assert cached.status_code == 304 and cached["ETag"] == response["ETag"]
    assert Client().get(f"{BASE}/status-list").content == response.content  # stable until the next revocation
    services.revoke(actor=world.guixi_admin, license=guixi_license, reason="吊销")
    assert Client().get(f"{BASE}/status-list", headers={"If-None-Match": response["ETag"]}).status_code == 200


def test_trust_publishes_the_maker_certificate_and_fingerprint():
    from dgov.licenses import x509

    body = Client().get(f"{BASE}/trust").json()
    current = body["certificates"][0]
    der = base64.b64decode(current["der_base64"])
    assert x509.fingerprint(der) == current["fingerprint_sm3"] and x509.to_pem(der) == current["pem"]
    assert x509.certificate_info(der).ca


def test_grant_and_pull_through_the_api(world, guixi_license, departments):
    """The acceptance: a department without a grant cannot pull (404); with one it can, and the holder
    sees the use. 余江区's administrator holds the pull permission (county_admin) but no scope over 贵溪."""
    url = f"{BASE}/{guixi_license.identifier}"
    assert_error(api_client(world.yujiang_admin).get(url), 404)
    grant = post(world.citizen, f"{BASE}/grants", {"identifier": guixi_license.identifier,
                                                    "department_code": YUJIANG, "days": 1,
                                                    "case_reference": "YJ-2026-0009"}).json()
    assert_error(api_client(world.yujiang_admin).get(url), 404)  # the grant is for one case
    pulled = api_client(world.yujiang_admin).get(f"{url}?case=YJ-2026-0009")
    assert pulled.status_code == 200 and pulled.json()["holder_code"] == world.citizen.person.id_number
    assert api_client(world.yujiang_admin).get(f"{url}/file?case=YJ-2026-0009").content.startswith(b"%PDF")
    uses = api_client(world.citizen).get(f"{url}/uses").json()["items"]
    assert [(u["department_code"], u["action"], u["case_reference"]) for u in uses] == [
        (YUJIANG, "file", "YJ-2026-0009"), (YUJIANG, "view", "YJ-2026-0009")]
    assert_error(api_client(world.yujiang_admin).get(f"{url}/uses?case=YJ-2026-0009"), 404)
    assert audited("licenses.license.pull", actor_id=world.yujiang_admin.pk)
    post(world.citizen, f"{BASE}/grants/{grant['id']}/revoke", {})
    assert_error(api_client(world.yujiang_admin).get(f"{url}?case=YJ-2026-0009"), 404)
    assert LicenseGrant.objects.get().revoked_at is not None


def make_application(code: str, department):
    from dgov.accounts.models import Application, User, UserKind

    account = User(username=f"app.{code}", kind=UserKind.APPLICATION, real_name=code, department=department,
                   region=department.region)
    account.set_unusable_password()
    account.save()
    return Application.objects.create(code=code, name=code, department=department, account=account).account


def test_an_application_pulls_only_through_grants_to_its_own_department(world, guixi_license, departments):
    """A grant to 余江区行政审批局 lets its case system pull; a system of a unit under it, of the unit above
    it, or of another department gets 404 (a grant to X does not let Y pull)."""
    from dgov.licenses import services
    from dgov.orgs.models import Department

    yujiang = departments[YUJIANG]
    below = Department.objects.create(code=f"{YUJIANG}01", name="余江区行政审批局窗口", kind="department",
                                      region=yujiang.region, parent=yujiang)
    url = f"{BASE}/{guixi_license.identifier}"
    own = make_application("yj-case", yujiang)
    others = [make_application("yj-window", below), make_application("gx-case", departments[GUIXI])]
    if yujiang.parent_id:
        others.append(make_application("yj-above", yujiang.parent))
    for app in (own, *others):
        assert_error(api_client(app).get(url), 404)  # no grant yet
    grant = services.grant_create(actor=world.citizen, license=guixi_license, department=yujiang,
                                  expires_at=timezone_in(days=1))
    assert api_client(own).get(url).json()["holder_code"] == world.citizen.person.id_number
    for app in others:
        assert_error(api_client(app).get(url), 404)
        assert_error(api_client(app).get(f"{url}/file"), 404)
    assert [u.department_id for u in guixi_license.uses.all()] == [yujiang.pk]
    services.grant_revoke(actor=world.citizen, grant=grant)
    assert_error(api_client(own).get(url), 404)


def test_an_expired_grant_is_refused(world, guixi_license, departments):
    from django.utils import timezone

    from dgov.core.errors import NotFound
    from dgov.licenses import services

    grant = services.grant_create(actor=world.citizen, license=guixi_license, department=departments[YUJIANG],
                                  expires_at=timezone_in(hours=1))
    url = f"{BASE}/{guixi_license.identifier}"
    assert api_client(world.yujiang_admin).get(url).status_code == 200
    LicenseGrant.objects.filter(pk=grant.pk).update(expires_at=timezone.now())
    assert_error(api_client(world.yujiang_admin).get(url), 404)
    with pytest.raises(NotFound):  # only the holder grants access
        services.grant_create(actor=world.yujiang_admin, license=guixi_license, department=departments[YUJIANG],
                              expires_at=timezone_in(days=1))
