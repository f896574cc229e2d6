"""Unified identity: natural persons, legal persons (enterprises and their agents) and officials;
roles that grant actions with a data scope; API tokens; TOTP second factors."""

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import Permission, PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop, pgettext_lazy

from dgov.core.models import BaseModel
from dgov.core.permissions import ALL, DEPARTMENT, OWN, REGION, RestrictedQuerySet, ScopeSpec
from dgov.core.validators import mask_phone
from dgov.crypto.fields import EncryptedTextField, register_blind_index
from dgov.orgs.models import Department, Region


class UserKind(models.TextChoices):
    CITIZEN = "citizen", _("natural person")
    ENTERPRISE = "enterprise", _("legal person")
    OFFICIAL = "official", _("official")
    APPLICATION = "application", _("application")


class UserManager(BaseUserManager.from_queryset(RestrictedQuerySet)):
    use_in_migrations = True

    def create_user(self, username, password=None, **fields):
        user = self.model(username=username, **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, username, password=None, **fields):
        fields.setdefault("kind", UserKind.OFFICIAL)
        return self.create_user(username, password, is_superuser=True, is_staff=True, **fields)


username_validator = RegexValidator(
    r"^[A-Za-z0-9_.@-]{3,64}$",
    _("A username has 3 to 64 characters: letters, digits and _ . @ - only."),
)


class User(AbstractBaseUser, PermissionsMixin):
    username = models.CharField(_("username"), max_length=64, unique=True, validators=[username_validator])
    kind = models.CharField(_("account type"), max_length=12, choices=UserKind.choices)
    real_name = models.CharField(pgettext_lazy("person", "name"), max_length=100, blank=True)
    phone = EncryptedTextField(_("mobile phone"), blank=True)
    phone_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    email = models.EmailField(_("e-mail"), blank=True)
    region = models.ForeignKey(Region, models.PROTECT, null=True, blank=True, related_name="users",
                               verbose_name=_("region"))
    department = models.ForeignKey(Department, models.PROTECT, null=True, blank=True, related_name="users",
                                   verbose_name=_("department"))
    post = models.CharField(_("post"), max_length=100, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("staff"), default=False, editable=False)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    failed_login_count = models.PositiveSmallIntegerField(default=0, editable=False)
    locked_until = models.DateTimeField(null=True, blank=True, editable=False)
    password_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    is_demo = models.BooleanField(_("demo data"), default=False)

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS = ["kind"]
    objects = UserManager()
    scope = ScopeSpec(region="region", department="department", owner="id")
    audit_masked_fields = ("phone", "phone_index", "password", "last_login")

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self):
        return self.username

    @property
    def display_name(self) -> str:
        return self.real_name or self.username

    @property
    def is_official(self) -> bool:
        return self.kind == UserKind.OFFICIAL

    @property
    def is_locked(self) -> bool:
        return self.locked_until is not None and self.locked_until > timezone.now()

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone) if self.phone else ""


class VerificationMethod(models.TextChoices):
    """How an identity was verified (实名核验)."""

    COUNTER = "counter", _("at a service hall counter (documents checked in person)")
    DEMO = "demo", _("demo data")


class IdentityVerification(models.Model):
    """Real-name verification (实名核验) of a citizen's 身份证号 or an enterprise's credit code: until an
    identity officer has checked the documents, what was typed at registration is only a claim, and
    nothing that belongs to the holder of that number (licences) is shown. Changing the number clears it."""

    verified = models.BooleanField(_("identity verified"), default=False)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True, editable=False)
    verified_by = models.ForeignKey("accounts.User", models.SET_NULL, null=True, blank=True, related_name="+",
                                    editable=False, verbose_name=_("verified by"))
    verification_method = models.CharField(_("verification method"), max_length=12, blank=True, editable=False,
                                           choices=VerificationMethod.choices)

    #: the field whose change clears the verification
    identity_field = ""

    class Meta:
        abstract = True

    @classmethod
    def from_db(cls, db, field_names, values, *args, **kwargs):
        instance = super().from_db(db, field_names, values, *args, **kwargs)
        instance._loaded_identity = instance.__dict__.get(cls.identity_field)  # None when deferred
        return instance

    def save(self, *args, **kwargs):
        loaded = getattr(self, "_loaded_identity", None)
        if loaded is not None and loaded != getattr(self, self.identity_field) and self.verified:
            self.clear_verification()
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "verified", "verified_at", "verified_by",
                                           "verification_method"}
        super().save(*args, **kwargs)
        self._loaded_identity = getattr(self, self.identity_field)

    def clear_verification(self) -> None:
        self.verified, self.verified_at, self.verified_by, self.verification_method = False, None, None, ""


