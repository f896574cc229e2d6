from django.utils.translation import gettext_lazy as _

from dgov.core.tables import Column, Table


class ServiceItemTable(Table):
    default_order = "base_code"
    columns = [
        Column("base_code", _("Base code"), order_by="base_code"),
        Column("name", _("Item name"), link=True, order_by="name"),
        Column("item_type", _("Item type"), order_by="item_type"),
        Column("level", _("Defined at"), order_by="level"),
        Column("status", _("Status"), order_by="status"),
    ]


class ImplementationTable(Table):
    default_order = "code"
    columns = [
        Column("code", _("Implementation code"), order_by="code"),
        Column("name", _("Item name"), link=True, order_by="name"),
        Column("item.item_type", _("Item type"), order_by="item__item_type"),
        Column("department.name", _("Implementing department"), order_by="department__path"),
        Column("region.name", _("Region"), order_by="region__code"),
        Column("case_kind", _("Case kind"), order_by="case_kind"),
        Column("promised_limit", _("Promised time limit"), order_by="promised_limit"),
        Column("visits", _("Visits to the site"), order_by="visits"),
        Column("online_apply", _("Online application")),
        Column("status", _("Status"), order_by="status"),
        Column("version", _("Version")),
    ]


class ThemeTable(Table):
    default_order = "audience"
    columns = [
        Column("code", _("Code"), order_by="code"),
        Column("name", _("Theme"), link=True, order_by="name"),
        Column("audience", _("For"), order_by="audience"),
        Column("order", _("Order"), order_by="order"),
        Column("description", _("Description")),
    ]
