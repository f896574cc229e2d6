from django import forms

from dgov.calendars.models import CalendarDay
from dgov.calendars.tables import CalendarDayTable
from dgov.core.importexport import Importer


class CalendarDayForm(forms.ModelForm):
    class Meta:
        model = CalendarDay
        fields = ["date", "kind", "festival", "note"]
        widgets = {"date": forms.DateInput(attrs={"type": "date"})}


class CalendarDayImporter(Importer):
    model = CalendarDay
    form_class = CalendarDayForm
    key = "date"
    table = CalendarDayTable
