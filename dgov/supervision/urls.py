"""The pages of dgov.supervision (views.urls())."""

from dgov.supervision import views

app_name = "supervision"

urlpatterns = views.urls()
