"""Real-name verification (实名核验): identity officers verify citizens and enterprises within their data
scope after checking the documents in person, or withdraw a verification found to be wrong; audited, the
person is told, and changing the 身份证号 or credit code clears it."""

import pytest

from dgov.accounts import services
from dgov.accounts.models import Enterprise, NaturalPerson, Role
from dgov.accounts.testing import PASSWORD, api_client, make_user, valid_id_number
from dgov.accounts.tests.support import last_audit, make_county_citizen, make_identity_officer, post_json
from dgov.core.errors import Conflict, PermissionDenied, ValidationError
from dgov.core.models import AuditEntry
from dgov.core.testing import ApiContract, Case, assert_error, signed_in, zh
from dgov.core.validators import credit_code_check_char
from dgov.notifications.models import OutboxMessage


class TestVerifyIdentity(ApiContract):
    @pytest.fixture
    def case(self, world):
        officer = make_identity_officer()
        inside = make_county_citizen("yj_citizen", "360603")
        outside = make_county_citizen("gx_citizen", "360681")
        # The city administrator sees every user but may not verify identities.
        return Case(method="post", url=f"/api/v1/users/{inside.pk}/verify-identity", authorised=officer,
                    unauthorised=world.admin, out_of_scope_url=f"/api/v1/users/{outside.pk}/verify-identity",
                    payload={"method": "counter", "note": "身份证原件已核对"}, bad_payload={"method": "hearsay"})


class TestUnverifyIdentity(ApiContract):
    @pytest.fixture
    def case(self, world):
        officer = make_identity_officer()
        inside = make_county_citizen("yj_citizen", "360603", verified=True)
        outside = make_county_citizen("gx_citizen", "360681", verified=True)
        return Case(method="post", url=f"/api/v1/users/{inside.pk}/unverify-identity", authorised=officer,
                    unauthorised=world.admin, out_of_scope_url=f"/api/v1/users/{outside.pk}/unverify-identity",
                    payload={"note": "证件与本人不符"}, bad_payload={"note": ""})


@pytest.fixture
def enterprise_user(db):
    from dgov.accounts.testing import region

    return services.register_enterprise(
        username="t_ent", password=PASSWORD, enterprise_name="测试铜业有限公司",
        credit_code="91360603MA35H2E2X" + credit_code_check_char("91360603MA35H2E2X"),
        legal_representative="周某", phone="13800000001", region=region("360603"))


def test_the_identity_officer_role_may_verify_both_kinds(db):
    perms = set(Role.objects.get(code="identity_officer").permissions.values_list("codename", flat=True))
    assert {"verify_naturalperson", "verify_enterprise"} <= perms


def test_verification_is_recorded_audited_and_told(world):
    officer = make_identity_officer()
    citizen = make_county_citizen("yj_citizen", "360603", phone="13812345678")
    body = post_json(api_client(officer), f"/api/v1/users/{citizen.pk}/verify-identity",
                     {"method": "counter", "note": "余江区政务服务中心"}).json()
    assert body["verified"] is True and body["method"] == "counter" and body["verified_by"] == officer.username
    person = NaturalPerson.objects.get(user=citizen)
    assert (person.verified, person.verified_by_id, person.verification_method) == (True, officer.pk, "counter")
    entry = last_audit("accounts.naturalperson.verify")
    assert entry.actor_id == officer.pk and entry.changes["method"] == [None, "counter"]
    message = OutboxMessage.objects.get(user=citizen)
    assert message.channel == "sms" and message.recipient == "13812345678"
    assert api_client(citizen).get("/api/v1/me").json()["identity_verified"] is True
    # Twice is a conflict; withdrawing needs a reason and clears everything.
    assert_error(post_json(api_client(officer), f"/api/v1/users/{citizen.pk}/verify-identity",
                           {"method": "counter"}), 409, "already_verified")
    with pytest.raises(ValidationError):
        services.unverify_identity(actor=officer, subject=citizen, note=" ")
    services.unverify_identity(actor=officer, subject=citizen, note="证件不符")
    person.refresh_from_db()
    assert (person.verified, person.verified_at, person.verified_by, person.verification_method) == \
        (False, None, None, "")
    assert last_audit("accounts.naturalperson.unverify").changes["method"] == ["counter", None]
    assert OutboxMessage.objects.filter(user=citizen).count() == 2


