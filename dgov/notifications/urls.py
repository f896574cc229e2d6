from dgov.notifications import views

app_name = "notifications"

urlpatterns = [*views.OutboxViews.urls("system/outbox", app_name)]
