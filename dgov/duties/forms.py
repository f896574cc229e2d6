"""Forms of the responsibility list: the edit page's (the departments and catalog entries the user
may choose from) and the spreadsheet import's (department and entries by their codes). The
service (`dgov.duties.services.duty_save`) does the real checks."""

import re

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dgov.catalog.models import CatalogEntry
from dgov.core.importexport import Importer
from dgov.duties import services
from dgov.duties.models import DataDuty, DutyStatus
from dgov.duties.tables import DataDutyRecordTable
from dgov.orgs.models import Department
from dgov.orgs.selectors import departments_for

FIELDS = ["department", "duty", "data_name", "description", "legal_basis", "update_cycle", "responsible_unit",
          "contact", "status"]
TEXTAREA = forms.Textarea(attrs={"rows": 3})


class EntryChoiceField(forms.ModelMultipleChoiceField):
    """Tick boxes, one per entry, in a fieldset (duties/_entries_field.html)."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        super().__init__(template_name="duties/_entries_field.html", **kwargs)

    def label_from_instance(self, obj):
        return f"{obj.code} {obj.name}（{obj.department.name}，{obj.get_status_display()}）"


class DataDutyForm(forms.ModelForm):
    """The add and edit pages: the user's departments, and the catalog entries of those
    departments they can see (the duty's current entries always)."""

    entry_codes = EntryChoiceField(
        label=_("Catalog entries"), required=False, queryset=CatalogEntry.objects.none(), to_field_name="code",
        help_text=_("The entries of the department's catalog that hold this data. Leave all unticked if the "
                    "catalog has none yet: the duty is then flagged."))

    class Meta:
        model = DataDuty
        fields = FIELDS
        widgets = {"description": TEXTAREA, "legal_basis": TEXTAREA}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        current = self.instance.department if self.instance.department_id else None
        departments = departments_for(user, DataDuty, "add", keep=current)
        self.fields["department"].queryset = departments
        self.fields["department"].label_from_instance = lambda d: d.name
        linked = self.instance.entries.all() if self.instance.pk else CatalogEntry.objects.none()
        self.fields["entry_codes"].queryset = (
            CatalogEntry.objects.filter(Q(pk__in=CatalogEntry.objects.restrict(user, "view").filter(
                department__in=departments).values("pk")) | Q(pk__in=linked.values("pk")))
            .select_related("department").order_by("department__path", "code"))
        if self.instance.pk:
            self.initial["entry_codes"] = list(linked.values_list("code", flat=True))


class ResourceCodesField(forms.CharField):
    """Resource codes in one cell: separated by line breaks, commas, 、 or spaces."""

    widget = forms.Textarea(attrs={"rows": 2})

    def prepare_value(self, value):
        return "、".join(value) if isinstance(value, (list, tuple)) else value

    def to_python(self, value):
        return list(dict.fromkeys(c for c in re.split(r"[\s,，、;；]+", super().to_python(value) or "") if c))


class DataDutyImportForm(forms.ModelForm):
    """One spreadsheet row: the department by its code, the linked entries by their resource codes."""

    department = forms.ModelChoiceField(label=_("Department code"), queryset=Department.objects.all(),
                                        to_field_name="code", widget=forms.TextInput)
    entry_codes = ResourceCodesField(label=_("Catalog entries"), required=False)

    class Meta:
        model = DataDuty
        fields = FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].required = False  # an empty cell: in force

    def clean_status(self):
        return self.cleaned_data["status"] or DutyStatus.ACTIVE

    def save(self, commit=False):
        """The unsaved duty carrying the codes to link (`services.duty_save_linking` links them)."""
        instance = super().save(commit=False)
        instance.link_codes = self.cleaned_data["entry_codes"]
        return instance


class DataDutyImporter(Importer):
    model = DataDuty
    form_class = DataDutyImportForm
    save = staticmethod(services.duty_save_linking)
    table = DataDutyRecordTable
