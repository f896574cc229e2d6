"""Writes of data quality: rules and schedules, runs (the engine checks a table inside its own database),
and remediation tasks (整改任务).

**Scores.** A run's table score is the weighted mean over its rules of `100 × (1 − failed / checked)`,
weights being the rules' `weight`; a rule that checked no row counts 100, and a rule the engine could not
run (an error) is left out. A department's score is the mean of its tables' latest scores, the city's the
mean of the departments' (`selectors.scores`).

**Remediation.** A rule that fails (its failed share above `threshold_pct`) with `remediate` set opens one
task for the table's department, due `DGOV_QUALITY_REMEDIATION_WORKING_DAYS` (10) working days later on the
platform calendar; while a task is open, later failing runs are recorded on it. The department records the
fix (`task_fix`): that re-checks the table at once (trigger "recheck"); the task closes when the rule passes,
else goes back to open with the new count. Any run that finds the rule passing closes its open task. The
daily `quality_tick` runs the tables whose schedule is due and escalates each overdue task once, to the
big-data centre's data governors and the department.

| action | from | to | who |
|---|---|---|---|
| open | — | open | a failing run |
| fail | open | open | a later failing run (recorded) |
| fix | open | submitted → closed or open | `fix_remediationtask` in scope (re-check run) |
| close | open, submitted | closed | a run that finds the rule passing |
| escalate | open, submitted (overdue) | unchanged | `quality_tick`, once |
"""

import datetime as dt
import logging
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dgov.calendars.selectors import add_working_days
from dgov.core import audit
from dgov.core.errors import NotFound, ValidationError
from dgov.core.permissions import require_in_scope, resolver
from dgov.core.services import delete_object, save_object
from dgov.quality import engine, rules
from dgov.quality.models import (
    QualityPlan,
    QualityRule,
    QualityRun,
    RemediationEvent,
    RemediationTask,
    RuleKind,
    RuleResult,
    Schedule,
    TaskState,
)

log = logging.getLogger(__name__)
NOTE_MAX = 2000
#: the department's data administrator (told of tasks); the big-data centre's governor (told of escalations)
ADMINISTRATOR_ROLE, GOVERNOR_ROLE = "catalog_editor", "data_governor"
HUNDRED = Decimal(100)


def remediation_working_days() -> int:
    return int(getattr(settings, "DGOV_QUALITY_REMEDIATION_WORKING_DAYS", 10))


# --- rules and schedules --------------------------------------------------------------------------------------

def rule_save(*, actor, instance: QualityRule) -> QualityRule:
    """Create or change a rule (scope: the table's department): its kind, columns and parameters are checked
    against the harvested columns first (422 with per-field messages)."""
    if instance.table_id is None:
        raise ValidationError(details={"table": [_("Choose the table the rule checks.")]})
    if instance.table.dropped_at is not None:
        raise ValidationError(details={"table": [_("The table no longer exists in its database.")]})
    instance.columns, instance.params = rules.validate(table=instance.table, kind=instance.kind,
                                                       columns=instance.columns, params=instance.params)
    if instance.threshold_pct is not None and not (0 <= Decimal(instance.threshold_pct) <= 100):
        raise ValidationError(details={"threshold_pct": [_("Enter a percentage between 0 and 100.")]})
    return save_object(actor=actor, instance=instance)


def rule_delete(*, actor, instance: QualityRule) -> None:
    delete_object(actor=actor, instance=instance)


def next_run_on(schedule: str, after: dt.date) -> dt.date | None:
    if schedule == Schedule.DAILY:
        return after + dt.timedelta(days=1)
    if schedule == Schedule.WEEKLY:
        return after + dt.timedelta(days=7)
    if schedule == Schedule.MONTHLY:
        year, month = (after.year + 1, 1) if after.month == 12 else (after.year, after.month + 1)
        day = min(after.day, 28)
        return dt.date(year, month, day)
    return None


