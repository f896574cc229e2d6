from dgov.kms import views

app_name = "kms"

urlpatterns = [
    *views.KeyViews.urls("system/keys", app_name),
    *views.KeyPolicyViews.urls("system/key-policies", app_name),
]
