import django_filters
from django.utils.translation import gettext_lazy as _

from dgov.calendars.models import CalendarDay, DayKind


class CalendarDayFilterSet(django_filters.FilterSet):
    year = django_filters.NumberFilter(label=_("Year"), field_name="date", lookup_expr="year")
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=DayKind.choices)

    class Meta:
        model = CalendarDay
        fields = ["year", "kind"]
