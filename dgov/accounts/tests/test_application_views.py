"""The application pages (系统管理 → 应用系统) with the Django test client: login, 403 without the
permission, 404 out of scope, create and edit through the form (errors shown, nothing written),
deactivation, and issuing a token that is shown once; every write audited."""

import pytest
from django.test import Client

from dgov.accounts.models import ApiToken, Application, User, UserKind
from dgov.accounts.services import application_create, token_authenticate, token_create
from dgov.accounts.testing import department
from dgov.core.models import AuditEntry
from dgov.core.testing import audited, signed_in, zh_html

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
YUJIANG_DEPT = "360603902"  # 余江区发展改革委
GUIXI_DEPT = "360681902"  # 贵溪市发展改革委


def make_app(actor, code: str, dept: str = YUJIANG_DEPT) -> Application:
    return application_create(actor=actor, code=code, name=f"应用 {code}", department=department(dept))


@pytest.fixture
def apps(world):
    return make_app(world.admin, "yj-case"), make_app(world.admin, "gx-case", GUIXI_DEPT)


def create_form(**overrides) -> dict:
    data = {"code": "yj-new", "name": "余江区新系统", "department": department(YUJIANG_DEPT).pk, "description": ""}
    data.update(overrides)
    return data


# --- access ---------------------------------------------------------------------------------------

def test_anonymous_users_are_sent_to_login(apps):
    yj, _gx = apps
    for url in ("/system/applications/", f"/system/applications/{yj.pk}/", "/system/applications/add/",
                f"/system/applications/{yj.pk}/tokens/new/"):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith(LOGIN), url


def test_without_the_permission_every_page_is_403_and_nothing_changes(world, apps):
    yj, _gx = apps
    for user in (world.official, world.citizen, world.auditor):
        client = signed_in(user)
        for url in ("/system/applications/", f"/system/applications/{yj.pk}/", "/system/applications/add/",
                    f"/system/applications/{yj.pk}/edit/", f"/system/applications/{yj.pk}/delete/",
                    f"/system/applications/{yj.pk}/tokens/new/"):
            assert client.get(url).status_code == 403, (user.username, url)
        assert client.post("/system/applications/add/", create_form()).status_code == 403
        assert client.post(f"/system/applications/{yj.pk}/tokens/new/", {"name": "x", "days": 30}).status_code == 403
        assert client.post(f"/system/applications/{yj.pk}/delete/").status_code == 403
    assert not Application.objects.filter(code="yj-new").exists()
    assert not ApiToken.objects.filter(user=yj.account).exists()
    assert User.objects.get(pk=yj.account_id).is_active
    assert audited(f"web:POST /system/applications/{yj.pk}/tokens/new/", outcome="denied",
                   actor_id=world.official.pk)


