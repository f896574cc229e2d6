"""The case pages: the applicant's (applicant_urls) and the officials' workbench (views.urls()); the
statistics page comes before the case pages (`workbench/cases/<key>/` would take its path)."""

from django.urls import path

from dgov.cases import applicant_urls, statistics_views, views

app_name = views.NAMESPACE

urlpatterns = [*applicant_urls.urlpatterns,
               path(f"{views.PREFIX}/statistics/", statistics_views.CaseStatisticsView.as_view(), name="statistics"),
               *views.urls()]
