"""Pages of data quality (数据平台 → 质量规则 / 质量检测 / 整改任务): rules (generic list and form; the JSON
parameters are validated against the harvested columns), a table's rules with "run now" and its schedule, the
runs and one run (per rule: counts, the passed badge, details, the masked sample, and the SQL the engine sent),
the score board (city, departments, tables) and remediation tasks (list, one task with its fix form)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from dgov.core.errors import NotFound
from dgov.core.permissions import has_permission, resolver
from dgov.core.views import CrudViews, OfficialRequiredMixin, UserFormEditView, attempt
from dgov.quality import selectors, services
from dgov.quality.forms import FixForm, PlanForm, QualityRuleForm, TaskFilterForm
from dgov.quality.models import QualityPlan, QualityRule, QualityRun, Schedule, TaskState
from dgov.quality.tables import RUN_BADGES, QualityRuleTable

PAGE_SIZE = 25
RECENT_RUNS = 10


class RuleViews(CrudViews):
    nav_section = "data"
    model = QualityRule
    table = QualityRuleTable
    form = QualityRuleForm
    save = staticmethod(services.rule_save)
    delete = staticmethod(services.rule_delete)
    queryset = staticmethod(lambda: QualityRule.objects.select_related("table__department"))
    detail_template = "quality/rule_detail.html"
    list_template = "quality/rule_list.html"
    views = {"add": UserFormEditView, "edit": UserFormEditView}


class QualityView(OfficialRequiredMixin, View):
    def page(self, template, status=200, **ctx):
        return render(self.request, template, {"nav_active": "data", **ctx}, status=status)


class TableView(QualityView):
    """A harvested table's rules, its latest runs, "run now" and the schedule."""

    template = "quality/table_detail.html"

    def get(self, request, pk, plan_form=None, status=200):
        table = selectors.table_for(request.user, pk)
        plan = QualityPlan.objects.filter(table=table).first()
        user = request.user
        can_change = selectors.tables(user, "change").filter(pk=table.pk).exists()
        return self.page(self.template, status=status, table=table, plan=plan,
                         rules=selectors.visible_rules(user).filter(table=table),
                         runs=selectors.visible_runs(user).filter(table=table)[:RECENT_RUNS], run_badges=RUN_BADGES,
                         can_run=selectors.tables(user, "run").filter(pk=table.pk).exists(),
                         can_change=can_change, can_add=has_permission(user, QualityRule, "add"),
                         plan_form=plan_form or PlanForm(initial={
                             "schedule": plan.schedule if plan else Schedule.MANUAL,
                             "next_run_on": plan.next_run_on if plan else None}))

    def post(self, request, pk):
        table = selectors.table_for(request.user, pk)
        if request.POST.get("action") == "run":
            table = selectors.table_for(request.user, pk, "run")
            run = services.run_table(table, actor=request.user)
            if run.status == QualityRun.Status.FAILED:
                messages.error(request, _("The check could not run: %(error)s") % {"error": run.error})
            else:
                messages.success(request, _("Checked: score %(score)s.") % {"score": run.score})
            return redirect("quality:qualityrun_detail", pk=run.pk)
        form = PlanForm(request.POST)
        if form.is_valid():
            ok, _saved = attempt(request, lambda: services.plan_save(
                actor=request.user, table=table, schedule=form.cleaned_data["schedule"],
                next_run=form.cleaned_data["next_run_on"]), form=form, let_through=(NotFound,))
            if ok:
                messages.success(request, _("Saved."))
                return redirect("quality:table_detail", pk=table.pk)
        return self.get(request, pk, plan_form=form, status=422)


class RunListView(QualityView):
    def get(self, request):
        qs = selectors.visible_runs(request.user)
        table = request.GET.get("table")
        if table and table.isdigit():
            qs = qs.filter(table_id=int(table))
        page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        return self.page("quality/run_list.html", page=page, runs=page.object_list, run_badges=RUN_BADGES,
                         query=query.urlencode(), tables=selectors.tables(request.user, "run"))


class RunDetailView(QualityView):
    def get(self, request, pk):
        run = selectors.run_for(request.user, pk)
        results = list(run.results.all())
        return self.page("quality/run_detail.html", run=run, results=results, run_badges=RUN_BADGES,
                         statements=[s for s in run.sql.split(";\n\n") if s.strip()],
                         tasks=selectors.visible_tasks(request.user).filter(last_check=run))


class ScoreView(QualityView):
    def get(self, request):
        return self.page("quality/scores.html", scores=selectors.scores(request.user))


class TaskListView(QualityView):
    def get(self, request):
        qs = selectors.visible_tasks(request.user)
        form = TaskFilterForm(request.GET or None)
        today = timezone.localdate()
        if form.is_bound:
            if form.is_valid():
                if form.cleaned_data["state"]:
                    qs = qs.filter(state=form.cleaned_data["state"])
                overdue = form.cleaned_data["overdue"]
                if overdue == "yes":
                    qs = qs.exclude(state=TaskState.CLOSED).filter(due_on__lt=today)
                elif overdue == "no":
                    qs = qs.exclude(due_on__lt=today, state__in=(TaskState.OPEN, TaskState.SUBMITTED))
            else:
                qs = qs.none()
        page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
        rows = [{"task": t, "overdue": services.is_overdue(t, today)} for t in page.object_list]
        query = request.GET.copy()
        query.pop("page", None)
        return self.page("quality/task_list.html", form=form, rows=rows, page=page, query=query.urlencode())


class TaskDetailView(QualityView):
    def get(self, request, pk, form=None, status=200):
        task = selectors.task_for(request.user, pk)
        can_fix = services.can_fix(request.user, task)
        return self.page("quality/task_detail.html", status=status, task=task,
                         overdue=services.is_overdue(task), events=task.events.select_related("actor", "run"),
                         form=(form or FixForm()) if can_fix else None,
                         may_fix=bool(resolver().allows(request.user, "fix", task)))

    def post(self, request, pk):
        task = selectors.task_for(request.user, pk)
        form = FixForm(request.POST)
        if form.is_valid():
            ok, fixed = attempt(request, lambda: services.task_fix(actor=request.user, task=task,
                                                                   note=form.cleaned_data["note"]),
                                form=form, let_through=(NotFound,))
            if ok:
                task = fixed
                if task.state == TaskState.CLOSED:
                    messages.success(request, _("Re-checked: the rule passes and the task is closed."))
                else:
                    messages.warning(request, _("Re-checked: the rule still fails; the task stays open."))
                return redirect("quality:remediationtask_detail", pk=task.pk)
        return self.get(request, pk, form=form, status=422)


def urls() -> list:
    return [
        *RuleViews.urls("data/quality/rules", "quality"),
        path("data/quality/tables/<int:pk>/", TableView.as_view(), name="table_detail"),
        path("data/quality/runs/", RunListView.as_view(), name="qualityrun_list"),
        path("data/quality/runs/<int:pk>/", RunDetailView.as_view(), name="qualityrun_detail"),
        path("data/quality/scores/", ScoreView.as_view(), name="scores"),
        path("data/quality/tasks/", TaskListView.as_view(), name="remediationtask_list"),
        path("data/quality/tasks/<int:pk>/", TaskDetailView.as_view(), name="remediationtask_detail"),
    ]
