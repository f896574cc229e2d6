"""The forms of the service-item pages. Rules live in the services (`dgov.services.services`) and the form
definition language (`dgov.services.formdef`); the forms offer only what the user may choose (departments and
regions in scope) and turn the services' errors into field errors."""

import json
from decimal import Decimal

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from dgov.core.permissions import resolver
from dgov.licenses.models import LicenseType
from dgov.orgs.models import Department, Region, RegionLevel
from dgov.services.models import (
    Implementation,
    ItemType,
    MaterialForm,
    MaterialSource,
    PublishStatus,
    ServiceItem,
    ServiceObject,
    Theme,
)

MAX_UPLOAD = 10 * 1024 * 1024


class DepartmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, department):
        return f"{department.name}（{department.code}）"


def departments_in_scope(user, model, action: str, build) -> list[int]:
    """The active departments `d` for which `user` may `action` a `build(d)` (an unsaved object)."""
    return [d.pk for d in Department.objects.select_related("region").filter(is_active=True)
            if resolver().allows(user, action, build(d))]


# --- the public guide search ----------------------------------------------------------------------
class SearchForm(forms.Form):
    """The guide search: a query and the facets, all optional; unknown codes are field errors."""

    q = forms.CharField(label=_("What do you want to do?"), max_length=50, required=False, strip=True)
    department = forms.CharField(label=_("Department"), max_length=20, required=False)
    region = forms.CharField(label=_("Region"), max_length=12, required=False)
    type = forms.ChoiceField(label=_("Item type"), required=False, choices=[("", "")] + list(ItemType.choices))
    object = forms.ChoiceField(label=_("For"), required=False,
                               choices=[("", "")] + [c for c in ServiceObject.choices if c[0] != ServiceObject.BOTH])
    theme = forms.CharField(label=_("Theme"), max_length=40, required=False)
    online = forms.BooleanField(label=_("Can be applied for online"), required=False)

    def clean_department(self):
        code = self.cleaned_data["department"]
        if code and not Department.objects.filter(code=code).exists():
            raise forms.ValidationError(_("There is no such department."))
        return code

    def clean_region(self):
        code = self.cleaned_data["region"]
        if code and not Region.objects.filter(code=code).exists():
            raise forms.ValidationError(_("There is no such region."))
        return code

    def clean_theme(self):
        code = self.cleaned_data["theme"]
        if code and not Theme.objects.filter(code=code).exists():
            raise forms.ValidationError(_("There is no such theme."))
        return code

    def clean_q(self):
        q = self.cleaned_data["q"]
        if "\x00" in q:
            raise forms.ValidationError(_("Enter a valid search."))
        return q


# --- officials: list filters ---------------------------------------------------------------------------
class ImplementationFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=50, required=False)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", "—")] + list(PublishStatus.choices))
    department = forms.CharField(label=_("Department code"), max_length=20, required=False)
    region = forms.ChoiceField(label=_("Region"), required=False)
    type = forms.ChoiceField(label=_("Item type"), required=False, choices=[("", "—")] + list(ItemType.choices))
    online = forms.ChoiceField(label=_("Online application"), required=False,
                               choices=[("", "—"), ("1", _("yes")), ("0", _("no"))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [("", "—")] + [(r.code, r.name) for r in
                                                       regions_for_implementations().order_by("code")]

    def clean_department(self):
        code = (self.cleaned_data.get("department") or "").strip()
        if code and not Department.objects.filter(code=code).exists():
            raise forms.ValidationError(_("There is no such department."))
        return code


class ImplementationFilterSet:
    """The officials' list filters, with the interface the generic list page expects of a FilterSet
    (`form`, `is_valid()`, `qs`), over `selectors.filter_implementations`."""

    def __init__(self, data=None, queryset=None, request=None):
        self.form = ImplementationFilterForm(data or None)
        self.queryset = queryset

    def is_valid(self) -> bool:
        return not self.form.is_bound or self.form.is_valid()

    @property
    def qs(self):
        from dgov.services import selectors

        if not self.form.is_bound:
            return self.queryset
        data = self.form.cleaned_data
        online = {"1": True, "0": False}.get(data.get("online") or "")
        return selectors.filter_implementations(
            self.queryset, q=data.get("q") or "", status=data.get("status") or "",
            department=data.get("department") or None, region=data.get("region") or None,
            item_type=data.get("type") or None, online=online)


class ServiceItemFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=50, required=False)
    type = forms.ChoiceField(label=_("Item type"), required=False, choices=[("", "—")] + list(ItemType.choices))


class ServiceItemFilterSet(ImplementationFilterSet):
    def __init__(self, data=None, queryset=None, request=None):
        self.form = ServiceItemFilterForm(data or None)
        self.queryset = queryset

    @property
    def qs(self):
        from dgov.services import selectors

        if not self.form.is_bound:
            return self.queryset
        data = self.form.cleaned_data
        return self.queryset.filter(pk__in=selectors.items(q=data.get("q") or "",
                                                             item_type=data.get("type") or "").values("pk"))


# --- officials: the base catalog ------------------------------------------------------------------
class ServiceItemForm(forms.ModelForm):
    class Meta:
        model = ServiceItem
        fields = ["base_code", "name", "keywords", "item_type", "level", "legal_basis", "description", "status"]
        widgets = {"legal_basis": forms.Textarea(attrs={"rows": 4}), "description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["base_code"].disabled = True

    def clean_base_code(self):
        code = (self.cleaned_data.get("base_code") or "").strip().upper()
        if len(code) != 12 or not code.isalnum():
            raise forms.ValidationError(_("The base code has 12 letters or digits."))
        return code

    def data_for_service(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields if name in self.cleaned_data}


class ThemeForm(forms.ModelForm):
    class Meta:
        model = Theme
        fields = ["code", "name", "audience", "description", "order"]


# --- officials: implementation lists --------------------------------------------------------------
class ItemChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, item):
        return f"{item.base_code} {item.name}"


class RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, region):
        return f"{region.name}（{region.code}）"


