"""The pages under 数据平台 and the gateway at /exchange/v1/ (signed calls of consumer applications)."""

from django.urls import path, re_path

from dgov.exchange import gateway, views

app_name = views.NAMESPACE

SERVICE = r"(?P<code>[1-3][0-9]{8}/[0-9]{6})"

urlpatterns = [
    re_path(rf"^exchange/v1/services/{SERVICE}$", gateway.services_view, name="gateway_service"),
    re_path(rf"^exchange/v1/services/{SERVICE}/openapi\.json$", gateway.openapi_view, name="gateway_openapi"),
    path("exchange/v1/allowed", gateway.allowed_view, name="gateway_allowed"),
    # Everything else under the gateway's prefix (the bare prefix too, which would otherwise be
    # redirected unlogged by APPEND_SLASH) answers 404 in the error shape and is logged.
    re_path(r"^exchange/v1(?:/(?P<rest>.*))?$", gateway.unknown_view, name="gateway_unknown"),
    path("data/exchange/log/verify/", views.LogVerifyView.as_view(), name="log_verify"),
    path("data/exchange/log/chain.jsonl", views.LogChainExportView.as_view(), name="log_chain_export"),
    *views.ExchangeLogViews.urls("data/exchange/log", app_name),
    *views.CredentialViews.urls("data/exchange/credentials", app_name),
    path("data/exchange/applications/<slug:code>/allowed/", views.AllowedView.as_view(), name="allowed"),
    re_path(rf"^data/exchange/services/{SERVICE}/$", views.ServicePageView.as_view(), name="service"),
    path("data/exchange/statistics/", views.StatisticsView.as_view(), name="statistics"),
]
