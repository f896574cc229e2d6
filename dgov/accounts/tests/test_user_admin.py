"""User administration services, tokens, and password reset through the notification outbox."""

import re
from datetime import timedelta
from urllib.parse import urlparse

import pytest
from django.test import Client
from django.utils import timezone

from dgov.accounts import services
from dgov.accounts.models import ApiToken, User
from dgov.accounts.testing import PASSWORD, department, make_user, region
from dgov.accounts.tests.support import last_audit
from dgov.core.errors import AuthenticationFailed, PermissionDenied, ValidationError
from dgov.core.models import AuditEntry
from dgov.notifications.models import OutboxMessage

NEW_PASSWORD = "Brand-new-pass-42"


# --- user_create --------------------------------------------------------------------------------

def test_county_admin_creates_an_official_in_its_county(world):
    user = services.user_create(actor=world.yujiang_admin, username="yj_new", password=PASSWORD,
                                kind="official", real_name="新同事", department=department("360603903"),
                                phone="139 0000 1111")
    assert user.region == region("360603")  # taken from the department
    assert user.check_password(PASSWORD) and user.phone == "13900001111"
    assert user.password_changed_at is not None
    entry = last_audit("accounts.user.create")
    assert (entry.actor_id, entry.object_id) == (world.yujiang_admin.pk, str(user.pk))
    assert "13900001111" not in str(entry.changes)


def test_county_admin_cannot_create_outside_its_county(world):
    for fields in ({"department": department("360681903")}, {"region": region("360681")}, {}):
        with pytest.raises(PermissionDenied) as exc:
            services.user_create(actor=world.yujiang_admin, username="gx_new", password=PASSWORD,
                                 kind="official", **fields)
        assert exc.value.code == "out_of_scope"
    assert not User.objects.filter(username="gx_new").exists()
    assert not AuditEntry.objects.filter(action="accounts.user.create").exists()


def test_user_create_needs_the_permission(world):
    with pytest.raises(PermissionDenied):
        services.user_create(actor=world.official, username="x_new", password=PASSWORD, kind="official",
                             department=department("360600001"))


def test_user_create_enforces_username_and_password_rules(world):
    with pytest.raises(ValidationError) as exc:
        services.user_create(actor=world.admin, username="t_citizen", password=PASSWORD, kind="official")
    assert "__all__" in exc.value.details or "username" in exc.value.details
    with pytest.raises(ValidationError):
        services.user_create(actor=world.admin, username="weak_pw", password="password", kind="official")
    with pytest.raises(ValidationError):
        services.user_create(actor=world.admin, username="bad name!", password=PASSWORD, kind="official")
    assert not User.objects.filter(username__in=["weak_pw", "bad name!"]).exists()


# --- user_update --------------------------------------------------------------------------------

def test_user_update_in_scope_is_audited(world):
    clerk = make_user("yj_clerk", department_code="360603903")
    services.user_update(actor=world.yujiang_admin, user=clerk, real_name="王小二", post="科员")
    clerk.refresh_from_db()
    assert (clerk.real_name, clerk.post) == ("王小二", "科员")
    entry = last_audit("accounts.user.change")
    assert entry.actor_id == world.yujiang_admin.pk
    assert entry.changes == {"real_name": ["yj_clerk", "王小二"], "post": ["", "科员"]}


def test_user_update_moves_within_scope(world):
    clerk = make_user("yj_clerk", department_code="360603903")
    services.user_update(actor=world.yujiang_admin, user=clerk, department=department("360603901"))
    clerk.refresh_from_db()
    assert clerk.department.code == "360603901" and clerk.region == region("360603")


