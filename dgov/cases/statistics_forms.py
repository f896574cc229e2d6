"""The filters of the case statistics page: a date range, a department and a district of the reader's scope."""

from django import forms
from django.utils.translation import gettext_lazy as _

from dgov.cases import statistics
from dgov.core.errors import DgovError
from dgov.core.forms import apply_error


class CaseStatisticsFilterForm(forms.Form):
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    department = forms.ChoiceField(label=_("Department"), required=False)
    region = forms.ChoiceField(label=_("District"), required=False)

    def __init__(self, data=None, *, user, departments=()):
        super().__init__(data)
        self.user = user
        default = statistics.parse_filters(user)  # shown in the empty form: the range the figures cover
        self.fields["since"].initial, self.fields["until"].initial = default.since, default.until
        self.fields["department"].choices = [("", _("All"))] + [(d.code, d.name) for d in departments]
        self.fields["region"].choices = [("", _("All"))] + [
            (statistics.district_key(r.code), statistics.district_name(r)) for r in statistics.districts(departments)]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            data["filters"] = statistics.parse_filters(self.user, since=data.get("since"), until=data.get("until"),
                                                       department=data.get("department") or "",
                                                       region=data.get("region") or "")
        except DgovError as exc:  # the range; the department and district are among the choices already
            apply_error(self, exc)
        return data
