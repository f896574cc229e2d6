"""The departments API (crud_router): the five-case contract for each endpoint, data scope for a
county administrator, natural keys, and moving subtrees."""

import json

import pytest
from django.contrib.auth.models import Permission

from dgov.accounts.models import Role
from dgov.accounts.testing import api_client, grant, make_user
from dgov.core.models import AuditEntry
from dgov.core.testing import ApiContract, Case, assert_error
from dgov.orgs.models import Department

pytestmark = pytest.mark.django_db

YUJIANG_GOV, GUIXI_GOV, CITY_GOV = "360603000", "360681000", "360600000"


def _new(code, parent_code=YUJIANG_GOV, **extra):
    return {"code": code, "name": f"测试单位{code}", "kind": "department", "parent_code": parent_code, **extra}


def _post(user, payload):
    return api_client(user).post("/api/v1/departments", data=json.dumps(payload), content_type="application/json")


def _patch(user, code, payload):
    return api_client(user).patch(f"/api/v1/departments/{code}", data=json.dumps(payload),
                                  content_type="application/json")


def _leaf(code, parent=YUJIANG_GOV):
    parent = Department.objects.get(code=parent)
    return Department.objects.create(code=code, name=f"叶子{code}", kind="department", region=parent.region,
                                     parent=parent)


@pytest.fixture
def yujiang_deleter(world):
    """A user holding delete on departments, scoped to 余江区 (no built-in role has it per county)."""
    role = Role.objects.create(code="t_department_deleter", name="部门删除（测试）")
    role.permissions.add(*Permission.objects.filter(content_type__app_label="orgs",
                                                    codename__in=["view_department", "delete_department"]))
    user = make_user("t_yj_deleter", department_code=YUJIANG_GOV)
    grant(user, "t_department_deleter", "region", "360603")
    return user


# --- the contract, endpoint by endpoint --------------------------------------------------------

class TestListDepartments(ApiContract):
    @pytest.fixture
    def case(self, world):
        return Case(method="get", url="/api/v1/departments", authorised=world.yujiang_admin,
                    unauthorised=world.citizen, bad_url="/api/v1/departments?kind=ministry")

    # A list has no single object to be out of scope; test_county_admin_lists_only_own_county checks scope.
    test_out_of_scope = None


class TestGetDepartment(ApiContract):
    @pytest.fixture
    def case(self, world):
        return Case(method="get", url=f"/api/v1/departments/{YUJIANG_GOV}", authorised=world.yujiang_admin,
                    unauthorised=world.citizen, out_of_scope_url=f"/api/v1/departments/{GUIXI_GOV}")

    # Any text may be a department code: there is no malformed key, an unknown one is 404
    # (test_unknown_department_is_404).
    test_bad_input = None


class TestCreateDepartment(ApiContract):
    @pytest.fixture
    def case(self, world):
        return Case(method="post", url="/api/v1/departments", authorised=world.yujiang_admin,
                    unauthorised=world.official, payload=_new("360603990"), ok_status=201,
                    bad_payload={"code": "has space", "name": "", "kind": "ministry"})

    # Creating has no existing object to be outside the scope of; a new unit placed outside the
    # scope is refused with 403 out_of_scope (test_county_admin_cannot_create_in_another_county).
    test_out_of_scope = None


class TestUpdateDepartment(ApiContract):
    @pytest.fixture
    def case(self, world):
        return Case(method="patch", url="/api/v1/departments/360603901", authorised=world.yujiang_admin,
                    unauthorised=world.citizen, out_of_scope_url="/api/v1/departments/360681901",
                    payload={"note": "已核实"}, bad_payload={"kind": "ministry", "name": ""})


class TestDeleteDepartment(ApiContract):
    @pytest.fixture
    def case(self, world, yujiang_deleter):
        _leaf("360603991")
        _leaf("360681991", parent=GUIXI_GOV)
        return Case(method="delete", url="/api/v1/departments/360603991", authorised=yujiang_deleter,
                    unauthorised=world.yujiang_admin, out_of_scope_url="/api/v1/departments/360681991",
                    ok_status=204)

    # DELETE takes no input.
    test_bad_input = None


# --- reading ----------------------------------------------------------------------------------

def test_county_admin_lists_only_own_county(world):
    body = api_client(world.yujiang_admin).get("/api/v1/departments?limit=500").json()
    codes = {d["code"] for d in body["items"]}
    assert YUJIANG_GOV in codes and GUIXI_GOV not in codes and CITY_GOV not in codes
    assert all(d["region_code"].startswith("360603") for d in body["items"])
    assert body["count"] == len(body["items"]) == Department.objects.filter(
        region__path__startswith="360000000000/360600000000/360603000000/").count()


def test_city_admin_lists_every_department(world):
    assert api_client(world.admin).get("/api/v1/departments").json()["count"] == Department.objects.count()


