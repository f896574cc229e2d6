from dgov.census import views

app_name = views.NAMESPACE

urlpatterns = [
    *views.AssignmentViews.urls("data/catalog/census/assignments", app_name),
    *views.CampaignViews.urls("data/catalog/census", app_name),
]
