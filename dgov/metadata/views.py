"""The pages of dgov.metadata (数据平台): harvested tables (filters, columns, rows, size, owner, last
harvest, a "dropped" badge), one table (columns, keys, comments, the element mapping, recent changes),
the harvests with a "harvest now" form, and one harvest's diff."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views import View

from dgov.aggregation.models import SourceDatabase
from dgov.core.errors import NotFound, PermissionDenied
from dgov.core.permissions import has_permission, require_permission
from dgov.core.views import OfficialRequiredMixin, attempt
from dgov.metadata import selectors, services
from dgov.metadata.forms import DATASTORE_CHOICE, ColumnElementForm, HarvestForm, TableFilterForm
from dgov.metadata.models import Harvest, MetaColumn, MetaTable

PAGE_SIZE = 25


def _page(request, qs):
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


class TableListView(OfficialRequiredMixin, View):
    def get(self, request):
        require_permission(request.user, MetaTable, "view")
        sources = SourceDatabase.objects.filter(
            pk__in=MetaTable.objects.restrict(request.user, "view").exclude(source=None).values("source")
        ).order_by("name")
        form = TableFilterForm(request.GET or None, sources=sources)
        filters = {}
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            location = data["location"]
            filters = {"q": data["q"], "department": data["department"], "include_dropped": data["dropped"],
                       "datastore": location == DATASTORE_CHOICE,
                       "source": int(location) if location and location != DATASTORE_CHOICE else None}
        qs = selectors.tables(request.user, **filters)
        if form.is_bound and not form.is_valid():
            qs = qs.none()
        page, query = _page(request, qs)
        return render(request, "metadata/table_list.html", {
            "nav_active": "data", "form": form, "page": page, "query": query,
            "list_url": reverse("metadata:metatable_list")})


class TableDetailView(OfficialRequiredMixin, View):
    template_name = "metadata/table_detail.html"

    def _render(self, request, table, form=None, status=200):
        may_change = has_permission(request.user, MetaTable, "change") and bool(
            MetaTable.objects.restrict(request.user, "change").filter(pk=table.pk).exists())
        return render(request, self.template_name, {
            "nav_active": "data", "table": table, "columns": selectors.table_columns(table),
            "changes": selectors.table_changes(table), "may_change": may_change, "form": form,
            "list_url": reverse("metadata:metatable_list")}, status=status)

    def get(self, request, pk):
        return self._render(request, selectors.table(request.user, pk))

    def post(self, request, pk):
        table = selectors.table(request.user, pk, "change")
        form = ColumnElementForm(request.POST)
        if form.is_valid():
            column = MetaColumn.objects.filter(table=table, name=form.cleaned_data["column"]).first()
            if column is None:
                raise NotFound()
            ok, _column = attempt(request, lambda: services.map_column(
                actor=request.user, column=column, identifier=form.cleaned_data["element"] or None), form=form)
            if ok:
                messages.success(request, _("The column's data element was saved."))
                return redirect("metadata:metatable_detail", pk=table.pk)
        return self._render(request, table, form=form, status=422)


class HarvestListView(OfficialRequiredMixin, View):
    template_name = "metadata/harvest_list.html"

    def _form(self, request, data=None):
        sources = selectors.harvestable_sources(request.user)
        datastore = services.may_harvest_datastore(request.user)
        if not sources and not datastore:
            return None, sources
        return HarvestForm(data, sources=sources, datastore=datastore), sources

    def _render(self, request, form, status=200):
        page, query = _page(request, selectors.harvests(request.user))
        return render(request, self.template_name, {
            "nav_active": "data", "page": page, "query": query, "form": form,
            "list_url": reverse("metadata:harvest_list")}, status=status)

    def get(self, request):
        require_permission(request.user, Harvest, "view")
        return self._render(request, self._form(request)[0])

    def post(self, request):
        require_permission(request.user, Harvest, "run")
        form, sources = self._form(request, request.POST)
        if form is None:
            raise PermissionDenied()
        if form.is_valid():
            choice = form.cleaned_data["source"]
            source = None if choice == DATASTORE_CHOICE else next(s for s in sources if str(s.pk) == choice)
            ok, harvest = attempt(request, lambda: services.run_harvest(actor=request.user, source=source), form=form)
            if ok:
                if harvest.status == Harvest.Status.FAILED:
                    messages.error(request, _("The harvest failed: %(error)s") % {"error": harvest.error})
                else:
                    messages.success(request, _("Harvested %(tables)s tables; %(changes)s changes.")
                                     % {"tables": harvest.tables, "changes": harvest.changes})
                return redirect("metadata:harvest_detail", pk=harvest.pk)
        return self._render(request, form, status=422)


class HarvestDetailView(OfficialRequiredMixin, View):
    def get(self, request, pk):
        harvest = selectors.harvest(request.user, pk)
        changes = selectors.harvest_changes(harvest).filter(
            table__in=MetaTable.objects.restrict(request.user, "view"))
        return render(request, "metadata/harvest_detail.html", {
            "nav_active": "data", "harvest": harvest, "changes": changes,
            "list_url": reverse("metadata:harvest_list")})


def urls() -> list:
    return [
        path("data/metadata/tables/", TableListView.as_view(), name="metatable_list"),
        path("data/metadata/tables/<int:pk>/", TableDetailView.as_view(), name="metatable_detail"),
        path("data/metadata/harvests/", HarvestListView.as_view(), name="harvest_list"),
        path("data/metadata/harvests/<int:pk>/", HarvestDetailView.as_view(), name="harvest_detail"),
    ]
