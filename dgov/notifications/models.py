from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dgov.core.models import BaseModel
from dgov.core.permissions import ScopeSpec
from dgov.crypto.fields import EncryptedTextField


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("e-mail")
    IN_APP = "in_app", _("in-app")


class OutboxMessage(BaseModel):
    """Every message the platform sends, kept as the record of what was sent to whom. With the
    default backend the outbox is the delivery (a local sandbox); a gateway backend delivers from it.
    The recipient address is personal data: encrypted, shown masked."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, null=True, blank=True,
                             related_name="messages", verbose_name=_("user"))
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    recipient = EncryptedTextField(_("recipient"))
    recipient_masked = models.CharField(_("recipient"), max_length=100)
    subject = models.CharField(_("subject"), max_length=200)
    body = EncryptedTextField(_("body"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=200, blank=True)

    scope = ScopeSpec(region="user__region", department="user__department", owner="user_id")
    audit_masked_fields = ("recipient", "body")

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("outbox")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_channel_display()} → {self.recipient_masked}: {self.subject}"