def regions_for_implementations():
    """The city and its county-level divisions: where implementation lists are kept."""
    city = getattr(settings, "DGOV_CITY_CODE", "360600000000")
    return Region.objects.filter(code=city) | Region.objects.filter(parent__code=city,
                                                                      level=RegionLevel.COUNTY)


class ImplementationForm(forms.ModelForm):
    item = ItemChoiceField(label=_("Service item (base catalog)"), queryset=ServiceItem.objects.order_by("base_code"))
    department = DepartmentChoiceField(label=_("Implementing department"), queryset=Department.objects.none())
    region = RegionChoiceField(label=_("Region"), queryset=Region.objects.none())
    supervising_department = DepartmentChoiceField(label=_("Supervising department"), required=False,
                                                   queryset=Department.objects.none())
    themes = forms.ModelMultipleChoiceField(label=_("Themes"), required=False, queryset=Theme.objects.all(),
                                            widget=forms.SelectMultiple(attrs={"size": 8}),
                                            help_text=_("Hold Ctrl (⌘ on a Mac) to choose several."))
    handling_code = forms.RegexField(label=_("Business-handling item code"), regex=r"^[0-9]{0,5}$", required=False,
                                     help_text=_("Only when the item is split into business-handling items: up to "
                                                 "5 digits appended to the code."),
                                     error_messages={"invalid": _("Up to 5 digits.")})
    reason = forms.CharField(label=_("Reason for the change"), max_length=500, required=False,
                             help_text=_("Kept in the version history."))

    class Meta:
        model = Implementation
        fields = ["item", "code", "name", "department", "region", "service_object", "case_kind",
                  "statutory_limit", "statutory_unit", "promised_limit", "promised_unit", "visits", "online_depth",
                  "online_apply", "acceptance_conditions", "result_type", "result_name", "result_license_type",
                  "place", "hours", "enquiry_phone", "complaint_phone", "supervising_department", "themes"]
        widgets = {"acceptance_conditions": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        action = "change" if self.instance.pk else "add"
        allowed = departments_in_scope(user, Implementation, action,
                                       lambda d: Implementation(department=d, region=d.region))
        self.fields["department"].queryset = Department.objects.filter(pk__in=allowed).order_by("path")
        self.fields["region"].queryset = regions_for_implementations().order_by("code")
        self.fields["supervising_department"].queryset = Department.objects.filter(is_active=True).order_by("path")
        self.fields["result_license_type"].queryset = LicenseType.objects.order_by("code")
        self.fields["result_license_type"].required = False
        self.fields["name"].required = False
        self.fields["name"].help_text = _("Empty: the item's name in the base catalog.")
        if self.instance.pk:
            self.fields["code"].disabled = True
            del self.fields["handling_code"]
        else:
            self.fields["code"].required = False
            self.fields["code"].help_text = _("Leave empty to use the code the rule gives: the department's credit "
                                              "code, the level digit and the base code.")
        self.order_fields(["item", "code", "handling_code", *self.Meta.fields[2:], "reason"])

    def data_for_service(self) -> dict:
        """The fields as `implementation_save(data=…)` takes them (the fees and steps come from their formsets)."""
        data = {name: self.cleaned_data[name] for name in self.Meta.fields
                if name in self.cleaned_data and not self.fields[name].disabled}
        if not self.instance.pk:
            if self.cleaned_data.get("code"):
                data["code"] = self.cleaned_data["code"]
            else:
                data.pop("code", None)
                data["handling_code"] = self.cleaned_data.get("handling_code") or ""
        data["themes"] = list(self.cleaned_data.get("themes") or [])
        return data


class MaterialRowForm(forms.Form):
    name = forms.CharField(label=_("Material"), max_length=200, required=False)
    required = forms.BooleanField(label=_("Required"), required=False, initial=True)
    form = forms.ChoiceField(label=_("Form"), choices=MaterialForm.choices, initial=MaterialForm.ELECTRONIC)
    copies = forms.IntegerField(label=_("Copies"), min_value=0, max_value=99, initial=1)
    source = forms.ChoiceField(label=_("Source channel"), choices=MaterialSource.choices,
                               initial=MaterialSource.APPLICANT)
    license_type = forms.ModelChoiceField(label=_("Can be replaced by the e-licence"), required=False,
                                          queryset=LicenseType.objects.order_by("code"), to_field_name="code")
    notes = forms.CharField(label=_("Notes"), max_length=500, required=False)

    def has_row(self) -> bool:
        return bool(getattr(self, "cleaned_data", {}).get("name"))


class FeeRowForm(forms.Form):
    name = forms.CharField(label=_("Fee"), max_length=200, required=False)
    amount = forms.DecimalField(label=_("Amount (yuan)"), min_value=Decimal("0"), max_digits=12, decimal_places=2,
                                required=False)
    basis = forms.CharField(label=_("Basis for the fee"), max_length=500, required=False)

    def clean(self):
        data = super().clean()
        if data.get("name") and data.get("amount") is None:
            self.add_error("amount", _("Enter the amount."))
        if data.get("name") and data.get("amount") and not data.get("basis"):
            self.add_error("basis", _("Name the document the fee is based on."))
        return data


class StepRowForm(forms.Form):
    name = forms.CharField(label=_("Step"), max_length=100, required=False)
    description = forms.CharField(label=_("What happens"), max_length=500, required=False)
    limit = forms.IntegerField(label=_("Working days"), min_value=0, max_value=365, required=False)


MaterialFormSet = forms.formset_factory(MaterialRowForm, extra=2, max_num=60, validate_max=True)
FeeFormSet = forms.formset_factory(FeeRowForm, extra=1, max_num=20, validate_max=True)
StepFormSet = forms.formset_factory(StepRowForm, extra=1, max_num=20, validate_max=True)


def material_initial(implementation) -> list[dict]:
    if not implementation or not implementation.pk:
        return []
    return [{"name": m.name, "required": m.required, "form": m.form, "copies": m.copies, "source": m.source,
             "license_type": m.license_type.code if m.license_type_id else None, "notes": m.notes}
            for m in implementation.materials.select_related("license_type").order_by("order", "pk")]


def materials_from(formset) -> list[dict]:
    """The materials as `implementation_save(materials=…)` takes them, in order; empty rows dropped."""
    out = []
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None) or {}
        if not data.get("name") or data.get("DELETE"):
            continue
        out.append({"order": len(out) + 1, "name": data["name"], "required": data["required"], "form": data["form"],
                    "copies": data["copies"] if data.get("copies") is not None else 1, "source": data["source"],
                    "license_type": data.get("license_type"), "notes": data.get("notes") or ""})
    return out


