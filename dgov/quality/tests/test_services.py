import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command

from dgov.core.errors import PermissionDenied, ValidationError
from dgov.core.testing import audited
from dgov.notifications.models import OutboxMessage
from dgov.quality import rules, selectors, services
from dgov.quality.models import (
    QualityPlan,
    QualityRule,
    QualityRun,
    RemediationTask,
    RuleKind,
    Schedule,
    TaskState,
)
from dgov.quality.tests.conftest import GOOD_ID, NOW, execute


def rule(table, name, kind, columns, params=None, **fields):
    return QualityRule.objects.create(table=table, name=name, kind=kind, columns=columns, params=params or {},
                                      **fields)


def save(actor, table, kind, columns, params=None, name="r"):
    return services.rule_save(actor=actor, instance=QualityRule(table=table, name=name, kind=kind,
                                                                columns=columns, params=params or {}))


# --- rule validation ------------------------------------------------------------------------------------

@pytest.mark.parametrize("condition", [
    "score > 1; DROP TABLE people", "score > 1 -- x", "score /* x */ > 1", "1 = 1 # x",
    "score > (select 1 into x)", "score in (delete from people)", "exists (insert into t values (1))",
    "UPDATE people SET xm = 1", "pragma foo", "  ", "ATTACH 'x' AS y", "score > 1 or CALL p()",
])
def test_custom_sql_refused(people, editor, condition):
    with pytest.raises(ValidationError) as exc:
        save(editor, people, RuleKind.CUSTOM_SQL, [], {"condition": condition})
    assert exc.value.details["params"]


def test_custom_sql_keywords_inside_literals_and_words_allowed(people, editor):
    for condition in ("xm = 'delete me'", "updated < '2026-01-01'", "score > max_score", "xm like 'insert%'"):
        assert rules.custom_sql_problem(condition) is None, condition
    assert save(editor, people, RuleKind.CUSTOM_SQL, [], {"condition": "score > max_score"}).pk


@pytest.mark.parametrize(("kind", "columns", "params", "field"), [
    ("nonsense", ["xm"], {}, "kind"),
    (RuleKind.COMPLETENESS, ["nope"], {}, "columns"),
    (RuleKind.COMPLETENESS, ["xm", "sfzh"], {}, "columns"),
    (RuleKind.COMPLETENESS, ["xm"], {"empty_is_missing": "yes"}, "params"),
    (RuleKind.COMPLETENESS, ["xm"], {"other": 1}, "params"),
    (RuleKind.UNIQUENESS, [], {}, "columns"),
    (RuleKind.UNIQUENESS, ["xm", "xm"], {}, "columns"),
    (RuleKind.UNIQUENESS, ["xm"], {"nulls": "some"}, "params"),
    (RuleKind.REGEX, ["xm"], {"pattern": "(["}, "params"),
    (RuleKind.REGEX, ["xm"], {}, "params"),
    (RuleKind.RANGE, ["score"], {}, "params"),
    (RuleKind.RANGE, ["score"], {"min": "a"}, "params"),
    (RuleKind.RANGE, ["score"], {"min": 5, "max": 1}, "params"),
    (RuleKind.RANGE, ["updated"], {"min": "yesterday"}, "params"),
    (RuleKind.LENGTH, ["xm"], {"max": -1}, "params"),
    (RuleKind.CODE_SET, ["region"], {"code_set": "NO SUCH SET"}, "params"),
    (RuleKind.CODE_SET, ["region"], {}, "params"),
    (RuleKind.REFERENCE, ["region"], {"table": "source-0/regions", "columns": ["code"]}, "params"),
    (RuleKind.CONSISTENCY, ["score", "max_score"], {"op": "=="}, "params"),
    (RuleKind.CONSISTENCY, ["score"], {"op": "<"}, "columns"),
    (RuleKind.FRESHNESS, ["updated"], {"max_age_hours": 0}, "params"),
    (RuleKind.FRESHNESS, ["xm"], {"max_age_hours": 1}, "columns"),
    (RuleKind.FRESHNESS, ["updated"], {"max_age_hours": 1, "timezone": "Mars"}, "params"),
    (RuleKind.CUSTOM_SQL, ["xm"], {"condition": "xm = ''"}, "columns"),
    (RuleKind.ID_NUMBER, ["sfzh"], {"x": 1}, "params"),
])
def test_rule_validation(people, editor, kind, columns, params, field):
    with pytest.raises(ValidationError) as exc:
        save(editor, people, kind, columns, params)
    assert field in exc.value.details, exc.value.details


