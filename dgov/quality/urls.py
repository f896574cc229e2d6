"""The pages of dgov.quality (views.urls())."""

from dgov.quality import views

app_name = "quality"

urlpatterns = views.urls()
