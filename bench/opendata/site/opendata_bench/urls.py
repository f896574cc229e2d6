"""dgov's URLs, plus the baseline at /bench/opendata/<query> (opendata_bench.views.bare)."""

from django.urls import path

from dgov.urls import urlpatterns as dgov_urlpatterns
from opendata_bench.views import bare

urlpatterns = [path("bench/opendata/<slug:name>", bare, name="bench-opendata-bare"), *dgov_urlpatterns]
