"""The service-item pages: the public guides (/services/…) and the officials' item management
(/services/manage/…)."""

from dgov.services.views import NAMESPACE, urls

app_name = NAMESPACE

urlpatterns = urls()
