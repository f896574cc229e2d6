app_name = "census"

urlpatterns = []