@pytest.mark.parametrize("fields", [
    {"department": "360681903"},
    {"region": "360681"},
    {"region": "360600"},
])
def test_user_update_cannot_move_a_user_out_of_scope(world, fields):
    clerk = make_user("yj_clerk", department_code="360603903")
    values = {k: department(v) if k == "department" else region(v) for k, v in fields.items()}
    with pytest.raises(PermissionDenied) as exc:
        services.user_update(actor=world.yujiang_admin, user=clerk, **values)
    assert exc.value.code == "out_of_scope"
    stored = User.objects.get(pk=clerk.pk)
    assert (stored.department.code, stored.region.code) == ("360603903", "360603000000")
    assert not AuditEntry.objects.filter(action="accounts.user.change").exists()


def test_user_update_out_of_scope_user_is_refused(world):
    with pytest.raises(PermissionDenied):
        services.user_update(actor=world.yujiang_admin, user=world.guixi_admin, real_name="x")
    assert User.objects.get(pk=world.guixi_admin.pk).real_name == "t_guixi_admin"


def test_user_update_refuses_other_fields(world):
    clerk = make_user("yj_clerk", department_code="360603903")
    for name, value in (("username", "renamed"), ("is_superuser", True), ("kind", "citizen")):
        with pytest.raises(ValidationError) as exc:
            services.user_update(actor=world.yujiang_admin, user=clerk, **{name: value})
        assert name in exc.value.details
    stored = User.objects.get(pk=clerk.pk)
    assert (stored.username, stored.is_superuser, stored.kind) == ("yj_clerk", False, "official")


def test_deactivated_user_cannot_log_in(world):
    clerk = make_user("yj_clerk", department_code="360603903")
    services.user_update(actor=world.yujiang_admin, user=clerk, is_active=False)
    with pytest.raises(AuthenticationFailed):
        services.login(username="yj_clerk", password=PASSWORD, otp=None, channel="api")


# --- unlock and passwords -----------------------------------------------------------------------

def lock(user):
    User.objects.filter(pk=user.pk).update(locked_until=timezone.now() + timedelta(minutes=15),
                                           failed_login_count=0)


def test_user_unlock(world):
    clerk = make_user("yj_clerk", department_code="360603903")
    lock(clerk)
    services.user_unlock(actor=world.yujiang_admin, user=clerk)
    clerk.refresh_from_db()
    assert not clerk.is_locked and clerk.locked_until is None
    assert last_audit("accounts.user.unlock").actor_id == world.yujiang_admin.pk
    assert services.login(username="yj_clerk", password=PASSWORD, otp=None, channel="api").user == clerk


def test_user_unlock_out_of_scope_is_refused(world):
    lock(world.guixi_admin)
    with pytest.raises(PermissionDenied):
        services.user_unlock(actor=world.yujiang_admin, user=world.guixi_admin)
    assert User.objects.get(pk=world.guixi_admin.pk).is_locked


def test_password_set_revokes_tokens_and_unlocks(world):
    _, before = services.token_create(user=world.official, name="script")
    lock(world.official)
    services.password_set(user=world.official, password=NEW_PASSWORD)
    world.official.refresh_from_db()
    assert world.official.check_password(NEW_PASSWORD) and not world.official.is_locked
    assert not ApiToken.objects.filter(user=world.official, revoked_at__isnull=True).exists()
    assert services.token_authenticate(before) is None
    _, after = services.token_create(user=world.official, name="new")
    assert services.token_authenticate(after) == world.official
    assert last_audit("accounts.user.password").actor_id == world.official.pk


def test_password_set_by_an_administrator_needs_scope(world):
    services.password_set(user=world.official, password=NEW_PASSWORD, actor=world.admin)
    assert last_audit("accounts.user.password").actor_id == world.admin.pk
    with pytest.raises(PermissionDenied):
        services.password_set(user=world.guixi_admin, password=NEW_PASSWORD, actor=world.yujiang_admin)
    assert User.objects.get(pk=world.guixi_admin.pk).check_password(PASSWORD)


def test_password_set_enforces_the_policy(world):
    with pytest.raises(ValidationError) as exc:
        services.password_set(user=world.official, password="short")
    assert list(exc.value.details) == ["password"]
    assert User.objects.get(pk=world.official.pk).check_password(PASSWORD)


