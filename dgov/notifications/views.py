from dgov.core import audit
from dgov.core.views import CrudViews, ObjectDetailView
from dgov.notifications.filtersets import OutboxFilterSet
from dgov.notifications.models import OutboxMessage
from dgov.notifications.tables import OutboxTable


class OutboxDetailView(ObjectDetailView):
    """The detail page shows a message's content, which may be personal data: each view of it is
    audited as a read."""

    def get_object(self, action, key):
        message = super().get_object(action, key)
        audit.record_read(message, ["body"], actor=self.request.user)
        return message


class OutboxViews(CrudViews):
    """The local outbox: what the platform sent, to whom (masked). With no SMS or e-mail gateway
    configured, administrators read messages here."""

    model = OutboxMessage
    table = OutboxTable
    filterset = OutboxFilterSet
    queryset = staticmethod(lambda: OutboxMessage.objects.select_related("user"))
    detail_template = "notifications/message_detail.html"
    views = {"detail": OutboxDetailView}