class NaturalPerson(IdentityVerification, BaseModel):
    """A citizen's identity. The 身份证号 is stored only encrypted (SM4-GCM) and found through a
    keyed SM3 blind index; its plaintext never reaches the database."""

    user = models.OneToOneField(User, models.CASCADE, related_name="person", verbose_name=_("account"))
    id_number = EncryptedTextField(_("ID card number"))
    id_number_index = models.CharField(max_length=64, unique=True, editable=False)

    identity_field = "id_number"
    scope = ScopeSpec(region="user__region", owner="user_id")
    audit_masked_fields = ("id_number", "id_number_index")

    class Meta:
        verbose_name = _("natural person")
        verbose_name_plural = _("natural persons")
        permissions = [("view_personal_data_naturalperson", gettext_noop("Can view unmasked personal data")),
                       ("verify_naturalperson", gettext_noop("Can verify a natural person's identity"))]

    def __str__(self):
        return self.user.display_name


class Enterprise(IdentityVerification, BaseModel):
    """A legal person with its 统一社会信用代码 (GB 32100). `account` is the enterprise's own
    login; agents act for it within their authorisation."""

    name = models.CharField(_("enterprise name"), max_length=200)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, unique=True)
    legal_representative = models.CharField(_("legal representative"), max_length=100)
    region = models.ForeignKey(Region, models.PROTECT, null=True, blank=True, related_name="enterprises",
                               verbose_name=_("region"))
    account = models.OneToOneField(User, models.PROTECT, related_name="enterprise",
                                   verbose_name=_("enterprise account"))
    is_demo = models.BooleanField(_("demo data"), default=False)

    identity_field = "credit_code"
    scope = ScopeSpec(region="region", owner="account_id")

    class Meta:
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        ordering = ["name"]
        permissions = [("verify_enterprise", gettext_noop("Can verify an enterprise's identity"))]

    def __str__(self):
        return self.name


class Application(BaseModel):
    """A government information system that calls the platform's API on its own behalf (the
    exchange gateway, a county's case system…). Its login is a service account of kind
    "application" with no password: it authenticates only with API tokens an administrator
    issues, and may do only what is granted to it explicitly (e.g. key policies)."""

    code = models.SlugField(_("code"), max_length=50, unique=True,
                            help_text=_("Lowercase letters, digits and hyphens, e.g. yt-case-system."))
    name = models.CharField(_("name"), max_length=100)
    department = models.ForeignKey(Department, models.PROTECT, related_name="applications",
                                   verbose_name=_("owning department"))
    description = models.TextField(_("description"), blank=True)
    account = models.OneToOneField(User, models.PROTECT, related_name="application", editable=False,
                                   verbose_name=_("service account"))
    is_demo = models.BooleanField(_("demo data"), default=False)

    scope = ScopeSpec(region="department__region", department="department")

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["code"]

    def __str__(self):
        return f"{self.name} ({self.code})"


