"""The licence pages: officials' under 数据平台 (/data/licenses/…), the public verification page and the
holders' wallet (/licenses/…)."""

from dgov.licenses.views import NAMESPACE, urls

app_name = NAMESPACE

urlpatterns = urls()
