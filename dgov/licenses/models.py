"""Electronic licences and e-seals (电子证照与电子印章, issue 9; docs/licenses.md).

- `LicenseType`: the catalogue (证照目录): a type's code (the defining department's credit code and a
  3-digit sequence, GB/T 36902), the departments that issue it, who holds it (a person or an enterprise),
  the physical licence it mirrors, its metadata fields (GB/T 36903: key, label, kind, required, choices),
  its validity rule and its face layout.
- `Seal`: the seal registry (GB/T 38540): one e-seal of a department, its picture, validity, its own SM2
  signing key in the key service, the signer certificate the platform's seal maker issued for that key,
  and the SES_Seal structure the maker signed.
- `MakerCertificate`: the seal maker's self-signed CA certificate, one per version of the platform key
  `dgov.licenses.seal-maker` (the trust anchor verifiers compare by fingerprint).
- `License`: an issued licence: its identifier (GB/T 36904 style), holder (the code encrypted, found
  through a blind index), metadata, validity and status, the sealed PDF (kept in the database: the file
  is the licence, it is small, and it is written in the same transaction as its record) and its SM3.
- `LicenseEvent`: its history (issued, re-issued, revoked, expired, imported) with reasons.
- `LicenseGrant`: a holder lets a department (optionally for one case) pull a licence until a time.
- `LicenseUse`: every pull through a grant, shown to the holder.
- `Verification`: every verification (how, result), without the licence or any personal data.
- `Counter`: the serial numbers per (type, issuer), allocated under a row lock.

Scope: types by their defining department; seals by their owning department; licences by their issuing
department; grants by the department they were given to.
"""

import datetime as dt

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from dgov.core.models import BaseModel
from dgov.core.permissions import RestrictedQuerySet, ScopeSpec, has_permission
from dgov.crypto.fields import EncryptedTextField, register_blind_index

#: the blind-index key the holder's code is indexed under: the one of NaturalPerson.id_number, so a
#: citizen's wallet matches his licences on the index he already has (credit codes are indexed under it too)
HOLDER_INDEX = "id_number"


class HolderKind(models.TextChoices):
    PERSON = "person", _("natural person")
    ENTERPRISE = "enterprise", _("legal person")


class FieldKind(models.TextChoices):
    TEXT = "text", _("text")
    DATE = "date", _("date")
    NUMBER = "number", _("number")
    CHOICE = "choice", _("choice")


class TypeStatus(models.TextChoices):
    ACTIVE = "active", _("in use")
    RETIRED = "retired", _("retired")


class Layout(models.TextChoices):
    A4 = "a4", _("A4 portrait")
    A5_LANDSCAPE = "a5-landscape", _("A5 landscape (card)")


class LicenseTypeQuerySet(RestrictedQuerySet):
    """The catalogue is public information: whoever may view types at all sees every one of them;
    defining and changing them goes by the defining department's scope."""

    def restrict(self, user, action: str = "view"):
        if action == "view":
            return self if has_permission(user, self.model, "view") else self.none()
        return super().restrict(user, action)


class LicenseType(BaseModel):
    code = models.CharField(_("type code"), max_length=21, unique=True, editable=False,
                            help_text=_("The defining department's credit code and a 3-digit sequence (GB/T 36902)."))
    name = models.CharField(_("name"), max_length=100)
    defining_department = models.ForeignKey("orgs.Department", models.PROTECT, related_name="defined_license_types",
                                            verbose_name=_("defining department"))
    issuing_departments = models.ManyToManyField("orgs.Department", related_name="issued_license_types",
                                                 verbose_name=_("issuing departments"))
    holder_kind = models.CharField(_("holder"), max_length=12, choices=HolderKind.choices)
    physical_licence = models.CharField(_("physical licence it mirrors"), max_length=100, blank=True)
    fields = models.JSONField(_("metadata fields"), default=list, blank=True,
                              help_text=_("GB/T 36903: a list of {key, label, kind, required, choices}."))
    validity_months = models.PositiveSmallIntegerField(_("validity (months)"), null=True, blank=True,
                                                       help_text=_("Empty: valid until revoked (长期)."))
    face = models.JSONField(_("face layout"), default=dict, blank=True,
                            help_text=_("{title, subtitle, field_order, layout}"))
    status = models.CharField(_("status"), max_length=10, choices=TypeStatus.choices, default=TypeStatus.ACTIVE)
    is_demo = models.BooleanField(_("demo data"), default=False)

    scope = ScopeSpec(region="defining_department__region", department="defining_department")
    objects = LicenseTypeQuerySet.as_manager()

    class Meta:
        verbose_name = _("licence type")
        verbose_name_plural = _("licence types")
        ordering = ["code"]

    def __str__(self):
        return self.name

    @property
    def title(self) -> str:
        return (self.face or {}).get("title") or self.name

    def field_spec(self, key: str) -> dict | None:
        return next((f for f in self.fields or [] if f.get("key") == key), None)


