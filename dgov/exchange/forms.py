"""The credential forms: a new credential (application of the user's scope, algorithm, SM2 public
key, expiry) and the change form (enabled, expiry)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from dgov.exchange import selectors
from dgov.exchange.models import Algorithm, ConsumerCredential


class CredentialCreateForm(forms.ModelForm):
    expires_at = forms.DateTimeField(label=_("Expires at"), required=False,
                                     widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                                     help_text=_("Leave empty for a credential that does not expire."))

    class Meta:
        model = ConsumerCredential
        fields = ["application", "algorithm", "public_key", "expires_at"]
        widgets = {"public_key": forms.Textarea(attrs={"rows": 5, "class": "font-monospace",
                                                       "placeholder": "-----BEGIN PUBLIC KEY-----"})}
        help_texts = {"public_key": _("SM2 only: the application keeps its private key and gives you the public "
                                      "key. HMAC-SM3 needs nothing here: the secret is generated and shown once.")}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["application"].queryset = selectors.applications_for(user, "add")
        if not self.is_bound and not self.instance.algorithm:
            self.initial["algorithm"] = Algorithm.HMAC_SM3  # the light clients' choice

    def clean(self):
        data = super().clean()
        if data.get("algorithm") == Algorithm.SM2 and not (data.get("public_key") or "").strip():
            self.add_error("public_key", _("An SM2 credential needs the application's public key."))
        return data


class CredentialEditForm(forms.ModelForm):
    expires_at = forms.DateTimeField(label=_("Expires at"), required=False,
                                     widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                                     help_text=_("Leave empty for a credential that does not expire."))

    class Meta:
        model = ConsumerCredential
        fields = ["enabled", "expires_at"]

    def __init__(self, *args, user=None, **kwargs):
        # The generic edit page passes the user (UserFormEditView); nothing here depends on it.
        super().__init__(*args, **kwargs)
