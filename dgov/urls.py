from django.conf import settings
from django.urls import include, path

from dgov.api import api
from dgov.core import views_health

urlpatterns = [
    path("healthz", views_health.healthz, name="healthz"),
    path("readyz", views_health.readyz, name="readyz"),
    path("metrics", views_health.metrics, name="metrics"),
    path("api/v1/", api.urls),
    path("", include("dgov.opendata.ckan_urls")),
    path("", include("dgov.opendata.dcat_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("dgov.accounts.urls")),
    path("", include("dgov.orgs.urls")),
    path("", include("dgov.calendars.urls")),
    path("", include("dgov.notifications.urls")),
    path("", include("dgov.kms.urls")),
    path("", include("dgov.catalog.urls")),
    path("", include("dgov.duties.urls")),
    path("", include("dgov.demands.urls")),
    path("", include("dgov.aggregation.urls")),
    path("", include("dgov.sharing.urls")),
    path("", include("dgov.census.urls")),
    path("", include("dgov.exchange.urls")),
    path("", include("dgov.federation.urls")),
    path("", include("dgov.fileexchange.urls")),
    path("", include("dgov.licenses.urls")),
    path("", include("dgov.services.urls")),
    path("", include("dgov.cases.urls")),
    path("", include("dgov.payments.urls")),
    path("", include("dgov.ratings.urls")),
    path("", include("dgov.supervision.urls")),
    path("", include("dgov.standards.urls")),
    path("", include("dgov.metadata.urls")),
    path("", include("dgov.quality.urls")),
    path("", include("dgov.governance.urls")),
    path("", include("dgov.bundles.urls")),
    path("", include("dgov.policies.urls")),
    path("", include("dgov.core.urls")),
    path("workbench/", include("dgov.workbench.urls")),
    path("", include("dgov.opendata.urls")),
    path("", include("dgov.portal.urls")),
]

if getattr(settings, "DGOV_BENCH_BARE_VIEW", False):
    from dgov.core.views_bench import bare, bare_insert

    urlpatterns.insert(0, path("bench/bare", bare, name="bench-bare"))
    urlpatterns.insert(0, path("bench/insert", bare_insert, name="bench-insert"))
