"""Web views with the Django test client: login with the second factor, first-login enrolment,
registration forms, idle timeout, logout, profile tokens, and the system pages' permissions."""

from datetime import timedelta

import pyotp
import pytest
from django.test import Client, override_settings
from django.utils import timezone

from dgov.accounts import views
from dgov.accounts.middleware import SESSION_KEY
from dgov.accounts.models import ApiToken, NaturalPerson, Role, RoleAssignment, TotpDevice, User
from dgov.accounts.testing import PASSWORD, department, grant, make_user, region
from dgov.accounts.tests.support import (
    CJK,
    TOTP_NOW,
    freeze_totp_clock,
    last_audit,
    make_otp_admin,
    totp_code,
)
from dgov.core.models import AuditEntry
from dgov.core.testing import signed_in, zh

LOGIN = "/accounts/login/"


def session_user_id(client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value is not None else None


# --- login -----------------------------------------------------------------------------------

def test_login_page_renders(db):
    response = Client().get(LOGIN)
    assert response.status_code == 200
    assert b'name="username"' in response.content and b'name="password"' in response.content


def test_admin_logs_in_with_password_then_otp_then_reaches_the_workbench(monkeypatch, db):
    freeze_totp_clock(monkeypatch)
    admin = make_otp_admin()
    client = Client()
    response = client.post(LOGIN, {"username": "otp_admin", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/otp/"
    assert session_user_id(client) is None  # not logged in yet
    assert client.get("/workbench/").status_code == 302
    assert client.get("/accounts/login/otp/").status_code == 200
    wrong = client.post("/accounts/login/otp/", {"code": f"{(int(totp_code(admin)) + 1) % 1_000_000:06d}"})
    assert wrong.status_code == 422
    assert zh("The one-time code is incorrect or has expired.") in wrong.content.decode()
    malformed = client.post("/accounts/login/otp/", {"code": "abc"})
    assert malformed.status_code == 422
    response = client.post("/accounts/login/otp/", {"code": totp_code(admin)})
    assert response.status_code == 302 and response["Location"] == "/workbench/"
    assert session_user_id(client) == admin.pk
    assert client.get("/workbench/").status_code == 200
    admin.refresh_from_db()
    assert admin.failed_login_count == 0  # success resets the two failures


def test_login_keeps_the_next_page_through_the_otp_step(monkeypatch, db):
    freeze_totp_clock(monkeypatch)
    admin = make_otp_admin()
    client = Client()
    client.post(f"{LOGIN}?next=/system/users/", {"username": "otp_admin", "password": PASSWORD,
                                                 "next": "/system/users/"})
    response = client.post("/accounts/login/otp/", {"code": totp_code(admin)})
    assert response["Location"] == "/system/users/"


def test_login_refuses_an_external_next(db):
    make_user("plain", department_code="360600001")
    response = Client().post(LOGIN, {"username": "plain", "password": PASSWORD,
                                     "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/workbench/"


def test_wrong_password_on_the_web_shows_a_chinese_error(world):
    response = Client().post(LOGIN, {"username": "t_official", "password": "Wrong-password-1"})
    assert response.status_code == 422
    text = response.content.decode()
    message = zh("The username or password is incorrect.")
    assert CJK.search(message) and message in text
    assert session_user_id(Client()) is None


def test_web_lockout_after_five_failures(world):
    client = Client()
    for _ in range(5):
        response = client.post(LOGIN, {"username": "t_official", "password": "Wrong-password-1"})
    locked = zh("Too many failed attempts: the account is locked. Try again later.")
    assert locked in response.content.decode()
    response = client.post(LOGIN, {"username": "t_official", "password": PASSWORD})
    assert response.status_code == 422 and session_user_id(client) is None


def test_citizen_lands_on_the_profile(world):
    response = Client().post(LOGIN, {"username": "t_citizen", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/accounts/profile/"


def test_otp_step_without_a_pending_login_goes_back_to_login(db):
    assert Client().get("/accounts/login/otp/")["Location"] == LOGIN
    assert Client().get("/accounts/login/enrol/")["Location"] == LOGIN


def test_pending_login_expires(monkeypatch, db):
    freeze_totp_clock(monkeypatch)
    admin = make_otp_admin()
    client = Client()
    client.post(LOGIN, {"username": "otp_admin", "password": PASSWORD})
    session = client.session
    session[views.PENDING]["ts"] -= views.PENDING_SECONDS + 1
    session.save()
    response = client.post("/accounts/login/otp/", {"code": totp_code(admin)})
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert session_user_id(client) is None


# --- enrolment --------------------------------------------------------------------------------

def test_admin_without_authenticator_is_taken_through_enrolment(monkeypatch, world):
    freeze_totp_clock(monkeypatch)
    client = Client()
    response = client.post(LOGIN, {"username": "t_admin", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/enrol/"
    page = client.get("/accounts/login/enrol/")
    assert page.status_code == 200
    device = TotpDevice.objects.get(user=world.admin)
    assert not device.confirmed
    text = page.content.decode()
    assert 'src="data:image/svg+xml;base64,' in text and device.secret in text
    assert session_user_id(client) is None
    wrong_code = f"{(int(pyotp.TOTP(device.secret).at(TOTP_NOW)) + 1) % 1_000_000:06d}"
    wrong = client.post("/accounts/login/enrol/", {"code": wrong_code})
    assert wrong.status_code == 422
    assert not TotpDevice.objects.get(user=world.admin).confirmed
    response = client.post("/accounts/login/enrol/", {"code": pyotp.TOTP(device.secret).at(TOTP_NOW)})
    assert response.status_code == 302 and response["Location"] == "/workbench/"
    assert session_user_id(client) == world.admin.pk
    assert TotpDevice.objects.get(user=world.admin).confirmed
    assert last_audit("accounts.totpdevice.confirm").actor_id == world.admin.pk
    # From now on the password alone is not enough.
    again = Client().post(LOGIN, {"username": "t_admin", "password": PASSWORD})
    assert again["Location"] == "/accounts/login/otp/"


def test_enrolment_provisioning_uri_matches_the_device(world):
    client = Client()
    client.post(LOGIN, {"username": "t_admin", "password": PASSWORD})
    client.get("/accounts/login/enrol/")
    device = TotpDevice.objects.get(user=world.admin)
    uri = pyotp.parse_uri(views.services.totp_uri(device))
    assert uri.secret == device.secret and uri.digits == 6 and uri.interval == 30


def test_enrolment_from_the_profile(monkeypatch, world):
    freeze_totp_clock(monkeypatch)
    client = signed_in(world.official)
    assert client.get("/accounts/profile/authenticator/").status_code == 200
    device = TotpDevice.objects.get(user=world.official)
    code = pyotp.TOTP(device.secret).at(TOTP_NOW)
    response = client.post("/accounts/profile/authenticator/", {"code": code})
    assert response["Location"] == "/accounts/profile/"
    assert TotpDevice.objects.get(user=world.official).confirmed
    # A confirmed authenticator cannot be silently replaced.
    assert client.get("/accounts/profile/authenticator/")["Location"] == "/accounts/profile/"
    assert TotpDevice.objects.get(user=world.official).secret == device.secret


# --- registration ------------------------------------------------------------------------------

def register_form(**overrides) -> dict:
    data = {"kind": "citizen", "username": "web_citizen", "real_name": "孙七",
            "id_number": "11010519491231002X", "phone": "13511112222", "region": "",
            "password": "Register-me-2024", "password2": "Register-me-2024"}
    data.update(overrides)
    return data


def test_citizen_registration_errors_render_in_chinese_with_a_summary(db):
    form = register_form(id_number="110105194912310021", phone="123")
    response = Client().post("/accounts/register/", form)
    assert response.status_code == 422
    text = response.content.decode()
    assert "error-summary" in text
    assert zh("Please correct the following:") in text and CJK.search(zh("Please correct the following:"))
    check = zh("The check digit of the ID card number is wrong; please check the number.")
    assert CJK.search(check) and check in text
    assert zh("Enter an 11-digit mainland mobile phone number.") in text
    assert 'aria-invalid="true"' in text
    assert '<html lang="zh-hans">' in text
    assert not User.objects.filter(username="web_citizen").exists()


def test_registration_form_password_mismatch(db):
    response = Client().post("/accounts/register/", register_form(password2="Register-me-2025"))
    assert response.status_code == 422
    assert zh("The two passwords differ.") in response.content.decode()


def test_citizen_registers_through_the_form_and_is_logged_in(db):
    client = Client()
    response = client.post("/accounts/register/", register_form(region=str(region("360603").pk)))
    assert response.status_code == 302 and response["Location"] == "/accounts/profile/"
    user = User.objects.get(username="web_citizen")
    assert session_user_id(client) == user.pk
    assert NaturalPerson.objects.get(user=user).id_number == "11010519491231002X"
    assert user.region.code == "360603000000"


def test_enterprise_registration_form_errors_in_chinese(db):
    data = {"kind": "enterprise", "username": "web_company", "enterprise_name": "某公司",
            "credit_code": "91350100M000100Y44", "legal_representative": "王五", "phone": "13511112222",
            "password": "Register-me-2024", "password2": "Register-me-2024"}
    response = Client().post("/accounts/register/?kind=enterprise", data)
    assert response.status_code == 422
    message = zh("The check character of the unified social credit code is wrong; please check the code.")
    assert CJK.search(message) and message in response.content.decode()
    data["credit_code"] = "91350100M000100Y43"
    assert Client().post("/accounts/register/?kind=enterprise", data).status_code == 302


def test_english_ui_on_request(db):
    client = Client()
    client.cookies["django_language"] = "en"
    response = client.post("/accounts/register/", register_form(id_number="110105194912310021"))
    text = response.content.decode()
    assert "The check digit of the ID card number is wrong; please check the number." in text
    assert '<html lang="en">' in text


# --- idle timeout ------------------------------------------------------------------------------

def age_session(client, seconds: float) -> float:
    """Move the session's last activity `seconds` into the past; return the new value."""
    session = client.session
    session[SESSION_KEY] = session[SESSION_KEY] - seconds
    session.save()
    return session[SESSION_KEY]


@override_settings(DGOV_IDLE_TIMEOUT_MINUTES=5)
def test_idle_official_is_logged_out(world):
    client = signed_in(world.official)
    assert client.get("/workbench/").status_code == 200
    assert SESSION_KEY in client.session
    age_session(client, 5 * 60 + 61)
    response = client.get("/workbench/")
    assert response.status_code == 302 and response["Location"].startswith(f"{LOGIN}?next=/workbench/")
    assert session_user_id(client) is None
    login_page = client.get(response["Location"])
    assert login_page.status_code == 200
    notice = zh("You were logged out after a period of inactivity. Please log in again.")
    assert CJK.search(notice) and notice in login_page.content.decode()
    assert client.get("/workbench/").status_code == 302


@override_settings(DGOV_IDLE_TIMEOUT_MINUTES=5)
def test_activity_within_the_limit_keeps_the_session(world):
    client = signed_in(world.official)
    client.get("/workbench/")
    aged = age_session(client, 5 * 60 - 61)
    assert client.get("/workbench/").status_code == 200
    # The request counted as activity: the clock started again.
    assert client.session[SESSION_KEY] >= aged + 5 * 60 - 61
    age_session(client, 5 * 60 - 61)
    assert client.get("/workbench/").status_code == 200


@override_settings(DGOV_IDLE_TIMEOUT_MINUTES=5)
def test_idle_timeout_does_not_apply_to_citizens(world):
    client = signed_in(world.citizen)
    assert client.get("/accounts/profile/").status_code == 200
    assert SESSION_KEY not in client.session
    session = client.session
    session[SESSION_KEY] = 0.0
    session.save()
    assert client.get("/accounts/profile/").status_code == 200
    assert session_user_id(client) == world.citizen.pk


# --- logout -----------------------------------------------------------------------------------

def test_logout_is_post_only(world):
    client = signed_in(world.official)
    assert client.get("/accounts/logout/").status_code == 405
    assert session_user_id(client) == world.official.pk
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == "/"
    assert session_user_id(client) is None
    assert last_audit("auth.logout").actor_id == world.official.pk


# --- profile tokens ----------------------------------------------------------------------------

def test_profile_creates_and_revokes_own_token(world):
    client = signed_in(world.citizen)
    response = client.post("/accounts/profile/tokens/new/", {"name": "my script", "days": 30})
    assert response.status_code == 200
    token = ApiToken.objects.get(user=world.citizen, name="my script")
    plaintext = next(w for w in response.content.decode().replace("<", " ").replace(">", " ").split()
                     if w.startswith("dgov_") and len(w) > 20)
    assert views.services.token_authenticate(plaintext) == world.citizen
    assert client.get(f"/accounts/profile/tokens/{token.pk}/revoke/").status_code == 405
    response = client.post(f"/accounts/profile/tokens/{token.pk}/revoke/")
    assert response.status_code == 302 and response["Location"] == "/accounts/profile/"
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert views.services.token_authenticate(plaintext) is None


def test_profile_cannot_revoke_someone_elses_token(world):
    token, plaintext = views.services.token_create(user=world.official, name="theirs")
    signed_in(world.citizen).post(f"/accounts/profile/tokens/{token.pk}/revoke/")
    assert views.services.token_authenticate(plaintext) == world.official


def test_profile_password_change(world):
    client = signed_in(world.citizen)
    new = {"password": "Another-pass-77", "password2": "Another-pass-77"}
    response = client.post("/accounts/profile/password/", {"old_password": "wrong", **new})
    assert response.status_code == 422
    response = client.post("/accounts/profile/password/", {"old_password": PASSWORD, **new})
    assert response.status_code == 302
    assert User.objects.get(pk=world.citizen.pk).check_password("Another-pass-77")
    assert client.get("/accounts/profile/").status_code == 200  # the session survives the change


# --- system pages -------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/system/users/", "/system/roles/", "/system/role-assignments/",
                                 "/system/users/add/"])
def test_system_pages_refuse_citizens(world, url):
    assert signed_in(world.citizen).get(url).status_code == 403


def test_system_pages_send_anonymous_users_to_login(db):
    response = Client().get("/system/users/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_system_users_without_permission_is_403(world):
    assert signed_in(world.official).get("/system/users/").status_code == 403
    assert signed_in(world.official).get(f"/system/users/{world.official.pk}/").status_code == 403


def test_county_admin_user_list_is_scoped(world):
    client = signed_in(world.yujiang_admin)
    response = client.get("/system/users/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "t_yujiang_admin" in text and "t_guixi_admin" not in text
    assert client.get(f"/system/users/{world.guixi_admin.pk}/").status_code == 404
    assert client.get(f"/system/users/{world.guixi_admin.pk}/edit/").status_code == 404
    assert client.post(f"/system/users/{world.guixi_admin.pk}/", {"action": "unlock"}).status_code == 404
    assert signed_in(world.admin).get(f"/system/users/{world.guixi_admin.pk}/").status_code == 200


def test_county_admin_user_export_is_scoped(world):
    response = signed_in(world.yujiang_admin).get("/system/users/?export=csv")
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert b"t_yujiang_admin" in body and b"t_guixi_admin" not in body


def test_county_admin_creates_a_user_through_the_form(world):
    client = signed_in(world.yujiang_admin)
    data = {"username": "yj_form_user", "kind": "official", "real_name": "表单", "email": "",
            "department": department("360603903").pk, "post": "", "region": "", "is_active": "on",
            "password": "Initial-pass-99"}
    response = client.post("/system/users/add/", data)
    assert response.status_code == 302
    assert User.objects.get(username="yj_form_user").region == region("360603")
    data.update(username="gx_form_user", department=department("360681903").pk)
    response = client.post("/system/users/add/", data)
    assert response.status_code in (403, 422)
    assert not User.objects.filter(username="gx_form_user").exists()


def test_roles_pages(world):
    county = signed_in(world.yujiang_admin)
    assert county.get("/system/roles/").status_code == 200
    assert county.get("/system/roles/staff/").status_code == 200
    assert county.get("/system/roles/add/").status_code == 403
    assert county.get("/system/roles/staff/edit/").status_code == 403
    assert county.post("/system/roles/staff/delete/").status_code == 403
    assert signed_in(world.official).get("/system/roles/").status_code == 403
    admin = signed_in(world.admin)
    assert admin.get("/system/roles/add/").status_code == 200
    response = admin.post("/system/roles/staff/delete/")
    assert response.status_code == 302 and Role.objects.filter(code="staff").exists()


def grant_form(role_code: str, scope_kind: str, region_code: str | None = None) -> dict:
    data = {"action": "assign", "role": Role.objects.get(code=role_code).pk, "scope_kind": scope_kind}
    if region_code:
        data["region"] = region(region_code).pk
    return data


def test_role_grant_on_a_user_page(world):
    clerk = make_user("yj_clerk", department_code="360603903")
    client = signed_in(world.yujiang_admin)
    response = client.post(f"/system/users/{clerk.pk}/", grant_form("staff", "region", "360603"))
    assert response.status_code == 302 and response["Location"] == f"/system/users/{clerk.pk}/"
    assignment = RoleAssignment.objects.get(user=clerk)
    assert (assignment.role.code, assignment.region.code, assignment.granted_by) == (
        "staff", "360603000000", world.yujiang_admin)
    page = client.get(f"/system/users/{clerk.pk}/").content.decode()
    assert "工作人员" in page


def test_role_grant_escalation_is_refused_on_the_page(world):
    clerk = make_user("yj_clerk", department_code="360603903")
    client = signed_in(world.yujiang_admin)
    response = client.post(f"/system/users/{clerk.pk}/", grant_form("city_admin", "all"))
    assert response.status_code == 422
    assert not RoleAssignment.objects.filter(user=clerk).exists()
    assert "error-summary" in response.content.decode()


def test_role_grant_on_an_out_of_scope_user_is_404_and_without_permission_403(world):
    gx_clerk = make_user("gx_clerk", department_code="360681903")
    assert signed_in(world.yujiang_admin).post(
        f"/system/users/{gx_clerk.pk}/", grant_form("staff", "region", "360681")).status_code == 404
    assert signed_in(world.official).post(
        f"/system/users/{gx_clerk.pk}/", grant_form("staff", "own")).status_code == 403
    assert signed_in(world.citizen).post(
        f"/system/users/{gx_clerk.pk}/", grant_form("staff", "own")).status_code == 403
    assert not RoleAssignment.objects.filter(user=gx_clerk).exists()


def test_role_withdrawal_on_a_user_page(world):
    clerk = make_user("yj_clerk", department_code="360603903")
    staff = grant(clerk, "staff", "region", "360603")
    strong = grant(clerk, "security_admin", "all")
    client = signed_in(world.yujiang_admin)
    response = client.post(f"/system/users/{clerk.pk}/", {"action": "unassign", "assignment": strong.pk})
    assert response.status_code == 302
    assert RoleAssignment.objects.filter(pk=strong.pk).exists()  # could not have granted it: kept
    client.post(f"/system/users/{clerk.pk}/", {"action": "unassign", "assignment": staff.pk})
    assert not RoleAssignment.objects.filter(pk=staff.pk).exists()


def test_unlock_on_a_user_page(world):
    clerk = make_user("yj_clerk", department_code="360603903")
    User.objects.filter(pk=clerk.pk).update(locked_until=timezone.now() + timedelta(minutes=10))
    client = signed_in(world.yujiang_admin)
    assert b"unlock" in client.get(f"/system/users/{clerk.pk}/").content
    client.post(f"/system/users/{clerk.pk}/", {"action": "unlock"})
    assert not User.objects.get(pk=clerk.pk).is_locked
    assert AuditEntry.objects.filter(action="accounts.user.unlock", actor_id=world.yujiang_admin.pk).exists()


def test_user_deactivation_instead_of_deletion(world):
    """"Delete" on a user page deactivates the account; it needs change_user in scope."""
    clerk = make_user("yj_clerk", department_code="360603903")
    client = signed_in(world.yujiang_admin)
    assert b'href="delete/"' in client.get(f"/system/users/{clerk.pk}/").content
    assert client.get(f"/system/users/{clerk.pk}/delete/").status_code == 200
    response = client.post(f"/system/users/{clerk.pk}/delete/")
    assert response.status_code == 302
    stored = User.objects.get(pk=clerk.pk)
    assert not stored.is_active
    entry = last_audit("accounts.user.change")
    assert entry.actor_id == world.yujiang_admin.pk and entry.changes == {"is_active": [True, False]}
    assert client.post(f"/system/users/{world.guixi_admin.pk}/delete/").status_code == 404
    assert User.objects.get(pk=world.guixi_admin.pk).is_active
    assert signed_in(world.official).post(f"/system/users/{clerk.pk}/delete/").status_code == 403


def test_nobody_deactivates_themselves(world):
    client = signed_in(world.yujiang_admin)
    assert b'href="delete/"' not in client.get(f"/system/users/{world.yujiang_admin.pk}/").content
    client.post(f"/system/users/{world.yujiang_admin.pk}/delete/")
    assert User.objects.get(pk=world.yujiang_admin.pk).is_active


def test_unassign_needs_an_assignment_of_that_user(world):
    clerk = make_user("yj_clerk", department_code="360603903")
    other = make_user("yj_other", department_code="360603901")
    theirs = grant(other, "staff", "region", "360603")
    client = signed_in(world.yujiang_admin)
    for value in (theirs.pk, "junk"):
        response = client.post(f"/system/users/{clerk.pk}/", {"action": "unassign", "assignment": value})
        assert response.status_code == 404
    assert RoleAssignment.objects.filter(pk=theirs.pk).exists()
