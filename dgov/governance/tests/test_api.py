"""The API contract of /api/v1/governance: anonymous 401, no permission 403, out of scope 404, in scope,
bad input 422 — and what each endpoint answers."""

import datetime as dt

import pytest
import yaml

from dgov.accounts.testing import api_client
from dgov.catalog.testing import make_entry
from dgov.core.testing import ApiContract, Case, assert_error, audited
from dgov.governance import services
from dgov.governance.models import RankingPublication, ResourceFeedback

BASE = "/api/v1/governance"
pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(db):
    return make_entry(department_code="360681909")  # 贵溪市民政局, unpublished: out of Yujiang's scope


@pytest.fixture
def rated(scene, consumer):
    return services.feedback_save(actor=consumer, feedback=ResourceFeedback(
        entry=scene.entry, department=consumer.department, score=4, comment="好用"))


@pytest.fixture
def foreign_feedback(scene):
    """A rating of another consuming department (贵溪市人社局, via its own grant): out of the consumer's scope."""
    from dgov.sharing.models import Status
    from dgov.sharing.testing import GUIXI_HRSS, make_app, make_request

    app = make_app(GUIXI_HRSS)
    make_request(application=app, entry=scene.entry, status=Status.GRANTED)
    return ResourceFeedback.objects.create(entry=scene.entry, department=app.department, score=2)


class TestLineage(ApiContract):
    @pytest.fixture
    def case(self, scene, provider, plain, draft):
        return Case(method="get", url=f"{BASE}/lineage?entry={scene.entry.code}", authorised=provider,
                    unauthorised=plain, out_of_scope_url=f"{BASE}/lineage?entry={draft.code}",
                    bad_url=f"{BASE}/lineage?entry=not-a-code")


def test_lineage_answer(scene, governor):
    body = api_client(governor).get(f"{BASE}/lineage?table={scene.ds_table.pk}").json()
    assert {"id", "kind", "label", "url"} <= set(body["nodes"][0])
    edge = next(e for e in body["edges"] if e["to"] == f"dataset:{scene.dataset.pk}")
    assert edge["from"] == f"source:{scene.source.pk}:public.dibao" and ["id_no", "sfzh"] in edge["columns"]
    assert edge["job"] == "低保对象全量" and "calls" not in edge
    assert next(n for n in body["nodes"] if n["id"] == f"dataset:{scene.dataset.pk}")["score"] == 80.0
    assert_error(api_client(governor).get(f"{BASE}/lineage"), 422)
    assert_error(api_client(governor).get(f"{BASE}/lineage?table=999999"), 404)
    assert_error(api_client(governor).get(f"{BASE}/lineage?table={2**63}"), 422)  # beyond a 64-bit key
    assert_error(api_client(governor).get(f"{BASE}/feedback/{2**63}"), 422)
    assert_error(api_client(governor).post(f"{BASE}/evaluation/publish", data={"start": "9999-12-01",
                                                                              "end": "9999-12-31"},
                                           content_type="application/json"), 422)


class TestEvaluation(ApiContract):
    test_out_of_scope = None  # a ranking of what the caller may see: no object out of scope

    @pytest.fixture
    def case(self, scene, consumer, plain):
        return Case(method="get", url=f"{BASE}/evaluation", authorised=consumer, unauthorised=plain,
                    bad_url=f"{BASE}/evaluation?start=2026-02-30")


def test_evaluation_answer(scene, consumer, rated):
    body = api_client(consumer).get(f"{BASE}/evaluation").json()
    row = next(r for r in body["resources"] if r["code"] == scene.entry.code)
    assert row["calls"] == 3 and row["rating"] == 0.75 and row["quality"] == 0.8
    assert body["formula"]["weights"]["quality"] == 0.3
    assert_error(api_client(consumer).get(f"{BASE}/evaluation?start=2026-03-01&end=2026-01-01"), 422)
    assert_error(api_client(consumer).get(f"{BASE}/evaluation?department=nope"), 422)
    assert api_client(consumer).get(f"{BASE}/evaluation?department=360681909").json()["resources"] == []


class TestPublish(ApiContract):
    test_out_of_scope = None  # rankings are platform-wide (shared scope)

    @pytest.fixture
    def case(self, scene, governor, reviewer):
        return Case(method="post", url=f"{BASE}/evaluation/publish", authorised=governor, unauthorised=reviewer,
                    payload={"start": "2026-01-01", "end": "2026-01-31"}, bad_payload={"start": "x", "end": ""},
                    ok_status=201)


def test_publish_and_public_read(scene, governor):
    assert_error(api_client(None).get(f"{BASE}/evaluation/published"), 404)
    response = api_client(governor).post(f"{BASE}/evaluation/publish", content_type="application/json",
                                         data={"start": "2026-01-01", "end": "2026-01-31"})
    assert response.status_code == 201
    assert audited("governance.rankingpublication.publish", object_id=str(response.json()["id"]))
    public = api_client(None).get(f"{BASE}/evaluation/published")
    assert public.status_code == 200 and public.json()["id"] == response.json()["id"]
    assert public.json()["period_start"] == "2026-01-01"
    assert RankingPublication.objects.count() == 1


