import pytest

from dgov.accounts.testing import api_client
from dgov.core.testing import ApiContract, Case, assert_error, audited, call
from dgov.quality import services
from dgov.quality.models import QualityRule, QualityRun, RemediationTask, RuleKind, TaskState
from dgov.quality.tests.conftest import GOOD_ID, execute

BASE = "/api/v1/governance/quality"


def rule(table, name="xm 完整", kind=RuleKind.COMPLETENESS, columns=("xm",), params=None):
    return QualityRule.objects.create(table=table, name=name, kind=kind, columns=list(columns), params=params or {})


@pytest.fixture
def runs(people, guixi_people):
    rule(people)
    rule(guixi_people)
    return services.run_table(people), services.run_table(guixi_people)


@pytest.fixture
def tasks(runs):
    mine = RemediationTask.objects.get(table=runs[0].table)
    theirs = RemediationTask.objects.get(table=runs[1].table)
    return mine, theirs


class TestStartRun(ApiContract):
    @pytest.fixture
    def case(self, world, people, guixi_people, editor):
        rule(people)
        return Case(method="post", url=f"{BASE}/runs", payload={"table": people.qualified_name},
                    authorised=editor, unauthorised=world.official, ok_status=201,
                    bad_payload={"table": None})

    def test_out_of_scope(self, case, guixi_people):
        assert_error(call(api_client(case.authorised), "post", case.url, {"table": guixi_people.pk}), 404)

    def test_unknown_table(self, case):
        assert_error(call(api_client(case.authorised), "post", case.url, {"table": "datastore/nope"}), 404)

    def test_body(self, case, people):
        response = call(api_client(case.authorised), "post", case.url, {"table": people.pk})
        assert response.status_code == 201
        body = response.json()
        assert {"id", "table", "status", "score", "rows", "statements", "started_at", "finished_at",
                "results"} <= set(body)
        assert body["table"] == people.qualified_name and body["status"] == "succeeded"
        assert body["score"] == 50.0 and body["rows"] == 4
        (result,) = body["results"]
        assert {k: result[k] for k in ("rule", "kind", "checked", "failed", "failed_pct", "passed")} == {
            "rule": "xm 完整", "kind": "completeness", "checked": 4, "failed": 2, "failed_pct": 50.0,
            "passed": False}
        assert {"details", "sample"} <= set(result)
        assert audited("quality.qualityrun.create", object_id=str(body["id"]))

    def test_reviewer_may_not_run(self, case, reviewer, people):
        assert_error(call(api_client(reviewer), "post", case.url, {"table": people.pk}), 403)


class TestGetRun(ApiContract):
    @pytest.fixture
    def case(self, world, runs, editor):
        mine, theirs = runs
        return Case(method="get", url=f"{BASE}/runs/{mine.pk}", authorised=editor, unauthorised=world.official,
                    out_of_scope_url=f"{BASE}/runs/{theirs.pk}", bad_url=f"{BASE}/runs/x")

    def test_reviewer_sees_all(self, case, reviewer, runs):
        response = api_client(reviewer).get(f"{BASE}/runs/{runs[1].pk}")
        assert response.status_code == 200 and response.json()["results"][0]["failed"] == 2


class TestListRuns(ApiContract):
    test_out_of_scope = None  # a list: scope filters it (checked below)

    @pytest.fixture
    def case(self, world, runs, editor):
        return Case(method="get", url=f"{BASE}/runs", authorised=editor, unauthorised=world.official,
                    bad_url=f"{BASE}/runs?table=x")

    def test_scoped(self, case, runs):
        items = api_client(case.authorised).get(case.url).json()["items"]
        assert [i["id"] for i in items] == [runs[0].pk]


class TestListRules(ApiContract):
    test_out_of_scope = None  # a list: scope filters it (checked below)

    @pytest.fixture
    def case(self, world, runs, editor):
        return Case(method="get", url=f"{BASE}/rules", authorised=editor, unauthorised=world.official,
                    bad_url=f"{BASE}/rules?kind=nonsense")

    def test_scoped(self, case, people):
        items = api_client(case.authorised).get(case.url).json()["items"]
        assert [i["table_id"] for i in items] == [people.pk]


class TestCreateRule(ApiContract):
    @pytest.fixture
    def case(self, world, people, guixi_people, editor):
        payload = {"table": people.qualified_name, "name": "手机号格式", "kind": "regex", "columns": ["xm"],
                   "params": {"pattern": "^1[3-9][0-9]{9}$"}}
        return Case(method="post", url=f"{BASE}/rules", payload=payload, authorised=editor,
                    unauthorised=world.official, ok_status=201,
                    bad_payload={**payload, "params": {"pattern": "(["}}, extra={"guixi": guixi_people})

    def test_out_of_scope(self, case):
        payload = {**case.payload, "table": case.extra["guixi"].pk}
        assert_error(call(api_client(case.authorised), "post", case.url, payload), 404)

    def test_field_errors(self, case):
        body = assert_error(call(api_client(case.authorised), "post", case.url,
                                 {**case.payload, "kind": "custom_sql", "columns": [],
                                  "params": {"condition": "1=1; drop table people"}}), 422)
        assert body["details"]["params"]
        body = assert_error(call(api_client(case.authorised), "post", case.url,
                                 {**case.payload, "columns": ["nope"]}), 422)
        assert body["details"]["columns"]


