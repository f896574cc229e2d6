"""The officials' pages of opening data: the open datasets of their scope, preparing one from a published
catalog entry, its page (what is served, the personal-data scan, the history) with the steps its status allows
— submit, publish or return (the centre), withdraw."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from dgov.catalog import selectors as catalog_selectors
from dgov.catalog.models import CatalogEntry, Status
from dgov.core.permissions import get_scoped, has_permission, require_permission
from dgov.core.views import OfficialRequiredMixin, attempt
from dgov.opendata import selectors, services
from dgov.opendata.forms import DatasetForm, NoteForm
from dgov.opendata.models import DatasetStatus, OpenDataset

NAV = "data"


class StatusListView(OfficialRequiredMixin, View):
    """An officials' list of the objects of their scope, filtered by `?status=`, by status then newest first."""

    model = None
    statuses = None  # the model's status choices
    template_name = ""
    related: tuple = ()

    def extra(self, request) -> dict:
        return {}

    def get(self, request):
        status = request.GET.get("status", "")
        status = status if status in self.statuses.values else ""
        qs = selectors.scoped(request.user, self.model, status=status, related=self.related)
        page = Paginator(qs, 30).get_page(request.GET.get("page"))
        return render(request, self.template_name, {
            "nav_active": NAV, "page": page, "status": status, "statuses": self.statuses.choices,
            "query": f"status={status}" if status else "", **self.extra(request)})


class DatasetListView(StatusListView):
    model, statuses, template_name = OpenDataset, DatasetStatus, "opendata/dataset_list.html"
    related = ("entry", "entry__department")

    def extra(self, request) -> dict:
        if not has_permission(request.user, OpenDataset, "add"):
            return {"openable": []}
        # the published, opened entries with data of the departments the user edits the catalog for
        return {"openable": CatalogEntry.objects.restrict(request.user, "change")
                .filter(status=Status.PUBLISHED, open_type__in=services.OPEN_TYPES, dataset__isnull=False,
                        open_dataset__isnull=True).order_by("code")[:100]}


class DatasetEditView(OfficialRequiredMixin, View):
    """Prepare a new open dataset (`?entry=<code>`) or change an existing one's description."""

    def _target(self, request, pk):
        if pk is not None:
            dataset = selectors.dataset_for(request.user, pk, "change")
            return dataset, dataset.entry
        require_permission(request.user, OpenDataset, "add")
        entry = get_scoped(request.user, "view", catalog_selectors.visible_entries(request.user),
                           code=request.GET.get("entry", "")[:20])
        return None, entry

    def _render(self, request, dataset, entry, form, status=200):
        return render(request, "opendata/dataset_form.html", {"nav_active": NAV, "dataset": dataset, "entry": entry,
                                                              "form": form}, status=status)

    def get(self, request, pk=None):
        dataset, entry = self._target(request, pk)
        initial = {"license": "CC-BY-4.0"}
        if dataset is not None:
            initial = {"title": dataset.title, "description": dataset.description, "license": dataset.license,
                       "topics": list(dataset.topics.all()), "keywords": "、".join(dataset.keywords)}
        return self._render(request, dataset, entry, DatasetForm(initial=initial))

    def post(self, request, pk=None):
        dataset, entry = self._target(request, pk)
        form = DatasetForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            ok, saved = attempt(request, lambda: services.prepare(
                actor=request.user, entry=entry, title=data["title"], description=data["description"],
                topics=[t.code for t in data["topics"]], keywords=data["keywords"], license=data["license"]),
                form=form)
            if ok:
                messages.success(request, _("Saved."))
                return redirect("opendata:dataset_manage", pk=saved.pk)
        return self._render(request, dataset, entry, form, status=422)


class DatasetManageView(OfficialRequiredMixin, View):
    """An open dataset's page for officials, and its steps (POST `action`: submit, publish, return, withdraw)."""

    def _render(self, request, dataset, form=None, status=200):
        user = request.user
        actions = []
        if dataset.status in (DatasetStatus.DRAFT, DatasetStatus.WITHDRAWN) and has_permission(user, OpenDataset,
                                                                                               "change"):
            actions.append(("submit", _("Submit for review")))
        if dataset.status == DatasetStatus.SUBMITTED and has_permission(user, OpenDataset, "review"):
            actions += [("publish", _("Publish")), ("return", _("Return to the department"))]
        if dataset.status == DatasetStatus.PUBLISHED:
            actions.append(("withdraw", _("Withdraw from the portal")))
        return render(request, "opendata/dataset_manage.html", {
            "nav_active": NAV, "dataset": dataset, "columns": services.opened_columns(dataset.entry),
            "actions": actions, "form": form or NoteForm(), "events": dataset.events.select_related("actor"),
            "editable": dataset.status != DatasetStatus.SUBMITTED}, status=status)

    def get(self, request, pk):
        return self._render(request, selectors.dataset_for(request.user, pk))

    def post(self, request, pk):
        dataset = selectors.dataset_for(request.user, pk)
        form = NoteForm(request.POST)
        action = request.POST.get("action", "")
        steps = {
            "submit": lambda: services.submit(actor=request.user, dataset=dataset),
            "publish": lambda: services.review(actor=request.user, dataset=dataset, approve=True,
                                               note=form.cleaned_data["note"]),
            "return": lambda: services.review(actor=request.user, dataset=dataset, approve=False,
                                              note=form.cleaned_data["note"]),
            "withdraw": lambda: services.withdraw(actor=request.user, dataset=dataset, note=form.cleaned_data["note"]),
        }
        if action in steps and form.is_valid():
            ok, _result = attempt(request, steps[action], form=form)
            if ok:
                messages.success(request, _("Done."))
                return redirect("opendata:dataset_manage", pk=dataset.pk)
        dataset.refresh_from_db()
        return self._render(request, dataset, form, status=422)
