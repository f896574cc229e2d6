"""Pages of the exchange gateway (数据平台): consumer credentials (create — an HMAC-SM3 secret shown
once —, enable/disable, expiry), what an application may call, a data service with its OpenAPI
description, and the exchange log for the big-data centre (filters, export, chain verification,
the verifiable JSON Lines export)."""

import io
import json

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from dgov.core import audit
from dgov.core.errors import DgovError, PermissionDenied
from dgov.core.forms import apply_error
from dgov.core.permissions import has_permission, require_permission
from dgov.core.views import CrudView, CrudViews, ObjectDetailView, ObjectListView, UserFormEditView, audit_refused_write
from dgov.exchange import chain, limits, selectors, services
from dgov.exchange.filtersets import CredentialFilterSet, ExchangeLogFilterSet
from dgov.exchange.forms import CredentialCreateForm, CredentialEditForm
from dgov.exchange.gateway import is_masked
from dgov.exchange.models import ConsumerCredential, ExchangeLogEntry
from dgov.exchange.openapi import service_document
from dgov.exchange.tables import CredentialTable, ExchangeLogExportTable, ExchangeLogTable

NAMESPACE = "exchange"


# --- credentials ------------------------------------------------------------------------------------

class CredentialCreateView(UserFormEditView):
    """A new credential; an HMAC-SM3 secret is shown on the next page, this once."""

    def post(self, request, key=None):
        self._instance(None)
        form = self.form_class(None)(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                credential, secret = services.credential_create(
                    actor=request.user, application=data["application"], algorithm=data["algorithm"],
                    public_key=data.get("public_key") or "", expires_at=data.get("expires_at"))
            except DgovError as exc:
                audit_refused_write(request, exc)
                apply_error(form, exc)
            else:
                if not secret:
                    messages.success(request, _("The credential was created."))
                    return redirect(CredentialViews.detail_url(credential))
                response = render(request, "exchange/credential_created.html",
                                  self.context(object=credential, secret=secret))
                response["Cache-Control"] = "no-store"
                return response
        return render(request, self.template_name, self.context(form=form, object=None), status=422)


class CredentialDetailView(ObjectDetailView):
    """The credential with a button to enable or disable it and a link to what its application may call."""

    def get(self, request, key):
        self.extra = {"toggle": has_permission(request.user, ConsumerCredential, "change")}
        return super().get(request, key)

    def post(self, request, key):
        credential = self.get_object("change", key)
        enable = request.POST.get("enabled") == "true"
        services.credential_update(actor=request.user, credential=credential, enabled=enable)
        messages.success(request, _("The credential was enabled.") if enable else _("The credential was disabled."))
        return redirect(CredentialViews.detail_url(credential))

    def context(self, **extra):
        return super().context(**getattr(self, "extra", {}), **extra)


class CredentialViews(CrudViews):
    nav_section = "data"
    model = ConsumerCredential
    table = CredentialTable
    filterset = CredentialFilterSet
    form = CredentialEditForm
    add_form = CredentialCreateForm
    lookup = "key_id"
    detail_template = "exchange/credential_detail.html"
    queryset = staticmethod(lambda: ConsumerCredential.objects.select_related("application", "created_by"))
    views = {"add": CredentialCreateView, "edit": UserFormEditView, "detail": CredentialDetailView}

    @classmethod
    def deletable(cls) -> bool:
        return False  # disabled, never deleted: the exchange log names the key


# --- what an application may call, and a service's page ---------------------------------------------

class AllowedView(CrudView):
    """The data services an application of the user's scope may call now, with the columns, masks,
    row filter, quota and rate limit of each grant."""

    crud = CredentialViews
    template_name = "exchange/allowed.html"

    def get(self, request, code):
        from dgov.aggregation.models import Dataset
        from dgov.sharing.selectors import grants_for_application

        application = selectors.application_for(request.user, code)
        grants = list(grants_for_application(application))
        datasets = {d.entry_id: d for d in Dataset.objects.filter(entry__in=[g.entry_id for g in grants])
                    .prefetch_related("columns")}
        services_ = []
        for grant in grants:
            dataset = datasets.get(grant.entry_id)
            unmasked = set(grant.unmasked_items or [])
            columns = sorted(dataset.columns.all(), key=lambda c: c.position) if dataset else []
            services_.append({
                "grant": grant, "loaded": dataset is not None,
                "columns": [{"column": c, "masked": is_masked(c, unmasked)}
                            for c in columns if c.item_name in set(grant.items)],
                "used_today": limits.used(grant.pk, limits.DAY),
            })
        credentials = application.exchange_credentials.order_by("key_id")
        return render(request, self.template_name, self.context(
            application=application, services=services_, credentials=credentials))


class ServicePageView(CrudView):
    """A data service: its columns (data items, types, masking) and its OpenAPI description. A
    consumer's own document lists only its granted columns; this one lists every column."""

    crud = CredentialViews
    template_name = "exchange/service.html"

    def get(self, request, code):
        from dgov.aggregation.models import Dataset
        from dgov.catalog.selectors import visible_entries

        entry = visible_entries(request.user).filter(code=code, status="published").select_related(
            "department").first()
        if entry is None:
            raise Http404
        dataset = Dataset.objects.filter(entry=entry).first()
        columns = list(dataset.columns.order_by("position")) if dataset else []
        document = service_document(entry, columns, server=request.build_absolute_uri("/")[:-1])
        if request.GET.get("format") == "json":
            response = HttpResponse(json.dumps(document, ensure_ascii=False, indent=2),
                                    content_type="application/json; charset=utf-8")
            response["Content-Disposition"] = 'attachment; filename="openapi.json"'
            return response
        return render(request, self.template_name, self.context(
            entry=entry, dataset=dataset, columns=columns,
            openapi=json.dumps(document, ensure_ascii=False, indent=2)))


# --- the exchange log -------------------------------------------------------------------------------

class LogListView(ObjectListView):
    def get(self, request):
        if request.GET.get("export") in ("xlsx", "csv"):
            self.crud = ExchangeLogExportViews  # the spreadsheet holds every field
        else:
            chain.seal(block=False)  # show the newest calls with their sequence numbers
        return super().get(request)

    def context(self, **extra):
        user = self.request.user
        return super().context(can_verify=has_permission(user, ExchangeLogEntry, "export"),
                               can_export_chain=has_scope_all(user), **extra)


class LogDetailView(ObjectDetailView):
    def get(self, request, key):
        self.crud = ExchangeLogExportViews
        return super().get(request, key)


class ExchangeLogViews(CrudViews):
    nav_section = "data"
    model = ExchangeLogEntry
    table = ExchangeLogTable
    filterset = ExchangeLogFilterSet
    export_action = "export"
    list_template = "exchange/log_list.html"
    views = {"list": LogListView, "detail": LogDetailView}


class ExchangeLogExportViews(ExchangeLogViews):
    table = ExchangeLogExportTable


class LogVerifyView(CrudView):
    """Seal what is pending and recompute the whole chain (as `dgov exchange-log verify`)."""

    crud = ExchangeLogViews

    def post(self, request):
        require_permission(request.user, ExchangeLogEntry, "export")
        result = chain.verify()
        audit.record("exchange.log.verify", audit.Target("exchange.exchangelogentry"), changes={
            "ok": result.ok, "checked": result.checked, "broken_seq": result.broken_seq})
        if result.ok:
            messages.success(request, _("The exchange log is intact: %(n)d entries checked.") % {"n": result.checked})
        else:
            messages.error(request, _("The exchange log is broken at entry #%(seq)s: %(reason)s") % {
                "seq": result.broken_seq, "reason": result.reason})
        return redirect(ExchangeLogViews.name("list"))


class LogChainExportView(CrudView):
    """The whole sealed chain as JSON Lines, verifiable offline (docs/exchange.md)."""

    crud = ExchangeLogViews

    def get(self, request):
        if not has_scope_all(request.user):
            raise PermissionDenied()
        out = io.StringIO()
        result = chain.export(out)
        audit.record("exchange.log.export", audit.Target("exchange.exchangelogentry"), changes={
            "format": "jsonl", "entries": result.entries, "first_seq": result.first_seq, "last_seq": result.last_seq,
            "end_hash": result.end_hash})
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        response = HttpResponse(out.getvalue().encode("utf-8"), content_type="application/x-ndjson; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="exchange-log-{stamp}.jsonl"'
        return response


def has_scope_all(user) -> bool:
    """The chain is exported whole (a part could not be verified): only for scope `all`."""
    from dgov.core.permissions import scope_q

    q = scope_q(user, ExchangeLogEntry, "export")
    return q is not None and not q


# --- statistics -------------------------------------------------------------------------------------

class StatisticsView(CrudView):
    """数据交换统计: calls per day, data service and consumer application, unsuccessful calls, latency,
    and the sharing requests' approval times against their deadlines (dgov.exchange.statistics), as
    inline SVG charts with their figures; filtered by date range and department; exported to .xlsx."""

    crud = ExchangeLogViews
    template_name = "exchange/statistics.html"

    def get(self, request):
        from urllib.parse import urlencode

        from dgov.core.importexport import xlsx_response
        from dgov.exchange import statistics
        from dgov.exchange.statistics_forms import StatisticsFilterForm

        user = request.user
        selectors.visible_log(user)  # 403 without the permission
        form = StatisticsFilterForm(request.GET or None, user=user, departments=statistics.departments_in_scope(user))
        # A bad range shows its error over the default range (with the department, when that was valid).
        filters = form.cleaned_data["filters"] if form.is_valid() else statistics.parse_filters(
            user, department=getattr(form, "cleaned_data", {}).get("department") or "")
        figures = statistics.statistics(user, filters)
        query = urlencode({k: v for k, v in filters.as_dict().items() if v})
        if request.GET.get("export") == "xlsx":
            applied = [(str(form.fields["since"].label), filters.since),
                       (str(form.fields["until"].label), filters.until)]
            if filters.department is not None:
                applied.append((str(form.fields["department"].label), filters.department.name))
            audit.record("exchange.log.export", audit.Target("exchange.exchangelogentry"),
                         changes={"format": "xlsx", "report": "statistics", "filters": filters.as_dict()})
            stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
            return xlsx_response(statistics.workbook(figures, applied), f"exchange-statistics-{stamp}.xlsx")
        return render(request, self.template_name, self.context(
            form=form, figures=figures, query=query, charts=statistics.chart_context(figures)))
