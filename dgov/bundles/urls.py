"""The pages of dgov.bundles: the public list and guides, the applicant's pages, the workbench's."""

from dgov.bundles import views

app_name = "bundles"

urlpatterns: list = views.urls()