def test_get_department_shape(world):
    body = api_client(world.yujiang_admin).get(f"/api/v1/departments/{YUJIANG_GOV}").json()
    assert body == {"code": YUJIANG_GOV, "name": "余江区人民政府", "short_name": "余江区政府", "doc_prefix": "",
                    "kind": "government", "region_code": "360603000000", "parent_code": CITY_GOV, "note": "",
                    "is_active": True, "credit_code": ""}


def test_unknown_department_is_404(world):
    assert_error(api_client(world.admin).get("/api/v1/departments/no-such-unit"), 404, "not_found")


@pytest.mark.parametrize(("query", "check"), [
    ("kind=township", lambda d: d["kind"] == "township"),
    ("region=360681", lambda d: d["region_code"].startswith("360681")),
    ("q=财政", lambda d: "财政" in d["name"] or "财政" in d["short_name"]),
])
def test_list_filters(world, query, check):
    body = api_client(world.admin).get(f"/api/v1/departments?{query}&limit=500").json()
    assert body["count"] > 0 and all(check(d) for d in body["items"])


def test_list_filter_by_malformed_region_is_422(world):
    assert_error(api_client(world.admin).get("/api/v1/departments?region=36"), 422)


def test_list_has_no_n_plus_one(world, django_assert_max_num_queries):
    client = api_client(world.admin)
    client.get("/api/v1/departments?limit=1")
    with django_assert_max_num_queries(8):
        assert len(client.get("/api/v1/departments?limit=137").json()["items"]) == 137


# --- creating and the data scope -------------------------------------------------------------

def test_county_admin_creates_under_own_government(world):
    response = _post(world.yujiang_admin, _new("360603990", short_name="测试办"))
    assert response.status_code == 201, response.content
    created = Department.objects.get(code="360603990")
    assert created.region.code == "360603000000"  # taken from the parent
    assert created.path == Department.objects.get(code=YUJIANG_GOV).path + "360603990/"
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.action, entry.actor_username, entry.object_id) == (
        "orgs.department.create", "t_yujiang_admin", str(created.pk))
    assert entry.source == "api" and entry.request_id == response["X-Request-ID"]
    assert entry.changes["name"] == [None, "测试单位360603990"]


def test_county_admin_cannot_create_in_another_county(world):
    before = Department.objects.count()
    response = _post(world.yujiang_admin, _new("360681990", parent_code=GUIXI_GOV))
    assert_error(response, 403, "out_of_scope")
    assert Department.objects.count() == before
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.outcome, entry.changes, entry.actor_username) == ("denied", {"reason": "out_of_scope"},
                                                                   "t_yujiang_admin")


def test_county_admin_cannot_hang_a_unit_under_another_countys_unit(world):
    # The region is its own, but the parent belongs to 贵溪市: the tree of another county is not its to extend.
    response = _post(world.yujiang_admin, _new("360603992", parent_code=GUIXI_GOV, region_code="360603"))
    assert_error(response, 403, "out_of_scope")
    assert not Department.objects.filter(code="360603992").exists()


def test_county_admin_cannot_create_a_root_unit_in_another_county(world):
    response = _post(world.yujiang_admin, _new("360681993", parent_code=None, region_code="360681"))
    assert_error(response, 403, "out_of_scope")


@pytest.mark.parametrize(("change", "field"), [
    ({"region_code": "999999"}, "region_code"),
    ({"region_code": "abc"}, "region_code"),
    ({"parent_code": "no-such-unit"}, "parent_code"),
])
def test_natural_key_errors_are_field_errors(world, change, field):
    body = assert_error(_post(world.admin, _new("360600990", **change)), 422, "invalid")
    assert set(body["details"]) == {field}
    assert body["details"][field] and all(isinstance(m, str) and m for m in body["details"][field])
    assert not Department.objects.filter(code="360600990").exists()


def test_both_natural_key_errors_are_reported_together(world):
    body = assert_error(_post(world.admin, _new("360600990", region_code="999999", parent_code="nope")), 422)
    assert set(body["details"]) == {"region_code", "parent_code"}


def test_unit_without_region_or_parent_is_refused(world):
    body = assert_error(_post(world.admin, _new("360600991", parent_code=None)), 422, "invalid")
    assert "region" in body["details"]


def test_duplicate_code_is_refused(world):
    body = assert_error(_post(world.admin, _new(YUJIANG_GOV, parent_code=CITY_GOV)), 422, "invalid")
    assert "code" in body["details"]


def test_schema_errors_name_the_fields(world):
    body = assert_error(_post(world.admin, {"code": "x y", "kind": "ministry"}), 422, "invalid")
    assert {"code", "name", "kind"} <= set(body["details"])


def test_error_messages_follow_accept_language(world):
    client = api_client(world.admin)
    zh = client.post("/api/v1/departments", data=json.dumps({"code": "x"}), content_type="application/json",
                     headers={"Accept-Language": "zh-hans"}).json()
    en = client.post("/api/v1/departments", data=json.dumps({"code": "x"}), content_type="application/json",
                     headers={"Accept-Language": "en"}).json()
    assert en["details"]["name"] == ["This field is required."]
    assert zh["details"]["name"] != en["details"]["name"]


