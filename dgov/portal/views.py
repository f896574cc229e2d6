import datetime as dt

from django.conf import settings
from django.shortcuts import render

from dgov.calendars.models import CalendarDay, DayKind
from dgov.calendars.selectors import add_working_days, is_working_day
from dgov.orgs.models import Department, DepartmentKind, Region
from dgov.services.models import Theme


def home(request):
    """The public home (政务服务): the service guides' search box and themes, sign-in and registration for
    citizens and enterprises, the government directory and the working-day calendar, for everyone without
    logging in."""
    today = dt.date.today()
    city = Region.objects.filter(code=settings.DGOV_CITY_CODE).first()
    departments = (Department.objects.filter(kind__in=[DepartmentKind.DEPARTMENT, DepartmentKind.INSTITUTION],
                                             region__code=settings.DGOV_CITY_CODE, is_active=True)
                   .order_by("code"))
    upcoming = CalendarDay.objects.filter(date__gte=today, kind=DayKind.HOLIDAY).order_by("date")[:1]
    counties = Region.objects.filter(parent=city).order_by("code") if city else Region.objects.none()
    return render(request, "portal/home.html", {
        "nav_active": "portal",
        "city": city,
        "counties": counties,
        "departments": departments,
        "today": today,
        "today_working": is_working_day(today),
        "deadline_20": add_working_days(today, 20),
        "next_holiday": upcoming[0] if upcoming else None,
        "themes": list(Theme.objects.order_by("audience", "order", "code")[:10]),
    })
