import pytest

from dgov.accounts.testing import api_client
from dgov.core.testing import ApiContract, Case


class TestListUsers(ApiContract):
    @pytest.fixture
    def case(self, world):
        return Case(method="get", url="/api/v1/users", authorised=world.yujiang_admin, unauthorised=world.citizen,
                    bad_url="/api/v1/users?limit=abc")

    # A list has no single object to be out of scope; scoping is tested below.
    test_out_of_scope = None


class TestGetUser(ApiContract):
    @pytest.fixture
    def case(self, world):
        return Case(method="get", url=f"/api/v1/users/{world.yujiang_admin.pk}", authorised=world.yujiang_admin,
                    unauthorised=world.citizen, out_of_scope_url=f"/api/v1/users/{world.guixi_admin.pk}",
                    bad_url="/api/v1/users/not-a-number")


def test_county_admin_lists_only_own_county(world):
    body = api_client(world.yujiang_admin).get("/api/v1/users?limit=500").json()
    names = {u["username"] for u in body["items"]}
    assert "t_yujiang_admin" in names
    assert "t_guixi_admin" not in names
    assert all(u["region"] and u["region"]["code"].startswith("360603") for u in body["items"])
    assert body["count"] == len(body["items"])


def test_city_admin_sees_every_county(world):
    client = api_client(world.admin)
    assert client.get(f"/api/v1/users/{world.guixi_admin.pk}").status_code == 200
    names = {u["username"] for u in client.get("/api/v1/users?limit=500").json()["items"]}
    assert {"t_yujiang_admin", "t_guixi_admin", "t_citizen"} <= names


def test_me_returns_the_caller_with_masked_identity(world):
    body = api_client(world.citizen).get("/api/v1/me").json()
    assert body["username"] == "t_citizen"
    assert body["id_number_masked"].count("*") == 11
    assert body["phone_masked"] == "139****0000"
