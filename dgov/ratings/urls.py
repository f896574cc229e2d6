"""The pages of dgov.ratings."""

app_name = "ratings"

urlpatterns: list = []
