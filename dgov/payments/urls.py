"""The pages of dgov.payments."""

app_name = "payments"

urlpatterns: list = []
