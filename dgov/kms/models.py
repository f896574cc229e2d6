"""Named, typed, versioned keys held for departments and applications (the city's cryptography
service, modelled on Vault's Transit engine), and the policies that let applications use them.

Key material is stored only wrapped: SM4-GCM under a key derived from the master key, which lives
outside the database (file or environment). The database alone decrypts nothing.
"""

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from dgov.accounts.models import Application
from dgov.core.models import BaseModel
from dgov.core.permissions import ScopeSpec
from dgov.orgs.models import Department


class KeyType(models.TextChoices):
    SM4_GCM = "sm4-gcm", _("SM4-GCM (authenticated encryption)")
    SM4_CBC = "sm4-cbc", _("SM4-CBC (for interoperability)")
    SM2 = "sm2", _("SM2 (signatures and public-key encryption)")
    HMAC_SM3 = "hmac-sm3", _("HMAC-SM3 (message authentication)")


class Operation(models.TextChoices):
    ENCRYPT = "encrypt", _("encrypt")
    DECRYPT = "decrypt", _("decrypt")
    REWRAP = "rewrap", _("rewrap")
    DATAKEY = "datakey", _("generate data keys")
    SIGN = "sign", _("sign")
    VERIFY = "verify", _("verify")
    HMAC = "hmac", _("HMAC")
    READ = "read", _("read key information")


#: what each key type can do
TYPE_OPERATIONS = {
    KeyType.SM4_GCM: {"encrypt", "decrypt", "rewrap", "datakey", "read"},
    KeyType.SM4_CBC: {"encrypt", "decrypt", "rewrap", "datakey", "read"},
    KeyType.SM2: {"encrypt", "decrypt", "rewrap", "datakey", "sign", "verify", "read"},
    KeyType.HMAC_SM3: {"hmac", "verify", "read"},
}

key_name_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9._-]{0,62}$",
    _("A key name has 1 to 63 characters: lowercase letters, digits and . _ - (starting with a letter or digit)."),
)


class Key(BaseModel):
    name = models.CharField(_("name"), max_length=63, unique=True, validators=[key_name_validator])
    type = models.CharField(_("type"), max_length=12, choices=KeyType.choices)
    description = models.CharField(_("description"), max_length=200, blank=True)
    department = models.ForeignKey(Department, models.PROTECT, related_name="keys",
                                   verbose_name=_("owning department"))
    application = models.ForeignKey(Application, models.PROTECT, null=True, blank=True, related_name="keys",
                                    verbose_name=_("owning application"))
    enabled = models.BooleanField(_("enabled"), default=True)
    exportable = models.BooleanField(
        _("exportable"), default=False,
        help_text=_("Allows reading the key material out of the service. Decided when the key is created."))
    latest_version = models.PositiveIntegerField(_("latest version"), default=1, editable=False)
    min_decryption_version = models.PositiveIntegerField(
        _("minimum decryption version"), default=1,
        help_text=_("Ciphertexts and signatures of older versions are refused."))
    min_encryption_version = models.PositiveIntegerField(
        _("minimum encryption version"), default=0,
        help_text=_("0: always encrypt with the latest version."))
    is_system = models.BooleanField(_("platform key"), default=False, editable=False)

    scope = ScopeSpec(region="department__region", department="department")

    class Meta:
        verbose_name = _("key")
        verbose_name_plural = _("keys")
        ordering = ["name"]
        permissions = [("use_key", "Can use keys for cryptographic operations"),
                       ("export_key", "Can export exportable keys")]

    def __str__(self):
        return self.name


class KeyVersion(models.Model):
    key = models.ForeignKey(Key, models.CASCADE, related_name="versions", verbose_name=_("key"))
    version = models.PositiveIntegerField(_("version"))
    # base64(nonce || SM4-GCM(material) || tag) under the wrapping key; the associated data binds
    # it to the key's name, type and version, so a row copied elsewhere does not unwrap.
    wrapped_material = models.TextField(editable=False)
    public_key_pem = models.TextField(_("public key"), blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("key version")
        verbose_name_plural = _("key versions")
        ordering = ["key", "version"]
        default_permissions = ()
        constraints = [models.UniqueConstraint(fields=["key", "version"], name="uniq_key_version")]

    def __str__(self):
        return f"{self.key.name} v{self.version}"


class KeyPolicy(BaseModel):
    """Lets one application use one key for the listed operations."""

    key = models.ForeignKey(Key, models.CASCADE, related_name="policies", verbose_name=_("key"))
    application = models.ForeignKey(Application, models.CASCADE, related_name="key_policies",
                                    verbose_name=_("application"))
    operations = models.JSONField(_("operations"), default=list)

    scope = ScopeSpec(region="key__department__region", department="key__department")

    class Meta:
        verbose_name = _("key policy")
        verbose_name_plural = _("key policies")
        ordering = ["key__name", "application__code"]
        constraints = [models.UniqueConstraint(fields=["key", "application"], name="uniq_key_policy")]

    def __str__(self):
        return f"{self.application.code} → {self.key.name}"
