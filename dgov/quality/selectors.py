"""Reads of data quality, always scoped: rules, runs and remediation tasks in the user's view scope, the
harvested tables a user may run, and the score board (`scores`).

Scores: a table's is its latest finished run's score; a department's the mean of its tables' scores; the
city's the mean of the departments' (each department counts once, however many tables it has).
"""

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import QuerySet

from dgov.core.errors import NotFound
from dgov.core.permissions import require_permission, scope_q
from dgov.quality import rules as rule_checks
from dgov.quality.models import QualityRule, QualityRun, RemediationTask


def visible_rules(user, action: str = "view") -> QuerySet:
    require_permission(user, QualityRule, action)
    return QualityRule.objects.select_related("table__department").restrict(user, action)


def rule_for(user, pk, action: str = "view") -> QualityRule:
    try:
        return visible_rules(user, action).get(pk=int(pk))
    except (QualityRule.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None


def visible_runs(user) -> QuerySet:
    require_permission(user, QualityRun, "view")
    return QualityRun.objects.select_related("table", "department", "actor").restrict(user, "view")


def run_for(user, pk) -> QualityRun:
    try:
        return visible_runs(user).get(pk=int(pk))
    except (QualityRun.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None


def visible_tasks(user) -> QuerySet:
    require_permission(user, RemediationTask, "view")
    return RemediationTask.objects.select_related("rule", "table", "department", "fixed_by").restrict(user, "view")


def task_for(user, pk) -> RemediationTask:
    try:
        return visible_tasks(user).get(pk=int(pk))
    except (RemediationTask.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None


def tables(user, action: str = "view") -> QuerySet:
    """The harvested tables (not dropped) whose rules the user may `action` (view, add, run …)."""
    from dgov.metadata.models import MetaTable

    q = scope_q(user, QualityRule, action)
    if q is None:
        return MetaTable.objects.none()
    return MetaTable.objects.filter(dropped_at__isnull=True).filter(_on_table(q)).select_related("department")


def _on_table(q):
    """A rule's scope Q (on `table__…`) moved onto the table itself."""
    from django.db.models import Q

    out = Q()
    out.connector, out.negated = q.connector, q.negated
    for child in q.children:
        if isinstance(child, Q):
            out.children.append(_on_table(child))
            continue
        key, value = child
        if key.startswith("table__"):
            key = key[len("table__"):]
        elif key == "table":
            key = "pk"
        out.children.append((key, value))
    return out


def table_for(user, ref, action: str = "view"):
    """A table by id or qualified name within the user's scope for `action` (403 without it, 404 else)."""
    require_permission(user, QualityRule, action)
    table = rule_checks.resolve_table(ref)
    if table is None or not tables(user, action).filter(pk=table.pk).exists():
        raise NotFound()
    return table


def _mean(values) -> Decimal | None:
    values = [v for v in values if v is not None]
    if not values:
        return None
    return (sum(values, Decimal(0)) / len(values)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def latest_runs(user) -> list[QualityRun]:
    """The latest finished run of each table in the user's scope."""
    runs = visible_runs(user).filter(status=QualityRun.Status.SUCCEEDED, score__isnull=False,
                                     table__dropped_at__isnull=True).order_by("table_id", "-started_at", "-pk")
    seen, out = set(), []
    for run in runs.select_related(None).select_related("table", "department"):
        if run.table_id in seen:
            continue
        seen.add(run.table_id)
        out.append(run)
    return out


def scores(user) -> dict:
    """{"city": score, "departments": [{"department", "code", "score", "tables"}], "tables": [{"table",
    "table_id", "department", "score", "run", "at"}]}, scores in 0–100 or None."""
    latest = latest_runs(user)
    per_dept: dict = {}
    for run in latest:
        per_dept.setdefault(run.department_id, (run.department, []))[1].append(run.score)
    departments = sorted(({"department": d.name, "code": d.code, "score": _mean(s), "tables": len(s)}
                          for d, s in per_dept.values()), key=lambda r: (-(r["score"] or 0), r["code"]))
    return {
        "city": _mean(r["score"] for r in departments),
        "departments": departments,
        "tables": sorted(({"table": r.table.qualified_name, "table_id": r.table_id, "department": r.department.name,
                           "score": r.score, "run": r.pk, "at": r.started_at} for r in latest),
                         key=lambda r: (r["score"], r["table"])),
    }
