"""The data-service gateway's own records: consumer credentials, the nonces and counters shared by
every worker, and the hash-chained exchange log.

- `ConsumerCredential`: how a consumer application signs its calls. SM2: the application holds the
  private key, we keep the public key. HMAC-SM3: we generate the secret, show it once and keep it
  encrypted at rest (`EncryptedTextField`).
- `ExchangeNonce`: the nonces seen within the timestamp window; a unique constraint refuses a
  replay whichever worker sees it (Redis replaces the table when DGOV_REDIS_URL is set).
- `ExchangeCounter`: calls per grant per minute and per day, for the rate limit and the quota.
- `ExchangeLogEntry`: one row per gateway call, sealed into an SM3 chain as it is inserted when the
  sealing lock is free, else inserted unsealed and sealed in order by the next call or `seal` (see
  `dgov.exchange.chain`), so that concurrent calls do not queue on one lock.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from dgov.accounts.models import Application
from dgov.core.models import BaseModel
from dgov.core.permissions import RestrictedQuerySet, ScopeSpec
from dgov.crypto.fields import EncryptedTextField


class Algorithm(models.TextChoices):
    SM2 = "SM2", _("SM2 signature (the application holds the private key)")
    HMAC_SM3 = "HMAC-SM3", _("HMAC-SM3 (a shared secret, shown once)")


class ConsumerCredential(BaseModel):
    application = models.ForeignKey(Application, models.PROTECT, related_name="exchange_credentials",
                                    verbose_name=_("consumer application"))
    key_id = models.CharField(_("key id"), max_length=40, unique=True, editable=False)
    algorithm = models.CharField(_("algorithm"), max_length=8, choices=Algorithm.choices)
    public_key = models.TextField(_("SM2 public key (PEM)"), blank=True)
    secret = EncryptedTextField(_("HMAC-SM3 secret"), blank=True, editable=False)
    enabled = models.BooleanField(_("enabled"), default=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    created_by = models.ForeignKey("accounts.User", models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name=_("created by"))
    is_demo = models.BooleanField(_("demo data"), default=False)

    scope = ScopeSpec(region="application__department__region", department="application__department")
    audit_masked_fields = ("secret",)

    class Meta:
        verbose_name = _("consumer credential")
        verbose_name_plural = _("consumer credentials")
        ordering = ["application__code", "key_id"]

    def __str__(self):
        return self.key_id


class ExchangeNonce(models.Model):
    """A nonce seen within the timestamp window. Older rows are pruned: a request that old is
    refused by its timestamp already."""

    key_id = models.CharField(max_length=40)
    nonce = models.CharField(max_length=64)
    seen_at = models.DateTimeField(db_index=True)

    class Meta:
        default_permissions = ()
        constraints = [models.UniqueConstraint(fields=["key_id", "nonce"], name="exchange_nonce_once")]


class ExchangeCounter(models.Model):
    """Calls counted against a grant in one window: `minute` (the rate limit) or `day` (the quota)."""

    grant_id = models.BigIntegerField()
    window = models.CharField(max_length=6)  # "minute" | "day"
    start = models.DateTimeField(db_index=True)
    calls = models.PositiveIntegerField(default=0)

    class Meta:
        default_permissions = ()
        constraints = [models.UniqueConstraint(fields=["grant_id", "window", "start"], name="exchange_counter_window")]


class ExchangeLogEntry(models.Model):
    """One gateway call. `seq`, `prev_hash` and `hash` are set when the row is sealed into the chain:
    hash = SM3(prev_hash | canonical JSON of the entry), verifiable offline from an export."""

    occurred_at = models.DateTimeField(_("time"), db_index=True)
    request_id = models.CharField(_("request id"), max_length=64, db_index=True)
    application = models.ForeignKey(Application, models.PROTECT, null=True, blank=True, related_name="+",
                                    verbose_name=_("consumer application"))
    app_code = models.CharField(_("application code"), max_length=50, blank=True)
    key_id = models.CharField(_("key id"), max_length=40, blank=True)
    service_code = models.CharField(_("service code"), max_length=20, blank=True, db_index=True)
    grant_id = models.BigIntegerField(_("grant"), null=True, blank=True)
    sharing_request_id = models.BigIntegerField(_("sharing request"), null=True, blank=True)
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    method = models.CharField(_("method"), max_length=8)
    path = models.CharField(_("path"), max_length=200)
    status = models.PositiveSmallIntegerField(_("status"))
    error_code = models.CharField(_("error code"), max_length=40, blank=True)
    rows = models.PositiveIntegerField(_("rows returned"), default=0)
    latency_ms = models.PositiveIntegerField(_("latency (ms)"), default=0)
    body_sm3 = models.CharField(_("response body SM3"), max_length=64)
    ip = models.GenericIPAddressField(_("source IP"), null=True, blank=True)
    seq = models.BigIntegerField(_("sequence"), null=True, blank=True, unique=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, blank=True)
    sealed_at = models.DateTimeField(_("sealed at"), null=True, blank=True)

    scope = ScopeSpec(region="application__department__region", department="application__department")
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("exchange log entry")
        verbose_name_plural = _("exchange log")
        ordering = ["-id"]
        default_permissions = ("view",)
        permissions = [("export_exchangelogentry", gettext_noop("Can export and verify the exchange log"))]
        indexes = [models.Index(fields=["id"], condition=Q(seq__isnull=True), name="exchange_log_unsealed"),
                   models.Index(fields=["application", "occurred_at"], name="exchange_log_app_time")]

    def __str__(self):
        return f"{self.request_id} {self.service_code or self.path}"

