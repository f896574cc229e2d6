"""The catalog API: the contract of every endpoint (anonymous, unauthorised, out of scope, in scope,
bad input), codes with a slash in paths, the acceptance points (another department's entry is 404,
a negative-listed item cannot be made shareable) and the search with facets."""

import json
from urllib.parse import quote

import pytest

from dgov.accounts.testing import api_client, make_user
from dgov.catalog.models import CatalogEntry, EntryVersion, NegativeListItem, Status
from dgov.catalog.testing import (
    GUIXI_CIVIL_AFFAIRS,
    YUJIANG_CIVIL_AFFAIRS,
    item,
    make_editor,
    make_entry,
    make_reviewer,
    negative_list,
)
from dgov.core.testing import ApiContract, Case, assert_error, call

BASE = "/api/v1/catalog"


def url(code: str, suffix: str = "") -> str:
    return f"{BASE}/resources/{code}{suffix}"


def new_resource(**fields) -> dict:
    return {"classification_code": "307", "name": "余江区婚姻登记信息", "summary": "结婚和离婚登记记录。",
            "format": "database", "sharing_type": "conditional", "sharing_conditions": "婚姻状况核验",
            "sharing_method": "api", "open_type": "none", "update_cycle": "daily",
            "items": [{"name": "男方姓名", "data_type": "string", "length": 50, "personal_data": "personal"},
                      {"name": "登记日期", "data_type": "date"}], **fields}


@pytest.fixture
def editor(db):
    return make_editor(YUJIANG_CIVIL_AFFAIRS, "yj_editor")


@pytest.fixture
def reviewer(db):
    return make_reviewer("centre_reviewer")


@pytest.fixture
def guixi_reviewer(db):
    """A reviewer whose scope is 贵溪市 only."""
    return make_user("gx_reviewer", department_code="360681000", roles=[("catalog_reviewer", "region", "360681")])


# --- the contract, per endpoint -----------------------------------------------------------------
class TestSearch(ApiContract):
    @pytest.fixture
    def case(self, world, editor):
        make_entry(name="婚姻登记信息")
        return Case(method="get", url=f"{BASE}/resources?q=婚姻&sharing_type=unconditional", authorised=editor,
                    unauthorised=world.official, bad_url=f"{BASE}/resources?sharing_type=sometimes")

    test_out_of_scope = None  # a list: see test_search_shows_the_published_catalog_and_own_entries


class TestGetResource(ApiContract):
    @pytest.fixture
    def case(self, world, editor):
        own = make_entry()
        other = make_entry(department_code=GUIXI_CIVIL_AFFAIRS, status=Status.SUBMITTED)
        return Case(method="get", url=url(own.code), authorised=editor, unauthorised=world.official,
                    out_of_scope_url=url(other.code), bad_url=url("307-000001"))


class TestCreateResource(ApiContract):
    @pytest.fixture
    def case(self, reviewer, editor):
        return Case(method="post", url=f"{BASE}/resources", authorised=editor, unauthorised=reviewer,
                    payload=new_resource(), bad_payload=new_resource(format="paper"), ok_status=201)

    # Creating names its department: another one is refused with 403 out_of_scope (the platform's rule
    # for writes), see test_a_department_creates_only_its_own_entries.
    test_out_of_scope = None


class TestUpdateResource(ApiContract):
    @pytest.fixture
    def case(self, reviewer, editor):
        own = make_entry()
        other = make_entry(department_code=GUIXI_CIVIL_AFFAIRS)
        return Case(method="patch", url=url(own.code), authorised=editor, unauthorised=reviewer,
                    out_of_scope_url=url(other.code), payload={"name": "改过的名称", "reason": "更正"},
                    bad_payload={"update_cycle": "hourly"})


class TestSubmit(ApiContract):
    @pytest.fixture
    def case(self, reviewer, editor):
        own = make_entry()
        other = make_entry(department_code=GUIXI_CIVIL_AFFAIRS)
        return Case(method="post", url=url(own.code, "/submit"), authorised=editor, unauthorised=reviewer,
                    out_of_scope_url=url(other.code, "/submit"), payload={}, bad_payload={"reason": ["x"]})


