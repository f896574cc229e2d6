"""The forms of the licence pages. Rules live in the services; the forms offer only what the user may
choose (departments in scope, the types they may issue) and turn the services' errors into field errors."""

import datetime as dt
import json

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dgov.core.permissions import resolver
from dgov.licenses import selectors
from dgov.licenses.models import FieldKind, Layout, LicenseType, Seal
from dgov.orgs.models import Department

MAX_UPLOAD = 10 * 1024 * 1024


def check_size(upload):
    if upload and upload.size > MAX_UPLOAD:
        raise forms.ValidationError(_("The file is larger than 10 MB."))
    return upload


class UploadField(forms.FileField):
    """An upload read into memory (at most 10 MB): cleaned to its bytes (None when none was sent)."""

    def clean(self, data, initial=None):
        upload = check_size(super().clean(data, initial))
        return upload.read() if upload else None


class DepartmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, department):
        return f"{department.name}（{department.code}）"


class DepartmentsChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, department):
        return f"{department.name}（{department.code}）"


def departments_in_scope(user, model, action: str, build) -> list[int]:
    """The active departments `d` for which `user` may `action` a `build(d)` (an unsaved object)."""
    return [d.pk for d in Department.objects.select_related("region").filter(is_active=True)
            if resolver().allows(user, action, build(d))]


class LicenseTypeForm(forms.ModelForm):
    defining_department = DepartmentChoiceField(label=_("Defining department"), queryset=Department.objects.none(),
                                                help_text=_("Its unified social credit code starts the type code."))
    issuing_departments = DepartmentsChoiceField(label=_("Issuing departments"),
                                                 queryset=Department.objects.none(),
                                                 widget=forms.SelectMultiple(attrs={"size": 10}))
    field_spec = forms.CharField(
        label=_("Metadata fields (JSON)"), required=False, widget=forms.Textarea(attrs={"rows": 10,
                                                                                         "class": "font-monospace"}),
        help_text=_('A list such as [{"key": "address", "label": "住址", "kind": "text", "required": true}]; kind is '
                    'text, date, number or choice (with "choices": [...]).'))
    face_title = forms.CharField(label=_("Title on the face"), max_length=60, required=False,
                                 help_text=_("Empty: the type's name."))
    face_subtitle = forms.CharField(label=_("Subtitle on the face"), max_length=60, required=False)
    face_field_order = forms.CharField(label=_("Field order on the face"), max_length=1000, required=False,
                                       help_text=_("Keys separated by commas; fields left out follow in their order."))
    face_layout = forms.ChoiceField(label=_("Layout"), choices=Layout.choices, initial=Layout.A4)

    class Meta:
        model = LicenseType
        fields = ["name", "defining_department", "issuing_departments", "holder_kind", "physical_licence",
                  "validity_months", "status"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = departments_in_scope(user, LicenseType, "change" if self.instance.pk else "add",
                                       lambda d: LicenseType(defining_department=d))
        self.fields["defining_department"].queryset = Department.objects.filter(pk__in=allowed).order_by("path")
        self.fields["issuing_departments"].queryset = Department.objects.filter(is_active=True).order_by("path")
        if self.instance.pk:
            self.fields["defining_department"].disabled = True
            face = self.instance.face or {}
            self.initial.update(field_spec=json.dumps(self.instance.fields, ensure_ascii=False, indent=1),
                                face_title=face.get("title", ""), face_subtitle=face.get("subtitle", ""),
                                face_field_order=", ".join(face.get("field_order", [])),
                                face_layout=face.get("layout", Layout.A4))
        else:
            self.initial.setdefault("field_spec", "[]")

    def clean_field_spec(self):
        text = (self.cleaned_data.get("field_spec") or "").strip() or "[]"
        try:
            return json.loads(text)
        except ValueError:
            raise forms.ValidationError(_("This is not valid JSON.")) from None

    def apply(self, instance: LicenseType) -> LicenseType:
        """The JSON fields and the face onto the (unsaved) instance."""
        data = self.cleaned_data
        instance.fields = data.get("field_spec", [])
        order = [k.strip() for k in (data.get("face_field_order") or "").replace("，", ",").split(",") if k.strip()]
        instance.face = {"title": data.get("face_title", ""), "subtitle": data.get("face_subtitle", ""),
                         "field_order": order, "layout": data.get("face_layout") or Layout.A4}
        return instance


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class SealForm(forms.ModelForm):
    department = DepartmentChoiceField(label=_("Owning department"), queryset=Department.objects.none())
    image = UploadField(label=_("Seal image (PNG)"), required=False,
                            help_text=_("Optional: without one, a round red seal with the department's name is drawn."))

    class Meta:
        model = Seal
        fields = ["name", "category", "department", "valid_from", "valid_until", "width_mm", "height_mm"]
        widgets = {"valid_from": DateTimeInput(), "valid_until": DateTimeInput()}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = departments_in_scope(user, Seal, "add", lambda d: Seal(department=d))
        self.fields["department"].queryset = Department.objects.filter(pk__in=allowed).order_by("path")
        now = timezone.localtime().replace(second=0, microsecond=0)
        self.initial.setdefault("valid_from", now)
        self.initial.setdefault("valid_until", now.replace(year=now.year + 5))
        self.initial.setdefault("name", "")


class SealRenewForm(forms.Form):
    valid_until = forms.DateTimeField(label=_("Valid until"), widget=DateTimeInput())
    image = UploadField(label=_("New seal image (PNG)"), required=False,
                            help_text=_("Optional: keep the current picture when empty."))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


def _value_field(spec: dict) -> forms.Field:
    kwargs = {"label": spec["label"], "required": bool(spec.get("required"))}
    kind = spec.get("kind")
    if kind == FieldKind.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **kwargs)
    if kind == FieldKind.NUMBER:
        return forms.DecimalField(max_digits=20, decimal_places=6, **kwargs)
    if kind == FieldKind.CHOICE:
        return forms.ChoiceField(choices=[("", "—")] + [(c, c) for c in spec.get("choices", [])], **kwargs)
    return forms.CharField(max_length=500, **kwargs)


