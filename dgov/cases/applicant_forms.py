"""The applicant's forms: one page of an implementation's form definition (`PageForm`, built from the
definition, checked by `dgov.services.formdef` so the page and the final submission say the same), a
material's upload, the e-licence consent, the declaration, the withdrawal."""

from pathlib import Path

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dgov.services import formdef

#: what the upload accepts (the case engine checks the content too)
UPLOAD_EXTENSIONS = {".pdf": "application/pdf", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}
UPLOAD_ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"


def upload_max_bytes() -> int:
    return int(getattr(settings, "DGOV_CASE_UPLOAD_MAX_BYTES", 10 * 1024 * 1024))


class _AnyMultipleChoiceField(forms.MultipleChoiceField):
    """Checkboxes whose values formdef checks (one message, the same as at submission)."""

    def validate(self, value):
        pass


_AUTOCOMPLETE = {"applicant.name": "name", "applicant.phone": "tel", "enterprise.name": "organization",
                 "applicant.id_number": "off"}


def _form_field(spec: dict) -> forms.Field:
    ftype = spec.get("type")
    label = spec.get("label") or spec.get("key")
    if not spec.get("required"):
        label = _("%(label)s (optional)") % {"label": label}
    common = {"label": label, "required": False, "help_text": spec.get("help", "")}
    attrs = {}
    if spec.get("prefill") in _AUTOCOMPLETE:
        attrs["autocomplete"] = _AUTOCOMPLETE[spec["prefill"]]
    if ftype == "textarea":
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 5, **attrs}), strip=False, **common)
    if ftype == "date":
        return forms.CharField(widget=forms.DateInput(attrs={"type": "date", **attrs}), **common)
    if ftype == "number":
        return forms.CharField(widget=forms.TextInput(attrs={"inputmode": "decimal", **attrs}), **common)
    if ftype == "choice":
        choices = [(c["value"], c["label"]) for c in spec.get("choices") or []]
        return forms.CharField(widget=forms.RadioSelect(choices=choices), **common)
    if ftype == "yesno":
        return forms.CharField(widget=forms.RadioSelect(choices=[("yes", _("Yes")), ("no", _("No"))]), **common)
    if ftype == "multichoice":
        choices = [(c["value"], c["label"]) for c in spec.get("choices") or []]
        return _AnyMultipleChoiceField(choices=choices, widget=forms.CheckboxSelectMultiple, **common)
    if ftype == "region":
        return forms.CharField(widget=forms.Select(choices=[("", _("Choose a region"))] + formdef.region_choices()),
                               **common)
    if ftype == "phone":
        return forms.CharField(widget=forms.TextInput(attrs={"type": "tel", "inputmode": "numeric",
                                                             "autocomplete": "tel", "maxlength": 20}), **common)
    if ftype == "id_number":
        return forms.CharField(widget=forms.TextInput(attrs={"autocomplete": "off", "maxlength": 18,
                                                             "spellcheck": "false", **attrs}), **common)
    if ftype == "email":
        return forms.CharField(widget=forms.EmailInput(attrs={"autocomplete": "email"}), **common)
    return forms.CharField(widget=forms.TextInput(attrs=attrs), strip=False, **common)


def initial_value(spec: dict, value):
    """A stored answer as the widget shows it."""
    if spec.get("type") == "yesno" and isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return [] if spec.get("type") == "multichoice" else ""
    return value if isinstance(value, list) else str(value)


class PageForm(forms.Form):
    """The questions of one page of a form definition. After `is_valid()`, `answers` holds the page's
    cleaned answers (formdef's values, ready for `cases.services.save_answers`)."""

    def __init__(self, *args, definition: dict, page_key: str, answers: dict | None = None, **kwargs):
        self.definition, self.page_key = definition, page_key
        self.specs = formdef.fields(definition, page_key=page_key)
        answers = answers or {}
        kwargs.setdefault("initial", {s["key"]: initial_value(s, answers.get(s["key"])) for s in self.specs})
        super().__init__(*args, **kwargs)
        for spec in self.specs:
            self.fields[spec["key"]] = _form_field(spec)
        self.answers: dict = {}

    def clean(self):
        data = {}
        for spec in self.specs:
            key = spec["key"]
            if spec.get("type") == "multichoice":
                data[key] = self.data.getlist(key) if hasattr(self.data, "getlist") else self.data.get(key, [])
            else:
                data[key] = self.cleaned_data.get(key, self.data.get(key, ""))
        cleaned, errors = formdef.clean_answers(self.definition, data, partial_page=self.page_key)
        for key, messages in errors.items():
            for message in messages:
                self.add_error(key, message)
        self.answers = cleaned
        return self.cleaned_data


class UploadForm(forms.Form):
    """One file for one material: PDF, JPG or PNG, at most DGOV_CASE_UPLOAD_MAX_BYTES."""

    file = forms.FileField(label=gettext_lazy("Choose a file"), required=False,
                           widget=forms.ClearableFileInput(attrs={"accept": UPLOAD_ACCEPT}),
                           help_text=gettext_lazy("A PDF, JPG or PNG file."))

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if not upload:
            raise forms.ValidationError(_("Choose a file to upload."), code="required")
        if Path(upload.name or "").suffix.lower() not in UPLOAD_EXTENSIONS:
            raise forms.ValidationError(_("The file must be a PDF, JPG or PNG."), code="file_type")
        if upload.size > upload_max_bytes():
            raise forms.ValidationError(_("The file must be smaller than %(size)s.")
                                        % {"size": filesizeformat(upload_max_bytes())}, code="file_size")
        if upload.size == 0:
            raise forms.ValidationError(_("The file is empty."), code="file_empty")
        return upload


class LicenceForm(forms.Form):
    """免证办: use one of the applicant's own e-licences instead of an upload, with explicit consent."""

    identifier = forms.ChoiceField(label=gettext_lazy("Which licence"), widget=forms.RadioSelect)
    consent = forms.BooleanField(
        label=gettext_lazy("I agree that the department handling this application may read this electronic "
                           "licence from the licence library for this application. The use is recorded and "
                           "shown in My licences."),
        error_messages={"required": gettext_lazy("Tick the box to agree, or upload the material instead.")})

    def __init__(self, *args, licences=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["identifier"].choices = [
            (lic.identifier, f"{lic.license_type.name} · {lic.identifier}") for lic in licences]
        self.fields["identifier"].error_messages["required"] = _("Choose the licence to use.")
        self.fields["identifier"].error_messages["invalid_choice"] = _("Choose one of your licences.")
        if len(licences) == 1:
            self.fields["identifier"].initial = licences[0].identifier


class DeclarationForm(forms.Form):
    declaration = forms.BooleanField(
        label=gettext_lazy("I declare that the information I have given is true and complete."),
        error_messages={"required": gettext_lazy("Tick the box to confirm the declaration.")})


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Why are you withdrawing? (optional)"), required=False,
                             max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
