from django.utils.translation import gettext_lazy as _

from dgov.core.tables import Column, Table


class LicenseTypeTable(Table):
    default_order = "code"
    columns = [
        Column("code", _("Type code"), order_by="code"),
        Column("name", _("Name"), link=True, order_by="name"),
        Column("holder_kind", _("Holder"), order_by="holder_kind"),
        Column("defining_department.name", _("Defining department"), order_by="defining_department__path"),
        Column("physical_licence", _("Physical licence it mirrors")),
        Column("validity_months", _("Validity (months)"), display=lambda v: v if v else _("long-term")),
        Column("status", _("Status"), order_by="status"),
    ]


class SealTable(Table):
    default_order = "es_id"
    columns = [
        Column("es_id", _("Seal code (esID)"), order_by="es_id"),
        Column("name", _("Name"), link=True, order_by="name"),
        Column("category", _("Seal category"), order_by="category"),
        Column("department.name", _("Owning department"), order_by="department__path"),
        Column("version", _("Version")),
        Column("valid_from", _("Valid from"), order_by="valid_from"),
        Column("valid_until", _("Valid until"), order_by="valid_until"),
        Column("status", _("Status"), order_by="status"),
    ]


class LicenseTable(Table):
    default_order = "-issued_on"
    columns = [
        Column("license_type.name", _("Licence type"), link=True, order_by="license_type__code"),
        Column("holder_name", _("Holder's name"), order_by="holder_name"),
        Column("holder_code_masked", _("Holder's code")),
        Column("issuer.name", _("Issuing department"), order_by="issuer__path"),
        Column("serial", _("Serial"), order_by="serial"),
        Column("version", _("Version")),
        Column("issued_on", _("Issued on"), order_by="issued_on"),
        Column("valid_until", _("Valid until"), order_by="valid_until", display=lambda v: v or _("long-term")),
        Column("status", _("Status"), order_by="status"),
        Column("source", _("Issued as"), order_by="source"),
        Column("identifier", _("Licence identifier")),
    ]