# --- updating, moving, cycles ------------------------------------------------------------------

def test_county_admin_updates_own_unit_and_the_change_is_audited(world):
    response = _patch(world.yujiang_admin, "360603901", {"note": "已核实", "short_name": "区府办"})
    assert response.status_code == 200
    assert response.json()["note"] == "已核实"
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.action == "orgs.department.change"
    assert entry.changes == {"note": ["", "已核实"], "short_name": ["余江区政府办", "区府办"]}


def test_county_admin_cannot_move_own_unit_into_another_county(world):
    assert_error(_patch(world.yujiang_admin, "360603901", {"region_code": "360681"}), 403, "out_of_scope")
    assert Department.objects.get(code="360603901").region.code == "360603000000"


def test_county_admin_cannot_move_own_unit_under_another_countys_unit(world):
    assert_error(_patch(world.yujiang_admin, "360603901", {"parent_code": GUIXI_GOV}), 403, "out_of_scope")
    assert Department.objects.get(code="360603901").parent.code == YUJIANG_GOV


@pytest.fixture
def chain(world):
    """A → B → C under the city government, created through the API."""
    for code, parent in [("T1", CITY_GOV), ("T2", "T1"), ("T3", "T2")]:
        assert _post(world.admin, _new(code, parent_code=parent)).status_code == 201
    return [Department.objects.get(code=c) for c in ("T1", "T2", "T3")]


def test_moving_a_unit_rewrites_the_paths_of_its_subtree(world, chain):
    response = _patch(world.admin, "T1", {"parent_code": YUJIANG_GOV})
    assert response.status_code == 200 and response.json()["parent_code"] == YUJIANG_GOV
    yujiang = Department.objects.get(code=YUJIANG_GOV)
    paths = dict(Department.objects.filter(code__in=["T1", "T2", "T3"]).values_list("code", "path"))
    assert paths == {"T1": yujiang.path + "T1/", "T2": yujiang.path + "T1/T2/", "T3": yujiang.path + "T1/T2/T3/"}
    # The subtree query now finds them under 余江区人民政府.
    assert set(Department.objects.filter(path__startswith=yujiang.path).values_list("code", flat=True)) >= {
        "T1", "T2", "T3"}
    old_prefix = Department.objects.get(code=CITY_GOV).path + "T1/"
    assert not Department.objects.filter(path__startswith=old_prefix).exists()


def test_moving_a_unit_to_the_top_level(world, chain):
    assert _patch(world.admin, "T2", {"parent_code": None}).status_code == 200
    assert dict(Department.objects.filter(code__in=["T2", "T3"]).values_list("code", "path")) == {
        "T2": "T2/", "T3": "T2/T3/"}


@pytest.mark.parametrize("new_parent", ["T1", "T2", "T3"])
def test_cycles_are_refused(world, chain, new_parent):
    body = assert_error(_patch(world.admin, "T1", {"parent_code": new_parent}), 422, "invalid")
    assert "parent" in body["details"]
    assert Department.objects.get(code="T1").parent.code == CITY_GOV
    assert Department.objects.get(code="T3").path.endswith("T1/T2/T3/")


# --- deleting ----------------------------------------------------------------------------------

def test_delete_is_audited(world):
    leaf = _leaf("360600995", parent=CITY_GOV)
    response = api_client(world.admin).delete("/api/v1/departments/360600995")
    assert response.status_code == 204
    assert not Department.objects.filter(pk=leaf.pk).exists()
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.action, entry.object_id) == ("orgs.department.delete", str(leaf.pk))


def test_deleting_a_unit_with_subunits_is_a_conflict(world, chain):
    body = assert_error(api_client(world.admin).delete("/api/v1/departments/T1"), 409, "protected")
    assert body["message"]
    assert Department.objects.filter(code="T1").exists()


def test_deleting_a_unit_with_members_is_a_conflict(world):
    body = assert_error(api_client(world.admin).delete(f"/api/v1/departments/{YUJIANG_GOV}"), 409, "protected")
    assert body["details"]["referenced_by"]


def test_county_admin_edits_own_county_government_whose_parent_is_the_citys(world):
    # Only a new or changed parent has to lie in scope: keeping the city government as parent is fine.
    response = _patch(world.yujiang_admin, YUJIANG_GOV, {"note": "区政府"})
    assert response.status_code == 200 and response.json()["parent_code"] == CITY_GOV


def test_refused_delete_is_audited_as_failed(world, chain):
    api_client(world.admin).delete("/api/v1/departments/T1")
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.outcome, entry.changes) == ("failed", {"reason": "protected"})
    assert not AuditEntry.objects.filter(action="orgs.department.delete", object_id=str(chain[0].pk)).exists()
