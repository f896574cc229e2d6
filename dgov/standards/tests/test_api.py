"""`/api/v1/governance/standards`: the contract of every endpoint and what each answers."""

import pytest

from dgov.accounts.testing import api_client
from dgov.core.testing import ApiContract, Case, assert_error, call
from dgov.standards import services
from dgov.standards.models import CodeSet, ElementStatus

from .conftest import PERSON

URL = "/api/v1/governance/standards"
SHARED = None  # code sets and data elements are city-wide reference data: there is no out of scope


@pytest.fixture
def own_codeset(governor):
    return services.codeset_save(actor=governor, instance=CodeSet(code="YT-T1", name="测试代码"),
                                 values=[("1", "甲", "")])


@pytest.fixture
def sex(db):
    return CodeSet.objects.get(code="GB/T 2261.1-2003")


@pytest.fixture
def v2(model, editor):
    """Version 2 of the model, a draft."""
    return services.version_new(actor=editor, model=model)


# --- code sets -----------------------------------------------------------------------------------

class TestListCodesets(ApiContract):
    test_out_of_scope = SHARED

    @pytest.fixture
    def case(self, world, editor):
        return Case(method="get", url=f"{URL}/codesets", authorised=editor, unauthorised=world.official,
                    bad_url=f"{URL}/codesets?builtin=perhaps")


class TestGetCodeset(ApiContract):
    test_out_of_scope = SHARED

    @pytest.fixture
    def case(self, world, editor, sex):
        return Case(method="get", url=f"{URL}/codesets/{sex.pk}", authorised=editor, unauthorised=world.official,
                    bad_url=f"{URL}/codesets/x")


class TestCreateCodeset(ApiContract):
    test_out_of_scope = SHARED

    @pytest.fixture
    def case(self, governor, editor):
        return Case(method="post", url=f"{URL}/codesets", authorised=governor, unauthorised=editor, ok_status=201,
                    payload={"code": "YT-NEW", "name": "新代码集", "values": [{"code": "1", "name": "甲"}]},
                    bad_payload={"code": "", "name": "x", "values": [{"code": "1"}]})


class TestUpdateCodeset(ApiContract):
    test_out_of_scope = SHARED

    @pytest.fixture
    def case(self, governor, editor, own_codeset):
        return Case(method="patch", url=f"{URL}/codesets/{own_codeset.pk}", authorised=governor, unauthorised=editor,
                    payload={"name": "改名", "values": [{"code": "2", "name": "乙"}]},
                    bad_payload={"values": [{"code": "1", "name": "甲", "parent_code": "9"}]})


class TestDeleteCodeset(ApiContract):
    test_out_of_scope = SHARED

    @pytest.fixture
    def case(self, governor, editor, own_codeset):
        return Case(method="delete", url=f"{URL}/codesets/{own_codeset.pk}", authorised=governor,
                    unauthorised=editor, ok_status=204, bad_url=f"{URL}/codesets/x")


def test_codesets_answer_values_and_refuse_builtin_changes(governor, sex):
    client = api_client(governor)
    body = client.get(f"{URL}/codesets/{sex.pk}").json()
    assert [v["code"] for v in body["values"]] == ["0", "1", "2", "9"] and body["is_builtin"] is True
    assert assert_error(call(client, "patch", f"{URL}/codesets/{sex.pk}", {"name": "x"}), 409)
    assert assert_error(client.delete(f"{URL}/codesets/{sex.pk}"), 409)
    listed = client.get(f"{URL}/codesets?builtin=true&q=2261").json()
    assert [c["code"] for c in listed["items"]] == ["GB/T 2261.1-2003"]
    created = call(client, "post", f"{URL}/codesets", {"code": "YT-X", "name": "x"})
    assert created.status_code == 201 and created.json()["is_builtin"] is False
    assert assert_error(call(client, "post", f"{URL}/codesets", {"code": "YT-X", "name": "x"}), 422)["details"]["code"]