def plan_save(*, actor, table, schedule: str, next_run: dt.date | None = None) -> QualityPlan:
    """Set when the table's rules run by themselves; the first run is `next_run` (default: tomorrow)."""
    if schedule not in Schedule.values:
        raise ValidationError(details={"schedule": [_("Choose a schedule.")]})
    with transaction.atomic():
        require_in_scope(actor, "change", QualityRule(table=table))
        plan, _created = QualityPlan.objects.select_for_update().get_or_create(table=table)
        before = {"schedule": plan.schedule, "next_run_on": plan.next_run_on}
        plan.schedule = schedule
        plan.next_run_on = None if schedule == Schedule.MANUAL else (
            next_run or timezone.localdate() + dt.timedelta(days=1))
        plan.save()
        audit.record("quality.qualityplan.change", table, actor=actor, changes={
            "schedule": [before["schedule"], plan.schedule],
            "next_run_on": [before["next_run_on"], plan.next_run_on]})
    return plan


# --- runs -------------------------------------------------------------------------------------------------

def _personal_columns(meta_table) -> tuple[str, ...]:
    """The columns whose values samples mask: personal ones (by the dataset's masking rule or the mapped
    element) and, in the data store, the row key `_key` when a key column is personal (it holds their values)."""
    personal = [c.name for c in meta_table.columns.filter(dropped_at__isnull=True).select_related("element")
                if c.personal or (c.element_id and c.element.personal)]
    if meta_table.is_datastore:
        dataset = meta_table.dataset
        keys = {c.name for c in dataset.columns.filter(is_key=True)} if dataset is not None else set()
        if dataset is None or keys & set(personal):
            personal.append("_key")
    return tuple(personal)


def _check_for(rule: QualityRule, columns: dict, personal: tuple) -> tuple[engine.Check | None, dict, str]:
    """The engine check of a rule, extra details to report, or an error why it cannot run."""
    from dgov.standards.models import CodeSet

    params, extra = dict(rule.params or {}), {}
    if rule.kind == RuleKind.CODE_SET and "code_set" in params:
        code_set = CodeSet.objects.filter(code=params.pop("code_set")).first()
        if code_set is None:
            return None, extra, _("The code set no longer exists.")
        params["values"] = list(code_set.values.values_list("code", flat=True))
        extra["code_set"] = code_set.code
    elif rule.kind == RuleKind.REFERENCE:
        target = rules.resolve_table(params.get("table"), location=rule.table.location)
        if target is None:
            return None, extra, _("The referenced table is no longer harvested.")
        params = {"table": target.name, "schema": target.schema or None, "columns": params.get("columns") or []}
        extra["reference"] = target.qualified_name
    elif rule.kind == RuleKind.CONFORMANCE:
        column = columns.get(rule.columns[0]) if rule.columns else None
        params, extra = rules.conformance_params(column)
        if extra.get("element") is None:
            return None, extra, _("The column is mapped to no data element.")
    return engine.Check(key=str(rule.pk), kind=rule.kind, columns=tuple(rule.columns), params=params,
                        personal=personal), extra, ""


def _pct(failed: int, checked: int) -> Decimal:
    if not checked:
        return Decimal(0)
    return (Decimal(failed) * HUNDRED / Decimal(checked)).quantize(Decimal("0.001"), ROUND_HALF_UP)


def table_score(results) -> Decimal | None:
    """The weighted mean over rules of 100 × (1 − failed/checked); 0 checked counts 100; errors left out."""
    total = weights = Decimal(0)
    for weight, checked, failed, error in results:
        if error:
            continue
        value = HUNDRED if not checked else HUNDRED * (1 - Decimal(failed) / Decimal(checked))
        total += Decimal(weight) * value
        weights += Decimal(weight)
    if not weights:
        return None
    return (total / weights).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _open_connection(meta_table):
    if meta_table.is_datastore:
        from dgov.aggregation import datastore

        return datastore.engine().connect()
    from dgov.aggregation import sources

    if meta_table.source_id is None:
        raise sources.SourceError(_("the table has no source database"))
    return sources.connect(meta_table.source)


