from django.utils.translation import gettext_lazy as _

from dgov.core.tables import Column, Table


class RegionTable(Table):
    default_order = "code"
    columns = [
        Column("code", _("Code"), link=True, order_by="code"),
        Column("name", _("Name"), order_by="name"),
        Column("level", _("Level"), order_by="path"),
        Column("parent.name", _("Parent")),
    ]


class DepartmentTable(Table):
    default_order = "path"
    columns = [
        Column("code", _("Code"), order_by="code"),
        Column("name", _("Name"), link=True, order_by="path"),
        Column("short_name", _("Short name")),
        Column("doc_prefix", _("Document-number prefix")),
        Column("kind", _("Kind"), order_by="kind"),
        Column("region.code", _("Region code"), order_by="region__code"),
        Column("region.name", _("Region")),
        Column("parent.code", _("Parent unit code")),
        Column("note", _("Note")),
        Column("is_active", _("Active")),
        Column("credit_code", _("Unified social credit code")),
    ]


class ManagementAreaTable(Table):
    default_order = "code"
    columns = [
        Column("code", _("Code"), link=True, order_by="code"),
        Column("name", _("Name"), order_by="name"),
        Column("region.name", _("Region")),
        Column("townships.all()", _("Administered townships"),
               display=lambda qs: "、".join(r.name for r in qs) if qs is not None else ""),
        Column("note", _("Note")),
    ]
