from dgov.orgs import views

app_name = "orgs"

urlpatterns = [
    *views.RegionViews.urls("system/regions", app_name),
    *views.DepartmentViews.urls("system/departments", app_name),
    *views.ManagementAreaViews.urls("system/management-areas", app_name),
]