def test_token_revoke_by_others_needs_the_permission(world):
    token, plaintext = services.token_create(user=world.yujiang_admin, name="script")
    with pytest.raises(PermissionDenied):
        services.token_revoke(actor=world.guixi_admin, token=token)
    assert services.token_authenticate(plaintext) == world.yujiang_admin
    services.token_revoke(actor=world.admin, token=token)  # security_admin: delete_apitoken, all
    assert services.token_authenticate(plaintext) is None
    assert last_audit("accounts.apitoken.revoke").actor_id == world.admin.pk


# --- password reset ---------------------------------------------------------------------------

LINK = re.compile(r"https?://\S+/accounts/reset/\S+/")


def request_reset(username: str):
    return Client().post("/accounts/password-reset/", {"username": username})


def test_password_reset_request_sends_a_link_through_the_outbox(world):
    response = request_reset("t_citizen")
    assert response.status_code == 200
    message = OutboxMessage.objects.get(user=world.citizen)
    assert (message.channel, message.recipient) == ("sms", "13900000000")
    assert message.recipient_masked == "139****0000"
    assert LINK.search(message.body), message.body
    assert last_audit("accounts.user.password_reset_request").object_id == str(world.citizen.pk)


def test_reset_link_sets_the_password_once(world):
    _, token = services.token_create(user=world.citizen, name="script")
    request_reset("t_citizen")
    path = urlparse(LINK.search(OutboxMessage.objects.get(user=world.citizen).body).group(0)).path
    client = Client()
    assert client.get(path).status_code == 200
    mismatch = client.post(path, {"password": NEW_PASSWORD, "password2": NEW_PASSWORD + "x"})
    assert mismatch.status_code == 422
    weak = client.post(path, {"password": "password", "password2": "password"})
    assert weak.status_code == 422 and b"error-summary" in weak.content
    done = client.post(path, {"password": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == "/accounts/login/"
    world.citizen.refresh_from_db()
    assert world.citizen.check_password(NEW_PASSWORD)
    assert services.token_authenticate(token) is None
    # The link is spent: the password it was made for has changed.
    assert Client().get(path).status_code == 400


def test_reset_request_for_unknown_user_looks_the_same(world):
    known = request_reset("t_citizen")
    unknown = request_reset("no_such_user")
    assert known.status_code == unknown.status_code == 200
    assert [t.name for t in known.templates] == [t.name for t in unknown.templates]
    # Only the per-response CSRF tokens and CSP nonces may differ.
    strip = re.compile(rb'value="[A-Za-z0-9]{64}"|"X-CSRFToken": "[A-Za-z0-9]{64}"|nonce="[^"]*"')
    assert strip.sub(b"", known.content) == strip.sub(b"", unknown.content)
    assert OutboxMessage.objects.count() == 1
    entry = last_audit("accounts.user.password_reset_request", outcome="failed")
    assert entry.object_repr == "no_such_user"


def test_reset_request_for_account_without_contact_sends_nothing(world):
    assert request_reset("t_admin").status_code == 200  # no phone, no e-mail
    assert not OutboxMessage.objects.exists()


def test_reset_by_email_when_there_is_no_phone(world):
    User.objects.filter(pk=world.official.pk).update(email="clerk@example.gov.cn")
    request_reset("t_official")
    message = OutboxMessage.objects.get(user=world.official)
    assert (message.channel, message.recipient) == ("email", "clerk@example.gov.cn")


@pytest.mark.parametrize("path", ["/accounts/reset/xx/yy/", "/accounts/reset/MQ/bad-token/",
                                  "/accounts/reset/_-_/set-password/"])
def test_invalid_reset_links_are_refused(world, path):
    response = Client().get(path)
    assert response.status_code == 400
    assert "accounts/password_reset_invalid.html" in [t.name for t in response.templates]
