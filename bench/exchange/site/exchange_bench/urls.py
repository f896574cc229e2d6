"""dgov's URLs, plus the baseline at /bench/exchange/services/<code> (exchange_bench.views.bare)."""

from django.urls import re_path

from dgov.exchange.urls import SERVICE
from dgov.urls import urlpatterns as dgov_urlpatterns
from exchange_bench.views import bare

urlpatterns = [
    re_path(rf"^bench/exchange/services/{SERVICE}$", bare, name="bench-exchange-bare"),
    *dgov_urlpatterns,
]
