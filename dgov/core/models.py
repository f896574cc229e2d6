"""Base models every app builds on, and the platform-wide audit log."""

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from dgov.core.permissions import RestrictedQuerySet, ScopeSpec


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class BaseModel(TimeStampedModel):
    """Base for domain models: timestamps, `objects.restrict(user, action)`, and a `scope` saying
    which fields carry the data-scope dimensions."""

    scope: ClassVar[ScopeSpec] = ScopeSpec()
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        abstract = True


class AuditEntry(models.Model):
    """One append-only audit record. `hash` = HMAC-SM3(audit key, prev_hash || canonical entry):
    editing, inserting or deleting a row breaks the chain, and without the key (the system key
    dgov.audit-chain, stored only wrapped by the master key outside the database) the chain cannot
    be recomputed."""

    OUTCOMES = [("success", _("success")), ("denied", _("denied")), ("failed", _("failed"))]

    seq = models.BigIntegerField(_("sequence"), unique=True)
    occurred_at = models.DateTimeField(_("time"), db_index=True)
    actor_id = models.BigIntegerField(_("actor id"), null=True, blank=True, db_index=True)
    actor_username = models.CharField(_("actor"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=80, db_index=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True, db_index=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=OUTCOMES, default="success")
    ip = models.GenericIPAddressField(_("source IP"), null=True, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True, db_index=True)
    source = models.CharField(_("source"), max_length=8, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    # The version of the system key dgov.audit-chain the hash was computed with (keys rotate).
    key_version = models.PositiveIntegerField(default=1, db_default=1)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-seq"]
        default_permissions = ("view",)
        # Purging past retention is an operator's command (`dgov audit purge`), not a UI permission.
        permissions = [("export_auditentry", gettext_noop("Can export audit entries"))]

    objects = RestrictedQuerySet.as_manager()

    def __str__(self):
        return f"#{self.seq} {self.action}"


class AuditAnchor(models.Model):
    """Where verification starts after entries past retention were purged: the last purged
    entry's seq and hash (itself recorded, as the purge, in the chain)."""

    seq = models.BigIntegerField(unique=True)
    hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("audit anchor")
        ordering = ["-seq"]
