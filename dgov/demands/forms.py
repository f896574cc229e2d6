"""The demand form: the fields wanted are typed one per line (or separated by commas or 、); only
the departments the official may file for are offered."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from dgov.demands.models import DataDemand
from dgov.demands.services import FIELD_MAX, FIELDS_MAX, clean_fields
from dgov.orgs.selectors import departments_for


class FieldNamesField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 4})

    def prepare_value(self, value):
        if isinstance(value, (list, tuple)):
            return "\n".join(value)
        return value

    def to_python(self, value):
        text = super().to_python(value) or ""
        names = clean_fields(re.split(r"[\n\r,，、;；]+", text))
        if len(names) > FIELDS_MAX:
            raise forms.ValidationError(_("Name at most %(max)d data items.") % {"max": FIELDS_MAX})
        too_long = [n for n in names if len(n) > FIELD_MAX]
        if too_long:
            raise forms.ValidationError(_("A data item name has at most %(max)d characters.") % {"max": FIELD_MAX})
        return names


class DataDemandForm(forms.ModelForm):
    fields = FieldNamesField(label=_("Fields wanted"),
                             help_text=_("The data items needed, one per line, e.g. 姓名, 身份证号, 婚姻状况."))

    class Meta:
        model = DataDemand
        fields = ["department", "title", "fields", "purpose", "legal_basis", "scenario", "sharing_method"]
        widgets = {"purpose": forms.Textarea(attrs={"rows": 3}), "legal_basis": forms.Textarea(attrs={"rows": 2}),
                   "scenario": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        keep = self.instance.department if self.instance.pk else None
        choices = departments_for(user, DataDemand, "add", keep=keep)
        self.fields["department"].queryset = choices
        if not self.instance.pk and user is not None and user.department_id in {d.pk for d in choices}:
            self.initial["department"] = user.department_id
        if self.instance.pk:
            self.fields["department"].disabled = True