class TestApprove(ApiContract):
    @pytest.fixture
    def case(self, editor, guixi_reviewer):
        inside = make_entry(department_code=GUIXI_CIVIL_AFFAIRS, status=Status.SUBMITTED)
        outside = make_entry(status=Status.SUBMITTED)
        return Case(method="post", url=url(inside.code, "/approve"), authorised=guixi_reviewer, unauthorised=editor,
                    out_of_scope_url=url(outside.code, "/approve"), payload={"reason": ""},
                    bad_url=url("x/approve"))


class TestReject(ApiContract):
    @pytest.fixture
    def case(self, editor, guixi_reviewer):
        inside = make_entry(department_code=GUIXI_CIVIL_AFFAIRS, status=Status.REVIEWED)
        outside = make_entry(status=Status.REVIEWED)
        return Case(method="post", url=url(inside.code, "/reject"), authorised=guixi_reviewer, unauthorised=editor,
                    out_of_scope_url=url(outside.code, "/reject"), payload={"reason": "缺少共享条件"},
                    bad_payload={"reason": ""})


class TestPublish(ApiContract):
    @pytest.fixture
    def case(self, editor, guixi_reviewer):
        inside = make_entry(department_code=GUIXI_CIVIL_AFFAIRS, status=Status.REVIEWED)
        outside = make_entry(status=Status.REVIEWED)
        return Case(method="post", url=url(inside.code, "/publish"), authorised=guixi_reviewer, unauthorised=editor,
                    out_of_scope_url=url(outside.code, "/publish"), payload={}, bad_payload={"reason": "x" * 501})


class TestWithdraw(ApiContract):
    @pytest.fixture
    def case(self, editor, guixi_reviewer):
        inside = make_entry(department_code=GUIXI_CIVIL_AFFAIRS, status=Status.PUBLISHED)
        outside = make_entry(status=Status.PUBLISHED)
        return Case(method="post", url=url(inside.code, "/withdraw"), authorised=guixi_reviewer,
                    unauthorised=editor, out_of_scope_url=url(outside.code, "/withdraw"),
                    payload={"reason": "数据源停用"}, bad_payload={})


class TestReopen(ApiContract):
    @pytest.fixture
    def case(self, reviewer, editor):
        own = make_entry(status=Status.WITHDRAWN)
        other = make_entry(department_code=GUIXI_CIVIL_AFFAIRS, status=Status.WITHDRAWN)
        return Case(method="post", url=url(own.code, "/reopen"), authorised=editor, unauthorised=reviewer,
                    out_of_scope_url=url(other.code, "/reopen"), payload={}, bad_url=url("307000000/1/reopen"))


class TestVersions(ApiContract):
    @pytest.fixture
    def case(self, world, editor):
        own = make_entry(status=Status.SUBMITTED)
        # Published, so readable by every official: its history is not.
        other = make_entry(department_code=GUIXI_CIVIL_AFFAIRS, status=Status.PUBLISHED)
        return Case(method="get", url=url(own.code, "/versions"), authorised=editor, unauthorised=world.official,
                    out_of_scope_url=url(other.code, "/versions"), bad_url=url(own.code, "/versions?limit=0"))


class TestNegativeList(ApiContract):
    @pytest.fixture
    def case(self, world, editor):
        negative_list("101000000/000001")
        return Case(method="get", url=f"{BASE}/negative-list?resource_code=101000000/000001", authorised=editor,
                    unauthorised=world.official, bad_url=f"{BASE}/negative-list?limit=501")

    test_out_of_scope = None  # the city's one list: no data scope


class TestNegativeListCreate(ApiContract):
    @pytest.fixture
    def case(self, editor, reviewer):
        return Case(method="post", url=f"{BASE}/negative-list", authorised=reviewer, unauthorised=editor,
                    payload={"resource_code": "101000000/000001", "item_name": "身份证号",
                             "legal_basis": "《中华人民共和国个人信息保护法》", "scope_note": "共享和开放"},
                    bad_payload={"resource_code": "101000000/000001", "legal_basis": ""}, ok_status=201)

    test_out_of_scope = None  # no data scope


class TestNegativeListUpdate(ApiContract):
    @pytest.fixture
    def case(self, editor, reviewer):
        listed = negative_list("101000000/000001")
        return Case(method="patch", url=f"{BASE}/negative-list/{listed.pk}", authorised=reviewer,
                    unauthorised=editor, payload={"scope_note": "共享和开放"},
                    bad_payload={"resource_code": "101000000-000001"})

    test_out_of_scope = None  # no data scope


