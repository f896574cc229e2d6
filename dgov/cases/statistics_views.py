"""The case statistics (政务服务统计): the workbench page `cases:statistics` (figure cards, the KPIs per
district and per department as inline SVG bars, received and decided cases per day, a table, filters and
the .xlsx export) and `GET /api/v1/services/statistics` (`statistics_router`, mounted in dgov/api.py)."""

from urllib.parse import urlencode

from django.shortcuts import render
from django.utils import timezone
from ninja import Query, Router

from dgov.cases import selectors, statistics
from dgov.cases.statistics_forms import CaseStatisticsFilterForm
from dgov.cases.statistics_schemas import CaseStatisticsOut, CaseStatisticsQuery
from dgov.cases.views import CaseViews
from dgov.core import audit
from dgov.core.api import READ_ERRORS, actor_of
from dgov.core.importexport import xlsx_response
from dgov.core.views import CrudView


class CaseStatisticsView(CrudView):
    crud = CaseViews
    template_name = "cases/statistics.html"

    def get(self, request):
        user = request.user
        departments = statistics.departments_in_scope(user)  # 403 without the permission
        form = CaseStatisticsFilterForm(request.GET or None, user=user, departments=departments)
        # A bad range shows its error over the default range (with the department and district, when valid).
        valid = form.is_valid()
        cleaned = getattr(form, "cleaned_data", {})
        filters = cleaned["filters"] if valid else statistics.parse_filters(
            user, department=cleaned.get("department") or "", region=cleaned.get("region") or "")
        figures = statistics.statistics(user, filters)
        query = urlencode({k: v for k, v in filters.as_dict().items() if v})
        if request.GET.get("export") == "xlsx":
            applied = [(str(form.fields["since"].label), filters.since),
                       (str(form.fields["until"].label), filters.until)]
            if filters.department is not None:
                applied.append((str(form.fields["department"].label), filters.department.name))
            if filters.region is not None:
                applied.append((str(form.fields["region"].label), statistics.district_name(filters.region)))
            audit.record("cases.case.export", audit.Target("cases.case"),
                         changes={"format": "xlsx", "report": "statistics", "filters": filters.as_dict()})
            stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
            return xlsx_response(statistics.workbook(figures, applied), f"case-statistics-{stamp}.xlsx")
        return render(request, self.template_name, self.context(
            form=form, figures=figures, query=query, charts=statistics.chart_context(figures)))


# --- /api/v1/services/statistics ----------------------------------------------------------------------
statistics_router = Router(tags=["cases"])


@statistics_router.get("", response={200: CaseStatisticsOut, **READ_ERRORS}, operation_id="case_statistics")
def get_statistics(request, query: CaseStatisticsQuery = Query(...)):
    """The KPIs of the cases received from `since` to `until` (default the last 30 days, at most 366)
    and of the published implementations, in total, per implementing department and per district,
    within your scope (`cases.view_case`), with the received and decided cases per day: counts,
    网上办件率, 网上可办率, 即办件占比, average visits and 最多跑一次, 按时办结率 and 满意度 (see
    docs/services.md). `department` or `region` outside your scope answers 404; a bad range 422."""
    actor = actor_of(request)
    selectors.visible_cases(actor)  # 403 without the permission, before the filters' 404
    filters = statistics.parse_filters(actor, since=query.since, until=query.until, department=query.department,
                                       region=query.region)
    return statistics.statistics(actor, filters)
