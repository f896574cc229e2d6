from functools import cache

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from dgov.core import audit
from dgov.notifications.models import Channel, OutboxMessage


@cache
def backend():
    return import_string(settings.DGOV_NOTIFICATION_BACKEND)()


def _mask(channel: str, recipient: str) -> str:
    if channel == Channel.SMS and len(recipient) == 11:
        return recipient[:3] + "****" + recipient[-4:]
    if channel == Channel.EMAIL and "@" in recipient:
        local, domain = recipient.split("@", 1)
        return local[:1] + "***@" + domain
    return recipient[:2] + "***"


def notify(*, user, channel: str, recipient: str, subject: str, body: str) -> OutboxMessage:
    """Queue one message and hand it to the delivery backend."""
    with transaction.atomic():
        message = OutboxMessage(user=user, channel=channel, recipient=recipient,
                                recipient_masked=_mask(channel, recipient), subject=str(subject)[:200],
                                body=str(body))
        try:
            backend().deliver(message)
        except Exception as exc:  # a gateway failure must not lose the message: it stays queued
            message.status, message.error = OutboxMessage.Status.FAILED, str(exc)[:200]
        message.save()
        audit.record("notifications.outboxmessage.create", message,
                     changes={"channel": [None, channel], "status": [None, message.status]})
    return message


def mark_read(*, user, message: OutboxMessage) -> None:
    if message.user_id == user.pk and message.read_at is None:
        OutboxMessage.objects.filter(pk=message.pk).update(read_at=timezone.now())
