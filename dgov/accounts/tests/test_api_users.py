"""API contract and scope of the user endpoints: /me, /users, /users/{id}, /users/{id}/personal-data."""

import pytest

from dgov.accounts.models import NaturalPerson, User
from dgov.accounts.testing import api_client, make_user
from dgov.accounts.tests.support import last_audit, make_county_citizen, make_identity_officer
from dgov.core.models import AuditEntry
from dgov.core.testing import ApiContract, Case, assert_error


class TestMe(ApiContract):
    @pytest.fixture
    def case(self, world):
        return Case(method="get", url="/api/v1/me", authorised=world.citizen)

    # Every signed-in account may read itself: there is no permission to lack
    # (see test_me_needs_no_role).
    test_unauthorised = None
    # /me has no object parameter: it is always the caller (see test_me_is_always_the_caller).
    test_out_of_scope = None
    # /me takes no input (see test_me_ignores_unknown_query_parameters).
    test_bad_input = None


def test_me_needs_no_role(world):
    """A user without any role (a citizen; an official without roles) still gets their own profile."""
    plain = make_user("no_roles_official", department_code="360600001")
    for user in (world.citizen, plain):
        response = api_client(user).get("/api/v1/me")
        assert response.status_code == 200
        assert response.json()["roles"] == []


def test_me_is_always_the_caller(world):
    for user in (world.citizen, world.guixi_admin, world.admin):
        body = api_client(user).get("/api/v1/me").json()
        assert (body["id"], body["username"]) == (user.pk, user.username)


def test_me_ignores_unknown_query_parameters(world):
    response = api_client(world.yujiang_admin).get(f"/api/v1/me?user_id={world.guixi_admin.pk}&x=1")
    assert response.status_code == 200
    assert response.json()["id"] == world.yujiang_admin.pk


def test_me_lists_roles_with_scope_and_second_factor(world):
    body = api_client(world.yujiang_admin).get("/api/v1/me").json()
    assert body["roles"] == [{"role": "county_admin", "role_name": "区县管理员", "scope_kind": "region",
                              "region": {"code": "360603000000", "name": "余江区"}, "department": None}]
    assert body["second_factor"] is True  # county administrators cannot skip it
    assert api_client(world.citizen).get("/api/v1/me").json()["second_factor"] is False


def test_me_returns_the_caller_with_masked_identity(world):
    number = NaturalPerson.objects.get(user=world.citizen).id_number
    response = api_client(world.citizen).get("/api/v1/me")
    body = response.json()
    assert body["username"] == "t_citizen"
    assert body["id_number_masked"] == number[:3] + "*" * 11 + number[-4:]
    assert body["phone_masked"] == "139****0000"
    assert number.encode() not in response.content
    assert b"13900000000" not in response.content


class TestListUsers(ApiContract):
    @pytest.fixture
    def case(self, world):
        return Case(method="get", url="/api/v1/users", authorised=world.yujiang_admin,
                    unauthorised=world.citizen, bad_url="/api/v1/users?limit=abc")

    # A list has no single object to be out of scope; scoping is tested below
    # (test_county_admin_lists_only_own_county).
    test_out_of_scope = None


class TestGetUser(ApiContract):
    @pytest.fixture
    def case(self, world):
        return Case(method="get", url=f"/api/v1/users/{world.yujiang_admin.pk}",
                    authorised=world.yujiang_admin, unauthorised=world.citizen,
                    out_of_scope_url=f"/api/v1/users/{world.guixi_admin.pk}",
                    bad_url="/api/v1/users/not-a-number")


class TestGetPersonalData(ApiContract):
    @pytest.fixture
    def case(self, world):
        officer = make_identity_officer()
        inside = make_county_citizen("yj_citizen", "360603")
        outside = make_county_citizen("gx_citizen", "360681")
        # The city administrator may see users everywhere but holds no personal-data permission.
        return Case(method="get", url=f"/api/v1/users/{inside.pk}/personal-data", authorised=officer,
                    unauthorised=world.admin, out_of_scope_url=f"/api/v1/users/{outside.pk}/personal-data",
                    bad_url="/api/v1/users/abc/personal-data")


# --- scope (acceptance) -------------------------------------------------------------------------

def test_county_admin_lists_only_own_county(world):
    body = api_client(world.yujiang_admin).get("/api/v1/users?limit=500").json()
    names = {u["username"] for u in body["items"]}
    assert "t_yujiang_admin" in names
    assert "t_guixi_admin" not in names
    assert all(u["region"] and u["region"]["code"].startswith("360603") for u in body["items"])
    assert body["count"] == len(body["items"])
    guixi_users = User.objects.filter(region__path__startswith="360000000000/360600000000/360681000000/")
    assert guixi_users.exists()
    assert not names & set(guixi_users.values_list("username", flat=True))


