from django.utils.translation import gettext_lazy as _

from dgov.core.tables import Column, Table


class FilePackageTable(Table):
    default_order = "-created_at"
    columns = [
        Column("package_id", _("Package id"), link=True, order_by="package_id"),
        Column("entry.code", _("Service code"), order_by="entry__code"),
        Column("entry.name", _("Data resource"), order_by="entry__name"),
        Column("application.code", _("Recipient application"), order_by="application__code"),
        Column("format", _("Format"), order_by="format"),
        Column("rows", _("Rows"), order_by="rows"),
        Column("size", _("Package size (bytes)"), order_by="size"),
        Column("status", _("Status"), order_by="status"),
        Column("created_at", _("Created at"), order_by="created_at"),
        Column("expires_at", _("Expires at"), order_by="expires_at"),
    ]
