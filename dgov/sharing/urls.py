from dgov.sharing.views import NAMESPACE, GrantViews, RequestViews

app_name = NAMESPACE

urlpatterns = RequestViews.urls("data/exchange/requests", app_name) + GrantViews.urls("data/exchange/grants", app_name)