class TestNegativeListDelete(ApiContract):
    @pytest.fixture
    def case(self, editor, reviewer):
        listed = negative_list("101000000/000001")
        return Case(method="delete", url=f"{BASE}/negative-list/{listed.pk}", authorised=reviewer,
                    unauthorised=editor, bad_url=f"{BASE}/negative-list/abc", ok_status=204)

    test_out_of_scope = None  # no data scope


class TestClassifications(ApiContract):
    @pytest.fixture
    def case(self, world, editor):
        return Case(method="get", url=f"{BASE}/classifications?level=2", authorised=editor,
                    unauthorised=world.official, bad_url=f"{BASE}/classifications?level=9")

    test_out_of_scope = None  # reference data


class TestClassification(ApiContract):
    @pytest.fixture
    def case(self, world, editor):
        return Case(method="get", url=f"{BASE}/classifications/203", authorised=editor,
                    unauthorised=world.official, bad_url=f"{BASE}/classifications/203?limit=x")

    test_out_of_scope = None  # reference data
    test_bad_input = None  # a code is any text: an unknown one is 404 (test_unknown_classification)


# --- acceptance -----------------------------------------------------------------------------------
def test_a_department_cannot_edit_another_departments_entry(editor):
    """Acceptance: 404 through the API, whatever the other entry's state, even where it is visible."""
    for status in (Status.DRAFT, Status.PUBLISHED):
        other = make_entry(department_code=GUIXI_CIVIL_AFFAIRS, status=status, name=f"贵溪{status}")
        client = api_client(editor)
        assert_error(call(client, "patch", url(other.code), {"name": "改名"}), 404, "not_found")
        assert_error(call(client, "post", url(other.code, "/submit"), {}), 404, "not_found")
        other.refresh_from_db()
        assert other.name == f"贵溪{status}" and other.version >= 1
    published = CatalogEntry.objects.get(name=f"贵溪{Status.PUBLISHED}")
    assert api_client(editor).get(url(published.code)).status_code == 200  # visible, not editable


def test_marking_a_negative_listed_item_shareable_is_refused(editor):
    """Acceptance: 422 with the negative list's message on the field concerned."""
    entry = make_entry(actor=editor, items=[item("姓名"), item("身份证号", sharing_type="none", open_type="none")])
    negative_list(entry.code, "身份证号", legal_basis="《居民身份证法》第十九条")
    items = [{"name": "姓名", "data_type": "string"}, {"name": "身份证号", "data_type": "string"}]
    body = assert_error(call(api_client(editor), "patch", url(entry.code), {"items": items}), 422, "invalid")
    assert list(body["details"]) == ["items"]
    message = body["details"]["items"][0]
    assert "身份证号" in message and "《居民身份证法》第十九条" in message
    items[1].update(sharing_type="unconditional", open_type="none")
    assert_error(call(api_client(editor), "patch", url(entry.code), {"items": items}), 422)
    assert sorted(i.name for i in entry.items.filter(sharing_type="none")) == ["身份证号"]


def test_sharing_a_negative_listed_resource_is_refused(editor):
    negative_list("307000000/000001", legal_basis="《婚姻登记条例》")
    response = call(api_client(editor), "post", f"{BASE}/resources",
                    new_resource(code="307000000/000001", open_type="unconditional"))
    body = assert_error(response, 422, "invalid")
    assert set(body["details"]) == {"sharing_type", "open_type"}
    assert "《婚姻登记条例》" in body["details"]["sharing_type"][0]
    assert not CatalogEntry.objects.exists()
    response = call(api_client(editor), "post", f"{BASE}/resources",
                    new_resource(code="307000000/000001", sharing_type="none", sharing_method=""))
    assert response.status_code == 201, response.content


def test_listing_a_shared_resource_is_refused(reviewer):
    entry = make_entry()
    body = assert_error(call(api_client(reviewer), "post", f"{BASE}/negative-list",
                             {"resource_code": entry.code, "legal_basis": "依法"}), 422)
    assert "resource_code" in body["details"]
    assert not NegativeListItem.objects.exists()


