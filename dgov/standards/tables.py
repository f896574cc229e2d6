"""Tables of the standards pages (shared with their exports)."""

from django.utils.translation import gettext_lazy as _

from dgov.core.tables import Column, Table


class CodeSetTable(Table):
    default_order = "code"
    columns = [
        Column("code", _("Code"), link=True, order_by="code"),
        Column("name", _("Name"), order_by="name"),
        Column("standard", _("Standard")),
        Column("version", _("Version")),
        Column("source", _("Source")),
        Column("is_builtin", _("Reference data"), order_by="is_builtin"),
    ]


class DataElementTable(Table):
    default_order = "identifier"
    columns = [
        Column("identifier", _("Identifier"), link=True, order_by="identifier"),
        Column("version", _("Version"), order_by="version"),
        Column("name", _("Chinese name"), order_by="name"),
        Column("data_type", _("Data type")),
        Column("max_length", _("Maximum length")),
        Column("format", _("Format")),
        Column("code_set.code", _("Code set")),
        Column("status", _("Status"), order_by="status"),
        Column("department.name", _("Responsible department")),
        Column("is_builtin", _("Reference data")),
    ]


class DataModelTable(Table):
    default_order = "code"
    columns = [
        Column("code", _("Code"), link=True, order_by="code"),
        Column("name", _("Name"), order_by="name"),
        Column("department.name", _("Department"), order_by="department__code"),
        Column("description", _("Description")),
    ]
