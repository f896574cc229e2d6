from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from dgov.accounts.models import Application
from dgov.core.permissions import resolver
from dgov.kms.models import TYPE_OPERATIONS, Key, KeyPolicy, Operation
from dgov.orgs.models import Department
from dgov.orgs.selectors import departments_for


class DepartmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return "　" * max(0, obj.path.count("/") - 1) + obj.name


class SecretTextarea(forms.Textarea):
    """A textarea that never sends its value back: a form shown again with errors must not echo a
    private key into the page."""

    def get_context(self, name, value, attrs):
        return super().get_context(name, None, attrs)


class KeyCreateForm(forms.ModelForm):
    department = DepartmentChoiceField(label=_("Owning department"), queryset=Department.objects.none())
    application = forms.ModelChoiceField(
        label=_("Owning application"), queryset=Application.objects.none(), required=False,
        help_text=_("Optional: an application of the owning department that the key is held for."))
    private_key_pem = forms.CharField(
        label=_("Import an SM2 private key (PEM)"), required=False, max_length=10_000, strip=True,
        widget=SecretTextarea(attrs={"rows": 6, "autocomplete": "off", "spellcheck": "false",
                                     "class": "font-monospace"}),
        help_text=_("Optional, SM2 keys only: paste a PEM private key to import it as version 1. Leave empty to "
                    "generate a new key. The key material is never shown again."))

    class Meta:
        model = Key
        fields = ["name", "type", "department", "application", "description", "exportable"]
        widgets = {"name": forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments_for(user, Key, "add")
        self.fields["application"].queryset = (Application.objects.restrict(user, "view")
                                               .filter(account__is_active=True).order_by("code"))
        self.fields["name"].help_text = _("Lowercase letters, digits and . _ -, e.g. yt-case-id-numbers. "
                                          "Applications call the key by this name; it cannot be changed.")


class KeyEditForm(forms.ModelForm):
    """What can change on a key: minimum versions, enabled, description (exportable is decided at
    creation)."""

    class Meta:
        model = Key
        fields = ["description", "enabled", "min_decryption_version", "min_encryption_version"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)


class OperationsField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        super().__init__(choices=Operation.choices, template_name="kms/_operations_field.html", **kwargs)


class KeyPolicyForm(forms.ModelForm):
    """Which application may use which key for what. The operations offered are those the chosen
    key's type supports; on the edit page only the operations change."""

    operations = OperationsField(label=_("Operations"))

    class Meta:
        model = KeyPolicy
        fields = ["key", "application", "operations"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if self.instance.pk:
            self.fields["key"].disabled = True
            self.fields["application"].disabled = True
            self.fields["key"].queryset = Key.objects.filter(pk=self.instance.key_id)
            self.fields["application"].queryset = Application.objects.filter(pk=self.instance.application_id)
        else:
            self.fields["key"].queryset = keys_for_policies(user)
            self.fields["key"].label_from_instance = lambda k: f"{k.name} ({k.type})"
            # Choosing a key fetches the operations its type supports (htmx; the page works without).
            self.fields["key"].widget.attrs.update({
                "hx-get": reverse("kms:keypolicy_add"), "hx-trigger": "change", "hx-include": "this",
                "hx-target": "#operations-field", "hx-swap": "outerHTML"})
            self.fields["application"].queryset = (Application.objects.restrict(user, "view")
                                                   .filter(account__is_active=True).order_by("code"))
        key = self.chosen_key()
        if key is not None:
            supported = TYPE_OPERATIONS[key.type]
            self.fields["operations"].choices = [(v, label) for v, label in Operation.choices if v in supported]
        else:
            self.fields["operations"].help_text = _("Choose the key first: only the operations its type supports "
                                                    "are accepted.")

    def chosen_key(self) -> Key | None:
        if self.instance.pk:
            return self.instance.key
        value = self.data.get(self.add_prefix("key")) if self.is_bound else self.initial.get("key")
        if not value:
            return None
        try:
            return self.fields["key"].queryset.filter(pk=int(value)).first()
        except (TypeError, ValueError):
            return None


def keys_for_policies(user):
    """Keys on which `user` may add policies (a policy lies in its key's scope)."""
    keys = Key.objects.restrict(user, "view").select_related("department__region")
    allowed = [k.pk for k in keys if resolver().allows(user, "add", KeyPolicy(key=k))]
    return Key.objects.filter(pk__in=allowed).order_by("name")