def test_reference_resolved_to_same_location(people, regions, guixi_people, editor):
    saved = save(editor, people, RuleKind.REFERENCE, ["region"],
                 {"table": regions.qualified_name, "columns": ["code"]})
    assert saved.params["table"] == regions.pk
    with pytest.raises(ValidationError):  # another database's table
        save(editor, people, RuleKind.REFERENCE, ["region"], {"table": guixi_people.pk, "columns": ["id"]},
             name="r2")
    with pytest.raises(ValidationError):
        save(editor, people, RuleKind.REFERENCE, ["region"], {"table": regions.pk, "columns": ["nope"]}, name="r3")


def test_rule_save_scope_and_audit(people, guixi_people, editor):
    saved = save(editor, people, RuleKind.COMPLETENESS, ["xm"])
    assert audited("quality.qualityrule.create", object_id=str(saved.pk))
    with pytest.raises(PermissionDenied):
        save(editor, guixi_people, RuleKind.COMPLETENESS, ["xm"])


# --- runs -----------------------------------------------------------------------------------------------

def test_run_counts_score_and_results(people, regions, editor):
    rule(people, "xm complete", RuleKind.COMPLETENESS, ["xm"], weight=2)
    rule(people, "sfzh unique", RuleKind.UNIQUENESS, ["sfzh"])
    rule(people, "sfzh valid", RuleKind.ID_NUMBER, ["sfzh"])
    rule(people, "region ref", RuleKind.REFERENCE, ["region"], {"table": regions.pk, "columns": ["code"]})
    rule(people, "score <= max", RuleKind.CONSISTENCY, ["score", "max_score"], {"op": "<="})
    rule(people, "fresh", RuleKind.FRESHNESS, ["updated"], {"max_age_hours": 12})
    rule(people, "custom", RuleKind.CUSTOM_SQL, [], {"condition": "score > max_score"})
    rule(people, "disabled", RuleKind.COMPLETENESS, ["region"], enabled=False)
    run = services.run_table(people, actor=editor, now=NOW)
    assert run.status == QualityRun.Status.SUCCEEDED, run.error
    assert run.rows == 4 and run.statements >= 1 and run.dialect == "sqlite" and "SELECT" in run.sql.upper()
    got = {r.rule_name: (r.checked, r.failed, r.passed) for r in run.results.all()}
    assert got == {"xm complete": (4, 2, False), "sfzh unique": (4, 2, False), "sfzh valid": (4, 1, False),
                   "region ref": (3, 1, False), "score <= max": (4, 1, False), "fresh": (4, 4, False),
                   "custom": (4, 1, False)}
    results = {r.rule_name: r for r in run.results.all()}
    assert results["xm complete"].details["nulls"] == 1 and results["xm complete"].details["empty"] == 1
    assert results["sfzh unique"].details["groups"] == 1
    assert results["xm complete"].failed_pct == Decimal("50.000")
    # masked samples: the personal column never shows whole
    for sample_row in results["sfzh valid"].sample:
        assert sample_row.get("sfzh") != GOOD_ID[:-1] + "0"
        assert all(GOOD_ID not in str(v) for v in sample_row.values())
    # weighted: (2×50 + 50 + 75 + 66.67 + 75 + 0 + 75) / 8
    expected = (2 * 50 + 50 + 75 + Decimal(100) * (1 - Decimal(1) / 3) + 75 + 0 + 75) / 8
    assert run.score == expected.quantize(Decimal("0.01"))
    assert audited("quality.qualityrun.create", object_id=str(run.pk))


