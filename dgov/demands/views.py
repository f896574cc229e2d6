"""Pages of the data supply–demand list (数据平台 → 供需对接清单): the list (filters, overdue flags,
export), a demand's page (its fields, the suggested catalog entries, the history and the steps the
user may take now) and the form to file or change a demand."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dgov.catalog.models import CatalogEntry
from dgov.core.errors import DgovError, NotFound, PermissionDenied, ValidationError
from dgov.core.views import CrudView, CrudViews, ObjectListView, UserFormEditView, audit_refused_write
from dgov.demands import selectors, services
from dgov.demands.filtersets import DataDemandFilterSet
from dgov.demands.forms import DataDemandForm
from dgov.demands.models import DataDemand, State
from dgov.demands.tables import OVERDUE_BADGE, STATE_BADGES, DataDemandExportTable, DataDemandTable

NAMESPACE = "demands"

#: the steps on a demand's page: action → (label, button style, input field, its label, done message)
STEPS = {
    "confirm": (gettext_lazy("Confirm"), "btn-gov", "answer", gettext_lazy("Answer (how and on what terms)"),
                gettext_lazy("The demand was confirmed.")),
    "reject": (gettext_lazy("Reject"), "btn-outline-danger", "reason", gettext_lazy("Reason for rejection"),
               gettext_lazy("The demand was rejected.")),
    "fulfil": (gettext_lazy("Mark fulfilled"), "btn-gov", "fulfilment",
               gettext_lazy("How it was fulfilled (interface, file or database granted)"),
               gettext_lazy("The demand was marked fulfilled.")),
}


class DemandListView(ObjectListView):
    """The list, with the overdue count on top; its export holds every field of the filtered list."""

    def get(self, request):
        if request.GET.get("export") in ("xlsx", "csv"):
            self.crud = DemandExportViews  # the spreadsheet holds every field
        return super().get(request)

    def context(self, **extra):
        return super().context(counts=selectors.counts(self.request.user), overdue_badge=OVERDUE_BADGE, **extra)


class DemandEditView(UserFormEditView):
    """File a demand, or change an open one (the service refuses others: the error is on the form)."""

    template_name = "demands/demand_form.html"

    def get(self, request, key=None):
        if key is not None:
            demand = self._instance(key)
            if not services.can(request.user, "change", demand):
                messages.error(request, _("Only an open demand can be changed; this one is “%(state)s”.")
                               % {"state": demand.get_state_display()})
                return redirect(DemandViews.detail_url(demand))
        return super().get(request, key)


class DemandDetailView(CrudView):
    """A demand: its fields, while open the suggested catalog entries (to match), the provider's
    deadline, the history and the steps the user may take now. A refused step is shown on the page."""

    template_name = "demands/demand_detail.html"

    def get(self, request, key):
        return render(request, self.template_name, self.page_context(selectors.demand_for(request.user, key)))

    def post(self, request, key):
        demand = selectors.demand_for(request.user, key)
        action = request.POST.get("action", "")
        text = request.POST.get("text", "").strip()
        try:
            if action == "match":
                entry = CatalogEntry.objects.filter(code=request.POST.get("entry", "").strip()).first()
                services.match(actor=request.user, demand=demand, entry=entry)
                done = _("The demand was matched; the provider has been asked to answer.")
            elif action in services.ACTIONS:
                service, field = services.ACTIONS[action]
                service(actor=request.user, demand=demand, **{field: text})
                done = str(STEPS[action][4])
            else:
                raise ValidationError(details={"action": [_("Unknown action.")]})
        except (PermissionDenied, NotFound):
            raise
        except DgovError as exc:
            audit_refused_write(request, exc)
            details = exc.details if isinstance(exc.details, dict) else {}
            ctx = self.page_context(selectors.demand_for(request.user, key), action_errors=exc.sentences(),
                                    failed_action=action, text=text,
                                    text_error=bool(set(details) & {"answer", "reason", "fulfilment"}))
            return render(request, self.template_name, ctx, status=422)
        messages.success(request, done)
        return redirect(DemandViews.detail_url(demand))

    def page_context(self, demand: DataDemand, **extra) -> dict:
        user = self.request.user
        steps = [{"action": action, "label": label, "style": style, "field_label": field_label}
                 for action, (label, style, _field, field_label, _done) in STEPS.items()
                 if services.can(user, action, demand)]
        can_match = services.can(user, "match", demand)
        return self.context(
            object=demand, steps=steps, can_match=can_match,
            can_change=services.can(user, "change", demand),
            suggestions=selectors.suggestions(user, demand) if demand.state == State.OPEN else [],
            refusal=services.sharing_refusal(demand, demand.entry) if demand.state == State.MATCHED else [],
            events=demand.events.select_related("actor", "department").order_by("created_at", "pk"),
            state_badge=STATE_BADGES.get(demand.state, ""), overdue_badge=OVERDUE_BADGE, **extra)


class DemandViews(CrudViews):
    nav_section = "data"
    model = DataDemand
    table = DataDemandTable
    filterset = DataDemandFilterSet
    form = DataDemandForm
    save = staticmethod(services.demand_save)
    lookup = "number"
    list_template = "demands/demand_list.html"
    queryset = staticmethod(lambda: DataDemand.objects.select_related("department", "provider", "entry"))
    views = {"list": DemandListView, "detail": DemandDetailView, "add": DemandEditView, "edit": DemandEditView}

    @classmethod
    def deletable(cls) -> bool:
        return False  # a demand is answered or rejected, never deleted: its history is the record


class DemandExportViews(DemandViews):
    """The list's export: every field of the filtered list."""

    table = DataDemandExportTable
    queryset = staticmethod(lambda: DataDemand.objects.select_related("department", "provider", "entry", "filed_by"))
