"""The applicant's pages: apply online (start, one question per page, materials, check your answers,
confirmation) and 我的办件 (my cases, one case, answering a 补正 notice, withdrawal)."""

from django.urls import path

from dgov.cases import applicant_views as views

urlpatterns = [
    path("services/apply/<str:code>/", views.apply_start, name="apply_start"),
    path("my/cases/", views.my_cases, name="my_cases"),
    path("my/cases/apply/<int:pk>/materials/", views.apply_materials, name="apply_materials"),
    path("my/cases/apply/<int:pk>/check/", views.apply_check, name="apply_check"),
    path("my/cases/apply/<int:pk>/delete/", views.apply_discard, name="apply_discard"),
    path("my/cases/apply/<int:pk>/files/<int:item>/", views.my_material, name="my_material"),
    path("my/cases/apply/<int:pk>/q/<slug:page>/", views.apply_page, name="apply_page"),
    path("my/cases/<str:reference>/", views.my_case, name="my_case"),
    path("my/cases/<str:reference>/submitted/", views.apply_done, name="apply_done"),
    path("my/cases/<str:reference>/correction/", views.my_case_correction, name="my_case_correction"),
    path("my/cases/<str:reference>/withdraw/", views.my_case_withdraw, name="my_case_withdraw"),
]
