"""The filters of the exchange statistics page: a date range and a department of the reader's scope."""

from django import forms
from django.utils.translation import gettext_lazy as _

from dgov.core.errors import DgovError
from dgov.core.forms import apply_error
from dgov.exchange import statistics


class StatisticsFilterForm(forms.Form):
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    department = forms.ChoiceField(label=_("Department"), required=False)

    def __init__(self, data=None, *, user, departments=()):
        super().__init__(data)
        self.user = user
        default = statistics.parse_filters(user)  # shown in the empty form: the range the figures cover
        self.fields["since"].initial, self.fields["until"].initial = default.since, default.until
        self.fields["department"].choices = [("", _("All"))] + [(d.code, d.name) for d in departments]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            data["filters"] = statistics.parse_filters(self.user, since=data.get("since"), until=data.get("until"),
                                                       department=data.get("department") or "")
        except DgovError as exc:  # the range; the department is one of the choices already
            apply_error(self, exc)
        return data
