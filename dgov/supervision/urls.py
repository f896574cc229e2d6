"""The pages of dgov.supervision."""

app_name = "supervision"

urlpatterns: list = []
