"""Writes of supervision tasks (审管联动): the push of each approval to the supervising department (a
receiver of `dgov.cases.signals.case_transitioned`, inside the approval's transaction), the department's
handling, and the daily reminders.

| action | from | to | who | note |
|---|---|---|---|---|
| push | the case approved (`approve`, or a 即办件 closed approved at `accept`) | pushed | the platform | — |
| acknowledge | pushed | acknowledged | `acknowledge_supervisiontask` in scope | optional |
| start | acknowledged | supervising | `acknowledge_supervisiontask` in scope | optional |
| close | acknowledged, supervising | closed | `acknowledge_supervisiontask` in scope | required |

The acknowledgement is due `DGOV_SUPERVISION_ACK_WORKING_DAYS` (3) working days after the push, on the
platform calendar.
"""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dgov.calendars.selectors import add_working_days
from dgov.cases import notify
from dgov.cases.models import Case, Outcome, State
from dgov.core import audit
from dgov.core.errors import NotFound, ValidationError
from dgov.core.permissions import require_in_scope, resolver
from dgov.supervision.models import SupervisionTask, TaskEvent, TaskState

#: action → (the states it starts from, the state it leads to)
ACTIONS = {"acknowledge": ((TaskState.PUSHED,), TaskState.ACKNOWLEDGED),
           "start": ((TaskState.ACKNOWLEDGED,), TaskState.SUPERVISING),
           "close": ((TaskState.ACKNOWLEDGED, TaskState.SUPERVISING), TaskState.CLOSED)}
NOTE_REQUIRED = {"close"}
NOTE_MAX = 2000
DUE, OVERDUE = "due", "overdue"


def ack_working_days() -> int:
    return int(getattr(settings, "DGOV_SUPERVISION_ACK_WORKING_DAYS", 3))


def is_overdue(task: SupervisionTask, today: dt.date | None = None) -> bool:
    """Not acknowledged by its deadline."""
    return task.state == TaskState.PUSHED and task.due_on < (today or timezone.localdate())


def officers(task: SupervisionTask) -> list:
    """The active officials holding `acknowledge_supervisiontask` with `task` in scope."""
    from dgov.accounts.models import User, UserKind

    candidates = (User.objects.filter(is_active=True, kind=UserKind.OFFICIAL,
                                      role_assignments__role__permissions__codename="acknowledge_supervisiontask",
                                      role_assignments__role__permissions__content_type__app_label="supervision")
                  .distinct().order_by("pk"))
    return [user for user in candidates if resolver().allows(user, "acknowledge", task)]


def is_approval(case: Case, action: str) -> bool:
    """`action` approved `case`: a decision to approve, or a 即办件 closed approved at acceptance."""
    if action == "approve":
        return True
    return action == "accept" and case.state == State.CLOSED and case.outcome == Outcome.APPROVED


def _event(task, action, before, actor=None, note=""):
    user = actor if getattr(actor, "pk", None) else None
    return TaskEvent.objects.create(task=task, action=action, from_state=before, to_state=task.state, note=note,
                                    actor=user)


def push(case: Case, *, actor=None) -> SupervisionTask | None:
    """The supervision task of an approved case (None when it already has one), pushed to the item's
    supervising department, or else the implementing department (flagged); its officers are told."""
    if SupervisionTask.objects.filter(case_id=case.pk).exists():
        return None
    impl = case.implementation
    department = impl.supervising_department or case.department
    with transaction.atomic():
        task = SupervisionTask.objects.create(
            case=case, implementation=impl, department=department, region=department.region,
            department_assumed=impl.supervising_department_id is None, reference=case.reference or "",
            item=case.title, implementation_code=impl.code, approving_department=case.department,
            holder_name=case.applicant_name, holder_code=case.applicant_code or "",
            holder_is_enterprise=case.enterprise_id is not None, result_license=case.result_license,
            decided_at=case.decided_at or case.closed_at or timezone.now(), is_demo=case.is_demo,
            due_on=add_working_days(timezone.localdate(), ack_working_days()))
        _event(task, "push", "", actor)
        audit.record("supervision.supervisiontask.create", task, changes={
            "case": task.reference, "department": department.code, "department_assumed": task.department_assumed,
            "due_on": task.due_on.isoformat()}, actor=actor)
        notify.to_officials("supervision_task", case, officers(task), approving_department=case.department.name,
                            holder=task.holder_name, due_on=task.due_on.isoformat(),
                            result=f"，结果证照 {task.result_license}" if task.result_license else "")
    return task


