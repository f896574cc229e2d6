from dgov.calendars import views

app_name = "calendars"

urlpatterns = [*views.CalendarDayViews.urls("system/calendar", app_name)]
