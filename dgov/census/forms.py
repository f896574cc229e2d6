from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from dgov.census.models import CensusCampaign

YEARS = (2000, 2100)


class CampaignForm(forms.ModelForm):
    class Meta:
        model = CensusCampaign
        fields = ["year", "name", "opens_on", "due_on", "instructions"]
        widgets = {"opens_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                   "due_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                   "instructions": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        year = self.fields["year"]  # the same bounds as the API's
        year.validators += [MinValueValidator(YEARS[0]), MaxValueValidator(YEARS[1])]
        year.widget.attrs.update(min=YEARS[0], max=YEARS[1])


class AssignForm(forms.Form):
    department_codes = forms.CharField(label=_("Department codes"), required=False, max_length=5000,
                                       help_text=_("Separated by spaces, commas or line breaks."),
                                       widget=forms.Textarea(attrs={"rows": 2}))
    under = forms.CharField(label=_("Every department under the unit (code)"), required=False, max_length=20,
                            help_text=_("E.g. 360603000 for the departments of 余江区人民政府."))
    region_code = forms.CharField(label=_("Every department of the region (code)"), required=False, max_length=12,
                                  help_text=_("E.g. 360681 for 贵溪市."))

    def codes(self) -> list[str]:
        text = self.cleaned_data.get("department_codes", "")
        return [c for c in text.replace(",", " ").replace("，", " ").replace("、", " ").split() if c]


class UploadForm(forms.Form):
    file = forms.FileField(label=_("Filled-in template (.xlsx or .csv)"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}))
    dry_run = forms.BooleanField(label=_("Dry run: check every row, write nothing"), required=False)


class ReturnForm(forms.Form):
    reason = forms.CharField(label=_("Reason for return"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class ReopenForm(forms.Form):
    due_on = forms.DateField(label=_("New due date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
