from django.urls import path

from dgov.workbench import views

app_name = "workbench"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("<slug:section>/", views.SectionView.as_view(), name="section"),
]
