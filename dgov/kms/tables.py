from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dgov.core.tables import Column, Table
from dgov.kms.models import Operation


def operation_labels(operations) -> str:
    """A policy's operations by their names in the active language."""
    labels = {value: label for value, label in Operation.choices}
    return "、".join(str(labels.get(op, op)) for op in operations or [])


def _min_encryption(value) -> str:
    return gettext("0 (latest)") if value == 0 else str(value)


class KeyTable(Table):
    default_order = "name"
    columns = [
        Column("name", _("Name"), link=True, order_by="name"),
        Column("type", _("Type"), order_by="type"),
        Column("department.name", _("Owning department"), order_by="department__path"),
        Column("application.name", _("Owning application"), order_by="application__code"),
        Column("enabled", _("Enabled"), order_by="enabled"),
        Column("exportable", _("Exportable")),
        Column("latest_version", _("Latest version"), order_by="latest_version"),
        Column("updated_at", _("Changed"), order_by="updated_at"),
    ]


#: the rows of a key's detail page (no key material: only what the API's key info shows)
KEY_DETAIL_COLUMNS = [
    Column("type", _("Type")),
    Column("department.name", _("Owning department")),
    Column("application", _("Owning application")),
    Column("description", _("Description")),
    Column("enabled", _("Enabled")),
    Column("exportable", _("Exportable")),
    Column("is_system", _("Platform key")),
    Column("latest_version", _("Latest version")),
    Column("min_decryption_version", _("Minimum decryption version")),
    Column("min_encryption_version", _("Minimum encryption version"), display=_min_encryption),
    Column("created_at", _("Created")),
]


class KeyPolicyTable(Table):
    default_order = "key__name"
    columns = [
        Column("key.name", _("Key"), link=True, order_by="key__name"),
        Column("key.type", _("Key type"), order_by="key__type"),
        Column("application", _("Application"), order_by="application__code"),
        Column("operations", _("Operations"), display=operation_labels),
        Column("updated_at", _("Changed"), order_by="updated_at"),
    ]
