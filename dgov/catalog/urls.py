from django.urls import path, register_converter

from dgov.catalog import views


class ResourceCodeConverter:
    """A resource code in a path: 9 digits, a slash, 6 digits (101001001/000001)."""

    regex = r"[1-3][0-9]{8}/[0-9]{6}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ResourceCodeConverter, "resource_code")

app_name = views.NAMESPACE
ENTRIES = "data/catalog/resources"

urlpatterns = [
    path(f"{ENTRIES}/", views.EntryListView.as_view(), name="catalogentry_list"),
    path(f"{ENTRIES}/add/", views.EntryEditView.as_view(), name="catalogentry_add"),
    path(f"{ENTRIES}/import/", views.EntryImportView.as_view(), name="catalogentry_import"),
    path(f"{ENTRIES}/<resource_code:key>/", views.EntryDetailView.as_view(), name="catalogentry_detail"),
    path(f"{ENTRIES}/<resource_code:key>/edit/", views.EntryEditView.as_view(), name="catalogentry_edit"),
    path(f"{ENTRIES}/<resource_code:key>/versions/<int:version>/", views.EntryVersionView.as_view(),
         name="catalogentry_version"),
    path(f"{ENTRIES}/<resource_code:key>/provincial/", views.EntryMappingView.as_view(), name="catalogentry_mapping"),
    path("data/catalog/statistics/", views.StatisticsView.as_view(), name="statistics"),
    path("data/catalog/statistics/entries/", views.StatisticsEntriesView.as_view(), name="statistics_entries"),
    path("data/catalog/alignment/", views.AlignmentView.as_view(), name="alignment"),
    path("data/catalog/provincial/import/", views.ProvincialImportView.as_view(), name="provincialentry_import"),
    *views.ProvincialEntryViews.urls("data/catalog/provincial", app_name),
    *views.NegativeListItemViews.urls("data/catalog/negative-list", app_name),
    *views.ClassificationViews.urls("data/catalog/classifications", app_name),
]
