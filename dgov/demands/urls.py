from dgov.demands.views import NAMESPACE, DemandViews

app_name = NAMESPACE

urlpatterns = DemandViews.urls("data/catalog/demands", app_name)