class LicenseDataForm(forms.Form):
    """The holder and the type's own fields (as `f_<key>`)."""

    holder_name = forms.CharField(label=_("Holder's name"), max_length=200)
    physical_number = forms.CharField(label=_("Physical licence number"), max_length=64, required=False)

    def __init__(self, *args, license_type: LicenseType, **kwargs):
        super().__init__(*args, **kwargs)
        self.license_type = license_type
        from dgov.licenses.metadata import ordered

        for spec in ordered(license_type):
            self.fields[f"f_{spec['key']}"] = _value_field(spec)

    def values(self) -> dict:
        """The type's fields, by key, as the service takes them."""
        out = {}
        for name, value in self.cleaned_data.items():
            if name.startswith("f_") and value not in (None, ""):
                out[name[2:]] = value.isoformat() if isinstance(value, dt.date) else str(value)
        return out

    def field_name(self, service_field: str) -> str | None:
        """The form field of a service error's key ("fields.address" → "f_address")."""
        if service_field.startswith("fields."):
            name = "f_" + service_field[len("fields."):]
        else:
            name = service_field
        return name if name in self.fields else None


class IssueForm(LicenseDataForm):
    issuer = DepartmentChoiceField(label=_("Issuing department"), queryset=Department.objects.none())
    holder_code = forms.CharField(label=_("Holder's code"), max_length=30,
                                  help_text=_("Citizen ID number, or the enterprise's unified social credit code."))
    case_reference = forms.CharField(label=_("Case reference"), max_length=64, required=False,
                                     help_text=_("When the licence is the result of a case."))

    def __init__(self, *args, user, license_type: LicenseType, **kwargs):
        super().__init__(*args, license_type=license_type, **kwargs)
        issuers = selectors.issuers_for(user, license_type)
        self.fields["issuer"].queryset = Department.objects.filter(pk__in=[d.pk for d in issuers]).order_by("path")
        self.order_fields(["issuer", "holder_name", "holder_code", "physical_number"])


class ReissueForm(LicenseDataForm):
    reason = forms.CharField(label=_("Reason for the new version"), max_length=500,
                             widget=forms.Textarea(attrs={"rows": 2}))


class ImportForm(forms.Form):
    license_type = forms.ModelChoiceField(label=_("Licence type"), queryset=LicenseType.objects.none(),
                                          to_field_name="code")
    issuer = DepartmentChoiceField(label=_("Issuing department"), queryset=Department.objects.none())
    file = forms.FileField(label=_("Spreadsheet (.xlsx or .csv)"))
    dry_run = forms.BooleanField(label=_("Check only (write nothing)"), required=False, initial=True)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["license_type"].queryset = selectors.issuable_types(user)
        self.fields["file"].validators.append(check_size)
        self.fields["issuer"].queryset = Department.objects.filter(
            pk__in=[d.pk for d in selectors.issuer_departments(user)]).order_by("path")


class GrantForm(forms.Form):
    license = forms.ChoiceField(label=_("Licence"))
    department = DepartmentChoiceField(label=_("Department"), queryset=Department.objects.none())
    days = forms.IntegerField(label=_("For how many days"), min_value=1, max_value=366, initial=30)
    case_reference = forms.CharField(label=_("Only for the case"), max_length=64, required=False,
                                     help_text=_("Optional: the case number the department gave you."))
    purpose = forms.CharField(label=_("Purpose"), max_length=200, required=False)

    def __init__(self, *args, licenses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["license"].choices = [(lic.identifier, f"{lic.license_type.name}（{lic.serial:08d}）")
                                          for lic in licenses]
        self.fields["department"].queryset = Department.objects.filter(is_active=True).order_by("path")


class VerifyForm(forms.Form):
    file = UploadField(label=_("Licence file (PDF)"))


class StatisticsForm(forms.Form):
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