def on_case_transitioned(sender, case, action, actor, before, data, **kwargs):
    """The receiver of `case_transitioned`: an approval is pushed, within the approval's transaction."""
    if is_approval(case, action):
        push(case, actor=actor)


def allowed_actions(user, task: SupervisionTask) -> list[str]:
    if not resolver().allows(user, "acknowledge", task):
        return []
    return [action for action, (states, _to) in ACTIONS.items() if task.state in states]


def transition(*, actor, task: SupervisionTask, action: str, note: str = "") -> SupervisionTask:
    """Take `action` on `task` (the module's table). 422 `not_allowed` (with `details.allowed`) in another
    state; 403 without the permission on the task's department."""
    if action not in ACTIONS:
        raise ValidationError(details={"action": [_("Unknown action.")]})
    note = (note or "").strip()
    if action in NOTE_REQUIRED and not note:
        raise ValidationError(details={"note": [_("Say how the supervision ended: it is kept on record.")]})
    if len(note) > NOTE_MAX:
        raise ValidationError(details={"note": [_("Ensure this text has at most %(max)d characters.")
                                                % {"max": NOTE_MAX}]})
    with transaction.atomic():
        try:
            task = SupervisionTask.objects.select_for_update(of=("self",)).get(pk=task.pk)
        except SupervisionTask.DoesNotExist:
            raise NotFound() from None
        require_in_scope(actor, "acknowledge", task)
        states, target = ACTIONS[action]
        if task.state not in states:
            raise ValidationError(
                _("“%(action)s” is not possible while the task is “%(state)s”.")
                % {"action": action, "state": task.get_state_display()}, code="not_allowed",
                details={"action": [_("Not allowed in this state.")], "allowed": allowed_actions(actor, task)})
        before, now = task.state, timezone.now()
        task.state = target
        if action == "acknowledge":
            task.acknowledged_at, task.acknowledged_by = now, actor
        elif action == "start":
            task.supervising_at = now
        else:
            task.closed_at = now
        if note:
            task.note = "\n".join(filter(None, [task.note, note]))[-4000:]
        task.save()
        _event(task, action, before, actor, note)
        audit.record(f"supervision.supervisiontask.{action}", task,
                     changes={"state": [before, task.state], **({"note": note} if note else {})}, actor=actor)
    return task


def remind(task: SupervisionTask, kind: str) -> int | None:
    """Tell the supervising department's officers that the acknowledgement is due today or overdue, once
    per kind; None when already told or acknowledged."""
    with transaction.atomic():
        task = SupervisionTask.objects.select_for_update(of=("self",)).get(pk=task.pk)
        if task.state != TaskState.PUSHED or task.warning_sent in (kind, OVERDUE):
            return None
        task.warning_sent = kind
        task.save(update_fields=["warning_sent", "updated_at"])
        case = Case.objects.select_related("department").get(pk=task.case_id)
        sent = notify.to_officials("supervision_due", case, officers(task), due_on=task.due_on.isoformat(),
                                   level=_("overdue") if kind == OVERDUE else _("due today"))
        audit.record("supervision.supervisiontask.remind", task, changes={"kind": kind, "messages": sent})
    return sent


def run_tick(*, today: dt.date) -> dict:
    """The daily run: reminders for the tasks not acknowledged that are due today or overdue."""
    result = {"due": 0, "overdue": 0, "messages": 0}
    for task in SupervisionTask.objects.filter(state=TaskState.PUSHED, due_on__lte=today).order_by("due_on", "pk"):
        kind = OVERDUE if task.due_on < today else DUE
        sent = remind(task, kind)
        if sent is not None:
            result[kind] += 1
            result["messages"] += sent
    return result
