"""The pages of supervision (工作台): the inbox of the supervising department's tasks in scope (not yet
acknowledged first, by deadline; filters: state, overdue), and one task with its facts, history and the
forms of the actions allowed now."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Case as When_
from django.db.models import IntegerField, Value, When
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from dgov.core.validators import mask_id_number
from dgov.core.views import OfficialRequiredMixin, attempt
from dgov.supervision import selectors, services
from dgov.supervision.forms import TaskActionForm, TaskFilterForm
from dgov.supervision.models import TaskState

PAGE_SIZE = 25


class TaskListView(OfficialRequiredMixin, View):
    def get(self, request):
        qs = selectors.visible(request.user)
        form = TaskFilterForm(request.GET or None)
        if form.is_bound:
            if form.is_valid():
                overdue = {"yes": True, "no": False}.get(form.cleaned_data["overdue"])
                qs = selectors.filtered(qs, state=form.cleaned_data["state"] or None, overdue=overdue)
            else:
                qs = qs.none()
        qs = qs.annotate(open_first=When_(When(state=TaskState.PUSHED, then=Value(0)), default=Value(1),
                                          output_field=IntegerField())).order_by("open_first", "due_on", "pk")
        page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
        today = timezone.localdate()
        rows = [{"task": t, "overdue": services.is_overdue(t, today)} for t in page.object_list]
        query = request.GET.copy()
        query.pop("page", None)
        return render(request, "supervision/task_list.html", {
            "nav_active": "workbench", "form": form, "rows": rows, "page": page, "query": query.urlencode(),
            "list_url": reverse("supervision:task_list")})


class TaskDetailView(OfficialRequiredMixin, View):
    template_name = "supervision/task_detail.html"

    def _render(self, request, task, bound=None, status=200):
        actions = [bound if bound and bound.action == a else TaskActionForm(action=a, prefix=a)
                   for a in services.allowed_actions(request.user, task)]
        return render(request, self.template_name, {
            "nav_active": "workbench", "task": task, "actions": actions, "overdue": services.is_overdue(task),
            "holder_code": mask_id_number(task.holder_code) if task.holder_code else "",
            "events": task.events.select_related("actor"), "list_url": reverse("supervision:task_list")},
            status=status)

    def get(self, request, pk):
        return self._render(request, selectors.task_for(request.user, pk))

    def post(self, request, pk):
        task = selectors.task_for(request.user, pk)
        action = request.POST.get("action", "")
        if action not in services.ACTIONS:
            messages.error(request, _("Unknown action."))
            return self._render(request, task, status=422)
        form = TaskActionForm(request.POST, action=action, prefix=action)
        if form.is_valid():
            ok, _task = attempt(request, lambda: services.transition(
                actor=request.user, task=task, action=action, note=form.cleaned_data["note"]), form=form)
            if ok:
                messages.success(request, _("Done: %(action)s.") % {"action": form.label})
                return redirect("supervision:task_detail", pk=task.pk)
        return self._render(request, selectors.task_for(request.user, pk), bound=form, status=422)


def urls() -> list:
    return [
        path("workbench/supervision/", TaskListView.as_view(), name="task_list"),
        path("workbench/supervision/<int:pk>/", TaskDetailView.as_view(), name="task_detail"),
    ]
