"""Pages of sharing (数据平台 → 共享申请, 共享授权): the requests list (filters, overdue flags,
export), the request form (entry first, then its items), a request's page (its terms, the
deadlines, the history and the decisions the user may take now), the grants list and a grant's
page (with revocation)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dgov.catalog import selectors as catalog_selectors
from dgov.catalog.models import CatalogEntry
from dgov.catalog.models import Status as EntryStatus
from dgov.core.errors import DgovError, NotFound, PermissionDenied, ValidationError
from dgov.core.forms import apply_error
from dgov.core.permissions import has_permission
from dgov.core.views import CrudView, CrudViews, ObjectListView, audit_refused_write
from dgov.sharing import selectors, services
from dgov.sharing.filtersets import GrantFilterSet, SharingRequestFilterSet
from dgov.sharing.forms import EntryChoiceForm, SharingRequestForm, parse_terms, row_filter_text
from dgov.sharing.models import Grant, SharingRequest
from dgov.sharing.tables import (
    GRANT_BADGES,
    OVERDUE_BADGE,
    STATUS_BADGES,
    GrantExportTable,
    GrantTable,
    SharingRequestExportTable,
    SharingRequestTable,
)

NAMESPACE = "sharing"

#: the decisions on a request's page: action → (label, button style, done message)
STEPS = {
    "provider_approve": (gettext_lazy("Approve as provider"), "btn-gov",
                         gettext_lazy("Approved; the request now waits for the big-data centre.")),
    "provider_reject": (gettext_lazy("Reject"), "btn-outline-danger", gettext_lazy("The request was rejected.")),
    "centre_approve": (gettext_lazy("Approve and grant"), "btn-gov",
                       gettext_lazy("Approved: the grant is active and the data service can be called.")),
    "centre_reject": (gettext_lazy("Reject"), "btn-outline-danger", gettext_lazy("The request was rejected.")),
    "withdraw": (gettext_lazy("Withdraw the request"), "btn-outline-secondary",
                 gettext_lazy("The request was withdrawn.")),
}


class RequestListView(ObjectListView):
    """The list, with the overdue count on top; its export holds every field of the filtered list."""

    def get(self, request):
        if request.GET.get("export") in ("xlsx", "csv"):
            self.crud = RequestExportViews
        return super().get(request)

    def context(self, **extra):
        return super().context(counts=selectors.counts(self.request.user), overdue_badge=OVERDUE_BADGE, **extra)


class RequestAddView(CrudView):
    """Request data: first choose the catalog entry, then its items, the application, the purpose
    and the period."""

    template_name = "sharing/request_form.html"

    def _entry(self, code: str) -> CatalogEntry | None:
        code = (code or "").strip()
        if not code:
            return None
        # Only what the user may read in the catalog: the form lists the entry's items.
        return (catalog_selectors.visible_entries(self.request.user).select_related("department")
                .filter(code=code, status=EntryStatus.PUBLISHED).first())

    def _require_add(self):
        if not has_permission(self.request.user, SharingRequest, "add"):
            raise PermissionDenied()

    def get(self, request):
        self._require_add()
        entry = self._entry(request.GET.get("entry", ""))
        if entry is None:
            choice = EntryChoiceForm(request.GET or None, user=request.user)
            if request.GET.get("entry"):
                choice.is_valid()
            return render(request, self.template_name, self.context(choice=choice))
        form = SharingRequestForm(user=request.user, entry=entry)
        return render(request, self.template_name, self.context(form=form, entry=entry))

    def post(self, request):
        self._require_add()
        entry = self._entry(request.POST.get("entry_code", ""))
        if entry is None:
            choice = EntryChoiceForm({"entry": request.POST.get("entry_code", "")}, user=request.user)
            choice.is_valid()
            return render(request, self.template_name, self.context(choice=choice), status=422)
        form = SharingRequestForm(request.POST, user=request.user, entry=entry)
        if form.is_valid():
            try:
                obj = services.submit(actor=request.user, instance=form.save(commit=False))
            except DgovError as exc:
                audit_refused_write(request, exc)
                apply_error(form, exc)
            else:
                messages.success(request, _("The request was granted at once (unconditionally shared data).")
                                 if obj.status == "granted" else
                                 _("The request was submitted; the provider department has been asked to decide."))
                return redirect(RequestViews.detail_url(obj))
        return render(request, self.template_name, self.context(form=form, entry=entry), status=422)


class RequestDetailView(CrudView):
    """A request: its terms, the deadlines, the history and the decisions the user may take now. A
    refused decision is shown on the page with what was typed."""

    template_name = "sharing/request_detail.html"

    def get(self, request, key):
        return render(request, self.template_name, self.page_context(selectors.request_for(request.user, key)))

    def post(self, request, key):
        obj = selectors.request_for(request.user, key)
        action = request.POST.get("action", "")
        reason = request.POST.get("reason", "").strip()
        try:
            if action == "provider_approve":
                services.provider_approve(actor=request.user, request=obj, reason=reason,
                                          **parse_terms(request.POST, obj))
            elif action in services.ACTIONS:
                services.ACTIONS[action](actor=request.user, request=obj, reason=reason)
            else:
                raise ValidationError(details={"action": [_("Unknown action.")]})
        except (PermissionDenied, NotFound):
            raise
        except DgovError as exc:
            audit_refused_write(request, exc)
            details = exc.details if isinstance(exc.details, dict) else {}
            ctx = self.page_context(selectors.request_for(request.user, key), action_errors=exc.sentences(),
                                    failed_action=action, reason=reason, posted=request.POST,
                                    error_fields=set(details))
            return render(request, self.template_name, ctx, status=422)
        messages.success(request, str(STEPS[action][2]))
        return redirect(RequestViews.detail_url(obj))

    def page_context(self, obj: SharingRequest, **extra) -> dict:
        user = self.request.user
        steps = [{"action": action, "label": label, "style": style}
                 for action, (label, style, _done) in STEPS.items() if services.can(user, action, obj)]
        posted = extra.get("posted")
        terms = {
            "items": posted.getlist("items") if posted else obj.items,
            "unmasked_items": posted.getlist("unmasked_items") if posted else [],
            "daily_quota": posted.get("daily_quota", "") if posted else "",
            "rate_limit": posted.get("rate_limit", "") if posted else "",
            "expires_on": posted.get("expires_on", "") if posted else "",
            "row_filter": posted.get("row_filter", "") if posted else "",
        }
        grant = obj.grants.order_by("-pk").first()
        return self.context(
            object=obj, steps=steps, terms=terms, grant=grant,
            row_filter=row_filter_text(obj.row_filter),
            refusal=[m for ms in services.refusal(obj.entry, obj.approved_items or obj.items).values() for m in ms]
            if obj.status in ("submitted", "provider_approved") else [],
            events=obj.events.select_related("actor", "department").order_by("created_at", "pk"),
            status_badge=STATUS_BADGES.get(obj.status, ""), overdue_badge=OVERDUE_BADGE,
            grant_badges=GRANT_BADGES, provider_days=services.provider_days(), centre_days=services.centre_days(),
            **extra)


class RequestViews(CrudViews):
    nav_section = "data"
    model = SharingRequest
    table = SharingRequestTable
    filterset = SharingRequestFilterSet
    form = SharingRequestForm  # the add page is RequestAddView; requests are never edited
    lookup = "number"
    list_template = "sharing/request_list.html"
    queryset = staticmethod(lambda: SharingRequest.objects.select_related("department", "provider", "entry",
                                                                          "application"))
    views = {"list": RequestListView, "detail": RequestDetailView, "add": RequestAddView}

    @classmethod
    def urls(cls, prefix: str, namespace: str) -> list:
        # A request is decided, withdrawn or granted, never edited or deleted: its history is the record.
        return [p for p in super().urls(prefix, namespace) if p.name not in (f"{cls.model._meta.model_name}_edit",)]

    @classmethod
    def deletable(cls) -> bool:
        return False


class RequestExportViews(RequestViews):
    table = SharingRequestExportTable
    queryset = staticmethod(lambda: SharingRequest.objects.select_related("department", "provider", "entry",
                                                                          "application", "submitted_by"))


class GrantDetailView(CrudView):
    """A grant: what it allows, its request, and revocation for the provider and the centre."""

    template_name = "sharing/grant_detail.html"

    def get(self, request, key):
        grant = selectors.grant_for(request.user, key)
        return render(request, self.template_name, self.page_context(grant))

    def post(self, request, key):
        grant = selectors.grant_for(request.user, key)
        if request.POST.get("action") != "revoke":
            raise Http404
        reason = request.POST.get("reason", "").strip()
        try:
            services.revoke(actor=request.user, grant=grant, reason=reason)
        except (PermissionDenied, NotFound):
            raise
        except DgovError as exc:
            audit_refused_write(request, exc)
            ctx = self.page_context(selectors.grant_for(request.user, key), action_errors=exc.sentences(),
                                    reason=reason)
            return render(request, self.template_name, ctx, status=422)
        messages.success(request, _("The grant was revoked; the data service refuses its next call."))
        return redirect(GrantViews.detail_url(grant))

    def page_context(self, grant: Grant, **extra) -> dict:
        return self.context(object=grant, can_revoke=services.can_revoke(self.request.user, grant),
                            row_filter=row_filter_text(grant.row_filter),
                            status_badge=GRANT_BADGES.get(grant.status, ""), **extra)


class GrantListView(ObjectListView):
    def get(self, request):
        if request.GET.get("export") in ("xlsx", "csv"):
            self.crud = GrantExportViews
        return super().get(request)


class GrantViews(CrudViews):
    nav_section = "data"
    model = Grant
    table = GrantTable
    filterset = GrantFilterSet
    list_template = "sharing/grant_list.html"
    queryset = staticmethod(lambda: Grant.objects.select_related("application", "application__department", "entry",
                                                                 "entry__department", "request"))
    views = {"list": GrantListView, "detail": GrantDetailView}


class GrantExportViews(GrantViews):
    table = GrantExportTable
