from django.utils.translation import gettext_lazy as _

from dgov.core.tables import Column, Table


class PeerTable(Table):
    default_order = "code"
    columns = [
        Column("code", _("Node code"), link=True, order_by="code"),
        Column("name", _("Name"), order_by="name"),
        Column("role", _("Role"), order_by="role"),
        Column("base_url", _("Base URL")),
        Column("enabled", _("Enabled"), order_by="enabled"),
        Column("paired_at", _("Paired at"), order_by="paired_at"),
    ]


class SyncRunTable(Table):
    default_order = "-started_at"
    columns = [
        Column("started_at", _("Started"), link=True, order_by="started_at"),
        Column("peer.code", _("Peer node"), order_by="peer__code"),
        Column("feed", _("Feed"), order_by="feed"),
        Column("direction", _("Direction"), order_by="direction"),
        Column("status", _("Status"), order_by="status"),
        Column("batches", _("Batches")),
        Column("rows_applied", _("Changes applied")),
        Column("rows_deleted", _("Deletions applied")),
        Column("from_seq", _("From sequence")),
        Column("to_seq", _("To sequence")),
        Column("error", _("Error")),
    ]


class RemoteEntryTable(Table):
    default_order = "code"
    columns = [
        Column("peer.name", _("Peer node"), order_by="peer__code"),
        Column("code", _("Resource code"), link=True, order_by="code"),
        Column("name", _("Resource name"), order_by="name"),
        Column("department", _("Provider department")),
        Column("sharing_type", _("Sharing type")),
        Column("version", _("Version")),
        Column("withdrawn", _("Withdrawn"), order_by="withdrawn"),
    ]


class SubscriptionTable(Table):
    default_order = "peer__code"
    columns = [
        Column("peer.code", _("Peer node"), link=True, order_by="peer__code"),
        Column("feed", _("Feed"), order_by="feed"),
        Column("kind", _("Kind")),
        Column("checkpoint", _("Checkpoint")),
        Column("lag", _("Lag")),
        Column("last_success_at", _("Last success"), order_by="last_success_at"),
        Column("last_failure_at", _("Last failure"), order_by="last_failure_at"),
        Column("last_error", _("Last error")),
    ]
