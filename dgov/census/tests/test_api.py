"""The census API: the contract of every endpoint (anonymous, unauthorised, out of scope, in scope,
bad input) and the answers the departments and the centre rely on."""

import io

import pytest
from openpyxl import load_workbook

from dgov.accounts.testing import api_client, make_user
from dgov.catalog.models import CatalogEntry
from dgov.catalog.testing import GUIXI_CIVIL_AFFAIRS, YUJIANG_CIVIL_AFFAIRS, make_editor, make_entry, make_reviewer
from dgov.census import services
from dgov.census.models import CampaignState
from dgov.census.testing import make_campaign, template_rows, xlsx
from dgov.core.testing import ApiContract, Case, assert_error, call

BASE = "/api/v1/catalog/census"


@pytest.fixture
def cast(db):
    reviewer = make_reviewer("census_reviewer")
    editor = make_editor(YUJIANG_CIVIL_AFFAIRS, "census_editor")
    make_entry(name="低保救助对象信息")
    campaign = make_campaign(actor=reviewer)
    draft = make_campaign(actor=reviewer, state=CampaignState.DRAFT, name="下半年补充普查")
    return {"reviewer": reviewer, "editor": editor, "campaign": campaign, "draft": draft,
            "mine": campaign.assignments.get(department__code=YUJIANG_CIVIL_AFFAIRS),
            "theirs": campaign.assignments.get(department__code=GUIXI_CIVIL_AFFAIRS),
            "guixi_reviewer": make_user("gx_census_reviewer", department_code="360681000",
                                        roles=[("catalog_reviewer", "region", "360681")])}


def submitted(cast):
    mine = cast["mine"]
    services.upload(actor=cast["editor"], assignment=mine, data=xlsx(template_rows(mine)), filename="a.xlsx",
                    dry_run=False)
    return mine


# --- campaigns ------------------------------------------------------------------------------------
class TestListCampaigns(ApiContract):
    test_out_of_scope = None  # a list: what lies outside the scope is left out (see test_departments_see…)

    @pytest.fixture
    def case(self, world, cast):
        return Case(method="get", url=f"{BASE}/campaigns?year=2026", authorised=cast["editor"],
                    unauthorised=world.official, bad_url=f"{BASE}/campaigns?state=sometimes")


class TestCreateCampaign(ApiContract):
    test_out_of_scope = None  # campaigns are city-wide: creating one has no scope to leave

    @pytest.fixture
    def case(self, cast):
        payload = {"year": 2027, "name": "2027年度数据资源普查", "opens_on": "2027-03-01", "due_on": "2027-05-31"}
        return Case(method="post", url=f"{BASE}/campaigns", authorised=cast["reviewer"],
                    unauthorised=cast["editor"], payload=payload, ok_status=201,
                    bad_payload={**payload, "due_on": "2027-01-31"})


class TestGetCampaign(ApiContract):
    @pytest.fixture
    def case(self, world, cast):
        return Case(method="get", url=f"{BASE}/campaigns/{cast['campaign'].pk}", authorised=cast["editor"],
                    unauthorised=world.official, out_of_scope_url=f"{BASE}/campaigns/{cast['draft'].pk}",
                    bad_url=f"{BASE}/campaigns/x")


class TestUpdateCampaign(ApiContract):
    test_out_of_scope = None  # campaigns are city-wide: every reviewer manages every campaign

    @pytest.fixture
    def case(self, cast):
        return Case(method="patch", url=f"{BASE}/campaigns/{cast['campaign'].pk}", authorised=cast["reviewer"],
                    unauthorised=cast["editor"], payload={"instructions": "请于5月底前完成。"},
                    bad_payload={"name": ""})


class TestAssign(ApiContract):
    test_out_of_scope = None  # as above

    @pytest.fixture
    def case(self, cast):
        return Case(method="post", url=f"{BASE}/campaigns/{cast['draft'].pk}/assign", authorised=cast["reviewer"],
                    unauthorised=cast["editor"], payload={"under": "360603000"},
                    bad_payload={"department_codes": ["999999999"]})


class TestOpenCampaign(ApiContract):
    test_out_of_scope = None  # as above

    @pytest.fixture
    def case(self, cast):
        return Case(method="post", url=f"{BASE}/campaigns/{cast['draft'].pk}/open", authorised=cast["reviewer"],
                    unauthorised=cast["editor"], bad_url=f"{BASE}/campaigns/x/open")


