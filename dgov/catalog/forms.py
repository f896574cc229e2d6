"""Forms of the catalog pages: an entry with its data items (a formset), a negative-list item, the
search box and the import upload. The services do the real checks (codes, the negative list, the
conditions a sharing or open type needs); the forms only shape the input and offer nothing the
user's scope would refuse."""

import re

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _

from dgov.catalog.models import (
    CatalogEntry,
    Classification,
    DataItem,
    NegativeListItem,
    Status,
    resource_code_validator,
)
from dgov.orgs.models import Department, Region, RegionLevel
from dgov.orgs.selectors import departments_for

INDENT = "\u3000"  # an ideographic space per tree level in pick lists


class DepartmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return INDENT * max(0, obj.path.count("/") - 1) + obj.name


class ClassificationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{INDENT * (obj.level - 1)}{obj.code} {obj.name}"


class RelatedCodesField(forms.CharField):
    """Related resource codes: one per line, or separated by commas or spaces."""

    widget = forms.Textarea(attrs={"rows": 2, "spellcheck": "false"})

    def prepare_value(self, value):
        if isinstance(value, (list, tuple)):
            return "\n".join(value)
        return value

    def to_python(self, value):
        text = super().to_python(value) or ""
        codes = [c for c in re.split(r"[\s,，、;；]+", text) if c]
        errors = []
        for code in codes:
            try:
                resource_code_validator(code)
            except DjangoValidationError:
                errors.append(code)
        if errors:
            raise DjangoValidationError(
                _("Not a resource code: %(codes)s. A resource code is the 9-digit classification code, a slash "
                  "and a 6-digit sequence, e.g. 101001001/000001.") % {"codes": "、".join(errors)})
        return list(dict.fromkeys(codes))


class CatalogEntryForm(forms.ModelForm):
    """An entry's own fields. The resource code is asked for only when creating (empty: the next
    code of the classification); it never changes afterwards."""

    code = forms.CharField(
        label=_("Resource code"), required=False, max_length=20,
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off", "inputmode": "numeric"}),
        help_text=_("Leave empty to get the next free code of the classification, e.g. 101001001/000001."))
    classification = ClassificationChoiceField(label=_("Classification"),
                                               queryset=Classification.objects.order_by("code"))
    department = DepartmentChoiceField(label=_("Provider department"), queryset=Department.objects.none())
    region = forms.ModelChoiceField(
        label=_("Region"), required=False, empty_label=_("The department's region"), queryset=Region.objects.none(),
        help_text=_("The city or county the resource belongs to; empty: the provider department's."))
    related_codes = RelatedCodesField(
        label=_("Related resource codes"), required=False,
        help_text=_("One code per line, or separated by commas."))
    reason = forms.CharField(label=_("Reason for the change"), required=False, max_length=500,
                             help_text=_("Kept in the entry's version history."))

    class Meta:
        model = CatalogEntry
        fields = ["code", "classification", "name", "department", "region", "summary", "format",
                  "sharing_type", "sharing_conditions", "sharing_method", "open_type", "open_conditions",
                  "update_cycle", "data_updated_on", "related_codes", "source_system", "record_count"]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 3}),
            "sharing_conditions": forms.Textarea(attrs={"rows": 2}),
            "open_conditions": forms.Textarea(attrs={"rows": 2}),
            "data_updated_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    #: the fields of each part of the page, in order
    GROUPS = [
        (_("The resource"), ["classification", "code", "name", "department", "region", "summary", "format"]),
        (_("Sharing and opening"), ["sharing_type", "sharing_conditions", "sharing_method", "open_type",
                                    "open_conditions"]),
        (_("Updates and source"), ["update_cycle", "data_updated_on", "source_system", "record_count",
                                   "related_codes"]),
    ]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        adding = self.instance._state.adding
        self.fields["department"].queryset = departments_for(
            user, CatalogEntry, "add" if adding else "change", keep=None if adding else self.instance.department)
        # The city and its counties.
        city = Region.objects.filter(code=settings.DGOV_CITY_CODE).first()
        self.fields["region"].queryset = Region.objects.filter(
            level__in=[RegionLevel.CITY, RegionLevel.COUNTY], path__startswith=city.path if city else ""
        ).order_by("path")
        if not adding:
            # The code never changes, and it begins with the classification's code.
            del self.fields["code"]
            self.fields["classification"].disabled = True
            self.fields["classification"].help_text = _("Fixed by the resource code.")
        self.fields["sharing_method"].help_text = _("Needed unless the resource is not shared.")
        self.fields["sharing_conditions"].help_text = _("Needed when it is shared on conditions.")
        self.fields["open_conditions"].help_text = _("Needed when it is opened on conditions.")

    def groups(self):
        return [(title, [self[name] for name in names if name in self.fields]) for title, names in self.GROUPS]

    def clean_code(self):
        return (self.cleaned_data.get("code") or "").strip()


