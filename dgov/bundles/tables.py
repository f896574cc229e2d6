from django.utils.translation import gettext_lazy as _

from dgov.core.tables import Column, Table


class BundleTable(Table):
    default_order = "code"
    columns = [
        Column("code", _("Code"), order_by="code"),
        Column("name", _("Bundle"), link=True, order_by="name"),
        Column("audience", _("For"), order_by="audience"),
        Column("status", _("Status"), order_by="status"),
        Column("description", _("Description")),
    ]