class TestCloseCampaign(ApiContract):
    test_out_of_scope = None  # as above

    @pytest.fixture
    def case(self, cast):
        return Case(method="post", url=f"{BASE}/campaigns/{cast['campaign'].pk}/close", authorised=cast["reviewer"],
                    unauthorised=cast["editor"], bad_url=f"{BASE}/campaigns/x/close")


class TestReopenCampaign(ApiContract):
    test_out_of_scope = None  # as above

    @pytest.fixture
    def case(self, cast):
        services.close_campaign(actor=cast["reviewer"], campaign=cast["campaign"])
        return Case(method="post", url=f"{BASE}/campaigns/{cast['campaign'].pk}/reopen", authorised=cast["reviewer"],
                    unauthorised=cast["editor"], payload={"due_on": "2099-12-31"},
                    bad_payload={"due_on": "2000-01-01"})


def test_reopening_sets_the_new_due_date(cast):
    services.close_campaign(actor=cast["reviewer"], campaign=cast["campaign"])
    client = api_client(cast["reviewer"])
    body = call(client, "post", f"{BASE}/campaigns/{cast['campaign'].pk}/reopen", {"due_on": "2099-12-31"}).json()
    assert (body["state"], body["due_on"]) == ("open", "2099-12-31")
    assert_error(call(client, "post", f"{BASE}/campaigns/{cast['campaign'].pk}/reopen", {"due_on": "2099-12-31"}),
                 409)
    assert_error(call(client, "post", f"{BASE}/campaigns/{cast['campaign'].pk}/reopen", {}), 422)


# --- assignments ----------------------------------------------------------------------------------
class TestListAssignments(ApiContract):
    test_out_of_scope = None  # a list: see test_a_department_lists_only_its_own_assignments

    @pytest.fixture
    def case(self, world, cast):
        return Case(method="get", url=f"{BASE}/assignments?state=assigned&overdue=false", authorised=cast["editor"],
                    unauthorised=world.official, bad_url=f"{BASE}/assignments?state=lost")


def _assignment_case(world, cast, suffix="", **kw):
    return Case(method="get", url=f"{BASE}/assignments/{cast['mine'].pk}{suffix}", authorised=cast["editor"],
                unauthorised=world.official, out_of_scope_url=f"{BASE}/assignments/{cast['theirs'].pk}{suffix}",
                bad_url=f"{BASE}/assignments/x{suffix}", **kw)


class TestGetAssignment(ApiContract):
    @pytest.fixture
    def case(self, world, cast):
        return _assignment_case(world, cast)


class TestListUploads(ApiContract):
    @pytest.fixture
    def case(self, world, cast):
        submitted(cast)
        return _assignment_case(world, cast, "/uploads")


class TestTemplate(ApiContract):
    @pytest.fixture
    def case(self, world, cast):
        return _assignment_case(world, cast, "/template")

    def test_in_scope(self, case):
        response = api_client(case.authorised).get(case.url)
        assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxml")
        rows = list(load_workbook(io.BytesIO(response.content)).worksheets[0].iter_rows(values_only=True))
        assert [r[1] for r in rows[1:]] == ["低保救助对象信息"]


class TestUpload(ApiContract):
    """Multipart: the contract's five cases, sending a file."""

    @pytest.fixture
    def case(self, world, cast):
        return Case(method="post", url=f"{BASE}/assignments/{cast['mine'].pk}/upload", authorised=cast["editor"],
                    unauthorised=world.official, out_of_scope_url=f"{BASE}/assignments/{cast['theirs'].pk}/upload",
                    extra={"data": xlsx(template_rows(cast["mine"]))})

    @staticmethod
    def post(user, url, data):
        files = {"file": io.BytesIO(data)} if data is not None else {}
        if files:
            files["file"].name = "普查.xlsx"
        return api_client(user).post(url, data=files)

    def test_anonymous(self, case):
        assert_error(self.post(None, case.url, case.extra["data"]), 401, "not_authenticated")

    def test_unauthorised(self, case):
        assert_error(self.post(case.unauthorised, case.url, case.extra["data"]), 403)

    def test_out_of_scope(self, case):
        assert_error(self.post(case.authorised, case.out_of_scope_url, case.extra["data"]), 404)

    def test_in_scope(self, case):
        response = self.post(case.authorised, case.url + "?dry_run=true", case.extra["data"])
        assert response.status_code == 200, response.content
        body = response.json()
        assert (body["ok"], body["created"], body["updated"], body["unchanged"], body["errors"]) == (
            True, 0, 0, 1, [])
        assert body["dry_run"] is True and len(body["digest"]) == 64

    def test_bad_input(self, case):
        assert_error(self.post(case.authorised, case.url, None), 422)
        assert_error(self.post(case.authorised, case.url + "?dry_run=perhaps", case.extra["data"]), 422)