def test_table_score_formula():
    assert services.table_score([(1, 0, 0, "")]) == 100
    assert services.table_score([(1, 10, 5, ""), (3, 10, 0, "")]) == Decimal("87.50")
    assert services.table_score([(1, 10, 10, "boom")]) is None


def test_threshold_makes_rule_pass(people, editor):
    rule(people, "xm", RuleKind.COMPLETENESS, ["xm"], threshold_pct=Decimal("50"))
    run = services.run_table(people, actor=editor)
    assert run.results.get().passed
    assert not RemediationTask.objects.exists()


def test_code_set_and_conformance_resolved_at_run_time(people, editor):
    from dgov.metadata.models import MetaColumn
    from dgov.standards.models import CodeSet, CodeValue, DataElement

    code_set = CodeSet.objects.create(code="TEST-REGIONS", name="测试区划")
    CodeValue.objects.create(code_set=code_set, code="360602", name="月湖区")
    rule(people, "region codes", RuleKind.CODE_SET, ["region"], {"code_set": "TEST-REGIONS"})
    element = DataElement.objects.create(identifier="DE_T1", name="区划", definition="d", data_type="integer",
                                         max_length=6, code_set=code_set)
    MetaColumn.objects.filter(table=people, name="region").update(element=element)
    rule(people, "region conforms", RuleKind.CONFORMANCE, ["region"])
    rule(people, "xm conforms", RuleKind.CONFORMANCE, ["xm"])
    run = services.run_table(people, actor=editor)
    results = {r.rule_name: r for r in run.results.all()}
    assert (results["region codes"].checked, results["region codes"].failed) == (3, 2)
    assert results["region codes"].details["code_set"] == "TEST-REGIONS"
    conform = results["region conforms"]
    assert conform.failed == 2 and conform.details["type_ok"] is False and conform.details["element"] == "DE_T1"
    assert results["xm conforms"].error  # no element mapped
    CodeValue.objects.create(code_set=code_set, code="360603", name="余江区")
    CodeValue.objects.create(code_set=code_set, code="360699", name="测试")
    run = services.run_table(people, actor=editor)
    assert run.results.get(rule_name="region codes").failed == 0


def test_connection_failure_marks_run_failed(people, editor, db_path):
    rule(people, "xm", RuleKind.COMPLETENESS, ["xm"])
    db_path.unlink()
    run = services.run_table(people, actor=editor)
    assert run.status == QualityRun.Status.FAILED and run.error
    assert audited("quality.qualityrun.create", object_id=str(run.pk), outcome="failure")


def test_run_needs_scope(guixi_people, editor):
    with pytest.raises(PermissionDenied):
        services.run_table(guixi_people, actor=editor)


def test_run_on_datastore_table(editor, datastore):  # noqa: F811
    import sqlalchemy as sa

    from dgov.aggregation import datastore as store
    from dgov.catalog.testing import YUJIANG_CIVIL_AFFAIRS
    from dgov.metadata.models import MetaColumn, MetaTable
    from dgov.orgs.models import Department

    with store.engine().begin() as conn:
        conn.execute(sa.text("CREATE TABLE ds_quality_t (_key VARCHAR(64) PRIMARY KEY, xm VARCHAR(20), "
                             "_deleted BOOLEAN NOT NULL DEFAULT FALSE)"))
        conn.execute(sa.text("INSERT INTO ds_quality_t VALUES ('a', 'x', FALSE), ('b', NULL, FALSE), "
                             "('c', NULL, TRUE)"))
    try:
        table = MetaTable.objects.create(location="datastore", name="ds_quality_t", primary_key=["_key"],
                                         department=Department.objects.get(code=YUJIANG_CIVIL_AFFAIRS))
        MetaColumn.objects.create(table=table, name="xm", position=1, data_type="VARCHAR(20)", type_family="string")
        rule(table, "xm", RuleKind.COMPLETENESS, ["xm"])
        run = services.run_table(table, actor=editor)
        assert run.status == QualityRun.Status.SUCCEEDED, run.error
        assert (run.rows, run.results.get().failed) == (2, 1)  # the deleted row is left out
    finally:
        with store.engine().begin() as conn:
            conn.execute(sa.text("DROP TABLE ds_quality_t"))


