from django.urls import path

from dgov.core import views

app_name = "core"

urlpatterns = [
    path("system/audit/verify/", views.AuditVerifyView.as_view(), name="audit_verify"),
    *views.AuditEntryViews.urls("system/audit", app_name),
]
