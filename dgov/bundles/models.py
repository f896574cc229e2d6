"""One-thing bundles (一件事一次办, issue 8 point 6; docs/services.md): one form and one set of materials
fanned out into several cases in several departments, with one combined result.

- `Bundle`: a key matter (新生儿出生一件事, 企业开办一件事 …): its code, name, description, audience
  (natural or legal persons), status, and its members.
- `BundleMember`: one implementation the bundle combines, in order (published, applied for online;
  the members may belong to different departments).
- `BundleApplication`: one applicant's application for a bundle: a draft holding the combined form's
  answers (encrypted JSON, like `Case.answers`), then, once submitted, its reference and the state
  derived from its cases (in progress / all approved / partly refused / refused).
- `BundleMaterial`: a material of the combined set provided once for the application (an upload,
  SM4-GCM encrypted with its SM3 digest, or an e-licence named with consent); copied into each member
  case that needs it when the application is submitted.
- `BundleCase`: the link from the application to each case it was fanned out into.

Scope: bundles are platform-wide reference data (`shared`: they combine items of several
departments); an application is its applicant's (owner). Officials see the cases through their own
scope on cases.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop, pgettext_lazy

from dgov.core.models import BaseModel
from dgov.core.permissions import ScopeSpec
from dgov.crypto.fields import EncryptedTextField


class Audience(models.TextChoices):
    PERSON = "person", _("natural persons")
    ENTERPRISE = "enterprise", _("legal persons")


class BundleStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    PUBLISHED = "published", _("published")


class ApplicationState(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("bundle state", "draft")
    IN_PROGRESS = "in_progress", pgettext_lazy("bundle state", "in progress")
    APPROVED = "approved", pgettext_lazy("bundle state", "all approved")
    PARTLY_REFUSED = "partly_refused", pgettext_lazy("bundle state", "partly refused")
    REFUSED = "refused", pgettext_lazy("bundle state", "not approved")


#: the states in which every case of the application is decided (the combined result is out)
DECIDED_STATES = (ApplicationState.APPROVED, ApplicationState.PARTLY_REFUSED, ApplicationState.REFUSED)


class Bundle(BaseModel):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), max_length=2000, blank=True)
    audience = models.CharField(_("for"), max_length=12, choices=Audience.choices, default=Audience.PERSON)
    status = models.CharField(_("status"), max_length=12, choices=BundleStatus.choices, default=BundleStatus.DRAFT)
    implementations = models.ManyToManyField("services.Implementation", through="BundleMember", related_name="bundles",
                                             verbose_name=_("implementations"))
    is_demo = models.BooleanField(_("demo data"), default=False)

    scope = ScopeSpec(shared=True)

    class Meta:
        verbose_name = _("one-thing bundle")
        verbose_name_plural = _("one-thing bundles")
        ordering = ["code"]
        permissions = [("publish_bundle", gettext_noop("Can publish one-thing bundles"))]

    def __str__(self):
        return self.name


class BundleMember(models.Model):
    bundle = models.ForeignKey(Bundle, models.CASCADE, related_name="members", verbose_name=_("bundle"))
    implementation = models.ForeignKey("services.Implementation", models.PROTECT, related_name="bundle_members",
                                       verbose_name=_("implementation"))
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("bundle member")
        verbose_name_plural = _("bundle members")
        ordering = ["bundle", "order", "pk"]
        default_permissions = ()
        constraints = [models.UniqueConstraint(fields=["bundle", "implementation"], name="uniq_bundles_member")]

    def __str__(self):
        return f"{self.bundle_id} {self.implementation_id}"


class BundleApplication(BaseModel):
    bundle = models.ForeignKey(Bundle, models.PROTECT, related_name="applications", verbose_name=_("bundle"))
    reference = models.CharField(_("reference"), max_length=24, unique=True, null=True, blank=True,
                                 help_text=_("Given on submission."))
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="bundle_applications",
                                  verbose_name=_("applicant account"))
    enterprise = models.ForeignKey("accounts.Enterprise", models.PROTECT, null=True, blank=True,
                                   related_name="bundle_applications", verbose_name=_("enterprise"))
    #: the combined form's answers as JSON text, encrypted (they hold personal data)
    answers = EncryptedTextField(_("answers"), blank=True)
    state = models.CharField(_("state"), max_length=16, choices=ApplicationState.choices,
                             default=ApplicationState.DRAFT)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("all decided at"), null=True, blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)

    scope = ScopeSpec(owner="applicant_id")
    audit_masked_fields = ("answers",)

    class Meta:
        verbose_name = _("bundle application")
        verbose_name_plural = _("bundle applications")
        ordering = ["-submitted_at", "-pk"]
        default_permissions = ("view",)

    def __str__(self):
        return f"{self.reference or _('draft')} {self.bundle.name}"


class MaterialKind(models.TextChoices):
    UPLOAD = "upload", _("uploaded file")
    LICENCE = "licence", _("e-licence (licence-free handling)")


class BundleMaterial(models.Model):
    application = models.ForeignKey(BundleApplication, models.CASCADE, related_name="materials",
                                     verbose_name=_("bundle application"))
    #: the combined material's name (`services.combined_materials`): the name of its first member material
    name = models.CharField(_("material"), max_length=200)
    kind = models.CharField(_("provided as"), max_length=8, choices=MaterialKind.choices)
    filename = models.CharField(_("file name"), max_length=200, blank=True)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    size = models.PositiveIntegerField(_("size"), default=0)
    sm3 = models.CharField(_("SM3 digest"), max_length=64, blank=True)
    #: the file, SM4-GCM encrypted (dgov.crypto) — never stored in the clear
    content = models.BinaryField(_("content"), null=True, blank=True, editable=False)
    license_identifier = models.CharField(_("licence identifier"), max_length=80, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("bundle material")
        verbose_name_plural = _("bundle materials")
        ordering = ["application", "pk"]
        default_permissions = ()

    def __str__(self):
        return self.name


class BundleCase(models.Model):
    application = models.ForeignKey(BundleApplication, models.CASCADE, related_name="links",
                                    verbose_name=_("bundle application"))
    case = models.OneToOneField("cases.Case", models.CASCADE, related_name="bundle_link", verbose_name=_("case"))
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("bundle case")
        verbose_name_plural = _("bundle cases")
        ordering = ["application", "order", "pk"]
        default_permissions = ()

    def __str__(self):
        return f"{self.application_id} {self.case_id}"
