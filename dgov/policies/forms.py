"""Forms of the policy pages. Natural keys (credit code, region code, department code, implementation
code) so that one form serves the edit page and every spreadsheet row; the rules live in the services."""

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from dgov.accounts.models import Enterprise
from dgov.core.importexport import Importer
from dgov.orgs.models import Department, Region
from dgov.policies import rules, services
from dgov.policies.models import EnterpriseProfile, Policy
from dgov.policies.tables import EnterpriseProfileTable
from dgov.services.models import Implementation


class TagsField(forms.CharField):
    """Qualifications as text separated by 、 or commas."""

    def prepare_value(self, value):
        return "、".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        text = super().to_python(value) or ""
        return [t for t in (s.strip() for s in text.replace("，", ",").replace("、", ",").split(",")) if t]


class EnterpriseProfileForm(forms.ModelForm):
    credit_code = forms.CharField(label=_("Unified social credit code"), max_length=18)
    region = forms.ModelChoiceField(label=_("Region code"), queryset=Region.objects.all(), to_field_name="code",
                                    widget=forms.TextInput)
    tags = TagsField(label=_("Qualifications"), required=False,
                     help_text=_("Separated by 、: %(tags)s") % {"tags": "、".join(rules.TAGS)})
    credit_rating = forms.ChoiceField(label=_("Tax credit rating"), required=False,
                                      choices=[("", "—")] + [(r, r) for r in rules.CREDIT_RATINGS])

    class Meta:
        model = EnterpriseProfile
        fields = ["credit_code", "industry", "size", "registered_on", "region", "employees", "annual_revenue",
                  "tax_paid", "tags", "credit_rating", "source", "as_of"]

    def clean_credit_code(self):
        code = self.cleaned_data["credit_code"].strip().upper()
        enterprise = Enterprise.objects.filter(credit_code=code).first()
        if enterprise is None:
            raise forms.ValidationError(_("No enterprise has this credit code."))
        if self.instance.pk and self.instance.enterprise_id != enterprise.pk:
            raise forms.ValidationError(_("The credit code of a profile cannot change."))
        self.instance.enterprise = enterprise
        return code

    def clean_industry(self):
        return self.cleaned_data["industry"].strip().upper()


class EnterpriseProfileImporter(Importer):
    model = EnterpriseProfile
    form_class = EnterpriseProfileForm
    key = "credit_code"
    table = EnterpriseProfileTable
    save = staticmethod(services.profile_save)


class JSONRulesField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 14, "class": "font-monospace", "spellcheck": "false"})

    def prepare_value(self, value):
        if isinstance(value, (dict, list)):
            return json.dumps(value, ensure_ascii=False, indent=2)
        return value

    def to_python(self, value):
        text = (super().to_python(value) or "").strip()
        if not text:
            return {}
        try:
            return json.loads(text)
        except ValueError as exc:
            raise forms.ValidationError(_("Not valid JSON: %(error)s") % {"error": exc}) from None


class PolicyForm(forms.ModelForm):
    department = forms.ModelChoiceField(label=_("Issuing department code"), queryset=Department.objects.all(),
                                        to_field_name="code", widget=forms.TextInput)
    implementation = forms.ModelChoiceField(
        label=_("Benefit service item (implementation code)"), queryset=Implementation.objects.all(),
        to_field_name="code", widget=forms.TextInput, required=False,
        help_text=_("For a policy without application: the item on which the benefit case is opened."))
    rules = JSONRulesField(label=_("Eligibility rules (JSON)"), required=False)

    class Meta:
        model = Policy
        fields = ["title", "department", "document_number", "summary", "benefit", "benefit_amount", "kind",
                  "valid_from", "valid_until", "implementation", "apply_url", "rules"]
        widgets = {"valid_from": forms.DateInput(attrs={"type": "date"}),
                   "valid_until": forms.DateInput(attrs={"type": "date"}),
                   "summary": forms.Textarea(attrs={"rows": 4})}

    def clean_rules(self):
        value = self.cleaned_data["rules"]
        problems = rules.validate(value) if value != {} else []
        if problems:
            raise forms.ValidationError(problems)
        return value


class RulesPreviewForm(forms.Form):
    rules = JSONRulesField(label=_("Eligibility rules (JSON)"), required=True)

    def clean_rules(self):
        value = self.cleaned_data["rules"]
        problems = rules.validate(value)
        if problems:
            raise forms.ValidationError(problems)
        return value
