"""`/api/v1/services/supervision`: supervision tasks (审管联动) for the supervising departments' officials:
list (not yet acknowledged first), one task, acknowledge (认领), and the later steps (start, close)."""

from django.db.models import Case as When_
from django.db.models import IntegerField, Value, When
from django.utils import timezone
from ninja import Query, Router
from ninja.pagination import paginate

from dgov.core.api import READ_ERRORS, WRITE_ERRORS, Pagination, actor_of
from dgov.core.validators import mask_id_number
from dgov.supervision import selectors, services
from dgov.supervision.models import SupervisionTask, TaskState
from dgov.supervision.schemas import SupervisionNoteIn, SupervisionQuery, SupervisionTaskOut, SupervisionTransitionIn

router = Router(tags=["supervision"])


def task_out(task: SupervisionTask, user, today=None) -> dict:
    return {
        "id": task.pk, "reference": task.reference, "item": task.item, "implementation": task.implementation_code,
        "approving_department": task.approving_department.name, "supervising_department": task.department.name,
        "supervising_department_code": task.department.code, "department_assumed": task.department_assumed,
        "holder_name": task.holder_name, "holder_code_masked": mask_id_number(task.holder_code)
        if task.holder_code else "", "holder_is_enterprise": task.holder_is_enterprise,
        "result_license": task.result_license, "decided_at": task.decided_at, "state": task.state,
        "due_on": task.due_on, "overdue": services.is_overdue(task, today), "acknowledged_at": task.acknowledged_at,
        "supervising_at": task.supervising_at, "closed_at": task.closed_at, "note": task.note,
        "allowed_actions": services.allowed_actions(user, task),
        "history": [{"action": e.action, "to_state": e.to_state, "note": e.note, "at": e.created_at,
                     "by": (e.actor.real_name or e.actor.username) if e.actor else ""}
                    for e in task.events.select_related("actor")]}


class TaskList:
    def __init__(self, qs, user):
        self.qs, self.user = qs, user

    def count(self) -> int:
        return self.qs.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key):
        today = timezone.localdate()
        return [task_out(t, self.user, today) for t in self.qs[key]]


@router.get("", response={200: list[SupervisionTaskOut], **READ_ERRORS}, operation_id="list_supervision_tasks")
@paginate(Pagination)
def list_tasks(request, query: SupervisionQuery = Query(...)):
    """The tasks of the supervising departments in your scope: not yet acknowledged first, by deadline;
    by `state` and `overdue` (not acknowledged in time)."""
    actor = actor_of(request)
    qs = selectors.filtered(selectors.visible(actor), state=query.state.value if query.state else None,
                            overdue=query.overdue)
    qs = qs.annotate(open_first=When_(When(state=TaskState.PUSHED, then=Value(0)), default=Value(1),
                                      output_field=IntegerField())).order_by("open_first", "due_on", "pk")
    return TaskList(qs, actor)


@router.get("/{task_id}", response={200: SupervisionTaskOut, **READ_ERRORS}, operation_id="get_supervision_task")
def get_task(request, task_id: int):
    actor = actor_of(request)
    return task_out(selectors.task_for(actor, task_id), actor)


@router.post("/{task_id}/acknowledge", response={200: SupervisionTaskOut, **WRITE_ERRORS},
             operation_id="acknowledge_supervision_task")
def acknowledge(request, task_id: int, payload: SupervisionNoteIn):
    """Acknowledge (认领) a pushed task: 422 `not_allowed` once acknowledged."""
    actor = actor_of(request)
    task = services.transition(actor=actor, task=selectors.task_for(actor, task_id), action="acknowledge",
                               note=payload.note)
    return task_out(selectors.task_for(actor, task.pk), actor)


@router.post("/{task_id}/transitions", response={200: SupervisionTaskOut, **WRITE_ERRORS},
             operation_id="transition_supervision_task")
def transition(request, task_id: int, payload: SupervisionTransitionIn):
    """Move a task on: acknowledge, start (纳入监管), close (note required)."""
    actor = actor_of(request)
    task = services.transition(actor=actor, task=selectors.task_for(actor, task_id), action=payload.action,
                               note=payload.note)
    return task_out(selectors.task_for(actor, task.pk), actor)
