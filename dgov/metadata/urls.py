"""The pages of dgov.metadata (views.urls())."""

from dgov.metadata import views

app_name = "metadata"

urlpatterns = views.urls()
