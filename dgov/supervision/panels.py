"""The supervision task's section on the official's case page: its state, the supervising department and
the deadline; a link to the task for those who see it."""

from django.template.loader import render_to_string

from dgov.core.permissions import resolver
from dgov.supervision import selectors, services


def official_panel(request, case):
    task = selectors.of_case(case)
    if task is None:
        return None
    return render_to_string("supervision/_case_panel.html", {
        "task": task, "overdue": services.is_overdue(task),
        "can_open": bool(resolver().allows(request.user, "view", task))}, request=request)
