from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from dgov.core.tables import Column, Table


def _codes(codes) -> str:
    return "、".join(codes or [])


def catalog_badge(state: str):
    """The 编目 badge of a duty's `catalog_state`: flagged, covered, or nothing (retired, unlinked)."""
    if state == "flagged":
        return format_html('<span class="badge text-bg-warning">{}</span>', _("not in the catalog"))
    if state == "linked":
        return format_html('<span class="badge text-bg-success">{}</span>', _("in the catalog"))
    return ""


def _flag_text(flagged: bool) -> str:
    return str(_("not in the catalog")) if flagged else ""


class DataDutyTable(Table):
    """The list page."""

    default_order = "department__path"
    columns = [
        Column("duty", _("Statutory duty"), link=True, order_by="duty"),
        # Second, so that a phone shows the flag without scrolling the table sideways.
        Column("catalog_state", _("Cataloguing"), display=catalog_badge, export=False),
        Column("data_name", _("Data name"), order_by="data_name"),
        Column("department.name", _("Responsible department"), order_by="department__path"),
        Column("update_cycle", _("Update cycle"), order_by="update_cycle"),
        Column("entry_codes()", _("Catalog entries"), display=_codes),
        Column("status", _("Status"), order_by="status"),
    ]


class DataDutyRecordTable(Table):
    """Every field of a duty: the list's spreadsheet export (the flag as text) and the detail page
    (the flag as a badge)."""

    default_order = DataDutyTable.default_order
    columns = [
        *DataDutyTable.columns,
        Column("flagged", _("Not in the catalog"), display=_flag_text),
        Column("department.code", _("Department code")),
        Column("description", _("Description")),
        Column("legal_basis", _("Legal basis")),
        Column("responsible_unit", _("Responsible office")),
        Column("contact", _("Contact")),
        Column("updated_at", _("Changed")),
    ]


class DepartmentSummaryTable(Table):
    """Per department: duties in force, covered by the catalog, flagged (rows from
    `selectors.department_summary`)."""

    columns = [
        Column("name", _("Responsible department")),
        Column("code", _("Department code")),
        Column("total", _("Duties in force")),
        Column("linked", _("In the catalog")),
        Column("unlinked", _("Not in the catalog")),
        Column("coverage", _("Coverage, per cent")),
    ]