class TestFeedbackList(ApiContract):
    test_out_of_scope = None  # test_feedback_list_is_scoped

    @pytest.fixture
    def case(self, rated, consumer, plain):
        return Case(method="get", url=f"{BASE}/feedback", authorised=consumer, unauthorised=plain,
                    bad_url=f"{BASE}/feedback?limit=0")


def test_feedback_list_is_scoped(rated, foreign_feedback, consumer, provider, outsider):
    assert [f["id"] for f in api_client(consumer).get(f"{BASE}/feedback").json()["items"]] == [rated.pk]
    assert api_client(provider).get(f"{BASE}/feedback").json()["count"] == 2
    assert api_client(outsider).get(f"{BASE}/feedback").json()["count"] == 0


class TestFeedbackGet(ApiContract):
    @pytest.fixture
    def case(self, rated, foreign_feedback, consumer, plain):
        return Case(method="get", url=f"{BASE}/feedback/{rated.pk}", authorised=consumer, unauthorised=plain,
                    out_of_scope_url=f"{BASE}/feedback/{foreign_feedback.pk}", bad_url=f"{BASE}/feedback/x")


class TestFeedbackCreate(ApiContract):
    test_out_of_scope = None  # a department out of scope: test_feedback_create_rules

    @pytest.fixture
    def case(self, scene, consumer, reviewer):
        return Case(method="post", url=f"{BASE}/feedback", authorised=consumer, unauthorised=reviewer,
                    payload={"entry": scene.entry.code, "score": 5, "comment": "及时"},
                    bad_payload={"entry": scene.entry.code, "score": 9}, ok_status=201)


def test_feedback_create_rules(scene, consumer, outsider, provider):
    client = api_client(consumer)
    created = client.post(f"{BASE}/feedback", data={"entry": scene.entry.code, "score": 5},
                          content_type="application/json")
    assert created.status_code == 201 and created.json()["department"] == consumer.department.code
    assert_error(client.post(f"{BASE}/feedback", data={"entry": scene.entry.code, "score": 3},
                             content_type="application/json"), 409, "conflict")
    # a department without a grant is refused, naming the reason
    body = assert_error(api_client(outsider).post(f"{BASE}/feedback", data={"entry": scene.entry.code, "score": 3},
                                                  content_type="application/json"), 422, "no_grant")
    assert "entry" in body["details"]
    # rating for a department out of the caller's scope
    assert_error(api_client(outsider).post(f"{BASE}/feedback", data={
        "entry": scene.entry.code, "score": 3, "department": consumer.department.code},
        content_type="application/json"), 403, "out_of_scope")
    assert_error(client.post(f"{BASE}/feedback", data={"entry": "999999999/999999", "score": 3},
                             content_type="application/json"), 422)


class TestFeedbackPatch(ApiContract):
    @pytest.fixture
    def case(self, rated, foreign_feedback, consumer, reviewer):
        return Case(method="patch", url=f"{BASE}/feedback/{rated.pk}", authorised=consumer, unauthorised=reviewer,
                    out_of_scope_url=f"{BASE}/feedback/{foreign_feedback.pk}", payload={"score": 2},
                    bad_payload={"score": 0})


class TestFeedbackReply(ApiContract):
    @pytest.fixture
    def case(self, rated, provider, reviewer):
        return Case(method="post", url=f"{BASE}/feedback/{rated.pk}/reply", authorised=provider,
                    unauthorised=reviewer, out_of_scope_url=f"{BASE}/feedback/{rated.pk}/reply",
                    payload={"reply": "已改进"}, bad_payload={"reply": ""})

    def test_out_of_scope(self, case, outsider):
        assert_error(api_client(outsider).post(case.url, data={"reply": "x"}, content_type="application/json"), 404)


class TestFeedbackDelete(ApiContract):
    @pytest.fixture
    def case(self, rated, foreign_feedback, consumer, reviewer):
        return Case(method="delete", url=f"{BASE}/feedback/{rated.pk}", authorised=consumer, unauthorised=reviewer,
                    out_of_scope_url=f"{BASE}/feedback/{foreign_feedback.pk}", bad_url=f"{BASE}/feedback/0x",
                    ok_status=204)


class TestContract(ApiContract):
    @pytest.fixture
    def case(self, scene, provider, plain, draft):
        return Case(method="get", url=f"{BASE}/contracts/{scene.entry.code}.yaml", authorised=provider,
                    unauthorised=plain, out_of_scope_url=f"{BASE}/contracts/{draft.code}.yaml",
                    bad_url=f"{BASE}/contracts/not-a-code.yaml")

    def test_in_scope(self, case):
        response = api_client(case.authorised).get(case.url)
        assert response.status_code == 200 and response["Content-Type"].startswith("application/yaml")
        doc = yaml.safe_load(response.content)
        assert doc["apiVersion"] == "v3.0.2" and doc["id"].endswith(case.url.split("/contracts/")[1][:-5])

    def test_bad_input(self, case):
        assert_error(api_client(case.authorised).get(case.bad_url), (404, 422))


def test_period_default_is_thirty_days(scene, consumer):
    body = api_client(consumer).get(f"{BASE}/evaluation").json()
    start, end = dt.date.fromisoformat(body["period"]["start"]), dt.date.fromisoformat(body["period"]["end"])
    assert (end - start).days == 29