# --- codes in paths -------------------------------------------------------------------------------
def test_codes_with_a_slash_work_raw_and_encoded(editor):
    entry = make_entry(code="101000000/000001", classification_code="101")
    client = api_client(editor)
    for path in ("101000000/000001", quote("101000000/000001", safe=""), "101000000%2f000001"):
        response = client.get(url(path))
        assert response.status_code == 200, (path, response.content)
        assert response.json()["code"] == "101000000/000001"
        assert client.get(url(path, "/versions")).json()["count"] == 1
    response = call(client, "patch", url(quote(entry.code, safe="")), {"summary": "新的摘要"})
    assert response.status_code == 200 and response.json()["summary"] == "新的摘要"
    response = client.post(url(entry.code, "/submit"), content_type="application/json")  # no body at all
    assert response.status_code == 200 and response.json()["status"] == Status.SUBMITTED


def test_malformed_and_unknown_codes(editor):
    client = api_client(editor)
    body = assert_error(client.get(url("101000000")), 422, "invalid")
    assert "code" in body["details"]
    assert_error(client.get(url("101000000/000001/000002")), 422)
    assert_error(client.get(url("101000000/000009")), 404, "not_found")
    assert_error(client.get(url("101000000/000009/history")), 422)
    assert_error(client.get(url("101000000/000009/submit")), 405, "method_not_allowed")


def test_unknown_classification(editor):
    assert_error(api_client(editor).get(f"{BASE}/classifications/999"), 404, "not_found")