# --- remediation ----------------------------------------------------------------------------------------

def test_failure_opens_task_fix_and_recheck_closes_it(people, editor, db_path):
    rule(people, "sfzh valid", RuleKind.ID_NUMBER, ["sfzh"])
    run = services.run_table(people, actor=editor)
    task = RemediationTask.objects.get()
    assert task.state == TaskState.OPEN and task.opened_by == run and task.failed_at_open == 1
    assert task.department == people.department and task.due_on > dt.date.today() - dt.timedelta(days=1)
    assert OutboxMessage.objects.filter(user=editor).exists()  # the department's data administrator is told
    # a later failing run is recorded on the same task
    services.run_table(people, actor=editor)
    assert RemediationTask.objects.count() == 1 and task.events.filter(action="fail").exists()
    # recording the fix without fixing the data: re-checked, back to open
    task = services.task_fix(actor=editor, task=task, note="已核对")
    assert task.state == TaskState.OPEN
    assert task.last_check.trigger == QualityRun.Trigger.RECHECK
    # fix the data, then record the fix: closed
    execute(db_path, "UPDATE people SET sfzh = :good WHERE id = 3", good=GOOD_ID)
    task = services.task_fix(actor=editor, task=task, note="已更正错误的身份证号")
    assert task.state == TaskState.CLOSED and task.closed_at
    assert [e.action for e in task.events.all()] == ["open", "fail", "fix", "fail", "fix", "close"]
    assert audited("quality.remediationtask.fix", object_id=str(task.pk))
    with pytest.raises(ValidationError) as exc:
        services.task_fix(actor=editor, task=task, note="again")
    assert exc.value.code == "not_allowed"


def test_passing_run_closes_open_task(people, editor, db_path):
    rule(people, "xm", RuleKind.COMPLETENESS, ["xm"])
    services.run_table(people, actor=editor)
    execute(db_path, "UPDATE people SET xm = '王五' WHERE xm IS NULL OR xm = ''")
    services.run_table(people, actor=editor)
    assert RemediationTask.objects.get().state == TaskState.CLOSED
    services.run_table(people, actor=editor)
    assert RemediationTask.objects.count() == 1


def test_no_task_when_remediate_off(people, editor):
    rule(people, "xm", RuleKind.COMPLETENESS, ["xm"], remediate=False)
    services.run_table(people, actor=editor)
    assert not RemediationTask.objects.exists()


def test_fix_scope_and_note(people, editor, outsider):
    rule(people, "xm", RuleKind.COMPLETENESS, ["xm"])
    services.run_table(people, actor=editor)
    task = RemediationTask.objects.get()
    with pytest.raises(PermissionDenied):
        services.task_fix(actor=outsider, task=task, note="x")
    with pytest.raises(ValidationError):
        services.task_fix(actor=editor, task=task, note=" ")


def test_due_date_in_working_days(people, editor, settings):
    from django.utils import timezone

    from dgov.calendars.selectors import add_working_days

    settings.DGOV_QUALITY_REMEDIATION_WORKING_DAYS = 3
    rule(people, "xm", RuleKind.COMPLETENESS, ["xm"])
    services.run_table(people, actor=editor)
    assert RemediationTask.objects.get().due_on == add_working_days(timezone.localdate(), 3)


def test_escalation_once(people, editor, governor):
    rule(people, "xm", RuleKind.COMPLETENESS, ["xm"])
    services.run_table(people, actor=editor)
    task = RemediationTask.objects.get()
    assert services.run_tick(today=task.due_on)["escalated"] == 0  # due today: not yet overdue
    later = task.due_on + dt.timedelta(days=1)
    result = services.run_tick(today=later)
    assert result["escalated"] == 1 and result["messages"] >= 2
    assert OutboxMessage.objects.filter(user=governor).count() == 1
    task.refresh_from_db()
    assert task.escalated_at and task.events.filter(action="escalate").count() == 1
    assert services.run_tick(today=later + dt.timedelta(days=1))["escalated"] == 0
    assert OutboxMessage.objects.filter(user=governor).count() == 1