def test_an_enterprise_is_verified_by_an_officer_of_its_region(world, enterprise_user):
    body = post_json(api_client(make_identity_officer()), f"/api/v1/users/{enterprise_user.pk}/verify-identity",
                     {"method": "counter"}).json()
    assert body["verified"] is True
    assert Enterprise.objects.get(account=enterprise_user).verified
    assert last_audit("accounts.enterprise.verify").changes["method"] == [None, "counter"]
    guixi_officer = make_identity_officer("gx_officer", county="360681")
    assert_error(post_json(api_client(guixi_officer), f"/api/v1/users/{enterprise_user.pk}/unverify-identity",
                           {"note": "x"}), 404)


def test_officials_have_no_identity_to_verify_and_demo_is_not_an_officer_method(world):
    officer = make_identity_officer()
    official = make_user("yj_official", department_code="360603903")
    with pytest.raises(ValidationError) as exc:
        services.verify_identity(actor=officer, subject=official, method="counter")
    assert exc.value.code == "no_identity"
    citizen = make_county_citizen("yj_citizen", "360603")
    with pytest.raises(ValidationError):
        services.verify_identity(actor=officer, subject=citizen, method="demo")
    with pytest.raises(PermissionDenied):
        services.verify_identity(actor=world.yujiang_admin, subject=citizen, method="counter")
    with pytest.raises(Conflict):
        services.unverify_identity(actor=officer, subject=citizen, note="x")


def test_changing_the_number_clears_the_verification(world, enterprise_user):
    person = NaturalPerson.objects.get(user=world.citizen)
    assert person.verified
    person.id_number = valid_id_number(seq=777)
    person.save(update_fields=["id_number"])
    person.refresh_from_db()
    assert not person.verified and person.verification_method == ""
    company = Enterprise.objects.get(account=enterprise_user)
    services.verify_identity(actor=make_identity_officer(), subject=enterprise_user, method="counter")
    company = Enterprise.objects.get(pk=company.pk)
    company.name = "改名后的铜业有限公司"
    company.save()
    assert Enterprise.objects.get(pk=company.pk).verified  # other changes keep it
    company.credit_code = "91360603MA35H2E3X"[:17] + credit_code_check_char("91360603MA35H2E3X"[:17])
    company.save()
    assert not Enterprise.objects.get(pk=company.pk).verified


def test_the_officer_verifies_on_the_user_page(world):
    officer = make_identity_officer()
    citizen = make_county_citizen("yj_citizen", "360603")
    web = signed_in(officer)
    page = web.get(f"/system/users/{citizen.pk}/").content.decode()
    assert zh("Identity not verified") in page and f"/system/users/{citizen.pk}/identity/" in page
    bad = web.post(f"/system/users/{citizen.pk}/identity/", {"action": "verify", "method": "hearsay"})
    assert bad.status_code == 422
    done = web.post(f"/system/users/{citizen.pk}/identity/", {"action": "verify", "method": "counter",
                                                              "note": "窗口"})
    assert done.status_code == 302
    assert NaturalPerson.objects.get(user=citizen).verified
    page = web.get(f"/system/users/{citizen.pk}/").content.decode()
    assert zh("Identity verified") in page
    assert web.post(f"/system/users/{citizen.pk}/identity/", {"action": "unverify"}).status_code == 422
    assert web.post(f"/system/users/{citizen.pk}/identity/",
                    {"action": "unverify", "note": "证件不符"}).status_code == 302
    assert not NaturalPerson.objects.get(user=citizen).verified


def test_the_page_action_is_refused_without_the_permission_and_audited(world):
    citizen = make_county_citizen("yj_citizen", "360603")
    admin = signed_in(world.yujiang_admin)
    page = admin.get(f"/system/users/{citizen.pk}/").content.decode()
    assert f"/system/users/{citizen.pk}/identity/" not in page
    response = admin.post(f"/system/users/{citizen.pk}/identity/", {"action": "verify", "method": "counter"})
    assert response.status_code == 403
    assert not NaturalPerson.objects.get(user=citizen).verified
    assert AuditEntry.objects.filter(outcome="denied", actor_id=world.yujiang_admin.pk).exists()


def test_the_profile_says_whether_the_identity_is_verified_and_what_to_do(world):
    citizen = make_county_citizen("yj_citizen", "360603")
    page = signed_in(citizen).get("/accounts/profile/").content.decode()
    assert zh("Identity not verified") in page
    assert zh("Bring your ID card to a government service hall to have your identity verified; "
              "until then your electronic licences are not shown.", html=True) in page
    assert zh("Identity verified") in signed_in(world.citizen).get("/accounts/profile/").content.decode()