class DataItemForm(forms.ModelForm):
    """One data item (信息项); it is saved with its entry by the service, never on its own."""

    class Meta:
        model = DataItem
        fields = ["name", "data_type", "length", "data_element", "personal_data", "sharing_type", "open_type",
                  "description"]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("use_required_attribute", False)
        super().__init__(*args, **kwargs)
        for name in ("sharing_type", "open_type"):
            field = self.fields[name]
            field.choices = [("", _("as the entry")), *[c for c in field.choices if c[0]]]
        self.fields["sharing_type"].help_text = None
        self.fields["data_element"].help_text = None
        self.fields["length"].widget.attrs.update({"min": 0, "inputmode": "numeric"})

    def values(self) -> dict:
        data = self.cleaned_data
        return {name: data.get(name) if name == "length" else (data.get(name) or "")
                for name in self.Meta.fields}


class BaseDataItemFormSet(forms.BaseFormSet):
    """Rows left empty are ignored wherever they are (not only the trailing extra rows); whether an
    entry has enough items is the service's rule."""

    def _construct_form(self, i, **kwargs):
        kwargs.setdefault("empty_permitted", True)
        return super()._construct_form(i, **kwargs)

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Remove this data item")

    def kept_forms(self) -> list[DataItemForm]:
        """The filled-in rows that are not marked for removal, in order."""
        return [f for f in self.forms
                if not self._should_delete_form(f) and f.has_changed() and f.cleaned_data.get("name")]

    def items(self) -> list[dict]:
        return [f.values() for f in self.kept_forms()]


DataItemFormSet = forms.formset_factory(DataItemForm, formset=BaseDataItemFormSet, extra=0, can_delete=True,
                                        max_num=500, absolute_max=500, validate_max=True)
ITEMS_PREFIX = "items"


def item_rows_from_post(data, prefix: str = ITEMS_PREFIX) -> list[dict]:
    """The rows of a posted formset as they were typed, without those marked for removal: the
    initial data of the formset shown again with one more row."""
    try:
        total = min(int(data.get(f"{prefix}-TOTAL_FORMS", 0)), 500)
    except (TypeError, ValueError):
        total = 0
    rows = []
    for i in range(total):
        if data.get(f"{prefix}-{i}-DELETE"):
            continue
        rows.append({name: data.get(f"{prefix}-{i}-{name}", "") for name in DataItemForm.Meta.fields})
    return rows


class NegativeListItemForm(forms.ModelForm):
    class Meta:
        model = NegativeListItem
        fields = ["resource_code", "item_name", "legal_basis", "scope_note"]
        widgets = {"resource_code": forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
                   "legal_basis": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item_name"].help_text = _("Empty: the whole resource is on the list.")


class ImportForm(forms.Form):
    file = forms.FileField(label=_("File (.xlsx or .csv)"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}))
    dry_run = forms.BooleanField(label=_("Dry run: check every row, write nothing"), required=False,
                                 initial=True)


class ProvincialImportForm(ImportForm):
    file = forms.FileField(label=_("File (.xlsx or .json)"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.json"}))


class StatisticsFilterForm(forms.Form):
    """The statistics page's filters; the choices are the regions and departments of the entries
    the reader may see."""

    region = forms.ChoiceField(label=_("Region"), required=False)
    department = forms.ChoiceField(label=_("Provider department"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)

    def __init__(self, data=None, *, regions=(), departments=()):
        super().__init__(data)
        everything = [("", _("All"))]
        self.fields["region"].choices = everything + [(r.code, r.name) for r in regions]
        self.fields["department"].choices = everything + [(d.code, d.name) for d in departments]
        self.fields["status"].choices = everything + list(Status.choices)