def fees_from(formset) -> list[dict]:
    return [{"name": d["name"], "amount": f"{d['amount']:.2f}", "basis": d["basis"]}
            for d in (getattr(f, "cleaned_data", None) or {} for f in formset.forms) if d.get("name")]


def steps_from(formset) -> list[dict]:
    out = []
    for d in (getattr(f, "cleaned_data", None) or {} for f in formset.forms):
        if d.get("name"):
            step = {"name": d["name"], "description": d.get("description") or ""}
            if d.get("limit") is not None:
                step["limit"] = d["limit"]
            out.append(step)
    return out


def materials_of(implementation) -> list[dict]:
    """The stored materials, as `implementation_save(materials=…)` takes them (to save the form alone)."""
    return [{"order": m.order, "name": m.name, "required": m.required, "form": m.form, "copies": m.copies,
             "source": m.source, "license_type": m.license_type, "notes": m.notes}
            for m in implementation.materials.select_related("license_type").order_by("order", "pk")]


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False,
                             widget=forms.Textarea(attrs={"rows": 2}))


class RequiredReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class FormDefinitionForm(forms.Form):
    """The online application form as JSON, checked with `dgov.services.formdef.validate_definition`."""

    definition = forms.CharField(
        label=_("Application form (JSON)"), widget=forms.Textarea(attrs={"rows": 24, "class": "font-monospace",
                                                                         "spellcheck": "false"}),
        help_text=_('{"version": 1, "pages": [{"key": "…", "title": "…", "fields": [{"key": "…", "label": "…", '
                    '"type": "text", "required": true}]}]}: one question per page reads best on a phone.'))
    reason = forms.CharField(label=_("Reason for the change"), max_length=500, required=False)

    def clean_definition(self):
        text = (self.cleaned_data.get("definition") or "").strip()
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise forms.ValidationError(_("This is not valid JSON (line %(line)d, column %(col)d).") % {
                "line": exc.lineno, "col": exc.colno}) from None
        if not isinstance(value, dict):
            raise forms.ValidationError(_("The definition must be a JSON object."))
        from dgov.services import formdef

        errors = formdef.validate_definition(value)
        if errors:
            raise forms.ValidationError([str(e) for e in errors])
        return value


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Spreadsheet (.xlsx)"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(_("The file is larger than 10 MB."))
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("Upload an Excel workbook (.xlsx)."))
        return upload
