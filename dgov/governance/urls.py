"""The pages of dgov.governance (views.urls())."""

from dgov.governance import views

app_name = "governance"

urlpatterns = views.urls()
