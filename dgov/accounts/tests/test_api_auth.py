"""POST /api/v1/auth/token and POST /api/v1/auth/register: the API contract, login with lockout and
the second factor, and bearer tokens."""

import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from dgov.accounts import services
from dgov.accounts.models import ApiToken, NaturalPerson, TotpDevice, User
from dgov.accounts.testing import PASSWORD, TOTP_SECRET, api_client, valid_id_number
from dgov.accounts.tests.support import (
    TOTP_NOW,
    database_cells_containing,
    freeze_totp_clock,
    last_audit,
    make_otp_admin,
    post_json,
    totp_code,
)
from dgov.core.errors import AccountLocked, AuthenticationFailed
from dgov.core.models import AuditEntry
from dgov.core.testing import ApiContract, Case, assert_error
from dgov.crypto.fields import blind_index

TOKEN_URL = "/api/v1/auth/token"
REGISTER_URL = "/api/v1/auth/register"


def login(username: str, password: str = PASSWORD, otp: str | None = None, client: Client | None = None):
    payload = {"username": username, "password": password}
    if otp is not None:
        payload["otp"] = otp
    return post_json(client or Client(), TOKEN_URL, payload)


def bearer(token: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {token}"})


# --- contract ---------------------------------------------------------------------------------

class TestCreateToken(ApiContract):
    @pytest.fixture
    def case(self, world):
        return Case(method="post", url=TOKEN_URL, authorised=world.official,
                    payload={"username": "t_official", "password": PASSWORD},
                    bad_payload={"username": "t_official"})

    # Logging in is public: anonymous callers are exactly who it serves
    # (see test_token_is_issued_to_anonymous_callers).
    test_anonymous = None
    # No permission is needed to log in (see test_token_ignores_the_callers_own_bearer).
    test_unauthorised = None
    # There is no object to be out of scope; an unknown account is invalid_credentials, not 404
    # (see test_unknown_user_is_invalid_credentials).
    test_out_of_scope = None


def test_token_is_issued_to_anonymous_callers(world):
    response = login("t_official")
    assert response.status_code == 200
    body = response.json()
    assert body["token"].startswith("dgov_")
    assert body["expires_at"]
    assert bearer(body["token"]).get("/api/v1/me").json()["username"] == "t_official"


def test_token_ignores_the_callers_own_bearer(world):
    """A caller who is signed in as somebody else gets a token for the credentials sent, not for itself."""
    response = login("t_official", client=api_client(world.citizen))
    assert bearer(response.json()["token"]).get("/api/v1/me").json()["id"] == world.official.pk


def test_unknown_user_is_invalid_credentials(world):
    assert_error(login("nobody_here"), 401, "invalid_credentials")
    entry = last_audit("auth.login", outcome="failed")
    assert entry.object_repr == "nobody_here" and entry.changes == {"reason": "unknown_user"}


def test_inactive_user_is_invalid_credentials(world):
    User.objects.filter(pk=world.official.pk).update(is_active=False)
    assert_error(login("t_official"), 401, "invalid_credentials")


def test_token_request_with_malformed_json_is_422(world):
    response = Client().post(TOKEN_URL, data="{not json", content_type="application/json")
    assert_error(response, (400, 422))


# --- password and lockout ---------------------------------------------------------------------

def test_wrong_password_is_invalid_credentials_and_counted(world):
    assert_error(login("t_official", "Wrong-password-1"), 401, "invalid_credentials")
    world.official.refresh_from_db()
    assert world.official.failed_login_count == 1
    entry = last_audit("auth.login", outcome="failed")
    assert entry.actor_id == world.official.pk and entry.changes == {"reason": "password"}


def test_five_wrong_passwords_lock_the_account_for_15_minutes(world):
    for _ in range(settings.DGOV_LOCKOUT_THRESHOLD - 1):
        assert_error(login("t_official", "Wrong-password-1"), 401, "invalid_credentials")
    before = timezone.now()
    assert_error(login("t_official", "Wrong-password-1"), 403, "account_locked")
    after = timezone.now()
    world.official.refresh_from_db()
    assert world.official.is_locked
    lock = timedelta(minutes=15)
    assert before + lock <= world.official.locked_until <= after + lock
    # The right password is refused while locked.
    assert_error(login("t_official"), 403, "account_locked")
    assert last_audit("auth.lock").object_id == str(world.official.pk)
    assert last_audit("auth.login", outcome="denied").changes == {"reason": "locked"}


def test_lock_still_holds_just_before_it_ends(world):
    User.objects.filter(pk=world.official.pk).update(locked_until=timezone.now() + timedelta(seconds=30))
    assert_error(login("t_official"), 403, "account_locked")


def test_lock_expires(world):
    for _ in range(settings.DGOV_LOCKOUT_THRESHOLD):
        login("t_official", "Wrong-password-1")
    # Travel past the end of the lock.
    User.objects.filter(pk=world.official.pk).update(locked_until=timezone.now() - timedelta(seconds=1))
    response = login("t_official")
    assert response.status_code == 200, response.content
    world.official.refresh_from_db()
    assert (world.official.failed_login_count, world.official.locked_until) == (0, None)
    assert world.official.last_login is not None


def test_success_resets_the_failure_count(world):
    for _ in range(settings.DGOV_LOCKOUT_THRESHOLD - 1):
        login("t_official", "Wrong-password-1")
    assert login("t_official").status_code == 200
    # Four more failures do not lock: the count started again.
    for _ in range(settings.DGOV_LOCKOUT_THRESHOLD - 1):
        assert_error(login("t_official", "Wrong-password-1"), 401, "invalid_credentials")
    world.official.refresh_from_db()
    assert not world.official.is_locked


def test_locked_account_tokens_are_refused(world):
    _, token = services.token_create(user=world.official, name="script")
    assert bearer(token).get("/api/v1/me").status_code == 200
    for _ in range(5):  # the lockout, as it happens: wrong passwords
        with pytest.raises((AuthenticationFailed, AccountLocked)):
            services.login(username=world.official.username, password="wrong", otp=None, channel="api")
    assert_error(bearer(token).get("/api/v1/me"), 401, "not_authenticated")


def test_a_lock_written_outside_the_platform_takes_effect_within_the_cache_ttl(world, monkeypatch):
    _, token = services.token_create(user=world.official, name="script")
    assert bearer(token).get("/api/v1/me").status_code == 200
    User.objects.filter(pk=world.official.pk).update(locked_until=timezone.now() + timedelta(hours=1))
    later = time.monotonic() + services._token_cache.ttl + 1
    monkeypatch.setattr("dgov.core.cache.time.monotonic", lambda: later)
    assert_error(bearer(token).get("/api/v1/me"), 401, "not_authenticated")


# --- second factor ----------------------------------------------------------------------------

@pytest.fixture
def otp_admin(db, monkeypatch):
    freeze_totp_clock(monkeypatch)
    return make_otp_admin()


def test_admin_without_otp_gets_otp_required(otp_admin):
    assert_error(login("otp_admin"), 401, "otp_required")
    otp_admin.refresh_from_db()
    assert otp_admin.failed_login_count == 0  # the password was right


def test_admin_wrong_password_is_checked_before_the_otp(otp_admin):
    assert_error(login("otp_admin", "Wrong-password-1"), 401, "invalid_credentials")


def test_admin_with_wrong_otp_gets_otp_invalid_which_counts_towards_lockout(otp_admin):
    good = totp_code(otp_admin)
    wrong = f"{(int(good) + 1) % 1_000_000:06d}"
    assert_error(login("otp_admin", otp=wrong), 401, "otp_invalid")
    otp_admin.refresh_from_db()
    assert otp_admin.failed_login_count == 1
    assert last_audit("auth.login", outcome="failed").changes == {"reason": "otp"}
    for _ in range(settings.DGOV_LOCKOUT_THRESHOLD - 2):
        assert_error(login("otp_admin", otp=wrong), 401, "otp_invalid")
    assert_error(login("otp_admin", otp=wrong), 403, "account_locked")
    # Now even the right code is refused.
    assert_error(login("otp_admin", otp=good), 403, "account_locked")


def test_admin_with_malformed_otp_gets_otp_invalid(otp_admin):
    assert_error(login("otp_admin", otp="12ab56"), 401, "otp_invalid")
    assert_error(login("otp_admin", otp="1234567"), 401, "otp_invalid")
    # Digits of another script are digits to Python, but not a code (and no server error).
    assert_error(login("otp_admin", otp="".join(chr(0x660 + int(d)) for d in totp_code(otp_admin))), 401,
                 "otp_invalid")


def test_full_width_otp_digits_are_accepted(otp_admin):
    full_width = "".join(chr(ord(d) + 0xFEE0) for d in totp_code(otp_admin))
    assert login("otp_admin", otp=full_width).status_code == 200


def test_admin_with_correct_otp_gets_a_token(otp_admin):
    response = login("otp_admin", otp=totp_code(otp_admin))
    assert response.status_code == 200, response.content
    assert bearer(response.json()["token"]).get("/api/v1/me").json()["username"] == "otp_admin"
    entry = last_audit("auth.login", outcome="success")
    assert entry.actor_id == otp_admin.pk


def test_an_otp_code_works_once(otp_admin):
    code = totp_code(otp_admin)
    assert login("otp_admin", otp=code).status_code == 200
    assert_error(login("otp_admin", otp=code), 401, "otp_invalid")


def test_an_older_code_is_refused_after_a_newer_one_was_used(otp_admin):
    previous = totp_code(otp_admin, TOTP_NOW - 30)
    assert login("otp_admin", otp=totp_code(otp_admin)).status_code == 200
    assert_error(login("otp_admin", otp=previous), 401, "otp_invalid")


def test_codes_of_the_neighbouring_steps_are_accepted_for_clock_drift(otp_admin):
    assert login("otp_admin", otp=totp_code(otp_admin, TOTP_NOW - 30)).status_code == 200
    assert login("otp_admin", otp=totp_code(otp_admin, TOTP_NOW + 30)).status_code == 200
    assert_error(login("otp_admin", otp=totp_code(otp_admin, TOTP_NOW + 90)), 401, "otp_invalid")


def test_admin_without_enrolment_gets_otp_enrolment_required_over_the_api(world):
    body = assert_error(login("t_admin"), 401, "otp_enrolment_required")
    assert body["message"]
    assert not ApiToken.objects.filter(user=world.admin, name="login").exists()


def test_unconfirmed_authenticator_does_not_count_as_enrolled(world):
    TotpDevice.objects.create(user=world.admin, secret=TOTP_SECRET, confirmed=False)
    assert_error(login("t_admin"), 401, "otp_enrolment_required")


def test_official_who_enrolled_voluntarily_uses_the_second_factor(monkeypatch, world):
    freeze_totp_clock(monkeypatch)
    TotpDevice.objects.create(user=world.official, secret=TOTP_SECRET, confirmed=True)
    assert_error(login("t_official"), 401, "otp_required")
    assert login("t_official", otp=totp_code(world.official)).status_code == 200


def test_plain_official_needs_no_second_factor(world):
    assert login("t_official").status_code == 200


# --- tokens -----------------------------------------------------------------------------------

def test_expired_token_is_refused(world, monkeypatch):
    token, plaintext = services.token_create(user=world.official, name="script", lifetime=timedelta(hours=1))
    assert bearer(plaintext).get("/api/v1/me").status_code == 200
    two_hours_later = timezone.now() + timedelta(hours=2)
    monkeypatch.setattr("dgov.accounts.services.timezone.now", lambda: two_hours_later)
    assert_error(bearer(plaintext).get("/api/v1/me"), 401, "not_authenticated")


def test_revoked_token_is_refused(world):
    token, plaintext = services.token_create(user=world.official, name="script")
    services.token_revoke(actor=world.official, token=token)
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert_error(bearer(plaintext).get("/api/v1/me"), 401, "not_authenticated")
    assert last_audit("accounts.apitoken.revoke").actor_id == world.official.pk


def test_garbage_and_tampered_tokens_are_refused(world):
    _, plaintext = services.token_create(user=world.official, name="script")
    for value in ("nonsense", plaintext[:-1] + ("A" if plaintext[-1] != "A" else "B"), "dgov_"):
        assert_error(bearer(value).get("/api/v1/me"), 401, "not_authenticated")
    response = Client(headers={"Authorization": f"Token {plaintext}"}).get("/api/v1/me")
    assert_error(response, 401, "not_authenticated")


def test_tokens_of_deactivated_users_are_refused(world):
    _, plaintext = services.token_create(user=world.official, name="script")
    User.objects.filter(pk=world.official.pk).update(is_active=False)
    assert_error(bearer(plaintext).get("/api/v1/me"), 401)


def test_login_token_expires_after_the_configured_hours(world):
    before = timezone.now()
    login("t_official")
    token = ApiToken.objects.filter(user=world.official, name="login").get()
    hours = timedelta(hours=settings.DGOV_LOGIN_TOKEN_HOURS)
    assert before + hours <= token.expires_at <= timezone.now() + hours


def test_only_the_token_digest_is_stored(world):
    plaintext = login("t_official").json()["token"]
    token = ApiToken.objects.get(user=world.official, name="login")
    assert token.digest == services.token_digest(plaintext) and len(token.digest) == 64
    assert token.prefix == plaintext[:11]
    secret_part = plaintext[len("dgov_"):]
    assert database_cells_containing(secret_part) == []
    assert database_cells_containing(secret_part[8:30]) == []


def test_token_create_is_audited_without_the_token(world):
    token, plaintext = services.token_create(user=world.official, name="ci")
    entry = last_audit("accounts.apitoken.create")
    assert entry.object_id == str(token.pk) and entry.actor_id == world.official.pk
    assert plaintext not in str(entry.changes)


# --- registration contract -------------------------------------------------------------------

def citizen_payload(**overrides) -> dict:
    payload = {"kind": "citizen", "username": "new_citizen", "password": "Register-me-2024",
               "phone": "13512345678", "real_name": "张三", "id_number": valid_id_number("360602", "19850612")}
    payload.update(overrides)
    return payload


class TestRegister(ApiContract):
    @pytest.fixture
    def case(self, world):
        return Case(method="post", url=REGISTER_URL, authorised=world.citizen, payload=citizen_payload(),
                    bad_payload=citizen_payload(id_number="360602198506120001"), ok_status=201)

    # Registration is public: anonymous callers are who it serves (see test_register_anonymously).
    test_anonymous = None
    # No permission is needed to register (see test_register_while_signed_in_creates_a_separate_account).
    test_unauthorised = None
    # There is no object to be out of scope; an unknown region is a field error, not 404
    # (see test_register_with_unknown_region_is_a_field_error).
    test_out_of_scope = None


def test_register_anonymously(db):
    response = post_json(Client(), REGISTER_URL, citizen_payload())
    assert response.status_code == 201
    body = response.json()
    user = User.objects.get(username="new_citizen")
    assert body == {"id": user.pk, "username": "new_citizen", "kind": "citizen"}


def test_register_while_signed_in_creates_a_separate_account(world):
    response = post_json(api_client(world.citizen), REGISTER_URL, citizen_payload())
    assert response.status_code == 201
    assert response.json()["id"] != world.citizen.pk
    world.citizen.refresh_from_db()
    assert world.citizen.username == "t_citizen"


def test_register_with_unknown_region_is_a_field_error(db):
    body = assert_error(post_json(Client(), REGISTER_URL, citizen_payload(region_code="369999000000")), 422,
                        "invalid")
    assert list(body["details"]) == ["region_code"]
    assert not User.objects.filter(username="new_citizen").exists()


def test_registered_citizen_can_log_in(db):
    post_json(Client(), REGISTER_URL, citizen_payload(region_code="360603"))
    user = User.objects.get(username="new_citizen")
    assert user.region.code == "360603000000"
    assert user.check_password("Register-me-2024")
    assert login("new_citizen", "Register-me-2024").status_code == 200
    person = NaturalPerson.objects.get(user=user)
    assert person.id_number_index == blind_index(person.id_number, "id_number")
    assert AuditEntry.objects.filter(action="accounts.user.register", actor_id=user.pk).exists()