class SealCategory(models.IntegerChoices):
    """What the seal is for, by the public-security seal type codes (法定名称章 01 … 其他 99). (The type in
    the SES_Seal is GB/T 38540's: 1, an organisation's seal, for every seal here.)"""

    OFFICIAL = 1, _("official seal (法定名称章)")
    FINANCE = 2, _("finance seal (财务专用章)")
    INVOICE = 3, _("invoice seal (发票专用章)")
    CONTRACT = 4, _("contract seal (合同专用章)")
    REPRESENTATIVE = 5, _("legal representative's seal (法定代表人名章)")
    OTHER = 99, _("other special seal (e.g. 证照专用章)")


class SealStatus(models.TextChoices):
    ACTIVE = "active", _("in use")
    REVOKED = "revoked", _("revoked")


class Seal(BaseModel):
    es_id = models.CharField(_("seal code (esID)"), max_length=40, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=100)
    category = models.PositiveSmallIntegerField(_("seal category"), choices=SealCategory.choices,
                                                default=SealCategory.OTHER)
    department = models.ForeignKey("orgs.Department", models.PROTECT, related_name="seals",
                                   verbose_name=_("owning department"))
    image = models.BinaryField(_("seal image (PNG)"), editable=False)
    image_uploaded = models.BooleanField(_("uploaded image"), default=False, editable=False)
    width_mm = models.PositiveSmallIntegerField(_("width (mm)"), default=40)
    height_mm = models.PositiveSmallIntegerField(_("height (mm)"), default=40)
    valid_from = models.DateTimeField(_("valid from"))
    valid_until = models.DateTimeField(_("valid until"))
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    key_name = models.CharField(_("signing key"), max_length=63, editable=False,
                                help_text=_("The seal's SM2 key in the key service."))
    key_version = models.PositiveIntegerField(_("signing key version"), default=1, editable=False)
    certificate = models.BinaryField(_("signer certificate (DER)"), editable=False)
    certificate_serial = models.CharField(_("certificate serial"), max_length=40, editable=False)
    seal_der = models.BinaryField(_("SES_Seal (DER)"), editable=False)
    maker = models.ForeignKey("MakerCertificate", models.PROTECT, related_name="seals", editable=False,
                              verbose_name=_("seal maker certificate"))
    status = models.CharField(_("status"), max_length=10, choices=SealStatus.choices, default=SealStatus.ACTIVE)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)
    revoke_reason = models.CharField(_("reason"), max_length=200, blank=True, editable=False)
    is_demo = models.BooleanField(_("demo data"), default=False)

    scope = ScopeSpec(region="department__region", department="department")
    audit_masked_fields = ("image", "certificate", "seal_der")

    class Meta:
        verbose_name = _("e-seal")
        verbose_name_plural = _("e-seals")
        ordering = ["department__path", "es_id"]
        permissions = [("revoke_seal", gettext_noop("Can revoke e-seals"))]

    def __str__(self):
        return self.name

    def is_usable(self, at: dt.datetime | None = None) -> bool:
        at = at or timezone.now()
        return self.status == SealStatus.ACTIVE and self.valid_from <= at < self.valid_until


