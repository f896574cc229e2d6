"""Supervision tasks: every approval is pushed (decisions and 即办件 closed at acceptance, nothing else),
to the supervising department or else the implementing one (flagged), with the facts copied and the
acknowledgement due in working days; the department's actions in order and in scope; the daily reminders."""

import datetime as dt

import pytest

from dgov.calendars.selectors import add_working_days
from dgov.cases import services as case_services
from dgov.cases.models import State
from dgov.cases.testing import YUJIANG_APPROVAL, make_implementation, submitted_case
from dgov.core.errors import PermissionDenied, ValidationError
from dgov.core.testing import audited
from dgov.notifications.models import OutboxMessage
from dgov.supervision import services
from dgov.supervision.models import SupervisionTask, TaskState


def test_an_approval_is_pushed_to_the_supervising_department_with_its_facts(world, officials, supervising,
                                                                           officer, guixi_officer, on_day):
    on_day(dt.date(2026, 11, 13))  # a Friday: acknowledgement due three working days later, on Wednesday
    from .conftest import approve

    impl = make_implementation()
    impl.supervising_department = supervising
    impl.save(update_fields=["supervising_department"])
    case = approve(submitted_case(world.citizen, impl), officials.all_roles)
    task = SupervisionTask.objects.get(case=case)
    assert (task.department, task.department_assumed, task.state) == (supervising, False, TaskState.PUSHED)
    assert (task.reference, task.item, task.implementation_code) == (case.reference, case.title, impl.code)
    assert (task.holder_name, task.holder_code, task.approving_department.code) == (
        case.applicant_name, case.applicant_code, YUJIANG_APPROVAL)
    assert task.decided_at == case.decided_at and task.due_on == dt.date(2026, 11, 18)
    assert audited("supervision.supervisiontask.create", object_id=str(task.pk)) is not None
    told = OutboxMessage.objects.filter(user=officer)
    assert told.count() == 1 and case.reference in told.get().subject
    assert not OutboxMessage.objects.filter(user=guixi_officer).exists()


def test_without_a_supervising_department_the_implementing_one_gets_it_flagged(world, officials):
    from .conftest import approve

    case = approve(submitted_case(world.citizen, make_implementation()), officials.all_roles)
    task = case.supervision_task
    assert task.department_id == case.department_id and task.department_assumed is True


def test_an_instant_case_closed_approved_at_acceptance_is_pushed(world, officials):
    case = submitted_case(world.citizen, make_implementation(case_kind="instant"))
    case = case_services.transition(actor=officials.intake, case=case, action="accept")
    assert case.state == State.CLOSED
    assert SupervisionTask.objects.filter(case=case).count() == 1


def test_refusals_and_running_cases_are_not_pushed_and_a_push_is_not_repeated(world, officials, approved):
    case = submitted_case(world.citizen, make_implementation())
    case = case_services.transition(actor=officials.all_roles, case=case, action="accept")
    case_services.transition(actor=officials.all_roles, case=case, action="refuse", reason="不符合条件")
    assert not SupervisionTask.objects.filter(case=case).exists()
    assert services.push(approved) is None
    assert SupervisionTask.objects.filter(case=approved).count() == 1


def test_acknowledge_start_close_in_order(approved, officer):
    task = approved.supervision_task
    with pytest.raises(ValidationError) as exc:
        services.transition(actor=officer, task=task, action="start")
    assert exc.value.code == "not_allowed" and exc.value.details["allowed"] == ["acknowledge"]
    task = services.transition(actor=officer, task=task, action="acknowledge", note="已认领")
    assert task.state == TaskState.ACKNOWLEDGED and task.acknowledged_by == officer
    task = services.transition(actor=officer, task=task, action="start", note="纳入双随机抽查")
    with pytest.raises(ValidationError) as exc:
        services.transition(actor=officer, task=task, action="close")
    assert "note" in exc.value.details
    task = services.transition(actor=officer, task=task, action="close", note="检查合格")
    assert task.state == TaskState.CLOSED and [e.action for e in task.events.all()] == [
        "push", "acknowledge", "start", "close"]
    assert "检查合格" in task.note
    assert audited("supervision.supervisiontask.acknowledge", object_id=str(task.pk)) is not None


def test_only_the_supervising_departments_officers_act(approved, guixi_officer, officials, world):
    task = approved.supervision_task
    for outsider in (guixi_officer, officials.all_roles, world.citizen):
        with pytest.raises(PermissionDenied):
            services.transition(actor=outsider, task=task, action="acknowledge")
    task.refresh_from_db()
    assert task.state == TaskState.PUSHED
    with pytest.raises(ValidationError):
        services.transition(actor=guixi_officer, task=task, action="fly")


def test_the_acknowledgement_deadline_follows_the_setting(world, officials, settings, on_day):
    settings.DGOV_SUPERVISION_ACK_WORKING_DAYS = 1
    on_day(dt.date(2026, 11, 13))
    from .conftest import approve

    case = approve(submitted_case(world.citizen, make_implementation()), officials.all_roles)
    assert case.supervision_task.due_on == add_working_days(dt.date(2026, 11, 13), 1) == dt.date(2026, 11, 16)


def test_the_tick_reminds_once_when_due_and_once_when_overdue(approved, officer, on_day):
    task = approved.supervision_task
    SupervisionTask.objects.filter(pk=task.pk).update(due_on=dt.date(2026, 11, 16))
    assert services.run_tick(today=dt.date(2026, 11, 13))["messages"] == 0
    assert services.run_tick(today=dt.date(2026, 11, 16)) == {"due": 1, "overdue": 0, "messages": 1}
    assert services.run_tick(today=dt.date(2026, 11, 16))["messages"] == 0
    assert services.run_tick(today=dt.date(2026, 11, 17)) == {"due": 0, "overdue": 1, "messages": 1}
    assert services.run_tick(today=dt.date(2026, 11, 18))["messages"] == 0
    task.refresh_from_db()
    assert services.is_overdue(task, dt.date(2026, 11, 17))
    on_day(dt.date(2026, 11, 19))
    services.transition(actor=officer, task=task, action="acknowledge")
    task.refresh_from_db()
    assert not services.is_overdue(task, dt.date(2026, 11, 19))
    assert services.run_tick(today=dt.date(2026, 11, 20))["messages"] == 0


def test_the_tick_command(approved, officer):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    SupervisionTask.objects.filter(pk=approved.supervision_task.pk).update(due_on=dt.date(2026, 11, 16))
    call_command("supervision_tick", today="2026-11-17", stdout=out)
    assert "1 overdue" in out.getvalue()