# --- create, update, life cycle -------------------------------------------------------------------
def test_create_generates_the_code_and_defaults_department_and_region(editor):
    response = call(api_client(editor), "post", f"{BASE}/resources", new_resource(reason="首次编目"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["code"] == "307000000/000001" and body["catalog_type"] == "3"
    assert (body["department_code"], body["department_name"]) == (YUJIANG_CIVIL_AFFAIRS, "余江区民政局")
    assert body["region_code"] == "360603000000" and body["status"] == "draft" and body["version"] == 1
    assert [(i["position"], i["name"], i["personal_data"]) for i in body["items"]] == [
        (1, "男方姓名", "personal"), (2, "登记日期", "none")]
    assert EntryVersion.objects.get(entry__code=body["code"]).reason == "首次编目"
    second = call(api_client(editor), "post", f"{BASE}/resources", new_resource(name="第二个")).json()
    assert second["code"] == "307000000/000002"


def test_create_resolves_natural_keys_and_reports_each_bad_one(editor):
    payload = new_resource(classification_code="999", department_code="000", region_code="36",
                           related_codes=["307000000/000001", "bad"])
    body = assert_error(call(api_client(editor), "post", f"{BASE}/resources", payload), 422)
    assert set(body["details"]) == {"classification_code", "department_code", "region_code", "related_codes[1]"}
    payload = new_resource(region_code="360600", data_updated_on="2024-05-01", related_codes=["101000000/000001"],
                           record_count=1200, source_system="婚姻登记系统")
    body = call(api_client(editor), "post", f"{BASE}/resources", payload).json()
    assert body["region_code"] == "360600000000" and body["data_updated_on"] == "2024-05-01"
    assert body["related_codes"] == ["101000000/000001"] and body["record_count"] == 1200


def test_create_validates_code_and_items(editor):
    client = api_client(editor)
    body = assert_error(call(client, "post", f"{BASE}/resources", new_resource(code="101000000/000001")), 422)
    assert "code" in body["details"]  # not in the classification 307
    body = assert_error(call(client, "post", f"{BASE}/resources", new_resource(items=[])), 422)
    assert "items" in body["details"]
    body = assert_error(call(client, "post", f"{BASE}/resources", new_resource(sharing_conditions="")), 422)
    assert "sharing_conditions" in body["details"]


def test_a_department_creates_only_its_own_entries(editor):
    response = call(api_client(editor), "post", f"{BASE}/resources",
                    new_resource(department_code=GUIXI_CIVIL_AFFAIRS))
    assert_error(response, 403, "out_of_scope")
    assert not CatalogEntry.objects.exists()


def test_without_a_department_the_creator_must_name_one(db):
    root = make_user("no_dept", is_superuser=True)
    body = assert_error(call(api_client(root), "post", f"{BASE}/resources", new_resource()), 422)
    assert "department_code" in body["details"]


def test_update_keeps_items_unless_given_and_records_a_version(editor):
    entry = make_entry(actor=editor, items=[item("姓名"), item("住址")])
    client = api_client(editor)
    body = call(client, "patch", url(entry.code), {"name": "新名称", "record_count": 5, "reason": "更名"}).json()
    assert body["name"] == "新名称" and [i["name"] for i in body["items"]] == ["姓名", "住址"]
    assert body["version"] == 2
    body = call(client, "patch", url(entry.code), {"items": [{"name": "证件号码", "data_type": "string"}],
                                                   "record_count": None}).json()
    assert [i["name"] for i in body["items"]] == ["证件号码"] and body["record_count"] is None
    versions = client.get(url(entry.code, "/versions")).json()
    assert versions["count"] == 3
    newest = versions["items"][0]
    assert (newest["version"], newest["action"], newest["actor"]) == (3, "change", "yj_editor")
    assert versions["items"][1]["reason"] == "更名"
    assert newest["snapshot"]["department_code"] == YUJIANG_CIVIL_AFFAIRS
    assert newest["snapshot"]["classification_code"] == "307" and "department" not in newest["snapshot"]
    assert [i["name"] for i in newest["snapshot"]["items"]] == ["证件号码"]


def test_only_drafts_are_edited(editor):
    entry = make_entry(status=Status.SUBMITTED)
    assert_error(call(api_client(editor), "patch", url(entry.code), {"name": "x"}), 409, "conflict")


def test_the_life_cycle_through_the_api(editor, reviewer):
    code = call(api_client(editor), "post", f"{BASE}/resources", new_resource()).json()["code"]
    steps = [(editor, "submit", {}, "submitted"), (reviewer, "reject", {"reason": "补充共享条件"}, "draft"),
             (editor, "submit", {}, "submitted"), (reviewer, "approve", {}, "reviewed"),
             (reviewer, "publish", {}, "published"), (reviewer, "withdraw", {"reason": "停用"}, "withdrawn"),
             (editor, "reopen", {}, "draft")]
    for user, action, payload, status in steps:
        response = call(api_client(user), "post", url(code, f"/{action}"), payload)
        assert response.status_code == 200, (action, response.content)
        assert response.json()["status"] == status
    body = api_client(editor).get(url(code, "/versions?limit=500")).json()
    assert [v["action"] for v in reversed(body["items"])] == ["create"] + [s[1] for s in steps]
    assert body["items"][-3]["reason"] == "补充共享条件"


def test_reject_and_withdraw_need_a_reason(reviewer):
    submitted = make_entry(status=Status.SUBMITTED)
    body = assert_error(call(api_client(reviewer), "post", url(submitted.code, "/reject"), {"reason": "  "}), 422)
    assert "reason" in body["details"]
    published = make_entry(status=Status.PUBLISHED)
    assert_error(call(api_client(reviewer), "post", url(published.code, "/withdraw"), {}), 422)


def test_a_transition_from_the_wrong_state_is_a_conflict(reviewer):
    draft = make_entry()
    assert_error(call(api_client(reviewer), "post", url(draft.code, "/publish"), {}), 409, "conflict")


# --- search ---------------------------------------------------------------------------------------
def test_search_shows_the_published_catalog_and_own_entries(editor, reviewer):
    own_draft = make_entry(name="余江婚姻草稿").code
    other_draft = make_entry(name="贵溪婚姻草稿", department_code=GUIXI_CIVIL_AFFAIRS).code
    other_published = make_entry(name="贵溪婚姻发布", department_code=GUIXI_CIVIL_AFFAIRS,
                                 status=Status.PUBLISHED).code
    body = api_client(editor).get(f"{BASE}/resources?q=婚姻").json()
    assert {i["code"] for i in body["items"]} == {own_draft, other_published}
    assert body["count"] == 2
    body = api_client(reviewer).get(f"{BASE}/resources?q=婚姻").json()
    assert {i["code"] for i in body["items"]} == {own_draft, other_draft, other_published}
    assert_error(api_client(editor).get(url(other_draft)), 404)


def test_search_answer_has_count_items_and_facets(editor):
    for n in range(3):
        make_entry(name=f"社保参保信息{n}", format="spreadsheet" if n else "database")
    make_entry(name="婚姻登记信息", department_code=GUIXI_CIVIL_AFFAIRS, status=Status.PUBLISHED)
    body = api_client(editor).get(f"{BASE}/resources?q=社保&limit=2").json()
    assert set(body) == {"count", "items", "facets"}
    assert body["count"] == 3 and len(body["items"]) == 2
    assert [i["code"] for i in body["items"]] == sorted(i["code"] for i in body["items"])
    facets = body["facets"]
    assert list(facets) == ["department", "catalog_type", "classification", "sharing_type", "open_type", "format",
                            "update_cycle", "region"]
    assert {f["value"]: f["count"] for f in facets["format"]} == {"spreadsheet": 2, "database": 1}
    assert facets["department"] == [{"value": YUJIANG_CIVIL_AFFAIRS, "name": "余江区民政局", "count": 3}]
    for values in facets.values():
        assert sum(v["count"] for v in values) == body["count"]
    page = api_client(editor).get(f"{BASE}/resources?q=社保&limit=2&offset=2").json()
    assert len(page["items"]) == 1 and page["count"] == 3
    assert api_client(editor).get(f"{BASE}/resources?q=社保&offset=10").json()["items"] == []


def test_search_filters_repeat_and_combine(editor):
    make_entry(name="社保一", format="spreadsheet")
    make_entry(name="社保二", format="database")
    make_entry(name="社保三", format="image", open_type="conditional", open_conditions="依申请")
    client = api_client(editor)
    body = client.get(f"{BASE}/resources?q=社保&format=spreadsheet&format=image").json()
    assert body["count"] == 2
    body = client.get(f"{BASE}/resources?q=社保&format=spreadsheet&format=image&open_type=conditional").json()
    assert [i["name"] for i in body["items"]] == ["社保三"]
    body = client.get(f"{BASE}/resources?department={YUJIANG_CIVIL_AFFAIRS}&catalog_type=3&region=360603"
                      f"&classification=307&status=draft&update_cycle=monthly&sharing_type=unconditional").json()
    assert body["count"] == 3
    assert client.get(f"{BASE}/resources?catalog_type=1").json()["count"] == 0


@pytest.mark.parametrize("query", ["catalog_type=4", "status=lost", "region=36", "limit=0", "offset=-1",
                                   "q=" + "很" * 201, "department=" + "1" * 21])
def test_search_refuses_bad_parameters(editor, query):
    assert_error(api_client(editor).get(f"{BASE}/resources?{query}"), 422, "invalid")


def test_negative_list_search_and_fields(editor):
    negative_list("101000000/000001", legal_basis="《统计法》")
    negative_list("101000000/000002", "身份证号")
    body = api_client(editor).get(f"{BASE}/negative-list?q=统计").json()
    assert body["count"] == 1
    listed = body["items"][0]
    assert (listed["resource_code"], listed["item_name"]) == ("101000000/000001", "")
    assert listed["legal_basis"] == "《统计法》"
    assert api_client(editor).get(f"{BASE}/negative-list").json()["count"] == 2


def test_classifications_list(editor):
    body = api_client(editor).get(f"{BASE}/classifications?parent=2&limit=500").json()
    assert body["count"] == 12 and body["items"][0] == {"code": "201", "name": "公共服务", "level": 2,
                                                         "parent_code": "2"}
    assert api_client(editor).get(f"{BASE}/classifications?level=1").json()["count"] == 3


def test_api_writes_are_audited_and_refusals_too(editor):
    from dgov.core.models import AuditEntry

    other = make_entry(department_code=GUIXI_CIVIL_AFFAIRS)
    call(api_client(editor), "patch", url(other.code), {"name": "x"})
    assert AuditEntry.objects.filter(actor_id=editor.pk, outcome="denied").exists()
    code = call(api_client(editor), "post", f"{BASE}/resources", new_resource()).json()["code"]
    entry = CatalogEntry.objects.get(code=code)
    assert AuditEntry.objects.filter(action="catalog.catalogentry.create", object_id=str(entry.pk),
                                     actor_id=editor.pk).exists()


def test_openapi_documents_the_catalog(client):
    paths = json.loads(client.get("/api/v1/openapi.json").content)["paths"]
    for path in ("/api/v1/catalog/resources", "/api/v1/catalog/resources/{code}",
                 "/api/v1/catalog/resources/{code}/versions", "/api/v1/catalog/resources/{code}/submit",
                 "/api/v1/catalog/negative-list", "/api/v1/catalog/negative-list/{id}",
                 "/api/v1/catalog/classifications"):
        assert path in paths, path