def run_table(meta_table, *, actor=None, trigger: str = QualityRun.Trigger.MANUAL,
              now: dt.datetime | None = None) -> QualityRun:
    """Check every enabled rule of `meta_table` inside its database (see the module's docstring for the
    score), store the results and open, update or close remediation tasks. With an `actor`, needs
    `run_qualityrule` on the table's department. A connection failure marks the run failed with the reason."""
    from dgov.aggregation.sources import SourceError

    if actor is not None:
        require_in_scope(actor, "run", QualityRule(table=meta_table))
    if meta_table.dropped_at is not None:
        raise ValidationError(details={"table": [_("The table no longer exists in its database.")]})
    rule_list = list(meta_table.quality_rules.filter(enabled=True).order_by("pk"))
    run = QualityRun.objects.create(table=meta_table, department=meta_table.department, trigger=trigger,
                                    actor=actor if getattr(actor, "pk", None) else None,
                                    started_at=timezone.now())
    columns = {c.name: c for c in meta_table.columns.filter(dropped_at__isnull=True).select_related(
        "element__code_set")}
    personal = _personal_columns(meta_table)
    checks, extras, errors = [], {}, {}
    for rule in rule_list:
        check, extra, error = _check_for(rule, columns, personal)
        extras[rule.pk] = extra
        if check is None:
            errors[rule.pk] = error
        else:
            checks.append(check)
    key_columns = ["_key"] if meta_table.is_datastore else list(meta_table.primary_key or [])
    schema = meta_table.schema or None
    outcome = None
    try:
        with _open_connection(meta_table) as conn:
            try:
                sql = engine.statements(conn, meta_table.name, checks, schema=schema, key_columns=key_columns,
                                        now=now)
            except (sa.exc.SQLAlchemyError, ValueError):
                sql = []
            outcome = engine.run(conn, meta_table.name, checks, schema=schema, key_columns=key_columns, now=now)
    except (SourceError, sa.exc.SQLAlchemyError, engine.CheckError, OSError) as exc:
        reason = str(exc).strip() or exc.__class__.__name__
        run.status, run.error, run.finished_at = QualityRun.Status.FAILED, reason[:1000], timezone.now()
        run.save(update_fields=["status", "error", "finished_at"])
        audit.record("quality.qualityrun.create", run, actor=actor, outcome="failure", changes={
            "table": meta_table.qualified_name, "trigger": trigger, "error": run.error})
        return run
    by_key = {o.key: o for o in outcome.outcomes}
    stored, scored = [], []
    with transaction.atomic():
        for rule in rule_list:
            o = by_key.get(str(rule.pk))
            if o is None:
                result = RuleResult(run=run, rule=rule, rule_name=rule.name, kind=rule.kind,
                                    error=errors.get(rule.pk, "")[:1000], details=extras.get(rule.pk, {}),
                                    passed=False)
            else:
                pct = _pct(o.failed, o.checked)
                details = {**(o.details or {}), **extras.get(rule.pk, {})}
                passed = not o.error and pct <= Decimal(rule.threshold_pct)
                if rule.kind == RuleKind.CONFORMANCE and details.get("type_ok") is False:
                    passed = False
                result = RuleResult(run=run, rule=rule, rule_name=rule.name, kind=rule.kind, checked=o.checked,
                                    failed=o.failed, failed_pct=pct, passed=passed, details=details,
                                    sample=o.sample or [], error=(o.error or "")[:1000])
            stored.append(result)
            scored.append((rule.weight, result.checked, result.failed, result.error))
        RuleResult.objects.bulk_create(stored)
        run.status = QualityRun.Status.SUCCEEDED
        run.rows, run.statements, run.dialect = outcome.rows, outcome.statements, outcome.dialect
        run.score = table_score(scored)
        run.sql = ";\n\n".join(sql) + (";" if sql else "")
        run.finished_at = timezone.now()
        run.save()
        audit.record("quality.qualityrun.create", run, actor=actor, changes={
            "table": meta_table.qualified_name, "trigger": trigger, "rows": run.rows,
            "score": str(run.score) if run.score is not None else None,
            "failed_rules": [r.rule_name for r in stored if not r.passed]})
        for rule, result in zip(rule_list, stored, strict=True):
            if result.error:
                continue
            if result.passed:
                _close_open_task(rule, run)
            elif rule.remediate:
                _open_or_record(rule, run, result)
    return run


# --- remediation ------------------------------------------------------------------------------------------

