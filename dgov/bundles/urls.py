"""The pages of dgov.bundles."""

app_name = "bundles"

urlpatterns: list = []
