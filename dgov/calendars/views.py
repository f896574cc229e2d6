from dgov.calendars.filtersets import CalendarDayFilterSet
from dgov.calendars.forms import CalendarDayForm, CalendarDayImporter
from dgov.calendars.models import CalendarDay
from dgov.calendars.tables import CalendarDayTable
from dgov.core.views import CrudViews


class CalendarDayViews(CrudViews):
    model = CalendarDay
    table = CalendarDayTable
    filterset = CalendarDayFilterSet
    form = CalendarDayForm
    importer = CalendarDayImporter