class TestAccept(ApiContract):
    @pytest.fixture
    def case(self, cast):
        submitted(cast)
        return Case(method="post", url=f"{BASE}/assignments/{cast['mine'].pk}/accept",
                    authorised=cast["reviewer"], unauthorised=cast["editor"], bad_url=f"{BASE}/assignments/x/accept")

    def test_out_of_scope(self, case, cast):
        assert_error(call(api_client(cast["guixi_reviewer"]), "post", case.url), 404)


class TestReturn(ApiContract):
    @pytest.fixture
    def case(self, cast):
        submitted(cast)
        return Case(method="post", url=f"{BASE}/assignments/{cast['mine'].pk}/return", authorised=cast["reviewer"],
                    unauthorised=cast["editor"], payload={"reason": "请补充社会救助类资源"}, bad_payload={"reason": ""})

    def test_out_of_scope(self, case, cast):
        assert_error(call(api_client(cast["guixi_reviewer"]), "post", case.url, case.payload), 404)


# --- behaviour ------------------------------------------------------------------------------------
def test_upload_with_errors_answers_by_row_and_column_and_writes_nothing(cast):
    rows = template_rows(cast["mine"])
    rows.append(["", "新资源", "307", GUIXI_CIVIL_AFFAIRS] + [""] * (len(rows[0]) - 4))
    client = api_client(cast["editor"])
    file = io.BytesIO(xlsx(rows))
    file.name = "普查.xlsx"
    body = client.post(f"{BASE}/assignments/{cast['mine'].pk}/upload", data={"file": file},
                       HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert body["ok"] is False and body["created"] == 0
    assert {(e["row"], e["column"]) for e in body["errors"]} >= {(3, "提供方部门代码"), (3, "摘要"), (3, "信息项")}
    assert any("必填" in e["message"] or "此字段" in e["message"] for e in body["errors"])
    assert CatalogEntry.objects.filter(name="新资源").count() == 0
    assert client.get(f"{BASE}/assignments/{cast['mine'].pk}").json()["state"] == "assigned"


def test_campaign_progress_and_states_through_the_api(cast):
    submitted(cast)
    reviewer = api_client(cast["reviewer"])
    body = reviewer.get(f"{BASE}/campaigns/{cast['campaign'].pk}").json()
    assert body["progress"] == {"assigned": 2, "done": 1, "overdue": 0, "rate": 50.0,
                                "by_state": {"assigned": 1, "submitted": 1, "accepted": 0, "returned": 0}}
    listed = reviewer.get(f"{BASE}/assignments?campaign={cast['campaign'].pk}&state=submitted").json()
    assert [a["department_code"] for a in listed["items"]] == [YUJIANG_CIVIL_AFFAIRS]
    assert listed["items"][0]["confirmed"] == 1 and listed["items"][0]["last_upload_at"]
    assert reviewer.post(f"{BASE}/assignments/{cast['mine'].pk}/accept").json()["state"] == "accepted"
    assert_error(reviewer.post(f"{BASE}/assignments/{cast['mine'].pk}/accept"), 409, "conflict")
    names = [c["name"] for c in reviewer.get(f"{BASE}/campaigns").json()["items"]]
    assert set(names) == {"2026年度数据资源普查", "下半年补充普查"}


def test_departments_see_opened_campaigns_and_their_own_assignments(cast):
    editor = api_client(cast["editor"])
    assert [c["name"] for c in editor.get(f"{BASE}/campaigns").json()["items"]] == ["2026年度数据资源普查"]
    assert editor.get(f"{BASE}/campaigns/{cast['campaign'].pk}").json()["progress"]["assigned"] == 1
    assert [a["id"] for a in editor.get(f"{BASE}/assignments").json()["items"]] == [cast["mine"].pk]


def test_an_id_beyond_the_databases_integers_is_bad_input_not_a_crash(cast):
    """Found by the OpenAPI fuzzer: SQLite cannot bind an integer past 64 bits."""
    response = api_client(cast["reviewer"]).get(f"{BASE}/assignments?campaign={2**72}")
    assert_error(response, 422)
    assert api_client(cast["reviewer"]).get(f"{BASE}/assignments?campaign={2**63 - 1}").json()["count"] == 0
