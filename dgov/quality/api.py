"""`/api/v1/governance/quality`: quality runs (start one on a harvested table, synchronously; read one with its
per-rule counts and the table score), rules (CRUD, validated against the harvested columns), the score board,
and remediation tasks (list, one, record the fix — which re-checks the table)."""

from django.utils import timezone
from ninja import Query, Router, Status
from ninja.pagination import paginate

from dgov.core.api import READ_ERRORS, WRITE_ERRORS, Mapped, Pagination, actor_of
from dgov.core.permissions import require_permission
from dgov.core.schemas import Id
from dgov.quality import selectors, services
from dgov.quality.models import QualityRule, QualityRun, RemediationTask, TaskState
from dgov.quality.schemas import (
    QualityFixIn,
    QualityRuleIn,
    QualityRuleOut,
    QualityRuleQuery,
    QualityRunIn,
    QualityRunOut,
    QualityRunQuery,
    QualityRunSummaryOut,
    QualityScoresOut,
    QualityTaskOut,
    QualityTaskQuery,
)

router = Router(tags=["quality"])
SCORE_FORMULA = ("table score = Σ weight × 100 × (1 − failed / checked) ÷ Σ weight over the rules of the table's "
                 "latest run (0 checked counts 100, rules in error are left out); department = mean of its tables; "
                 "city = mean of the departments")


def _score(value):
    return float(value) if value is not None else None


def run_summary(run: QualityRun) -> dict:
    return {"id": run.pk, "table": run.table.qualified_name, "table_id": run.table_id,
            "department": run.department.name, "status": run.status, "trigger": run.trigger,
            "score": _score(run.score), "rows": run.rows, "started_at": run.started_at,
            "finished_at": run.finished_at}


def run_out(run: QualityRun) -> dict:
    return {**run_summary(run), "statements": run.statements, "dialect": run.dialect, "error": run.error,
            "results": [{"rule": r.rule_name, "rule_id": r.rule_id, "kind": r.kind, "checked": r.checked,
                         "failed": r.failed, "failed_pct": float(r.failed_pct), "passed": r.passed,
                         "details": r.details, "sample": r.sample, "error": r.error} for r in run.results.all()]}


def rule_out(rule: QualityRule) -> dict:
    return {"id": rule.pk, "table": rule.table.qualified_name, "table_id": rule.table_id,
            "department": rule.table.department.name, "name": rule.name, "kind": rule.kind,
            "columns": rule.columns, "params": rule.params, "threshold_pct": float(rule.threshold_pct),
            "weight": rule.weight, "remediate": rule.remediate, "enabled": rule.enabled,
            "description": rule.description}


def task_out(task: RemediationTask, today=None) -> dict:
    last = task.last_check.results.filter(rule_id=task.rule_id).first() if task.last_check_id else None
    return {"id": task.pk, "rule": task.rule.name, "rule_id": task.rule_id, "table": task.table.qualified_name,
            "department": task.department.name, "state": task.state, "due_on": task.due_on,
            "overdue": services.is_overdue(task, today), "failed_at_open": task.failed_at_open,
            "opened_by_run": task.opened_by_id, "last_check_run": task.last_check_id,
            "last_failed": last.failed if last else None, "fix_note": task.fix_note, "fixed_at": task.fixed_at,
            "closed_at": task.closed_at, "escalated_at": task.escalated_at,
            "history": [{"action": e.action, "to_state": e.to_state, "note": e.note, "run": e.run_id,
                         "at": e.created_at, "by": (e.actor.real_name or e.actor.username) if e.actor else ""}
                        for e in task.events.select_related("actor")]}


# --- runs ---------------------------------------------------------------------------------------------------

@router.post("/runs", response={201: QualityRunOut, **WRITE_ERRORS}, operation_id="start_quality_run")
def start_run(request, payload: QualityRunIn):
    """Check a harvested table's enabled rules now, inside its database, and answer with the run (a run whose
    database could not be reached has status `failed` and the reason in `error`)."""
    actor = actor_of(request)
    table = selectors.table_for(actor, payload.table, "run")
    run = services.run_table(table, actor=actor)
    return Status(201, run_out(selectors.run_for(actor, run.pk)))


@router.get("/runs", response={200: list[QualityRunSummaryOut], **READ_ERRORS}, operation_id="list_quality_runs")
@paginate(Pagination)
def list_runs(request, query: QualityRunQuery = Query(...)):
    """Runs in your scope, newest first; by `table` id and `status`."""
    qs = selectors.visible_runs(actor_of(request))
    if query.table:
        qs = qs.filter(table_id=query.table)
    if query.status:
        qs = qs.filter(status=query.status)
    return Mapped(qs, run_summary)


@router.get("/runs/{run_id}", response={200: QualityRunOut, **READ_ERRORS}, operation_id="get_quality_run")
def get_run(request, run_id: Id):
    """One run: per rule `checked`, `failed`, `failed_pct`, `passed`, details and a masked sample; the score."""
    return run_out(selectors.run_for(actor_of(request), run_id))


