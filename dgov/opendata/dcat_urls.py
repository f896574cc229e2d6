"""DCAT-AP 3 metadata of the open datasets (`dcat.py`), at the site's root as ckanext-dcat serves it."""

from django.urls import re_path

from dgov.opendata import dcat

app_name = "opendata_dcat"

urlpatterns = [
    re_path(r"^catalog\.(?P<fmt>ttl|jsonld|rdf)$", dcat.catalog_view, name="catalog"),
    re_path(r"^dataset/(?P<ref>[A-Za-z0-9_-]{2,100})\.(?P<fmt>ttl|jsonld|rdf)$", dcat.dataset_view, name="dataset"),
]