def test_schedule_runs_due_tables_and_moves_on(people, guixi_people, editor):
    rule(people, "xm", RuleKind.COMPLETENESS, ["xm"])
    today = dt.date(2026, 3, 10)
    plan = services.plan_save(actor=editor, table=people, schedule=Schedule.WEEKLY, next_run=today)
    QualityPlan.objects.create(table=guixi_people, schedule=Schedule.DAILY, next_run_on=today + dt.timedelta(days=1))
    QualityPlan.objects.filter(pk=plan.pk)
    call_command("quality_tick", today=today.isoformat(), stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert QualityRun.objects.filter(table=people, trigger=QualityRun.Trigger.SCHEDULED).count() == 1
    assert not QualityRun.objects.filter(table=guixi_people).exists()
    plan.refresh_from_db()
    assert plan.next_run_on == today + dt.timedelta(days=7)
    services.run_tick(today=today)
    assert QualityRun.objects.filter(table=people).count() == 1
    assert services.next_run_on(Schedule.MONTHLY, dt.date(2026, 12, 31)) == dt.date(2027, 1, 28)
    assert services.next_run_on(Schedule.DAILY, today) == today + dt.timedelta(days=1)
    with pytest.raises(PermissionDenied):
        services.plan_save(actor=editor, table=guixi_people, schedule=Schedule.DAILY)


# --- scores ---------------------------------------------------------------------------------------------

def test_scores_per_table_department_city(people, regions, guixi_people, editor, reviewer, outsider):
    rule(people, "xm", RuleKind.COMPLETENESS, ["xm"])  # 50
    rule(regions, "name", RuleKind.COMPLETENESS, ["name"])  # 100
    rule(guixi_people, "sfzh", RuleKind.ID_NUMBER, ["sfzh"])  # 75
    services.run_table(people)
    services.run_table(regions)
    services.run_table(guixi_people)
    board = selectors.scores(reviewer)
    assert {t["table"]: t["score"] for t in board["tables"]} == {
        people.qualified_name: Decimal("50.00"), regions.qualified_name: Decimal("100.00"),
        guixi_people.qualified_name: Decimal("75.00")}
    assert {d["code"]: d["score"] for d in board["departments"]} == {
        people.department.code: Decimal("75.00"), guixi_people.department.code: Decimal("75.00")}
    assert board["city"] == Decimal("75.00")
    mine = selectors.scores(editor)
    assert [d["code"] for d in mine["departments"]] == [people.department.code]
    # the latest run counts
    QualityRule.objects.filter(table=people).update(threshold_pct=100)
    QualityRule.objects.filter(table=people).delete()
    rule(people, "id", RuleKind.COMPLETENESS, ["id"])
    services.run_table(people)
    assert selectors.scores(editor)["departments"][0]["score"] == Decimal("100.00")


def test_data_store_samples_mask_the_row_key_of_a_personal_key(editor, datastore):  # noqa: F811
    """A data-store row's `_key` holds its key columns' values: when the key (公民身份号码) is personal, the
    key is masked in samples like the column itself."""
    from dgov.aggregation import datastore as store
    from dgov.aggregation.testing import make_dataset
    from dgov.metadata import services as metadata_services
    from dgov.metadata.models import MetaTable

    dataset = make_dataset()
    store.upsert(dataset, [{"xm": "张三", "sfzh": "360602199001011234", "lxdh": None, "djrq": "2024-01-02"}])
    metadata_services.run_harvest(actor=None, source=None)
    table = MetaTable.objects.get(location="datastore", name=dataset.table_name)
    QualityRule.objects.create(table=table, name="电话完整", kind="completeness", columns=["lxdh"])
    run = services.run_table(table, actor=editor)
    sample = run.results.get().sample
    assert sample and sample[0]["_key"] != "360602199001011234" and "*" in sample[0]["_key"]