def test_the_county_admin_sees_only_its_county(world, apps):
    yj, gx = apps
    client = signed_in(world.yujiang_admin)
    page = client.get("/system/applications/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "yj-case" in text and "gx-case" not in text
    assert client.get(f"/system/applications/{yj.pk}/").status_code == 200
    for url in (f"/system/applications/{gx.pk}/", f"/system/applications/{gx.pk}/edit/",
                f"/system/applications/{gx.pk}/tokens/new/"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/system/applications/{gx.pk}/edit/", {"name": "x"}).status_code == 404
    assert client.post(f"/system/applications/{gx.pk}/tokens/new/", {"name": "x", "days": 30}).status_code == 404
    assert Application.objects.get(pk=gx.pk).name == "应用 gx-case"
    assert not ApiToken.objects.filter(user=gx.account).exists()
    assert audited(f"web:POST /system/applications/{gx.pk}/tokens/new/", outcome="denied")


def test_list_search_and_active_filter(world, apps):
    yj, _gx = apps
    client = signed_in(world.admin)
    found = client.get("/system/applications/?q=gx").content.decode()
    assert "gx-case" in found and "yj-case" not in found
    User.objects.filter(pk=yj.account_id).update(is_active=False)
    inactive = client.get("/system/applications/?active=false").content.decode()
    assert "yj-case" in inactive and "gx-case" not in inactive
    fragment = client.get("/system/applications/?q=gx", headers={"HX-Request": "true", "HX-Target": "object-table"})
    assert fragment.status_code == 200 and b"<html" not in fragment.content


# --- create and edit ------------------------------------------------------------------------------

def test_create_through_the_form_makes_the_service_account_and_is_audited(world):
    client = signed_in(world.yujiang_admin)
    page = client.get("/system/applications/add/").content.decode()
    assert f'value="{department(YUJIANG_DEPT).pk}"' in page
    assert f'value="{department(GUIXI_DEPT).pk}"' not in page
    response = client.post("/system/applications/add/", create_form(description="办件系统"))
    assert response.status_code == 302
    app = Application.objects.get(code="yj-new")
    assert response["Location"] == f"/system/applications/{app.pk}/"
    assert (app.name, app.department.code, app.description) == ("余江区新系统", YUJIANG_DEPT, "办件系统")
    assert app.account.username == "app.yj-new" and app.account.kind == UserKind.APPLICATION
    assert not app.account.has_usable_password()
    entry = audited("accounts.application.create")
    assert entry.actor_id == world.yujiang_admin.pk and entry.object_id == str(app.pk)


@pytest.mark.parametrize(("overrides", "field"), [
    ({"code": "Bad Code"}, "code"),
    ({"code": "x"}, "code"),
    ({"code": "yj-case"}, "code"),  # taken
    ({"name": ""}, "name"),
    ({"department": ""}, "department"),
])
def test_bad_input_shows_form_errors_and_writes_nothing(world, apps, overrides, field):
    applications, users = Application.objects.count(), User.objects.count()
    entries = AuditEntry.objects.filter(action="accounts.application.create").count()
    response = signed_in(world.admin).post("/system/applications/add/", create_form(**overrides))
    assert response.status_code == 422
    text = response.content.decode()
    assert 'class="error-summary' in text and f'id="id_{field}_error"' in text
    assert (Application.objects.count(), User.objects.count()) == (applications, users)
    assert AuditEntry.objects.filter(action="accounts.application.create").count() == entries


def test_the_county_admin_cannot_create_in_another_county(world):
    response = signed_in(world.yujiang_admin).post("/system/applications/add/",
                                                   create_form(department=department(GUIXI_DEPT).pk))
    assert response.status_code == 422
    assert not Application.objects.filter(code="yj-new").exists()
    assert not User.objects.filter(username="app.yj-new").exists()


def test_edit_name_and_description_is_audited(world, apps):
    yj, _gx = apps
    client = signed_in(world.yujiang_admin)
    page = client.get(f"/system/applications/{yj.pk}/edit/").content.decode()
    assert 'name="name"' in page and 'name="code"' not in page and 'name="department"' not in page
    response = client.post(f"/system/applications/{yj.pk}/edit/", {"name": "余江区办件系统", "description": "新说明",
                                                                   "code": "hijack"})
    assert response.status_code == 302
    yj.refresh_from_db()
    assert (yj.name, yj.description, yj.code) == ("余江区办件系统", "新说明", "yj-case")
    entry = audited("accounts.application.change")
    assert entry.actor_id == world.yujiang_admin.pk
    assert entry.changes["name"] == ["应用 yj-case", "余江区办件系统"]
    bad = client.post(f"/system/applications/{yj.pk}/edit/", {"name": "", "description": ""})
    assert bad.status_code == 422
    assert Application.objects.get(pk=yj.pk).name == "余江区办件系统"


# --- deactivation ---------------------------------------------------------------------------------

def test_deactivation_disables_the_account_revokes_tokens_and_is_audited(world, apps):
    yj, _gx = apps
    _token, plaintext = token_create(user=yj.account, name="old", actor=world.admin)
    client = signed_in(world.admin)
    page = client.get(f"/system/applications/{yj.pk}/delete/")
    assert page.status_code == 200
    response = client.post(f"/system/applications/{yj.pk}/delete/")
    assert response.status_code == 302 and response["Location"] == f"/system/applications/{yj.pk}/"
    assert User.objects.get(pk=yj.account_id).is_active is False
    assert token_authenticate(plaintext) is None
    assert ApiToken.objects.get(user=yj.account).revoked_at is not None
    assert audited("accounts.application.deactivate").actor_id == world.admin.pk
    assert Application.objects.filter(pk=yj.pk).exists()  # kept: the audit log names it
    detail = client.get(f"/system/applications/{yj.pk}/").content.decode()
    assert f"/system/applications/{yj.pk}/tokens/new/" not in detail
    assert client.get(f"/system/applications/{yj.pk}/tokens/new/").status_code == 403


def test_deactivation_needs_the_delete_permission(world, apps):
    yj, _gx = apps
    client = signed_in(world.official)  # staff: may not even view applications
    assert client.get(f"/system/applications/{yj.pk}/").status_code == 403
    assert client.post(f"/system/applications/{yj.pk}/delete/").status_code == 403
    assert User.objects.get(pk=yj.account_id).is_active is True
    assert not audited("accounts.application.deactivate")


# --- tokens ---------------------------------------------------------------------------------------

def test_issue_a_token_shown_once_and_audited(world, apps):
    yj, _gx = apps
    client = signed_in(world.admin)
    assert client.get(f"/system/applications/{yj.pk}/tokens/new/").status_code == 200
    response = client.post(f"/system/applications/{yj.pk}/tokens/new/", {"name": "gateway", "days": 30})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    text = response.content.decode()
    token = ApiToken.objects.get(user=yj.account)
    plaintext = text.split('id="new-token"')[1].split(">", 1)[1].split("<", 1)[0].strip()
    assert plaintext.startswith(token.prefix) and token_authenticate(plaintext) == yj.account
    assert zh_html("Copy the token now: it will not be shown again.") in text
    assert token.name == "gateway" and token.expires_at is not None
    entry = audited("accounts.apitoken.create")
    assert entry.actor_id == world.admin.pk and entry.object_id == str(token.pk)
    # The application's page lists the token without its plaintext, with the revoke page.
    detail = client.get(f"/system/applications/{yj.pk}/").content.decode()
    assert token.prefix in detail and plaintext not in detail and "gateway" in detail
    assert f"/system/api-tokens/{token.pk}/delete/" in detail


def test_the_revoke_link_needs_the_token_permission(world, apps):
    yj, _gx = apps
    token, _plaintext = token_create(user=yj.account, name="gateway", actor=world.admin)
    detail = signed_in(world.yujiang_admin).get(f"/system/applications/{yj.pk}/").content.decode()
    assert token.prefix in detail and f"/system/api-tokens/{token.pk}/delete/" not in detail


@pytest.mark.parametrize("data", [{"name": "", "days": 30}, {"name": "x", "days": 0}, {"name": "x", "days": 9999},
                                  {"name": "x", "days": "abc"}])
def test_bad_token_input_shows_form_errors_and_issues_nothing(world, apps, data):
    yj, _gx = apps
    response = signed_in(world.admin).post(f"/system/applications/{yj.pk}/tokens/new/", data)
    assert response.status_code == 422
    assert 'class="error-summary' in response.content.decode()
    assert not ApiToken.objects.filter(user=yj.account).exists()
    assert not audited("accounts.apitoken.create", actor_id=world.admin.pk)


def test_navigation_entry(world):
    assert "/system/applications/" in signed_in(world.admin).get("/workbench/system/").content.decode()
    assert "/system/applications/" not in signed_in(world.official).get("/workbench/system/").content.decode()