def test_county_admin_gets_404_for_other_county_and_city_admin_200(world):
    response = api_client(world.yujiang_admin).get(f"/api/v1/users/{world.guixi_admin.pk}")
    assert_error(response, 404, "not_found")
    response = api_client(world.admin).get(f"/api/v1/users/{world.guixi_admin.pk}")
    assert response.status_code == 200
    assert response.json()["username"] == "t_guixi_admin"


def test_missing_user_is_404_like_out_of_scope(world):
    assert_error(api_client(world.admin).get("/api/v1/users/999999"), 404, "not_found")


def test_city_admin_sees_every_county(world):
    client = api_client(world.admin)
    assert client.get(f"/api/v1/users/{world.guixi_admin.pk}").status_code == 200
    names = {u["username"] for u in client.get("/api/v1/users?limit=500").json()["items"]}
    assert {"t_yujiang_admin", "t_guixi_admin", "t_citizen"} <= names


def test_user_list_filters_and_pagination(world):
    client = api_client(world.admin)
    body = client.get("/api/v1/users?kind=citizen&limit=500").json()
    assert body["items"] and {u["kind"] for u in body["items"]} == {"citizen"}
    body = client.get("/api/v1/users?region=360681&limit=500").json()
    assert "t_guixi_admin" in {u["username"] for u in body["items"]}
    assert "t_yujiang_admin" not in {u["username"] for u in body["items"]}
    body = client.get("/api/v1/users?q=yujiang").json()
    assert [u["username"] for u in body["items"]] == ["t_yujiang_admin"]
    page = client.get("/api/v1/users?limit=2&offset=1").json()
    assert len(page["items"]) == 2 and page["count"] > 2
    assert_error(client.get("/api/v1/users?kind=alien"), 422)


def test_user_output_has_no_personal_data_in_clear(world):
    response = api_client(world.admin).get(f"/api/v1/users/{world.citizen.pk}")
    body = response.json()
    assert body["phone_masked"] == "139****0000"
    assert "phone" not in body and "id_number" not in body
    assert b"13900000000" not in response.content


def test_personal_data_read_by_officer_in_scope_is_audited(world):
    officer = make_identity_officer()
    citizen = make_county_citizen("yj_citizen", "360603", phone="13812345678")
    response = api_client(officer).get(f"/api/v1/users/{citizen.pk}/personal-data")
    assert response.status_code == 200
    body = response.json()
    assert body == {"user_id": citizen.pk, "real_name": "yj_citizen",
                    "id_number": NaturalPerson.objects.get(user=citizen).id_number, "phone": "13812345678"}
    entry = last_audit("personal_data.read")
    assert (entry.actor_id, entry.object_type) == (officer.pk, "accounts.user")
    assert entry.object_id == str(citizen.pk)
    assert entry.changes == {"fields": ["id_number", "phone"]}


def test_personal_data_read_by_the_person_is_audited(world):
    response = api_client(world.citizen).get(f"/api/v1/users/{world.citizen.pk}/personal-data")
    assert response.status_code == 200
    assert response.json()["id_number"] == NaturalPerson.objects.get(user=world.citizen).id_number
    entry = last_audit("personal_data.read")
    assert (entry.actor_id, entry.object_id) == (world.citizen.pk, str(world.citizen.pk))


def test_personal_data_refused_to_admin_without_permission(world):
    body = assert_error(api_client(world.admin).get(f"/api/v1/users/{world.citizen.pk}/personal-data"), 403,
                        "permission_denied")
    assert world.citizen.username not in str(body)
    assert not AuditEntry.objects.filter(action="personal_data.read").exists()


def test_personal_data_of_another_citizen_is_refused_to_a_citizen(world):
    other = make_county_citizen("other_citizen", "360602")
    assert_error(api_client(world.citizen).get(f"/api/v1/users/{other.pk}/personal-data"), 403)


def test_personal_data_out_of_scope_is_404_and_not_audited(world):
    officer = make_identity_officer()
    outside = make_county_citizen("gx_citizen", "360681")
    assert_error(api_client(officer).get(f"/api/v1/users/{outside.pk}/personal-data"), 404, "not_found")
    assert not AuditEntry.objects.filter(action="personal_data.read").exists()


def test_personal_data_of_an_official_has_no_id_number(world):
    officer = make_identity_officer()
    official = make_user("yj_official", department_code="360603903", phone="13700000001")
    body = api_client(officer).get(f"/api/v1/users/{official.pk}/personal-data").json()
    assert body["id_number"] is None and body["phone"] == "13700000001"
    assert last_audit("personal_data.read").changes == {"fields": ["phone"]}
