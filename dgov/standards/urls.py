"""The pages of dgov.standards (views.urls())."""

from dgov.standards import views

app_name = "standards"

urlpatterns = views.urls(app_name)
