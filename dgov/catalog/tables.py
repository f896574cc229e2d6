from django.utils.translation import gettext_lazy as _

from dgov.catalog.models import CatalogType
from dgov.core.tables import Column, Table

LEVELS = {1: _("class (类)"), 2: _("item (项)"), 3: _("heading (目)"), 4: _("subheading (细目)")}

#: what each version of an entry records (EntryVersion.action), as the history shows it
VERSION_ACTIONS = {
    "create": _("created"), "change": _("changed"), "submit": _("submitted for review"),
    "approve": _("approved"), "reject": _("sent back"), "publish": _("published"),
    "withdraw": _("withdrawn"), "reopen": _("reopened for editing"), "import": _("imported"),
    "map": _("mapped to the provincial catalog"), "unmap": _("provincial mapping removed"),
}


def catalog_type_label(code) -> str:
    return str(dict(CatalogType.choices).get((code or " ")[0], ""))


def _codes(values) -> str:
    return "、".join(values or [])


class CatalogEntryTable(Table):
    """The catalog's list page (and the columns its export starts with)."""

    default_order = "code"
    columns = [
        Column("code", _("Resource code"), link=True, order_by="code"),
        Column("name", _("Resource name"), order_by="name"),
        Column("department.name", _("Provider department"), order_by="department__path"),
        Column("sharing_type", _("Sharing type"), order_by="sharing_type"),
        Column("open_type", _("Open type"), order_by="open_type"),
        Column("update_cycle", _("Update cycle"), order_by="update_cycle"),
        Column("status", _("Status"), order_by="status"),
    ]


class CatalogEntryExportTable(Table):
    """What the list's spreadsheet export holds: the list's columns and the catalog fields behind them."""

    default_order = "code"
    columns = [
        *CatalogEntryTable.columns,
        Column("code", _("Catalog type"), display=catalog_type_label),
        Column("classification", _("Classification")),
        Column("department.code", _("Provider department code")),
        Column("region.name", _("Region")),
        Column("summary", _("Summary")),
        Column("format", _("Format")),
        Column("sharing_conditions", _("Sharing conditions")),
        Column("sharing_method", _("Sharing method")),
        Column("open_conditions", _("Open conditions")),
        Column("published_on", _("Publication date")),
        Column("data_updated_on", _("Data last updated")),
        Column("related_codes", _("Related resource codes"), display=_codes),
        Column("source_system", _("Source system")),
        Column("record_count", _("Record count")),
        Column("version", _("Version")),
    ]


class NegativeListItemTable(Table):
    default_order = "resource_code"
    columns = [
        Column("resource_code", _("Resource code"), link=True, order_by="resource_code"),
        Column("item_name", _("Data item"), order_by="item_name",
               display=lambda name: name or _("(the whole resource)")),
        Column("legal_basis", _("Legal basis")),
        Column("scope_note", _("Scope")),
        Column("updated_at", _("Changed"), order_by="updated_at"),
    ]


class ClassificationTable(Table):
    default_order = "code"
    columns = [
        Column("code", _("Code"), link=True, order_by="code"),
        Column("name", _("Name"), order_by="name"),
        Column("level", _("Level"), order_by="level", display=lambda level: LEVELS.get(level, level)),
        Column("code", _("Catalog type"), display=catalog_type_label),
        Column("parent", _("Parent")),
    ]


class ProvincialEntryTable(Table):
    """The provincial catalog's list page and export."""

    default_order = "code"
    columns = [
        Column("code", _("Provincial resource code"), link=True, order_by="code"),
        Column("name", _("Resource name"), order_by="name"),
        Column("provider", _("Provincial provider department"), order_by="provider"),
        Column("classification_code", _("Classification code"), order_by="classification_code"),
        Column("sharing_type", _("Sharing type"), order_by="sharing_type"),
        Column("update_cycle", _("Update cycle"), order_by="update_cycle"),
        Column("withdrawn", _("Withdrawn"), order_by="withdrawn"),
        Column("summary", _("Summary")),
        Column("last_import", _("Last import")),
    ]


def _best(suggestions) -> str:
    return f"{suggestions[0].provincial.code} {suggestions[0].provincial.name}（{suggestions[0].percent}%）" \
        if suggestions else ""


class UnmappedEntryTable(Table):
    """The export of the alignment report: the entries with no provincial entry and the best
    suggestion for each (rows carry `suggestions`, see the alignment view)."""

    default_order = "code"
    columns = [
        Column("code", _("Resource code")),
        Column("name", _("Resource name")),
        Column("department.name", _("Provider department")),
        Column("department.code", _("Provider department code")),
        Column("status", _("Status")),
        Column("suggestions", _("Best suggestion"), display=_best),
    ]