def _event(task, action, run=None, actor=None, note=""):
    return RemediationEvent.objects.create(task=task, action=action, to_state=task.state, note=note[:2000],
                                           run=run, actor=actor if getattr(actor, "pk", None) else None)


def administrators(task: RemediationTask) -> list:
    """The department's data administrators (`catalog_editor`) who may record the fix of `task`."""
    from dgov.accounts.models import User, UserKind

    candidates = (User.objects.filter(is_active=True, kind=UserKind.OFFICIAL,
                                      role_assignments__role__code=ADMINISTRATOR_ROLE)
                  .distinct().order_by("pk"))
    return [u for u in candidates if resolver().allows(u, "fix", task)]


def governors() -> list:
    """The holders of the big-data centre's `data_governor` role."""
    from dgov.accounts.models import User

    return list(User.objects.filter(is_active=True, role_assignments__role__code=GOVERNOR_ROLE)
                .distinct().order_by("pk"))


def _tell(users, subject: str, body: str) -> int:
    from dgov.notifications.models import Channel
    from dgov.notifications.services import notify

    for user in users:
        notify(user=user, channel=Channel.IN_APP, recipient=user.username, subject=subject, body=body)
    return len(users)


def _open_or_record(rule: QualityRule, run: QualityRun, result: RuleResult) -> RemediationTask:
    task = RemediationTask.objects.select_for_update().filter(rule=rule).exclude(state=TaskState.CLOSED).first()
    if task is not None:
        task.last_check = run
        if task.state == TaskState.SUBMITTED:
            task.state = TaskState.OPEN
        task.save(update_fields=["last_check", "state", "updated_at"])
        _event(task, "fail", run, note=_("%(failed)d of %(checked)d rows fail.")
               % {"failed": result.failed, "checked": result.checked})
        return task
    table = rule.table
    task = RemediationTask(rule=rule, table=table, department=table.department, opened_by=run, last_check=run,
                           failed_at_open=result.failed, is_demo=rule.is_demo,
                           due_on=add_working_days(timezone.localdate(), remediation_working_days()))
    try:
        with transaction.atomic():
            task.save()
    except IntegrityError:  # another run opened it just now: record this run on that task
        if not RemediationTask.objects.filter(rule=rule).exclude(state=TaskState.CLOSED).exists():
            raise
        return _open_or_record(rule, run, result)
    _event(task, "open", run, note=_("%(failed)d of %(checked)d rows fail.")
           % {"failed": result.failed, "checked": result.checked})
    audit.record("quality.remediationtask.create", task, changes={
        "rule": rule.name, "table": table.qualified_name, "department": table.department.code,
        "failed": result.failed, "due_on": task.due_on.isoformat()})
    _tell(administrators(task), _("Data quality: a remediation task for %(table)s") % {"table": table},
          _("The rule “%(rule)s” on %(table)s fails for %(failed)d of %(checked)d rows. Fix the data by "
            "%(due)s and record the fix.") % {"rule": rule.name, "table": table, "failed": result.failed,
                                              "checked": result.checked, "due": task.due_on.isoformat()})
    return task


def _close_open_task(rule: QualityRule, run: QualityRun) -> RemediationTask | None:
    task = RemediationTask.objects.select_for_update().filter(rule=rule).exclude(state=TaskState.CLOSED).first()
    if task is None:
        return None
    before = task.state
    task.state, task.closed_at, task.last_check = TaskState.CLOSED, timezone.now(), run
    task.save(update_fields=["state", "closed_at", "last_check", "updated_at"])
    _event(task, "close", run)
    audit.record("quality.remediationtask.close", task, changes={"state": [before, task.state], "run": run.pk})
    return task


def is_overdue(task: RemediationTask, today: dt.date | None = None) -> bool:
    return task.state != TaskState.CLOSED and task.due_on < (today or timezone.localdate())


def can_fix(user, task: RemediationTask) -> bool:
    return task.state == TaskState.OPEN and bool(resolver().allows(user, "fix", task))