class EnterpriseAgent(BaseModel):
    """A natural person authorised to act for an enterprise (经办人), until revoked or expired."""

    enterprise = models.ForeignKey(Enterprise, models.CASCADE, related_name="agents",
                                   verbose_name=_("enterprise"))
    agent = models.ForeignKey(User, models.CASCADE, related_name="agent_for", verbose_name=_("agent"),
                              limit_choices_to={"kind": UserKind.CITIZEN})
    authorised_by = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name=_("authorised by"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    scope = ScopeSpec(region="enterprise__region", owner="enterprise__account_id")

    class Meta:
        verbose_name = _("enterprise agent")
        verbose_name_plural = _("enterprise agents")
        constraints = [models.UniqueConstraint(fields=["enterprise", "agent"], name="uniq_enterprise_agent")]

    def __str__(self):
        return f"{self.enterprise} / {self.agent}"

    def is_valid(self, today=None) -> bool:
        today = today or timezone.localdate()
        return self.revoked_at is None and (self.valid_until is None or self.valid_until >= today)


class Role(BaseModel):
    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    permissions = models.ManyToManyField(Permission, blank=True, related_name="dgov_roles",
                                         verbose_name=_("permissions"))
    requires_2fa = models.BooleanField(
        _("requires a second factor"), default=False,
        help_text=_("Holders must log in with a one-time code (administrative roles)."))
    is_builtin = models.BooleanField(_("built-in"), default=False, editable=False)

    # Roles are platform-wide definitions: anyone who may view roles sees them all.
    scope = ScopeSpec(shared=True)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["code"]

    def __str__(self):
        return self.name


class ScopeKind(models.TextChoices):
    ALL = ALL, _("all data")
    REGION = REGION, _("a region and everything below it")
    DEPARTMENT = DEPARTMENT, _("a department and its subunits")
    OWN = OWN, _("own records only")


class RoleAssignment(BaseModel):
    user = models.ForeignKey(User, models.CASCADE, related_name="role_assignments", verbose_name=_("user"))
    role = models.ForeignKey(Role, models.CASCADE, related_name="assignments", verbose_name=_("role"))
    scope_kind = models.CharField(_("data scope"), max_length=12, choices=ScopeKind.choices)
    region = models.ForeignKey(Region, models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name=_("scope region"))
    department = models.ForeignKey(Department, models.PROTECT, null=True, blank=True, related_name="+",
                                   verbose_name=_("scope department"))
    granted_by = models.ForeignKey(User, models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name=_("granted by"))

    scope = ScopeSpec(region="user__region", department="user__department")

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            # One grant per user, role and scope target (partial indexes: SQLite has no NULLS NOT DISTINCT).
            models.UniqueConstraint(fields=["user", "role", "scope_kind"], name="uniq_role_assignment_untargeted",
                                    condition=models.Q(region__isnull=True, department__isnull=True)),
            models.UniqueConstraint(fields=["user", "role", "region"], name="uniq_role_assignment_region",
                                    condition=models.Q(region__isnull=False)),
            models.UniqueConstraint(fields=["user", "role", "department"], name="uniq_role_assignment_department",
                                    condition=models.Q(department__isnull=False)),
            models.CheckConstraint(
                condition=(models.Q(scope_kind=REGION, region__isnull=False, department__isnull=True)
                           | models.Q(scope_kind=DEPARTMENT, department__isnull=False, region__isnull=True)
                           | models.Q(scope_kind__in=[ALL, OWN], region__isnull=True, department__isnull=True)),
                name="role_assignment_scope_target",
            ),
        ]

    def __str__(self):
        target = self.region or self.department or self.get_scope_kind_display()
        return f"{self.user} · {self.role} · {target}"


class ApiToken(BaseModel):
    """A bearer token. Only its keyed SM3 digest is stored; the token is shown once."""

    user = models.ForeignKey(User, models.CASCADE, related_name="api_tokens", verbose_name=_("user"))
    name = models.CharField(_("name"), max_length=100, blank=True)
    prefix = models.CharField(_("prefix"), max_length=12, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)

    scope = ScopeSpec(region="user__region", department="user__department", owner="user_id")
    audit_masked_fields = ("digest",)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.prefix}… ({self.user})"

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class TotpDevice(BaseModel):
    """An RFC 6238 authenticator (30 s, 6 digits, SHA-1 as authenticator apps expect). The secret
    is encrypted at rest; `last_step` stops a code from being used twice."""

    user = models.OneToOneField(User, models.CASCADE, related_name="totp", verbose_name=_("user"))
    secret = EncryptedTextField(_("secret"))
    confirmed = models.BooleanField(_("confirmed"), default=False)
    last_step = models.BigIntegerField(default=0, editable=False)

    scope = ScopeSpec(owner="user_id")
    audit_masked_fields = ("secret",)

    class Meta:
        verbose_name = _("authenticator")
        verbose_name_plural = _("authenticators")

    def __str__(self):
        return f"TOTP ({self.user})"


# Rotating a blind-index key re-indexes these columns (dgov.crypto.fields.rebuild_blind_index).
register_blind_index("phone", "accounts.User", "phone", "phone_index")
register_blind_index("id_number", "accounts.NaturalPerson", "id_number", "id_number_index")
