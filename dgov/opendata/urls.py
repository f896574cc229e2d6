from django.urls import path

from dgov.opendata import views, views_applications, views_feedback, views_manage

app_name = "opendata"

urlpatterns = [
    path("open/", views.home, name="home"),
    path("open/datasets/", views.search, name="search"),
    path("open/datasets/<str:name>/", views.dataset, name="dataset"),
    path("open/topics/", views.topics, name="topics"),
    path("open/topics/<slug:code>/", views.topic, name="topic"),
    path("open/organisations/", views.organisations, name="organisations"),
    path("open/organisations/<str:code>/", views.organisation, name="organisation"),
    path("open/statistics/", views.statistics, name="statistics"),
    path("open/requests/", views_feedback.requests_page, name="requests"),
    path("open/keys/", views_feedback.keys_page, name="keys"),
    path("open/showcases/", views_feedback.showcases_page, name="showcases"),
    path("open/datasets/<str:name>/rate/", views_feedback.rate, name="rate"),
    path("data/open/requests/", views_feedback.RequestListView.as_view(), name="request_list"),
    path("data/open/requests/<int:pk>/", views_feedback.RequestAnswerView.as_view(), name="request_answer"),
    path("open/datasets/<str:name>/apply/", views_applications.apply, name="apply"),
    path("open/applications/", views_applications.my_applications, name="my_applications"),
    path("data/open/datasets/", views_manage.DatasetListView.as_view(), name="dataset_list"),
    path("data/open/datasets/new/", views_manage.DatasetEditView.as_view(), name="dataset_add"),
    path("data/open/datasets/<int:pk>/", views_manage.DatasetManageView.as_view(), name="dataset_manage"),
    path("data/open/datasets/<int:pk>/edit/", views_manage.DatasetEditView.as_view(), name="dataset_edit"),
    path("data/open/applications/", views_applications.ApplicationListView.as_view(), name="application_list"),
    path("data/open/applications/<int:pk>/", views_applications.ApplicationDetailView.as_view(),
         name="application_detail"),
]
