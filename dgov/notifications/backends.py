"""Delivery backends. The outbox backend marks a message sent once stored: the outbox itself is
where a local deployment (or a test) reads it. A real SMS or e-mail gateway implements `deliver`."""

from django.utils import timezone


class OutboxBackend:
    name = "outbox"

    def deliver(self, message) -> None:
        message.status = message.Status.SENT
        message.sent_at = timezone.now()
