"""The CKAN-compatible Action API (`ckan.py`) and the downloads (`downloads.py`), at the site's root."""

from django.urls import path

from dgov.opendata import ckan, downloads

app_name = "opendata_api"

urlpatterns = [
    path("api/3/action/<str:name>", ckan.action_view, name="ckan_action"),
    path("api/action/<str:name>", ckan.action_view, name="ckan_action_unversioned"),
    path("open/datasets/<str:name>/download.<str:fmt>", downloads.download, name="download"),
]
