"""Pages of the data responsibility list (数据平台 → 数据责任清单): the list with its filters (among
them 未编目: the duties no catalog entry covers), exports and import, a duty's page with its catalog
entries, the add and edit pages, and the summary by department. Core's generic views do the work;
reads go through `dgov.duties.selectors`, writes through `dgov.duties.services`."""

from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _

from dgov.core import audit
from dgov.core.importexport import export_response
from dgov.core.views import (
    CrudView,
    CrudViews,
    ObjectDetailView,
    ObjectListView,
    UserFormEditView,
)
from dgov.duties import selectors, services
from dgov.duties.filtersets import DataDutyFilterSet
from dgov.duties.forms import DataDutyForm, DataDutyImporter
from dgov.duties.models import DataDuty
from dgov.duties.tables import DataDutyRecordTable, DataDutyTable, DepartmentSummaryTable

NAMESPACE = "duties"
PREFIX = "data/catalog/responsibilities"
EXPORTS = ("xlsx", "csv")


class DutyListView(ObjectListView):
    """The list, headed by the counts of the duties in force it shows (and how many are flagged)."""

    def get(self, request):
        if request.GET.get("export") in EXPORTS:
            self.crud = DataDutyRecordViews  # the spreadsheet holds every field
        return super().get(request)

    def context(self, **extra):
        return super().context(counts=selectors.counts(selectors.visible_duties(self.request.user)),
                               summary_url=reverse(f"{NAMESPACE}:summary"), **extra)


class DutyDetailView(ObjectDetailView):
    def get(self, request, key):
        self.crud = DataDutyRecordViews
        return super().get(request, key)


class DataDutyViews(CrudViews):
    nav_section = "data"
    model = DataDuty
    table = DataDutyTable
    filterset = DataDutyFilterSet
    form = DataDutyForm
    importer = DataDutyImporter
    queryset = staticmethod(selectors.duty_queryset)
    list_template = "duties/duty_list.html"
    detail_template = "duties/duty_detail.html"
    views = {
        "list": DutyListView,
        "detail": DutyDetailView,
        "add": UserFormEditView,
        "edit": UserFormEditView,
    }

    @classmethod
    def save_form(cls, *, actor, form):
        return services.duty_save(actor=actor, instance=form.save(commit=False),
                                  entry_codes=[entry.code for entry in form.cleaned_data["entry_codes"]])


class DataDutyRecordViews(DataDutyViews):
    """The same pages with every field: the export and the detail page (its linked entries are
    listed with their names below the fields, and the flag is shown as a badge)."""

    table = DataDutyRecordTable
    detail_fields = [c.accessor for c in DataDutyRecordTable.columns
                     if c.accessor not in ("entry_codes()", "flagged")]


class DutySummaryView(CrudView):
    """Per department: the duties in force, those the catalog covers and those it lacks; exports too."""

    crud = DataDutyViews

    def get(self, request):
        rows = selectors.department_summary(request.user)  # 403 without the permission
        export = request.GET.get("export")
        if export in EXPORTS:
            audit.record("duties.dataduty.export", audit.Target("duties.dataduty", "", "summary"),
                         changes={"format": export, "report": "summary"})
            return export_response(DepartmentSummaryTable, rows, fmt=export, filename="duty-summary")
        total = sum(r.total for r in rows)
        unlinked = sum(r.unlinked for r in rows)
        totals = {"total": total, "linked": total - unlinked, "unlinked": unlinked,
                  "coverage": round(100 * (total - unlinked) / total) if total else 0}
        return render(request, "duties/duty_summary.html", self.context(
            rows=rows, totals=totals, title=_("Data responsibilities by department")))


def urls() -> list:
    return [path(f"{PREFIX}/summary/", DutySummaryView.as_view(), name="summary"),
            *DataDutyViews.urls(PREFIX, NAMESPACE)]
