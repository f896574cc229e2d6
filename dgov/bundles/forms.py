"""Forms of one-thing bundles: the definition an item administrator edits (the members as implementation
codes, one a line, in order) and the applicant's material forms (those of cases are reused)."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dgov.bundles.models import Bundle


class BundleForm(forms.ModelForm):
    implementation_codes = forms.CharField(
        label=gettext_lazy("Implementations"), widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false"}),
        help_text=gettext_lazy("The implementation codes of the items the bundle combines, one a line, in the order "
                               "the applicant answers them. Their forms are combined: a question key is asked "
                               "once, and must be defined the same way by every item that asks it."))

    class Meta:
        model = Bundle
        fields = ["code", "name", "description", "audience"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["implementation_codes"] = "\n".join(
                m.implementation.code for m in self.instance.members.select_related("implementation"))

    def clean_implementation_codes(self):
        from dgov.services.models import Implementation

        codes = [c.strip() for c in self.cleaned_data["implementation_codes"].splitlines() if c.strip()]
        found = {i.code: i for i in Implementation.objects.filter(code__in=codes).select_related("item")}
        unknown = [c for c in codes if c not in found]
        if unknown:
            raise forms.ValidationError(_("No implementation has the code %(codes)s.") % {"codes": "、".join(unknown)})
        self.implementations = [found[c] for c in codes]
        return codes
