"""File exchange (文件交换): a snapshot of a data service delivered as a file package to one consumer
application, encrypted for it (docs/file-exchange.md).

- `FilePackage`: one package, built from a grant (only the grant's items, its row filter, masking as
  the gateway masks): the data file (csv, xlsx or parquet) encrypted with SM4-CBC under a random key,
  that key sealed with the recipient application's SM2 public key, and a manifest signed by the
  platform (`dgov.fileexchange.signing`). The zip lives under `DGOV_FILEEXCHANGE_DIR`.
- `PackageDownload`: every download — by the recipient application (a signed call or its API token)
  or by an official of the consumer department through the page.

Scope: a package has two parties, like the grant it comes from. Viewing and preparing one ("view",
"add") go by either side — the consumer department (the application's) or the provider department
(the entry's); downloading ("download") only by the consumer's side. The big-data centre's scope is
all.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from dgov.core.models import BaseModel
from dgov.core.permissions import ScopeSpec
from dgov.sharing.models import TextJSONEncoder, TwoPartyQuerySet


class Format(models.TextChoices):
    CSV = "csv", _("CSV (UTF-8 with BOM)")
    XLSX = "xlsx", _("Excel workbook (.xlsx)")
    PARQUET = "parquet", _("Apache Parquet")


class PackageStatus(models.TextChoices):
    READY = "ready", _("ready")
    EXPIRED = "expired", _("expired (file removed)")


class PackageQuerySet(TwoPartyQuerySet):
    CONSUMER, PROVIDER = "application__department", "entry__department"
    BOTH_ACTIONS = frozenset({"view", "add"})


class FilePackage(BaseModel):
    package_id = models.CharField(_("package id"), max_length=36, unique=True, editable=False)
    grant = models.ForeignKey("sharing.Grant", models.PROTECT, related_name="file_packages",
                              verbose_name=_("sharing grant"))
    application = models.ForeignKey("accounts.Application", models.PROTECT, related_name="file_packages",
                                    verbose_name=_("recipient application"))
    entry = models.ForeignKey("catalog.CatalogEntry", models.PROTECT, related_name="file_packages",
                              verbose_name=_("data service (catalog entry)"))
    format = models.CharField(_("format"), max_length=8, choices=Format.choices)
    rows = models.PositiveBigIntegerField(_("rows"), default=0)
    columns = models.JSONField(_("columns"), default=list, encoder=TextJSONEncoder)
    size = models.PositiveBigIntegerField(_("package size (bytes)"), default=0)
    data_sm3 = models.CharField(_("SM3 of the data file"), max_length=64)
    ciphertext_sm3 = models.CharField(_("SM3 of the encrypted data file"), max_length=64)
    package_sm3 = models.CharField(_("SM3 of the package"), max_length=64)
    manifest = models.TextField(_("manifest"))
    signing_key_version = models.PositiveIntegerField(_("signing key version"))
    recipient_key_id = models.CharField(_("recipient key id"), max_length=40)
    file_name = models.CharField(_("file"), max_length=200, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=PackageStatus.choices, default=PackageStatus.READY)
    expires_at = models.DateTimeField(_("expires at"))
    created_by = models.ForeignKey("accounts.User", models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name=_("created by"))
    is_demo = models.BooleanField(_("demo data"), default=False)

    scope = ScopeSpec(region="application__department__region", department="application__department")
    objects = PackageQuerySet.as_manager()

    class Meta:
        verbose_name = _("file package")
        verbose_name_plural = _("file packages")
        ordering = ["-created_at", "-pk"]
        default_permissions = ("view", "add")
        permissions = [("download_filepackage", gettext_noop("Can download file packages of the department's "
                                                             "applications"))]
        indexes = [models.Index(fields=["status", "expires_at"], name="fileexchange_pkg_status_exp")]

    def __str__(self):
        return f"{self.entry.code} → {self.application.code} ({self.format})"

    @property
    def is_expired(self) -> bool:
        return self.status == PackageStatus.EXPIRED or self.expires_at <= timezone.now()

    @property
    def download_name(self) -> str:
        return f"{self.entry.code.replace('/', '-')}-{self.package_id[:8]}.zip"


class Channel(models.TextChoices):
    PAGE = "page", _("page (official)")
    API = "api", _("API token")
    SIGNED = "signed", _("signed call (application)")


class PackageDownload(models.Model):
    package = models.ForeignKey(FilePackage, models.CASCADE, related_name="downloads", verbose_name=_("file package"))
    user = models.ForeignKey("accounts.User", models.SET_NULL, null=True, blank=True, related_name="+",
                             verbose_name=_("user"))
    username = models.CharField(_("user name"), max_length=150, blank=True)
    application = models.ForeignKey("accounts.Application", models.SET_NULL, null=True, blank=True, related_name="+",
                                    verbose_name=_("application"))
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    key_id = models.CharField(_("key id"), max_length=40, blank=True)
    ip = models.GenericIPAddressField(_("source IP"), null=True, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    downloaded_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("package download")
        verbose_name_plural = _("package downloads")
        ordering = ["-downloaded_at", "-pk"]
        default_permissions = ()

    def __str__(self):
        return f"{self.package_id} {self.downloaded_at:%Y-%m-%d %H:%M}"
