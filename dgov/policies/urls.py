"""The pages of dgov.policies."""

app_name = "policies"

urlpatterns: list = []
