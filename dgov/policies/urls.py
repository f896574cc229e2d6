"""The pages of dgov.policies (views.py)."""

from dgov.policies import views

app_name = "policies"

urlpatterns = views.urls()
