"""Applications (/api/v1/applications): the five-case contract for each endpoint, and what an
application is — a service account of kind "application" that has no password, authenticates only
with tokens an administrator issues, and loses them all when deactivated."""

import json

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from dgov.accounts.models import ApiToken, Application, Role, User, UserKind
from dgov.accounts.services import application_create
from dgov.accounts.testing import api_client, department, grant, make_user
from dgov.accounts.tests.support import last_audit, post_json
from dgov.core.testing import ApiContract, Case, assert_error

pytestmark = pytest.mark.django_db

APPS = "/api/v1/applications"
YUJIANG_DEPT, GUIXI_DEPT = "360603902", "360681902"


def _app(actor, code: str, dept: str = YUJIANG_DEPT) -> Application:
    return application_create(actor=actor, code=code, name=f"应用 {code}", department=department(dept))


def _patch(user, url: str, payload: dict):
    return api_client(user).patch(url, data=json.dumps(payload), content_type="application/json")


def _bearer(token: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def apps(world):
    return {"yj": _app(world.admin, "yj-cases"), "gx": _app(world.admin, "gx-cases", GUIXI_DEPT)}


@pytest.fixture
def yujiang_deactivator(world):
    """Deactivating is in no county role: a user holding view + delete on applications, scoped to 余江区."""
    role = Role.objects.create(code="t_app_deactivator", name="应用停用（测试）")
    role.permissions.add(*Permission.objects.filter(content_type__app_label="accounts",
                                                    codename__in=["view_application", "delete_application"]))
    user = make_user("t_yj_deactivator", department_code="360603000")
    grant(user, "t_app_deactivator", "region", "360603")
    return user


# --- the contract, endpoint by endpoint --------------------------------------------------------

class TestListApplications(ApiContract):
    @pytest.fixture
    def case(self, world, apps):
        return Case(method="get", url=APPS, authorised=world.yujiang_admin, unauthorised=world.official,
                    bad_url=f"{APPS}?limit=abc")

    # A list has no single object to be out of scope; test_county_admin_lists_only_own_county checks it.
    test_out_of_scope = None


class TestCreateApplication(ApiContract):
    @pytest.fixture
    def case(self, world):
        return Case(method="post", url=APPS, authorised=world.yujiang_admin, unauthorised=world.official,
                    payload={"code": "yj-new", "name": "余江区新系统", "department": YUJIANG_DEPT}, ok_status=201,
                    bad_payload={"code": "Bad Code", "name": "", "department": YUJIANG_DEPT})

    # Creating has no existing object to be outside the scope of; an application for a department
    # outside the scope is refused with 403 out_of_scope
    # (test_county_admin_cannot_create_an_application_in_another_county).
    test_out_of_scope = None


class TestGetApplication(ApiContract):
    @pytest.fixture
    def case(self, world, apps):
        return Case(method="get", url=f"{APPS}/yj-cases", authorised=world.yujiang_admin,
                    unauthorised=world.official, out_of_scope_url=f"{APPS}/gx-cases")

    # Any text may be looked up as a code: there is no malformed key, an unknown one is 404
    # (test_unknown_application_is_404).
    test_bad_input = None


class TestUpdateApplication(ApiContract):
    @pytest.fixture
    def case(self, world, apps):
        return Case(method="patch", url=f"{APPS}/yj-cases", authorised=world.yujiang_admin,
                    unauthorised=world.official, out_of_scope_url=f"{APPS}/gx-cases",
                    payload={"description": "余江区案件管理系统"}, bad_payload={"name": "", "description": 42})


class TestDeactivateApplication(ApiContract):
    @pytest.fixture
    def case(self, world, apps, yujiang_deactivator):
        return Case(method="delete", url=f"{APPS}/yj-cases", authorised=yujiang_deactivator,
                    unauthorised=world.official, out_of_scope_url=f"{APPS}/gx-cases", ok_status=204)

    # DELETE takes no input.
    test_bad_input = None


class TestIssueApplicationToken(ApiContract):
    @pytest.fixture
    def case(self, world, apps):
        return Case(method="post", url=f"{APPS}/yj-cases/tokens", authorised=world.yujiang_admin,
                    unauthorised=world.official, out_of_scope_url=f"{APPS}/gx-cases/tokens",
                    payload={"name": "prod", "days": 30}, ok_status=201, bad_payload={"name": "prod", "days": 0})


# --- creating -----------------------------------------------------------------------------------

def test_create_makes_a_passwordless_service_account(world):
    response = post_json(api_client(world.yujiang_admin), APPS,
                         {"code": "yj-new", "name": "余江区新系统", "department": YUJIANG_DEPT, "description": "d"})
    assert response.status_code == 201, response.content
    assert response.json() == {"code": "yj-new", "name": "余江区新系统", "department": YUJIANG_DEPT,
                               "description": "d", "username": "app.yj-new", "active": True}
    account = User.objects.get(username="app.yj-new")
    assert account.kind == UserKind.APPLICATION == "application"
    assert not account.has_usable_password()
    app = Application.objects.get(code="yj-new")
    assert account.department.code == YUJIANG_DEPT and app.account == account
    entry = last_audit("accounts.application.create")
    assert (entry.actor_username, entry.object_id) == ("t_yujiang_admin", str(app.pk))


@pytest.mark.parametrize("password", ["", "!", "Test-password-2024", "app.yj-cases"])
def test_application_cannot_log_in_with_a_password(world, apps, password):
    response = post_json(Client(), "/api/v1/auth/token", {"username": "app.yj-cases", "password": password})
    assert_error(response, 401, "invalid_credentials")
    assert not ApiToken.objects.filter(user=apps["yj"].account).exists()


def test_county_admin_cannot_create_an_application_in_another_county(world):
    response = post_json(api_client(world.yujiang_admin), APPS,
                         {"code": "gx-new", "name": "贵溪市新系统", "department": GUIXI_DEPT})
    assert_error(response, 403, "out_of_scope")
    assert not Application.objects.filter(code="gx-new").exists()
    assert not User.objects.filter(username="app.gx-new").exists()  # the service account is rolled back too
    entry = last_audit("api:POST /api/v1/applications")
    assert (entry.outcome, entry.actor_username) == ("denied", "t_yujiang_admin")


@pytest.mark.parametrize(("payload", "fields"), [
    ({"code": "Bad Code", "name": "n", "department": YUJIANG_DEPT}, {"code"}),
    ({"code": "-dash", "name": "n", "department": YUJIANG_DEPT}, {"code"}),
    ({"code": "x", "name": "n", "department": YUJIANG_DEPT}, {"code"}),
    ({"code": "ok-app", "name": "", "department": YUJIANG_DEPT}, {"name"}),
    ({"code": "ok-app", "name": "n", "department": 360603902}, {"department"}),
    ({"code": "ok-app", "name": "n", "department": "no-such-unit"}, {"department"}),
    ({"code": "ok-app", "name": "n"}, {"department"}),
])
def test_create_bad_input_names_the_field(world, payload, fields):
    body = assert_error(post_json(api_client(world.yujiang_admin), APPS, payload), 422, "invalid")
    assert set(body["details"]) == fields, body
    assert not User.objects.filter(username="app.ok-app").exists()


def test_codes_are_unique(world, apps):
    body = assert_error(post_json(api_client(world.admin), APPS,
                                  {"code": "yj-cases", "name": "重复", "department": YUJIANG_DEPT}), 422, "invalid")
    assert set(body["details"]) == {"code"}
    assert Application.objects.filter(code="yj-cases").count() == 1


# --- reading ------------------------------------------------------------------------------------

def test_county_admin_lists_only_own_county(world, apps):
    body = api_client(world.yujiang_admin).get(APPS).json()
    assert [a["code"] for a in body["items"]] == ["yj-cases"] and body["count"] == 1
    everything = api_client(world.admin).get(APPS).json()
    assert {"yj-cases", "gx-cases"} <= {a["code"] for a in everything["items"]}


def test_unknown_application_is_404(world):
    assert_error(api_client(world.admin).get(f"{APPS}/no-such-app"), 404, "not_found")


# --- updating -----------------------------------------------------------------------------------

def test_update_changes_only_name_and_description(world, apps):
    response = _patch(world.yujiang_admin, f"{APPS}/yj-cases",
                      {"name": "新名称", "code": "renamed", "department": GUIXI_DEPT})
    assert response.status_code == 200, response.content
    assert (response.json()["name"], response.json()["code"], response.json()["department"]) == (
        "新名称", "yj-cases", YUJIANG_DEPT)
    entry = last_audit("accounts.application.change")
    assert entry.changes == {"name": ["应用 yj-cases", "新名称"]}


# --- tokens -------------------------------------------------------------------------------------

def test_issued_token_authenticates_the_application(world, apps):
    response = post_json(api_client(world.yujiang_admin), f"{APPS}/yj-cases/tokens", {"name": "prod", "days": 30})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["token"].startswith("dgov_") and body["expires_at"]
    me = _bearer(body["token"]).get("/api/v1/me")
    assert me.status_code == 200, me.content
    assert (me.json()["username"], me.json()["kind"], me.json()["roles"]) == ("app.yj-cases", "application", [])
    token = ApiToken.objects.get(user=apps["yj"].account)
    assert token.name == "prod" and token.expires_at is not None
    # Issued by the administrator, who is the one audited.
    assert last_audit("accounts.apitoken.create").actor_username == "t_yujiang_admin"


def test_an_application_token_carries_no_administrative_rights(world, apps):
    token = post_json(api_client(world.admin), f"{APPS}/yj-cases/tokens", {}).json()["token"]
    client = _bearer(token)
    assert_error(client.get(APPS), 403)
    assert_error(post_json(client, f"{APPS}/yj-cases/tokens", {}), 403)
    assert_error(client.get("/api/v1/users"), 403)


# --- deactivating -------------------------------------------------------------------------------

def test_deactivation_revokes_tokens_and_is_audited(world, apps):
    admin = api_client(world.admin)
    tokens = [post_json(admin, f"{APPS}/yj-cases/tokens", {"name": n}).json()["token"] for n in ("a", "b")]
    other = post_json(admin, f"{APPS}/gx-cases/tokens", {}).json()["token"]
    assert all(_bearer(t).get("/api/v1/me").status_code == 200 for t in tokens)

    assert admin.delete(f"{APPS}/yj-cases").status_code == 204

    for token in tokens:
        assert_error(_bearer(token).get("/api/v1/me"), 401, "not_authenticated")
    assert not ApiToken.objects.filter(user=apps["yj"].account, revoked_at__isnull=True).exists()
    assert _bearer(other).get("/api/v1/me").status_code == 200  # another application's tokens live on
    account = User.objects.get(username="app.yj-cases")
    assert account.is_active is False
    # Kept (the audit log names it), shown as inactive.
    assert admin.get(f"{APPS}/yj-cases").json()["active"] is False
    entry = last_audit("accounts.application.deactivate")
    assert (entry.actor_username, entry.object_id, entry.outcome) == (
        "t_admin", str(apps["yj"].pk), "success")


def test_county_admin_deactivates_only_in_their_region(world, apps):
    assert_error(api_client(world.yujiang_admin).delete(f"{APPS}/gx-cases"), 404)
    assert User.objects.get(username="app.gx-cases").is_active
    assert api_client(world.yujiang_admin).delete(f"{APPS}/yj-cases").status_code == 204
    assert not User.objects.get(username="app.yj-cases").is_active


def test_password_guesses_cannot_lock_an_application_out_of_its_tokens(world, apps, settings):
    """An application never logs in with a password, so no password attempt on its account is
    legitimate. Counting them towards the lockout lets anyone, unauthenticated, switch off a
    production integration: a locked account's tokens are refused (token_authenticate)."""
    token = post_json(api_client(world.admin), f"{APPS}/yj-cases/tokens", {}).json()["token"]
    answers = [post_json(Client(), "/api/v1/auth/token", {"username": "app.yj-cases", "password": "guess"})
               for _ in range(settings.DGOV_LOCKOUT_THRESHOLD)]
    response = _bearer(token).get("/api/v1/me")
    assert response.status_code == 200, (response.status_code, response.content)
    assert User.objects.get(username="app.yj-cases").locked_until is None
    for answer in answers:
        assert_error(answer, 401, "invalid_credentials")



def test_no_token_is_issued_for_a_deactivated_application(world, apps):
    """A token for an inactive account never authenticates: issuing one (201, shown once) would
    hand the administrator a credential that silently fails."""
    admin = api_client(world.admin)
    assert admin.delete(f"{APPS}/yj-cases").status_code == 204
    response = post_json(admin, f"{APPS}/yj-cases/tokens", {"name": "again"})
    assert_error(response, (409, 422))
    assert not ApiToken.objects.filter(user=apps["yj"].account, name="again").exists()