# --- rules --------------------------------------------------------------------------------------------------

def _apply(rule: QualityRule, payload: QualityRuleIn, actor, action: str) -> QualityRule:
    rule.table = selectors.table_for(actor, payload.table, action)
    for name in ("name", "kind", "columns", "params", "threshold_pct", "weight", "remediate", "enabled",
                 "description"):
        setattr(rule, name, getattr(payload, name))
    rule.kind = str(payload.kind.value)
    return services.rule_save(actor=actor, instance=rule)


@router.get("/rules", response={200: list[QualityRuleOut], **READ_ERRORS}, operation_id="list_quality_rules")
@paginate(Pagination)
def list_rules(request, query: QualityRuleQuery = Query(...)):
    qs = selectors.visible_rules(actor_of(request))
    if query.table:
        qs = qs.filter(table_id=query.table)
    if query.kind:
        qs = qs.filter(kind=query.kind)
    return Mapped(qs.order_by("table_id", "pk"), rule_out)


@router.post("/rules", response={201: QualityRuleOut, **WRITE_ERRORS}, operation_id="create_quality_rule")
def create_rule(request, payload: QualityRuleIn):
    """A rule on a harvested table (by id or qualified name); 422 with per-field messages when its columns or
    parameters do not fit the table."""
    actor = actor_of(request)
    require_permission(actor, QualityRule, "add")
    rule = _apply(QualityRule(), payload, actor, "add")
    return Status(201, rule_out(rule))


@router.get("/rules/{rule_id}", response={200: QualityRuleOut, **READ_ERRORS}, operation_id="get_quality_rule")
def get_rule(request, rule_id: Id):
    return rule_out(selectors.rule_for(actor_of(request), rule_id))


@router.put("/rules/{rule_id}", response={200: QualityRuleOut, **WRITE_ERRORS}, operation_id="update_quality_rule")
def update_rule(request, rule_id: Id, payload: QualityRuleIn):
    actor = actor_of(request)
    rule = selectors.rule_for(actor, rule_id, "change")
    return rule_out(_apply(rule, payload, actor, "change"))


@router.delete("/rules/{rule_id}", response={204: None, **WRITE_ERRORS}, operation_id="delete_quality_rule")
def delete_rule(request, rule_id: Id):
    actor = actor_of(request)
    services.rule_delete(actor=actor, instance=selectors.rule_for(actor, rule_id, "delete"))
    return Status(204, None)


# --- scores -------------------------------------------------------------------------------------------------

@router.get("/scores", response={200: QualityScoresOut, **READ_ERRORS}, operation_id="get_quality_scores")
def get_scores(request):
    """The score board of your scope: city, departments, tables (latest finished run each), with the formula."""
    actor = actor_of(request)
    require_permission(actor, QualityRun, "view")
    board = selectors.scores(actor)
    return {"city": _score(board["city"]), "formula": SCORE_FORMULA,
            "departments": [{**d, "score": _score(d["score"])} for d in board["departments"]],
            "tables": [{**t, "score": _score(t["score"])} for t in board["tables"]]}


# --- remediation tasks --------------------------------------------------------------------------------------

@router.get("/tasks", response={200: list[QualityTaskOut], **READ_ERRORS}, operation_id="list_quality_tasks")
@paginate(Pagination)
def list_tasks(request, query: QualityTaskQuery = Query(...)):
    """Remediation tasks in your scope (open first, by deadline); by `state` and `overdue`."""
    qs = selectors.visible_tasks(actor_of(request))
    today = timezone.localdate()
    if query.state:
        qs = qs.filter(state=query.state)
    if query.overdue is True:
        qs = qs.exclude(state=TaskState.CLOSED).filter(due_on__lt=today)
    elif query.overdue is False:
        qs = qs.exclude(due_on__lt=today, state__in=(TaskState.OPEN, TaskState.SUBMITTED))
    return Mapped(qs, lambda t: task_out(t, today))


@router.get("/tasks/{task_id}", response={200: QualityTaskOut, **READ_ERRORS}, operation_id="get_quality_task")
def get_task(request, task_id: Id):
    return task_out(selectors.task_for(actor_of(request), task_id))


@router.post("/tasks/{task_id}/fix", response={200: QualityTaskOut, **WRITE_ERRORS},
             operation_id="fix_quality_task")
def fix_task(request, task_id: Id, payload: QualityFixIn):
    """Record what was fixed: the table is re-checked at once; the task comes back `closed` when the rule
    passes, else `open` with the new count (`last_failed`). 422 `not_allowed` unless open."""
    actor = actor_of(request)
    task = services.task_fix(actor=actor, task=selectors.task_for(actor, task_id), note=payload.note)
    return task_out(selectors.task_for(actor, task.pk))
