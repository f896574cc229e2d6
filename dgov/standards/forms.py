"""Forms of the standards pages."""

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from dgov.core.errors import ValidationError as DgovValidationError
from dgov.core.permissions import resolver
from dgov.orgs.models import Department
from dgov.standards import services
from dgov.standards.models import CodeSet, DataElement, DataModel


class CodeSetForm(forms.ModelForm):
    values = forms.CharField(label=_("Values"), widget=forms.Textarea(attrs={"rows": 10}), required=False,
                             help_text=_("One value per line: “code,name” or “code,name,parent code”."))

    class Meta:
        model = CodeSet
        fields = ["code", "name", "standard", "version", "source", "description"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["code"].disabled = True
            self.initial["values"] = "\n".join(
                ",".join(p for p in (v.code, v.name, v.parent_code) if p) for v in self.instance.values.all())

    def clean_values(self):
        try:
            return services.parse_values(self.cleaned_data["values"])
        except DgovValidationError as exc:
            raise forms.ValidationError(exc.details["values"]) from None


class CodeSetChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.code} {obj.name}"


CHECK_DIGIT_CHOICES = [("", _("none")), ("id_number", _("citizen identity number (GB 11643)")),
                       ("credit_code", _("unified social credit code (GB 32100)"))]


class DataElementForm(forms.ModelForm):
    code_set = CodeSetChoiceField(label=_("Code set"), queryset=CodeSet.objects.order_by("code"), required=False)
    check_digit = forms.ChoiceField(label=_("Check-digit rule"), choices=CHECK_DIGIT_CHOICES, required=False)

    class Meta:
        model = DataElement
        fields = ["identifier", "name", "english_name", "definition", "data_type", "max_length", "format",
                  "pattern", "code_set", "value_domain", "unit", "check_digit", "personal"]
        widgets = {"definition": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.version > 1:
            self.fields["identifier"].disabled = True

    def _post_clean(self):
        super()._post_clean()
        if not self.errors:
            try:
                services.validate_element(self.instance)
            except DgovValidationError as exc:
                for field, messages in exc.details.items():
                    for message in messages:
                        self.add_error(field if field in self.fields else None, message)


class DepartmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, department):
        return f"{department.name}（{department.code}）"


def departments_for_models(user, action: str) -> list[int]:
    """The active departments in which `user` may `action` a data model."""
    return [d.pk for d in Department.objects.select_related("region").filter(is_active=True)
            if resolver().allows(user, action, DataModel(department=d))]


class DataModelForm(forms.ModelForm):
    department = DepartmentChoiceField(label=_("Department"), queryset=Department.objects.none())

    class Meta:
        model = DataModel
        fields = ["code", "name", "description", "department"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        action = "change" if self.instance.pk else "add"
        self.fields["department"].queryset = Department.objects.filter(
            pk__in=departments_for_models(user, action) if user is not None else []).order_by("code")
        if self.instance.pk:
            self.fields["code"].disabled = True


class DefinitionForm(forms.Form):
    definition = forms.CharField(
        label=_("Definition (JSON)"), widget=forms.Textarea(attrs={"rows": 24, "class": "font-monospace",
                                                                    "spellcheck": "false"}),
        help_text=_("Entities with their table and attributes (name, label, element, type, length, nullable, key) "
                    "and relations (from “entity.attribute”, to “entity.attribute”, kind)."))
    note = forms.CharField(label=_("Change note"), max_length=1000, required=False)

    def clean_definition(self):
        try:
            data = json.loads(self.cleaned_data["definition"])
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(_("The definition is not valid JSON: line %(line)d, column %(col)d: "
                                          "%(msg)s.") % {"line": exc.lineno, "col": exc.colno, "msg": exc.msg}) \
                from None
        try:
            return services.validate_definition(data)
        except DgovValidationError as exc:
            raise forms.ValidationError(exc.details["definition"]) from None


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class DiffForm(forms.Form):
    a = forms.IntegerField(label=_("From version"), min_value=1, max_value=32767)
    b = forms.IntegerField(label=_("To version"), min_value=1, max_value=32767)


class CheckForm(forms.Form):
    entity = forms.ChoiceField(label=_("Entity"))
    table = forms.TypedChoiceField(label=_("Harvested table"), coerce=int)

    def __init__(self, *args, entities=(), tables=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entity"].choices = [(e["name"], f"{e['name']} {e.get('label', '')}".strip()) for e in entities]
        self.fields["table"].choices = [(t.pk, t.qualified_name) for t in tables]
