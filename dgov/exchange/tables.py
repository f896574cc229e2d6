from django.utils.translation import gettext_lazy as _

from dgov.core.tables import Column, Table


class CredentialTable(Table):
    default_order = "application__code"
    columns = [
        Column("key_id", _("Key id"), link=True, order_by="key_id"),
        Column("application.name", _("Consumer application"), order_by="application__code"),
        Column("application.code", _("Application code")),
        Column("algorithm", _("Algorithm"), order_by="algorithm"),
        Column("enabled", _("Enabled"), order_by="enabled"),
        Column("expires_at", _("Expires at"), order_by="expires_at"),
        Column("created_at", _("Created at"), order_by="created_at"),
    ]


class ExchangeLogTable(Table):
    default_order = "-id"
    columns = [
        Column("seq", _("Sequence"), link=True, order_by="seq"),
        Column("occurred_at", _("Time"), order_by="occurred_at"),
        Column("app_code", _("Consumer application"), order_by="app_code"),
        Column("service_code", _("Service code"), order_by="service_code"),
        Column("status", _("Status"), order_by="status"),
        Column("error_code", _("Error code")),
        Column("rows", _("Rows returned"), order_by="rows"),
        Column("latency_ms", _("Latency (ms)"), order_by="latency_ms"),
        Column("request_id", _("Request id")),
    ]


class ExchangeLogExportTable(Table):
    """The spreadsheet export: what the list shows and every field of the entry."""

    default_order = "-id"
    columns = [
        *ExchangeLogTable.columns,
        Column("key_id", _("Key id")),
        Column("grant_id", _("Grant")),
        Column("sharing_request_id", _("Sharing request")),
        Column("purpose", _("Purpose")),
        Column("method", _("Method")),
        Column("path", _("Path")),
        Column("ip", _("Source IP")),
        Column("body_sm3", _("Response body SM3")),
        Column("prev_hash", _("Previous hash")),
        Column("hash", _("Chain hash")),
    ]
