"""The pages under 数据平台 → 文件交换."""

from dgov.fileexchange.views import NAMESPACE, urls

app_name = NAMESPACE

urlpatterns = urls("data/exchange/packages")
