from django.urls import path

from dgov.accounts import views

app_name = "accounts"

urlpatterns = [
    path("accounts/login/", views.login_view, name="login"),
    path("accounts/login/otp/", views.login_otp_view, name="login_otp"),
    path("accounts/login/enrol/", views.login_enrol_view, name="login_enrol"),
    path("accounts/logout/", views.logout_view, name="logout"),
    path("accounts/register/", views.register_view, name="register"),
    path("accounts/password-reset/", views.password_reset_view, name="password_reset"),
    path("accounts/reset/<uidb64>/<token>/", views.password_reset_confirm_view, name="password_reset_confirm"),
    path("accounts/profile/", views.profile_view, name="profile"),
    path("accounts/profile/personal-data/", views.profile_personal_data_view, name="profile_personal_data"),
    path("accounts/profile/password/", views.profile_password_view, name="profile_password"),
    path("accounts/profile/authenticator/", views.profile_enrol_view, name="profile_enrol"),
    path("accounts/profile/agents/", views.profile_agent_add_view, name="profile_agent_add"),
    path("accounts/profile/agents/<int:link_id>/revoke/", views.profile_agent_revoke_view,
         name="profile_agent_revoke"),
    path("accounts/profile/tokens/new/", views.profile_token_view, name="profile_token"),
    path("accounts/profile/tokens/<int:token_id>/revoke/", views.profile_token_revoke_view,
         name="profile_token_revoke"),
    path("system/users/<int:key>/identity/", views.UserIdentityView.as_view(), name="user_identity"),
    path("system/users/<int:key>/personal-data/", views.UserPersonalDataView.as_view(), name="user_personal_data"),
    *views.UserViews.urls("system/users", app_name),
    *views.RoleViews.urls("system/roles", app_name),
    *views.RoleAssignmentViews.urls("system/role-assignments", app_name),
    *views.ApiTokenViews.urls("system/api-tokens", app_name),
    path("system/applications/<int:key>/tokens/new/", views.ApplicationTokenView.as_view(),
         name="application_token"),
    *views.ApplicationViews.urls("system/applications", app_name),
]
