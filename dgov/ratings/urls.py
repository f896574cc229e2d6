"""The pages of dgov.ratings (views.urls())."""

from dgov.ratings import views

app_name = "ratings"

urlpatterns = views.urls()
