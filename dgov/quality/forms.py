import json

from django import forms
from django.utils.translation import gettext_lazy as _

from dgov.quality import selectors
from dgov.quality.models import QualityRule, Schedule, TaskState

PARAMS_HELP = _(
    "A JSON object. completeness: {\"empty_is_missing\": true, \"trim\": true}; uniqueness: {\"nulls\": \"any\" | "
    "\"all\" | \"none\"}; regex: {\"pattern\": \"^1[3-9][0-9]{9}$\"}; range and length: {\"min\": 0, \"max\": 100}; "
    "code set: {\"code_set\": \"GB/T 2261.1-2003\"}; reference: {\"table\": \"datastore/ds_x\", \"columns\": "
    "[\"id\"]}; consistency: {\"op\": \"<=\"}; timeliness: {\"max_age_hours\": 24, \"timezone\": \"UTC\"}; custom "
    "SQL: {\"condition\": \"a > b\"} (true for a failing row); identity number, credit code and conformance: {}.")


class QualityRuleForm(forms.ModelForm):
    columns = forms.CharField(label=_("Columns"), required=False,
                              help_text=_("Column names separated by commas (a compound key: several)."))
    params = forms.CharField(label=_("Parameters"), required=False, help_text=PARAMS_HELP,
                             widget=forms.Textarea(attrs={"rows": 3, "class": "font-monospace"}))

    class Meta:
        model = QualityRule
        fields = ["table", "name", "kind", "columns", "params", "threshold_pct", "weight", "remediate", "enabled",
                  "description"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        action = "change" if self.instance.pk else "add"
        self.fields["table"].queryset = selectors.tables(user, action).order_by("location", "schema", "name") \
            if user is not None else self.fields["table"].queryset.none()
        if not self.is_bound:
            self.initial["columns"] = ", ".join(self.instance.columns or [])
            self.initial["params"] = json.dumps(self.instance.params or {}, ensure_ascii=False)

    def clean_columns(self):
        text = self.cleaned_data.get("columns") or ""
        return [c.strip() for c in text.split(",") if c.strip()]

    def clean_params(self):
        text = (self.cleaned_data.get("params") or "").strip() or "{}"
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(_("Not valid JSON: %(error)s") % {"error": exc.msg}) from None
        if not isinstance(value, dict):
            raise forms.ValidationError(_("The parameters must be a JSON object."))
        return value


class PlanForm(forms.Form):
    schedule = forms.ChoiceField(label=_("Schedule"), choices=Schedule.choices)
    next_run_on = forms.DateField(label=_("Next run"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))


class FixForm(forms.Form):
    note = forms.CharField(label=_("What was fixed"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class TaskFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), required=False, choices=[("", _("Any"))] + list(TaskState.choices))
    overdue = forms.ChoiceField(label=_("Overdue"), required=False,
                                choices=[("", _("Any")), ("yes", _("overdue")), ("no", _("not overdue"))])


