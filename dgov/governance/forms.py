from django import forms
from django.utils.translation import gettext_lazy as _

from dgov.core.schemas import MAX_ID
from dgov.governance.models import ResourceFeedback


class LineageForm(forms.Form):
    entry = forms.RegexField(label=_("Resource code"), required=False, max_length=20,
                             regex=r"^[1-3][0-9]{8}/[0-9]{6}$",
                             widget=forms.TextInput(attrs={"placeholder": "101001001/000001"}))
    table = forms.IntegerField(label=_("Harvested table (id)"), required=False, min_value=1, max_value=MAX_ID)

    def clean(self):
        data = super().clean()
        if not self.errors and bool(data.get("entry")) == bool(data.get("table")):
            raise forms.ValidationError(_("Give either a resource code or a table."))
        return data


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


class PublishForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))


class FeedbackForm(forms.ModelForm):
    score = forms.TypedChoiceField(label=_("Rating"), coerce=int, choices=[(n, str(n)) for n in range(5, 0, -1)])

    class Meta:
        model = ResourceFeedback
        fields = ["score", "comment"]
        widgets = {"comment": forms.Textarea(attrs={"rows": 3})}


class ReplyForm(forms.Form):
    reply = forms.CharField(label=_("Reply"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
