from dgov.duties import views

app_name = views.NAMESPACE

urlpatterns = views.urls()
