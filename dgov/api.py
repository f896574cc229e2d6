"""The platform API under /api/v1/: every app's router mounted on one DgovAPI."""

from ninja.security import SessionAuth

from dgov import __version__
from dgov.accounts.api import BearerTokenAuth, applications_router
from dgov.accounts.api import auth_router as accounts_auth_router
from dgov.accounts.api import router as accounts_router
from dgov.aggregation.api import datasets_router, loads_router, sources_router
from dgov.bundles.api import router as bundles_router
from dgov.calendars.api import days_router as calendar_days_router
from dgov.calendars.api import router as calendar_router
from dgov.cases.api import router as cases_router
from dgov.cases.statistics_views import statistics_router as case_statistics_router
from dgov.catalog.api import router as catalog_router
from dgov.census.api import router as census_router
from dgov.core.api import DgovAPI, audit_router
from dgov.demands.api import router as demands_router
from dgov.duties.api import router as duties_router
from dgov.exchange.api import router as exchange_credentials_router
from dgov.exchange.api import statistics_router as exchange_statistics_router
from dgov.federation import api as federation_api
from dgov.fileexchange.api import router as file_packages_router
from dgov.governance.api import router as governance_router
from dgov.kms.api import router as crypto_router
from dgov.licenses.api import router as licenses_router
from dgov.metadata.api import router as metadata_router
from dgov.opendata.api import router as opendata_router
from dgov.orgs.api import areas_router, departments_router, regions_router
from dgov.payments.api import router as payments_router
from dgov.policies.api import router as policies_router
from dgov.quality.api import router as quality_router
from dgov.ratings.api import router as ratings_router
from dgov.services.api import router as services_router
from dgov.sharing.api import grants_router as sharing_grants_router
from dgov.sharing.api import requests_router as sharing_requests_router
from dgov.standards.api import router as standards_router
from dgov.supervision.api import router as supervision_router

api = DgovAPI(
    title="dgov API",
    version=__version__,
    description=(
        "The dgov platform API. Authenticate with `Authorization: Bearer <token>` (get one from "
        "`POST /api/v1/auth/token`) or a browser session (with the CSRF token). Errors always have "
        "the shape `{\"code\", \"message\", \"details\"}`; lists take `limit`/`offset` and return "
        "`{\"count\", \"items\"}`."
    ),
    auth=[BearerTokenAuth(), SessionAuth()],
    docs_url="/docs",
    openapi_url="/openapi.json",
)
api.add_router("/auth", accounts_auth_router)
api.add_router("", accounts_router)
api.add_router("/regions", regions_router)
api.add_router("/management-areas", areas_router)
api.add_router("/departments", departments_router)
api.add_router("/calendar/days", calendar_days_router)
api.add_router("/calendar", calendar_router)
api.add_router("/audit", audit_router)
api.add_router("/applications", applications_router)
api.add_router("/crypto", crypto_router)
api.add_router("/catalog", catalog_router)
api.add_router("/catalog/responsibilities", duties_router)
api.add_router("/catalog/demands", demands_router)
api.add_router("/catalog/census", census_router)
api.add_router("/exchange/sources", sources_router)
api.add_router("/exchange/datasets", datasets_router)
api.add_router("/exchange/loads", loads_router)
api.add_router("/exchange/requests", sharing_requests_router)
api.add_router("/exchange/grants", sharing_grants_router)
api.add_router("/exchange/credentials", exchange_credentials_router)
api.add_router("/exchange/statistics", exchange_statistics_router)
api.add_router("/exchange/federation", federation_api.router)
api.add_router("/exchange/federation/peers", federation_api.peers_router)
api.add_router("/exchange/federation/subscriptions", federation_api.subscriptions_router)
api.add_router("/exchange/federation/publications", federation_api.publications_router)
api.add_router("/exchange/federation/runs", federation_api.runs_router)
api.add_router("/exchange/packages", file_packages_router)
api.add_router("/licenses", licenses_router)
api.add_router("/services/cases", cases_router)
api.add_router("/services/statistics", case_statistics_router)
api.add_router("/services/payments", payments_router)
api.add_router("/services/ratings", ratings_router)
api.add_router("/services/supervision", supervision_router)
api.add_router("/governance/standards", standards_router)
api.add_router("/governance/metadata", metadata_router)
api.add_router("/governance/quality", quality_router)
api.add_router("/governance", governance_router)
api.add_router("/opendata", opendata_router)
api.add_router("/services/bundles", bundles_router)
api.add_router("/services/policies", policies_router)
api.add_router("/services", services_router)
