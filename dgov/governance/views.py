"""The pages of dgov.governance: lineage (an inline SVG graph and the column-level table), the data-application
ranking (live with a period filter, publish, and the public page of the latest publication), and a resource's
feedback (the consuming department's rating and the provider's reply)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views import View

from dgov.catalog import selectors as catalog_selectors
from dgov.core.errors import DgovError, NotFound, PermissionDenied
from dgov.core.forms import apply_error
from dgov.core.permissions import has_permission, require_permission, resolver
from dgov.core.views import OfficialRequiredMixin, attempt
from dgov.governance import evaluation, lineage, selectors, services
from dgov.governance.forms import FeedbackForm, LineageForm, PeriodForm, PublishForm, ReplyForm
from dgov.governance.models import RankingPublication, ResourceFeedback

NAV = "data"


class LineageView(OfficialRequiredMixin, View):
    def get(self, request):
        require_permission(request.user, ResourceFeedback, "view")
        form = LineageForm(request.GET or None)
        graph = drawing = None
        status = 200
        if form.is_bound:
            if form.is_valid():
                if form.cleaned_data["entry"]:
                    graph = lineage.for_entry(request.user, form.cleaned_data["entry"])
                else:
                    graph = lineage.for_table(request.user, form.cleaned_data["table"])
                drawing = lineage.layout(graph)
            else:
                status = 422
        entries = (catalog_selectors.visible_entries(request.user).filter(dataset__isnull=False)
                   .order_by("code").values_list("code", "name")[:200])
        return render(request, "governance/lineage.html", {
            "nav_active": NAV, "form": form, "graph": graph, "drawing": drawing, "entries": entries,
            "columns": lineage.column_rows(graph) if graph else [], "kinds": lineage.kind_labels()}, status=status)


def _period(request):
    form = PeriodForm(request.GET or None)
    start, end = evaluation.default_period()
    if form.is_bound and form.is_valid():
        start = form.cleaned_data["start"] or start
        end = form.cleaned_data["end"] or end
    return form, start, end


class EvaluationView(OfficialRequiredMixin, View):
    template_name = "governance/evaluation.html"

    def _render(self, request, publish_form=None, status=200):
        require_permission(request.user, RankingPublication, "view")
        form, start, end = _period(request)
        try:
            services.check_period(start, end)
            result = evaluation.evaluate(start, end, catalog_selectors.visible_entries(request.user))
        except DgovError as exc:
            apply_error(form, exc)
            result, status = None, 422
        can_publish = has_permission(request.user, RankingPublication, "publish")
        return render(request, self.template_name, {
            "nav_active": NAV, "form": form, "result": result, "start": start, "end": end,
            "can_publish": can_publish,
            "publish_form": publish_form or PublishForm(initial={"start": start, "end": end}),
            "publications": selectors.visible_publications(request.user)[:10]}, status=status)

    def get(self, request):
        return self._render(request)

    def post(self, request):
        form = PublishForm(request.POST)
        if form.is_valid():
            ok, _publication = attempt(request, lambda: services.publish(
                actor=request.user, start=form.cleaned_data["start"], end=form.cleaned_data["end"]), form=form)
            if ok:
                messages.success(request, _("The ranking has been published."))
                return redirect("governance:published")
        return self._render(request, publish_form=form, status=422)


class PublishedView(View):
    """The latest published ranking, for everyone (no sign-in)."""

    def get(self, request):
        publication = selectors.latest_publication()
        return render(request, "governance/published.html", {"publication": publication, "nav_active": "portal"})


class FeedbackView(OfficialRequiredMixin, View):
    """A resource's ratings: the consuming department rates (or edits its rating); the provider replies."""

    template_name = "governance/feedback.html"

    def _entry(self, request, key):
        entry = catalog_selectors.visible_entries(request.user).filter(code=key).select_related("department").first()
        if entry is None:
            raise NotFound()
        return entry

    def _render(self, request, entry, form=None, reply_forms=None, status=200):
        require_permission(request.user, ResourceFeedback, "view")
        feedback = list(selectors.visible_feedback(request.user).filter(entry=entry))
        department = getattr(request.user, "department", None)
        mine = next((f for f in feedback if department is not None and f.department_id == department.pk), None)
        can_rate = (department is not None and has_permission(request.user, ResourceFeedback, "add")
                    and entry.department_id != department.pk and services.holds_grant(department, entry))
        can_reply = (has_permission(request.user, ResourceFeedback, "change")
                     and bool(resolver().allows(request.user, "change", entry)))
        reply_forms = reply_forms or {}
        rows = [{"feedback": f, "reply_form": reply_forms.get(f.pk) or ReplyForm(prefix=f"r{f.pk}",
                                                                                   initial={"reply": f.reply})}
                for f in feedback]
        return render(request, self.template_name, {
            "nav_active": NAV, "entry": entry, "rows": rows, "mine": mine, "can_rate": can_rate,
            "can_reply": can_reply, "form": form or FeedbackForm(instance=mine)}, status=status)

    def get(self, request, key):
        return self._render(request, self._entry(request, key))

    def post(self, request, key):
        entry = self._entry(request, key)
        require_permission(request.user, ResourceFeedback, "view")
        if request.POST.get("action") == "reply":
            raw = request.POST.get("feedback") or ""
            feedback = selectors.feedback_for(request.user, int(raw) if raw.isdigit() else 0)
            if feedback.entry_id != entry.pk:
                raise NotFound()
            form = ReplyForm(request.POST, prefix=f"r{feedback.pk}")
            if form.is_valid():
                ok, _reply = attempt(request, lambda: services.feedback_reply(
                    actor=request.user, feedback=feedback, reply=form.cleaned_data["reply"]), form=form)
                if ok:
                    messages.success(request, _("Your reply has been saved."))
                    return redirect("governance:feedback", key=entry.code)
            return self._render(request, entry, reply_forms={feedback.pk: form}, status=422)
        department = getattr(request.user, "department", None)
        if department is None:
            raise PermissionDenied()
        mine = ResourceFeedback.objects.filter(entry=entry, department=department).first()
        form = FeedbackForm(request.POST, instance=mine or ResourceFeedback(entry=entry, department=department))
        if form.is_valid():
            ok, _saved = attempt(request, lambda: services.feedback_save(actor=request.user, feedback=form.instance),
                                 form=form)
            if ok:
                messages.success(request, _("Your rating has been saved."))
                return redirect("governance:feedback", key=entry.code)
        return self._render(request, entry, form=form, status=422)


def urls() -> list:
    return [
        path("data/governance/lineage/", LineageView.as_view(), name="lineage"),
        path("data/governance/evaluation/", EvaluationView.as_view(), name="evaluation"),
        path("data/governance/evaluation/published/", PublishedView.as_view(), name="published"),
        path("data/governance/feedback/<resource_code:key>/", FeedbackView.as_view(), name="feedback"),
    ]
