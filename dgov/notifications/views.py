from dgov.core.views import CrudViews
from dgov.notifications.filtersets import OutboxFilterSet
from dgov.notifications.models import OutboxMessage
from dgov.notifications.tables import OutboxTable


class OutboxViews(CrudViews):
    """The local outbox: what the platform sent, to whom (masked). With no SMS or e-mail gateway
    configured, administrators read messages here."""

    model = OutboxMessage
    table = OutboxTable
    filterset = OutboxFilterSet
    queryset = staticmethod(lambda: OutboxMessage.objects.select_related("user"))
    detail_template = "notifications/message_detail.html"
    # Bodies may hold reset links and other secrets meant for the recipient alone.
    audited_read_fields = ["body"]
