from django import forms
from django.conf import settings
from django.contrib.auth.models import Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dgov.accounts.models import Application, Role, RoleAssignment, User, UserKind, VerificationMethod
from dgov.accounts.permissions import permission_label
from dgov.core.validators import validate_credit_code, validate_id_number, validate_phone
from dgov.orgs.models import Department, Region, RegionLevel
from dgov.orgs.selectors import departments_for


class LoginForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=64,
                               widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}))
    password = forms.CharField(label=_("Password"), max_length=256,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class OtpForm(forms.Form):
    code = forms.RegexField(
        label=_("One-time code"), regex=r"^\d{6}$", max_length=6,
        error_messages={"invalid": _("Enter the 6-digit code shown in your authenticator app.")},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
        help_text=_("The 6-digit code shown in your authenticator app."))


def _local_regions():
    """City, county and township regions under the configured city, for pick lists."""
    city = Region.objects.filter(code=settings.DGOV_CITY_CODE).first()
    qs = Region.objects.filter(level__in=[RegionLevel.CITY, RegionLevel.COUNTY, RegionLevel.TOWNSHIP])
    return qs.filter(path__startswith=city.path).order_by("path") if city else qs.none()


class RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        indent = {"county": "　", "township": "　　"}.get(obj.level, "")
        return f"{indent}{obj.name}"


class _PasswordPair(forms.Form):
    password = forms.CharField(label=_("Password"), max_length=256,
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                               help_text=_("At least 10 characters, mixing at least 3 of: lower-case, capitals, "
                                           "digits, symbols."))
    password2 = forms.CharField(label=_("Repeat the password"), max_length=256,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password2") and data["password"] != data["password2"]:
            self.add_error("password2", _("The two passwords differ."))
        if data.get("password"):
            # The policy check at the edge, so that every problem shows in one round.
            try:
                validate_password(data["password"], User(username=data.get("username", ""),
                                                         real_name=data.get("real_name", "")))
            except ValidationError as exc:
                self.add_error("password", exc)
        return data


class _LocalRegionMixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = _local_regions()


class RegisterCitizenForm(_LocalRegionMixin, _PasswordPair):
    field_order = ["username", "real_name", "id_number", "phone", "region", "password", "password2"]
    username = forms.CharField(label=_("Username"), max_length=64,
                               widget=forms.TextInput(attrs={"autocomplete": "username"}))
    real_name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=100,
                                widget=forms.TextInput(attrs={"autocomplete": "name"}))
    id_number = forms.CharField(label=_("ID card number"), max_length=18, validators=[validate_id_number],
                                widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    phone = forms.CharField(label=_("Mobile phone"), max_length=20, validators=[validate_phone],
                            widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}))
    region = RegionChoiceField(label=_("Where you live"), queryset=Region.objects.none(), required=False)


class RegisterEnterpriseForm(_LocalRegionMixin, _PasswordPair):
    field_order = ["username", "enterprise_name", "credit_code", "legal_representative", "phone", "region",
                   "password", "password2"]
    username = forms.CharField(label=_("Username"), max_length=64,
                               widget=forms.TextInput(attrs={"autocomplete": "username"}))
    enterprise_name = forms.CharField(label=_("Enterprise name"), max_length=200,
                                      widget=forms.TextInput(attrs={"autocomplete": "organization"}))
    credit_code = forms.CharField(label=_("Unified social credit code"), max_length=18,
                                  validators=[validate_credit_code],
                                  widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    legal_representative = forms.CharField(label=_("Legal representative"), max_length=100)
    phone = forms.CharField(label=_("Contact mobile phone"), max_length=20, validators=[validate_phone],
                            widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}))
    region = RegionChoiceField(label=_("Registered in"), queryset=Region.objects.none(), required=False)


class PasswordResetRequestForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=64,
                               widget=forms.TextInput(attrs={"autocomplete": "username"}))


class SetPasswordForm(_PasswordPair):
    pass


class ChangePasswordForm(_PasswordPair):
    field_order = ["old_password", "password", "password2"]
    old_password = forms.CharField(label=_("Current password"), max_length=256,
                                   widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_old_password(self):
        value = self.cleaned_data["old_password"]
        if not self.user.check_password(value):
            raise ValidationError(_("The current password is incorrect."))
        return value


class TokenCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("What the token is for, e.g. a script's name."))
    days = forms.IntegerField(label=_("Valid for (days)"), min_value=1, max_value=365, initial=90)


class DepartmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return "　" * max(0, obj.path.count("/") - 1) + obj.name


class UserForm(forms.ModelForm):
    """An administrator's edit of an account (the password is set separately)."""

    department = DepartmentChoiceField(label=_("Department"), queryset=Department.objects.order_by("path"),
                                       required=False)
    region = RegionChoiceField(label=_("Region"), queryset=Region.objects.none(), required=False,
                               help_text=_("For officials, the department's region when left empty."))

    class Meta:
        model = User
        fields = ["username", "kind", "real_name", "email", "department", "post", "region", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = _local_regions()
        if self.instance.pk:
            self.fields["username"].disabled = True
            self.fields["kind"].disabled = True


class UserCreateForm(UserForm):
    password = forms.CharField(label=_("Initial password"), max_length=256,
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    class Meta(UserForm.Meta):
        fields = UserForm.Meta.fields

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].initial = UserKind.OFFICIAL


class PermissionChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return permission_label(obj)


class RoleForm(forms.ModelForm):
    permissions = PermissionChoiceField(
        label=_("Permissions"), required=False, widget=forms.CheckboxSelectMultiple,
        queryset=Permission.objects.filter(content_type__app_label__in=[
            "accounts", "orgs", "calendars", "core", "notifications"]).select_related("content_type")
        .order_by("content_type__app_label", "content_type__model", "codename"))

    class Meta:
        model = Role
        fields = ["code", "name", "description", "requires_2fa", "permissions"]


class RoleAssignmentForm(forms.ModelForm):
    region = RegionChoiceField(label=_("Scope region"), queryset=Region.objects.none(), required=False)
    department = DepartmentChoiceField(label=_("Scope department"), queryset=Department.objects.order_by("path"),
                                       required=False)

    class Meta:
        model = RoleAssignment
        fields = ["role", "scope_kind", "region", "department"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = _local_regions()

    def clean(self):
        data = super().clean()
        kind = data.get("scope_kind")
        if kind == "region" and not data.get("region"):
            self.add_error("region", _("Choose the region this role applies to."))
        if kind == "department" and not data.get("department"):
            self.add_error("department", _("Choose the department this role applies to."))
        if kind != "region":
            data["region"] = None
        if kind != "department":
            data["department"] = None
        return data


class AgentForm(forms.Form):
    """An enterprise authorises a registered citizen as its agent (经办人), by name and ID number."""

    real_name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=100)
    id_number = forms.CharField(label=_("ID card number"), max_length=18, validators=[validate_id_number],
                                widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    valid_until = forms.DateField(label=_("Valid until"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}),
                                  help_text=_("Leave empty for an authorisation without end date."))


class VerifyIdentityForm(forms.Form):
    """An identity officer records a real-name verification (实名核验)."""

    method = forms.ChoiceField(label=_("Verification method"),
                               choices=[(VerificationMethod.COUNTER.value, VerificationMethod.COUNTER.label)])
    note = forms.CharField(label=_("Note"), max_length=200, required=False,
                           help_text=_("E.g. the document checked and the service hall."))


class UnverifyIdentityForm(forms.Form):
    note = forms.CharField(label=_("Reason"), max_length=200,
                           help_text=_("Why the verification is withdrawn (recorded in the audit log)."))


# --- applications -----------------------------------------------------------------------------

class ApplicationForm(forms.ModelForm):
    """An application's name and description; its code, department and account stay as created."""

    class Meta:
        model = Application
        fields = ["name", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)


class ApplicationCreateForm(forms.ModelForm):
    code = forms.RegexField(
        label=_("Code"), regex=r"^[a-z0-9][a-z0-9-]+$", min_length=2, max_length=50,
        error_messages={"invalid": _("Use lowercase letters, digits and hyphens, e.g. yt-case-system.")},
        help_text=_("Lowercase letters, digits and hyphens, e.g. yt-case-system. Its service account is "
                    "app.<code>; the code cannot be changed."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    department = DepartmentChoiceField(label=_("Owning department"), queryset=Department.objects.none())

    class Meta:
        model = Application
        fields = ["code", "name", "department", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments_for(user, Application, "add")
