"""The case pages: the applicant's (applicant_urls) and the officials' workbench (views.urls())."""

from dgov.cases import applicant_urls, views

app_name = views.NAMESPACE

urlpatterns = [*applicant_urls.urlpatterns, *views.urls()]