# --- data elements -------------------------------------------------------------------------------

ELEMENT = {"identifier": "YJMZ0300", "name": "家庭人口数", "definition": "共同生活的家庭成员人数。",
           "data_type": "integer", "max_length": 2, "unit": "人"}


class TestListElements(ApiContract):
    test_out_of_scope = SHARED

    @pytest.fixture
    def case(self, world, editor):
        return Case(method="get", url=f"{URL}/elements?status=released", authorised=editor,
                    unauthorised=world.official, bad_url=f"{URL}/elements?status=lost")


class TestGetElement(ApiContract):
    test_out_of_scope = SHARED

    @pytest.fixture
    def case(self, world, editor, draft):
        return Case(method="get", url=f"{URL}/elements/{draft.pk}", authorised=editor, unauthorised=world.official,
                    bad_url=f"{URL}/elements/x")


class TestCreateElement(ApiContract):
    test_out_of_scope = SHARED

    @pytest.fixture
    def case(self, world, editor):
        return Case(method="post", url=f"{URL}/elements", authorised=editor, unauthorised=world.official,
                    ok_status=201, payload=ELEMENT, bad_payload={**ELEMENT, "pattern": "([0-9]"})


class TestUpdateElement(ApiContract):
    test_out_of_scope = None  # shared; another department's draft is refused with 403 (tested below)

    @pytest.fixture
    def case(self, world, editor, draft):
        return Case(method="patch", url=f"{URL}/elements/{draft.pk}", authorised=editor, unauthorised=world.official,
                    payload={"name": "家庭成员人数"}, bad_payload={"data_type": "date"})


class TestTransitionElement(ApiContract):
    test_out_of_scope = SHARED

    @pytest.fixture
    def case(self, governor, editor, draft):
        return Case(method="post", url=f"{URL}/elements/{draft.pk}/transitions", authorised=governor,
                    unauthorised=editor, payload={"action": "review"}, bad_payload={"action": "fly"})


def test_the_element_life_cycle_through_the_api(editor, governor, guixi_editor):
    mine, centre = api_client(editor), api_client(governor)
    created = call(mine, "post", f"{URL}/elements", {**ELEMENT, "code_set": "GB/T 2261.1-2003",
                                                     "data_type": "string", "max_length": 1})
    assert created.status_code == 201, created.content
    el = created.json()
    assert el["status"] == "draft" and el["department_code"] == "360603909" and el["code_set"] == "GB/T 2261.1-2003"
    assert el["history"][0]["action"] == "create" and el["allowed_actions"] == []
    assert assert_error(call(api_client(guixi_editor), "patch", f"{URL}/elements/{el['id']}", {"name": "x"}), 403)
    bad = assert_error(call(mine, "post", f"{URL}/elements", {**ELEMENT, "code_set": "NOPE"}), 422)
    assert "code_set" in bad["details"]
    for action in ("review", "release"):
        answer = call(centre, "post", f"{URL}/elements/{el['id']}/transitions", {"action": action})
        assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == ElementStatus.RELEASED
    assert assert_error(call(mine, "patch", f"{URL}/elements/{el['id']}", {"name": "x"}), 409)
    new = call(mine, "post", f"{URL}/elements/{el['id']}/transitions", {"action": "new_version"}).json()
    assert (new["identifier"], new["version"], new["status"]) == ("YJMZ0300", 2, "draft") and new["versions"] == [2, 1]
    retire = call(centre, "post", f"{URL}/elements/{el['id']}/transitions", {"action": "retire"})
    assert "note" in assert_error(retire, 422)["details"]
    listed = mine.get(f"{URL}/elements?identifier=YJMZ0300").json()
    assert [(e["version"], e["status"]) for e in listed["items"]] == [(2, "draft"), (1, "released")]
    assert mine.get(f"{URL}/elements?q=公民身份").json()["items"][0]["identifier"] == "DE0001"