def task_fix(*, actor, task: RemediationTask, note: str = "") -> RemediationTask:
    """The department records the fix: the table is re-checked at once; the task closes if the rule now
    passes, else goes back to open with the new count. 422 `not_allowed` unless open."""
    note = (note or "").strip()
    if not note:
        raise ValidationError(details={"note": [_("Say what was fixed: it is kept on record.")]})
    if len(note) > NOTE_MAX:
        raise ValidationError(details={"note": [_("Ensure this text has at most %(max)d characters.")
                                                % {"max": NOTE_MAX}]})
    with transaction.atomic():
        try:
            task = RemediationTask.objects.select_for_update(of=("self",)).get(pk=task.pk)
        except RemediationTask.DoesNotExist:
            raise NotFound() from None
        require_in_scope(actor, "fix", task)
        if task.state != TaskState.OPEN:
            raise ValidationError(_("The fix can only be recorded on an open task."), code="not_allowed",
                                  details={"state": [_("Not allowed in this state.")]})
        task.state, task.fix_note, task.fixed_by, task.fixed_at = TaskState.SUBMITTED, note, actor, timezone.now()
        task.save(update_fields=["state", "fix_note", "fixed_by", "fixed_at", "updated_at"])
        _event(task, "fix", actor=actor, note=note)
        audit.record("quality.remediationtask.fix", task, actor=actor,
                     changes={"state": [TaskState.OPEN, TaskState.SUBMITTED], "note": note})
    run = run_table(task.table, actor=None, trigger=QualityRun.Trigger.RECHECK)
    task.refresh_from_db()
    if run.status == QualityRun.Status.FAILED or task.state == TaskState.SUBMITTED:
        # The re-check could not run (or did not reach the rule): the task goes back to open.
        with transaction.atomic():
            task = RemediationTask.objects.select_for_update(of=("self",)).get(pk=task.pk)
            if task.state == TaskState.SUBMITTED:
                task.state, task.last_check = TaskState.OPEN, run
                task.save(update_fields=["state", "last_check", "updated_at"])
                _event(task, "recheck_failed", run, note=run.error or _("The rule could not be checked."))
    return task


def escalate(task: RemediationTask, *, today: dt.date) -> int | None:
    """Tell the data governors and the department that `task` is overdue, once; None when already done."""
    with transaction.atomic():
        task = RemediationTask.objects.select_for_update(of=("self",)).select_related("rule", "table").get(
            pk=task.pk)
        if task.escalated_at is not None or not is_overdue(task, today):
            return None
        task.escalated_at = timezone.now()
        task.save(update_fields=["escalated_at", "updated_at"])
        _event(task, "escalate")
        users = {u.pk: u for u in governors() + administrators(task)}
        sent = _tell(list(users.values()),
                     _("Data quality: remediation overdue for %(table)s") % {"table": task.table},
                     _("The remediation of the rule “%(rule)s” on %(table)s was due on %(due)s and is not done.")
                     % {"rule": task.rule.name, "table": task.table, "due": task.due_on.isoformat()})
        audit.record("quality.remediationtask.escalate", task, changes={"due_on": task.due_on.isoformat(),
                                                                         "messages": sent})
    return sent


def run_tick(*, today: dt.date) -> dict:
    """The daily run: the tables whose schedule is due are checked (the plan moves on), and each overdue
    open task is escalated once."""
    result = {"runs": 0, "failed_runs": 0, "escalated": 0, "messages": 0}
    plans = (QualityPlan.objects.select_related("table").exclude(schedule=Schedule.MANUAL)
             .filter(next_run_on__lte=today, table__dropped_at__isnull=True).order_by("next_run_on", "pk"))
    for plan in plans:
        run = run_table(plan.table, trigger=QualityRun.Trigger.SCHEDULED)
        result["runs"] += 1
        result["failed_runs"] += run.status == QualityRun.Status.FAILED
        plan.next_run_on = next_run_on(plan.schedule, today)
        plan.save(update_fields=["next_run_on"])
    overdue = (RemediationTask.objects.exclude(state=TaskState.CLOSED)
               .filter(due_on__lt=today, escalated_at__isnull=True).order_by("due_on", "pk"))
    for task in overdue:
        sent = escalate(task, today=today)
        if sent is not None:
            result["escalated"] += 1
            result["messages"] += sent
    return result
