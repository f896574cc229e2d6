from django.utils.translation import gettext_lazy as _

from dgov.core.tables import Column, Table


class OutboxTable(Table):
    default_order = "-created_at"
    columns = [
        Column("created_at", _("Time"), link=True, order_by="created_at"),
        Column("channel", _("Channel"), order_by="channel"),
        Column("recipient_masked", _("Recipient")),
        Column("user.username", _("User")),
        Column("subject", _("Subject")),
        Column("status", _("Status"), order_by="status"),
        Column("sent_at", _("Sent at")),
    ]