# --- data models ---------------------------------------------------------------------------------

class TestListModels(ApiContract):
    test_out_of_scope = None  # a list: what is out of scope is not in it (tested below)

    @pytest.fixture
    def case(self, world, editor, model):
        return Case(method="get", url=f"{URL}/models", authorised=editor, unauthorised=world.official,
                    bad_url=f"{URL}/models?limit=0")


class TestCreateModel(ApiContract):
    test_out_of_scope = None  # a model of another department: 403 out_of_scope (tested below)

    @pytest.fixture
    def case(self, world, editor):
        return Case(method="post", url=f"{URL}/models", authorised=editor, unauthorised=world.official,
                    ok_status=201, payload={"code": "YJ-NEW", "name": "新模型", "department_code": "360603909"},
                    bad_payload={"code": "新", "name": "新模型", "department_code": "360603909"})


class TestGetModel(ApiContract):
    @pytest.fixture
    def case(self, world, editor, model, guixi_model):
        return Case(method="get", url=f"{URL}/models/{model.code}", authorised=editor, unauthorised=world.official,
                    out_of_scope_url=f"{URL}/models/{guixi_model.code}", bad_url=f"{URL}/models/{'x' * 300}")

    def test_bad_input(self, case):  # a code is any text: a malformed one names no model
        assert_error(call(api_client(case.authorised), "get", case.bad_url), 404)


class TestUpdateModel(ApiContract):
    @pytest.fixture
    def case(self, world, editor, model, guixi_model):
        return Case(method="patch", url=f"{URL}/models/{model.code}", authorised=editor, unauthorised=world.official,
                    out_of_scope_url=f"{URL}/models/{guixi_model.code}", payload={"name": "人员"},
                    bad_payload={"name": ""})


class TestListVersions(ApiContract):
    @pytest.fixture
    def case(self, world, editor, model, guixi_model):
        return Case(method="get", url=f"{URL}/models/{model.code}/versions", authorised=editor,
                    unauthorised=world.official, out_of_scope_url=f"{URL}/models/{guixi_model.code}/versions",
                    bad_url=f"{URL}/models/{'x' * 300}/versions")

    def test_bad_input(self, case):  # a code is any text: a malformed one names no model
        assert_error(call(api_client(case.authorised), "get", case.bad_url), 404)


class TestCreateVersion(ApiContract):
    @pytest.fixture
    def case(self, world, editor, model, guixi_model):
        return Case(method="post", url=f"{URL}/models/{model.code}/versions", authorised=editor,
                    unauthorised=world.official, out_of_scope_url=f"{URL}/models/{guixi_model.code}/versions",
                    ok_status=201, payload={"note": "加字段"}, bad_payload={"note": "长" * 1001})


class TestGetVersion(ApiContract):
    @pytest.fixture
    def case(self, world, editor, model, guixi_model):
        return Case(method="get", url=f"{URL}/models/{model.code}/versions/1", authorised=editor,
                    unauthorised=world.official, out_of_scope_url=f"{URL}/models/{guixi_model.code}/versions/1",
                    bad_url=f"{URL}/models/{model.code}/versions/x")


class TestUpdateVersion(ApiContract):
    @pytest.fixture
    def case(self, world, editor, v2, guixi_model):
        return Case(method="put", url=f"{URL}/models/{v2.model.code}/versions/2", authorised=editor,
                    unauthorised=world.official, out_of_scope_url=f"{URL}/models/{guixi_model.code}/versions/1",
                    payload={"definition": PERSON, "note": "改"},
                    bad_payload={"definition": {"entities": [{"name": "x"}]}})


class TestReleaseVersion(ApiContract):
    @pytest.fixture
    def case(self, world, editor, v2, guixi_model):
        return Case(method="post", url=f"{URL}/models/{v2.model.code}/versions/2/release", authorised=editor,
                    unauthorised=world.official,
                    out_of_scope_url=f"{URL}/models/{guixi_model.code}/versions/1/release",
                    bad_url=f"{URL}/models/{v2.model.code}/versions/x/release")