class MakerCertificate(models.Model):
    """The seal maker's CA certificate for one version of its key (self-signed)."""

    key_version = models.PositiveIntegerField(_("key version"), unique=True)
    certificate = models.BinaryField(_("certificate (DER)"))
    fingerprint = models.CharField(_("SM3 fingerprint"), max_length=100)
    not_after = models.DateTimeField(_("valid until"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("seal maker certificate")
        verbose_name_plural = _("seal maker certificates")
        ordering = ["-key_version"]
        default_permissions = ()

    def __str__(self):
        return f"seal maker v{self.key_version}"


class LicenseStatus(models.TextChoices):
    VALID = "valid", _("valid")
    CHANGED = "changed", _("changed (re-issued)")
    REVOKED = "revoked", _("revoked")
    EXPIRED = "expired", _("expired")


class Source(models.TextChoices):
    DIRECT = "direct", _("issued by the department")
    CASE = "case", _("result of a case")
    IMPORT = "import", _("imported physical licence")


class License(BaseModel):
    identifier = models.CharField(_("licence identifier"), max_length=100, unique=True, editable=False)
    license_type = models.ForeignKey(LicenseType, models.PROTECT, related_name="licenses",
                                     verbose_name=_("licence type"))
    issuer = models.ForeignKey("orgs.Department", models.PROTECT, related_name="issued_licenses",
                               verbose_name=_("issuing department"))
    serial = models.PositiveIntegerField(_("serial"), editable=False)
    version = models.PositiveSmallIntegerField(_("version"), default=1, editable=False)
    holder_kind = models.CharField(_("holder"), max_length=12, choices=HolderKind.choices)
    holder_code = EncryptedTextField(_("holder's code"),
                                     help_text=_("ID card number (person) or unified social credit code."))
    holder_code_index = models.CharField(max_length=64, db_index=True, editable=False)
    holder_name = models.CharField(_("holder's name"), max_length=200)
    metadata = models.JSONField(_("licence data"), default=dict, blank=True)
    physical_number = models.CharField(_("physical licence number"), max_length=64, blank=True)
    issued_on = models.DateField(_("issued on"))
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=LicenseStatus.choices,
                              default=LicenseStatus.VALID)
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True, editable=False)
    status_index = models.PositiveBigIntegerField(_("status list index"), unique=True, null=True, editable=False)
    pdf = models.BinaryField(_("sealed file (PDF)"), editable=False)
    file_sm3 = models.CharField(_("SM3 of the file"), max_length=64, editable=False)
    seal = models.ForeignKey(Seal, models.PROTECT, related_name="licenses", verbose_name=_("e-seal"))
    signed_at = models.DateTimeField(_("sealed at"), editable=False)
    source = models.CharField(_("issued as"), max_length=8, choices=Source.choices, default=Source.DIRECT)
    case_reference = models.CharField(_("case reference"), max_length=64, blank=True)
    previous = models.OneToOneField("self", models.PROTECT, null=True, blank=True, related_name="next_version",
                                    editable=False, verbose_name=_("previous version"))
    issued_by = models.ForeignKey("accounts.User", models.SET_NULL, null=True, blank=True, related_name="+",
                                  editable=False, verbose_name=_("issued by"))
    is_demo = models.BooleanField(_("demo data"), default=False)

    scope = ScopeSpec(region="issuer__region", department="issuer")
    audit_masked_fields = ("holder_code", "holder_code_index", "pdf", "metadata")

    class Meta:
        verbose_name = _("licence")
        verbose_name_plural = _("licences")
        ordering = ["-issued_on", "-pk"]
        constraints = [models.UniqueConstraint(fields=["license_type", "issuer", "serial", "version"],
                                               name="uniq_license_serial_version")]
        indexes = [models.Index(fields=["status", "valid_until"], name="licenses_status_until")]

    def __str__(self):
        return f"{self.license_type.name} {self.identifier}"

    @property
    def holder_name_masked(self) -> str:
        return mask_holder_name(self.holder_name, self.holder_kind)

    @property
    def holder_code_masked(self) -> str:
        code = self.holder_code or ""
        return code[:4] + "*" * 10 + code[-4:] if len(code) == 18 else "*" * len(code)

    @property
    def download_name(self) -> str:
        return f"{self.license_type.name}-{self.serial:08d}-{self.version:02d}.pdf"


def mask_holder_name(name: str, kind: str) -> str:
    """A person's name with only the family name shown (李*, 欧阳**); an enterprise's name as it is."""
    if kind != HolderKind.PERSON or not name:
        return name
    keep = 2 if len(name) >= 4 else 1
    return name[:keep] + "*" * (len(name) - keep)


class EventKind(models.TextChoices):
    ISSUE = "issue", _("issued")
    IMPORT = "import", _("imported")
    REISSUE = "reissue", _("re-issued (new version)")
    CHANGE = "change", _("replaced by a new version")
    REVOKE = "revoke", _("revoked")
    EXPIRE = "expire", _("expired")


class LicenseEvent(models.Model):
    license = models.ForeignKey(License, models.CASCADE, related_name="events", verbose_name=_("licence"))
    kind = models.CharField(_("event"), max_length=10, choices=EventKind.choices)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    actor = models.ForeignKey("accounts.User", models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("by"))
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("licence event")
        verbose_name_plural = _("licence events")
        ordering = ["at", "pk"]
        default_permissions = ()

    def __str__(self):
        return f"{self.license_id} {self.kind}"

    # what core/_event_history.html shows of an event
    created_at = property(lambda self: self.at)
    text = property(lambda self: self.reason)
    department = None

    def get_action_display(self):
        return self.get_kind_display()


