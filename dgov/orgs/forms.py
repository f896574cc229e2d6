from django import forms
from django.core.validators import validate_slug
from django.utils.translation import gettext_lazy as _

from dgov.core.importexport import Importer
from dgov.orgs import services
from dgov.orgs.models import Department, ManagementArea, Region
from dgov.orgs.tables import DepartmentTable


class DepartmentForm(forms.ModelForm):
    """Used by the edit page and, row by row, by the spreadsheet importer: regions and parents are
    given by their codes, as in the data file."""

    region = forms.ModelChoiceField(label=_("Region code"), queryset=Region.objects.all(), to_field_name="code",
                                    required=False, widget=forms.TextInput,
                                    help_text=_("12-digit code; empty: the parent unit's region."))
    parent = forms.ModelChoiceField(label=_("Parent unit code"), queryset=Department.objects.all(),
                                    to_field_name="code", required=False, widget=forms.TextInput)

    class Meta:
        model = Department
        fields = ["code", "name", "short_name", "doc_prefix", "kind", "region", "parent", "note", "is_active",
                  "credit_code"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The same rule as the API's: codes appear in URLs and files.
        self.fields["code"].validators.append(validate_slug)

    def clean(self):
        data = super().clean()
        # Only when neither was given: a parent code that did not resolve is reported on its own.
        if not data.get("region") and not data.get("parent") and not {"region", "parent"} & set(self.errors):
            self.add_error("region", _("Give the region, or a parent unit to take it from."))
        return data


class ManagementAreaForm(forms.ModelForm):
    class Meta:
        model = ManagementArea
        fields = ["code", "name", "region", "townships", "note"]
        widgets = {"townships": forms.SelectMultiple(attrs={"size": 12})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = Region.objects.filter(level__in=["city", "county"]).order_by("path")
        self.fields["townships"].queryset = Region.objects.filter(level="township").order_by("path")


class DepartmentImporter(Importer):
    model = Department
    form_class = DepartmentForm
    key = "code"
    table = DepartmentTable

    @staticmethod
    def save(*, actor, instance):
        return services.department_save(actor=actor, department=instance)