class TestDiff(ApiContract):
    @pytest.fixture
    def case(self, world, editor, v2, guixi_model):
        return Case(method="get", url=f"{URL}/models/{v2.model.code}/diff?from=1&to=2", authorised=editor,
                    unauthorised=world.official, out_of_scope_url=f"{URL}/models/{guixi_model.code}/diff?from=1&to=1",
                    bad_url=f"{URL}/models/{v2.model.code}/diff?from=1")


class TestCheck(ApiContract):
    @pytest.fixture
    def case(self, world, editor, model, guixi_model, people_table):
        url = f"{URL}/models/{model.code}/versions/1/check"
        return Case(method="get", url=f"{url}?entity=person&table={people_table.pk}", authorised=editor,
                    unauthorised=world.official,
                    out_of_scope_url=f"{URL}/models/{guixi_model.code}/versions/1/check?entity=person"
                                     f"&table={people_table.pk}",
                    bad_url=f"{URL}/models/{model.code}/versions/1/check?entity=person&table=x")


def test_models_through_the_api(editor, guixi_editor, model, guixi_model):
    client = api_client(editor)
    listed = client.get(f"{URL}/models").json()
    assert [m["code"] for m in listed["items"]] == [model.code]
    assert listed["items"][0]["released_version"] == 1
    refused = call(client, "post", f"{URL}/models", {"code": "GX-Y", "name": "y", "department_code": "360681909"})
    assert_error(refused, 403, "out_of_scope")
    assert_error(call(client, "post", f"{URL}/models", {"code": model.code, "name": "y",
                                                        "department_code": "360603909"}), 422)
    assert_error(call(client, "post", f"{URL}/models/{model.code}/versions/1/release"), 409)
    v2 = call(client, "post", f"{URL}/models/{model.code}/versions", {"note": "改"}).json()
    assert v2["number"] == 2 and v2["status"] == "draft"
    changed = {"entities": [{**PERSON["entities"][0], "attributes": PERSON["entities"][0]["attributes"][:3]}],
               "relations": []}
    put = call(client, "put", f"{URL}/models/{model.code}/versions/2", {"definition": changed})
    assert put.status_code == 200, put.content
    diff = client.get(f"{URL}/models/{model.code}/diff?from=1&to=2").json()
    assert diff["entities_removed"] == ["household"]
    assert diff["attributes_removed"] == [{"entity": "person", "attribute": "lxdh"}]
    assert len(diff["relations_removed"]) == 1
    bad = assert_error(call(client, "put", f"{URL}/models/{model.code}/versions/2", {"definition": {
        "entities": [{"name": "a", "attributes": [{"name": "x", "type": "nope"}]}], "relations": [{"from": "a"}]}}),
        422)
    assert len(bad["details"]["definition"]) == 3
    assert_error(client.get(f"{URL}/models/{model.code}/diff?from=1&to=9"), 404)


def test_the_check_through_the_api(editor, model, people_table, guixi_editor):
    from .conftest import make_meta_table

    client = api_client(editor)
    ok = client.get(f"{URL}/models/{model.code}/versions/1/check?entity=person&table={people_table.pk}").json()
    assert ok["ok"] is True and ok["problems"] == [] and ok["table"] == "datastore/ds_people"
    household = client.get(f"{URL}/models/{model.code}/versions/1/check?entity=household&table={people_table.pk}")
    kinds = {p["kind"] for p in household.json()["problems"]}
    assert kinds == {"missing_column", "extra_column"}
    guixi_table = make_meta_table(name="ds_guixi", department="360681909")
    assert_error(client.get(f"{URL}/models/{model.code}/versions/1/check?entity=person&table={guixi_table.pk}"), 404)
    assert_error(client.get(f"{URL}/models/{model.code}/versions/1/check?entity=nobody&table={people_table.pk}"), 422)