def test_ids_beyond_a_64_bit_key_are_refused_not_overflowed(editor):
    """The fuzzed case that made PostgreSQL raise: a table id no bigint holds is a 422 like any bad filter."""
    client = api_client(editor)
    for url in (f"{BASE}/rules?table={2**63}", f"{BASE}/runs?table={2**63}", f"{BASE}/runs/{2**63}",
                f"{BASE}/tasks/{2**64}"):
        assert_error(client.get(url), 422)


class TestRuleDetail(ApiContract):
    @pytest.fixture
    def case(self, world, people, guixi_people, editor):
        mine, theirs = rule(people), rule(guixi_people)
        return Case(method="get", url=f"{BASE}/rules/{mine.pk}", authorised=editor, unauthorised=world.official,
                    out_of_scope_url=f"{BASE}/rules/{theirs.pk}", bad_url=f"{BASE}/rules/0")


class TestUpdateRule(ApiContract):
    @pytest.fixture
    def case(self, world, people, guixi_people, editor):
        mine, theirs = rule(people), rule(guixi_people)
        payload = {"table": people.pk, "name": "姓名完整", "kind": "completeness", "columns": ["xm"],
                   "params": {"empty_is_missing": False}, "threshold_pct": 10}
        return Case(method="put", url=f"{BASE}/rules/{mine.pk}", payload=payload, authorised=editor,
                    unauthorised=world.official, out_of_scope_url=f"{BASE}/rules/{theirs.pk}",
                    bad_payload={**payload, "threshold_pct": 101}, extra={"rule": mine})

    def test_saved(self, case):
        body = call(api_client(case.authorised), "put", case.url, case.payload).json()
        assert body["name"] == "姓名完整" and body["threshold_pct"] == 10.0
        assert audited("quality.qualityrule.change", object_id=str(case.extra["rule"].pk))


class TestDeleteRule(ApiContract):
    @pytest.fixture
    def case(self, world, people, guixi_people, editor):
        mine, theirs = rule(people), rule(guixi_people)
        return Case(method="delete", url=f"{BASE}/rules/{mine.pk}", authorised=editor,
                    unauthorised=world.official, out_of_scope_url=f"{BASE}/rules/{theirs.pk}",
                    bad_url=f"{BASE}/rules/x", ok_status=204)


class TestScores(ApiContract):
    test_out_of_scope = None  # the board shows the scope's tables only (checked below)
    test_bad_input = None  # no input

    @pytest.fixture
    def case(self, world, runs, editor):
        return Case(method="get", url=f"{BASE}/scores", authorised=editor, unauthorised=world.official)

    def test_board(self, case, reviewer, people):
        mine = api_client(case.authorised).get(case.url).json()
        assert [t["table_id"] for t in mine["tables"]] == [people.pk] and mine["city"] == 50.0
        assert mine["formula"]
        assert len(api_client(reviewer).get(case.url).json()["tables"]) == 2


class TestListTasks(ApiContract):
    test_out_of_scope = None  # a list: scope filters it (checked below)

    @pytest.fixture
    def case(self, world, tasks, editor):
        return Case(method="get", url=f"{BASE}/tasks", authorised=editor, unauthorised=world.official,
                    bad_url=f"{BASE}/tasks?state=nonsense")

    def test_scoped(self, case, tasks):
        items = api_client(case.authorised).get(case.url).json()["items"]
        assert [i["id"] for i in items] == [tasks[0].pk]
        assert api_client(case.authorised).get(f"{case.url}?overdue=true").json()["items"] == []


class TestGetTask(ApiContract):
    @pytest.fixture
    def case(self, world, tasks, editor):
        return Case(method="get", url=f"{BASE}/tasks/{tasks[0].pk}", authorised=editor,
                    unauthorised=world.official, out_of_scope_url=f"{BASE}/tasks/{tasks[1].pk}",
                    bad_url=f"{BASE}/tasks/x")


class TestFixTask(ApiContract):
    @pytest.fixture
    def case(self, world, tasks, editor):
        return Case(method="post", url=f"{BASE}/tasks/{tasks[0].pk}/fix", payload={"note": "已补录姓名"},
                    authorised=editor, unauthorised=world.official,
                    out_of_scope_url=f"{BASE}/tasks/{tasks[1].pk}/fix", bad_payload={"note": ""})

    def test_fix_then_recheck(self, case, tasks, db_path):
        body = call(api_client(case.authorised), "post", case.url, case.payload).json()
        assert body["state"] == TaskState.OPEN and body["last_failed"] == 2
        execute(db_path, "UPDATE people SET xm = '王五', sfzh = :id WHERE xm IS NULL OR xm = ''", id=GOOD_ID)
        body = call(api_client(case.authorised), "post", case.url, case.payload).json()
        assert body["state"] == TaskState.CLOSED and body["last_failed"] == 0
        assert QualityRun.objects.filter(trigger="recheck").count() == 2
        assert_error(call(api_client(case.authorised), "post", case.url, case.payload), 422, "not_allowed")