class LicenseGrant(BaseModel):
    license = models.ForeignKey(License, models.CASCADE, related_name="grants", verbose_name=_("licence"))
    department = models.ForeignKey("orgs.Department", models.PROTECT, related_name="license_grants",
                                   verbose_name=_("department"))
    case_reference = models.CharField(_("case reference"), max_length=64, blank=True,
                                      help_text=_("Only for this case (empty: for any of the department's cases)."))
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    valid_from = models.DateTimeField(_("valid from"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey("accounts.User", models.SET_NULL, null=True, related_name="+", editable=False,
                                   verbose_name=_("granted by"))

    scope = ScopeSpec(region="department__region", department="department")

    class Meta:
        verbose_name = _("licence grant")
        verbose_name_plural = _("licence grants")
        ordering = ["-created_at", "-pk"]
        default_permissions = ("view",)
        permissions = [("use_licensegrant", gettext_noop("Can pull licences through the department's grants"))]
        indexes = [models.Index(fields=["license", "department", "expires_at"], name="licenses_grant_lookup")]

    def __str__(self):
        return f"{self.license_id} → {self.department}"

    def is_active(self, at: dt.datetime | None = None) -> bool:
        at = at or timezone.now()
        return self.revoked_at is None and self.valid_from <= at < self.expires_at


class UseAction(models.TextChoices):
    VIEW = "view", _("read the licence data")
    FILE = "file", _("downloaded the licence file")


class LicenseUse(models.Model):
    license = models.ForeignKey(License, models.CASCADE, related_name="uses", verbose_name=_("licence"))
    grant = models.ForeignKey(LicenseGrant, models.SET_NULL, null=True, blank=True, related_name="uses",
                              verbose_name=_("grant"))
    department = models.ForeignKey("orgs.Department", models.PROTECT, related_name="+",
                                   verbose_name=_("department"))
    user = models.ForeignKey("accounts.User", models.SET_NULL, null=True, blank=True, related_name="+",
                             verbose_name=_("user"))
    username = models.CharField(_("user name"), max_length=150, blank=True)
    action = models.CharField(_("use"), max_length=8, choices=UseAction.choices)
    case_reference = models.CharField(_("case reference"), max_length=64, blank=True)
    ip = models.GenericIPAddressField(_("source IP"), null=True, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("licence use")
        verbose_name_plural = _("licence uses")
        ordering = ["-at", "-pk"]
        default_permissions = ()

    def __str__(self):
        return f"{self.license_id} {self.action} {self.at:%Y-%m-%d %H:%M}"


class Method(models.TextChoices):
    FILE = "file", _("file uploaded")
    IDENTIFIER = "identifier", _("identifier entered")
    QR = "qr", _("QR code")


class Verification(models.Model):
    """One verification. Only what statistics need: how, the outcome, the licence's type and issuer
    (never which licence, nor anything about its holder or the verifier)."""

    method = models.CharField(_("method"), max_length=12, choices=Method.choices)
    valid = models.BooleanField(_("valid"))
    status = models.CharField(_("status"), max_length=12, blank=True)
    failed = models.JSONField(_("failed checks"), default=list, blank=True)
    license_type = models.ForeignKey(LicenseType, models.SET_NULL, null=True, blank=True, related_name="+",
                                     verbose_name=_("licence type"))
    issuer = models.ForeignKey("orgs.Department", models.SET_NULL, null=True, blank=True, related_name="+",
                               verbose_name=_("issuing department"))
    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("verification")
        verbose_name_plural = _("verifications")
        ordering = ["-at", "-pk"]
        default_permissions = ("view",)

    def __str__(self):
        return f"{self.method} {self.valid} {self.at:%Y-%m-%d %H:%M}"


class Counter(models.Model):
    """The last number handed out under `key` (e.g. a type and issuer's serials)."""

    key = models.CharField(max_length=100, unique=True)
    value = models.PositiveBigIntegerField(default=0)

    class Meta:
        default_permissions = ()

    def __str__(self):
        return f"{self.key}={self.value}"


# Rotating the blind-index key re-indexes the holders' codes too (dgov.crypto.fields.rebuild_blind_index).
register_blind_index(HOLDER_INDEX, "licenses.License", "holder_code", "holder_code_index")
