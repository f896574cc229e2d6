"""Demo supervision tasks (`dgov init --demo`): the approved demo cases were pushed when they were
approved (the receiver is connected whenever the platform runs); any approved demo case still without a
task (made before this app existed) is pushed now. The tasks of demo cases are marked `is_demo`. The demo
official `official` (张伟) becomes the supervision officer (监管人员) of the demo cases' region, and one
task is acknowledged so both states show."""

from django.db import transaction

from dgov.accounts.models import User
from dgov.cases import demo as cases_demo
from dgov.cases.models import Case, Outcome
from dgov.supervision import services
from dgov.supervision.models import SupervisionTask, TaskState

ROLE = "supervision_officer"


def load_demo() -> dict:
    from dgov.accounts.demo import grant_demo_role

    created = 0
    with transaction.atomic():
        for case in (Case.objects.filter(is_demo=True, outcome=Outcome.APPROVED, supervision_task__isnull=True)
                     .select_related("implementation__supervising_department", "department").order_by("pk")):
            created += services.push(case) is not None
        SupervisionTask.objects.filter(case__is_demo=True, is_demo=False).update(is_demo=True)
        official = User.objects.filter(username=cases_demo.OFFICIAL).first()
        regions = {task.region for task in SupervisionTask.objects.filter(is_demo=True).select_related("region")}
        if official is not None and regions:
            for region in sorted(regions, key=lambda r: r.code):  # wherever the demo tasks' departments are
                grant_demo_role(official, ROLE, region=region)
            first = SupervisionTask.objects.filter(is_demo=True, state=TaskState.PUSHED).first()
            if first is not None and not SupervisionTask.objects.filter(is_demo=True).exclude(
                    state=TaskState.PUSHED).exists():
                services.transition(actor=official, task=first, action="acknowledge", note="已认领，纳入日常监管计划。")
    return {"created": created, "total": SupervisionTask.objects.filter(is_demo=True).count()}
