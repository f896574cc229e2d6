from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from dgov.core.tables import Column, Table
from dgov.demands.models import State

#: Bootstrap badge of each state (contrast ≥ 4.5:1)
STATE_BADGES = {State.OPEN: "text-bg-secondary", State.MATCHED: "text-bg-info", State.CONFIRMED: "text-bg-primary",
                State.FULFILLED: "text-bg-success", State.REJECTED: "text-bg-dark"}
OVERDUE_BADGE = "text-bg-danger"


def _names(values) -> str:
    return "、".join(values or [])


def _overdue(value) -> str:
    return str(_("overdue")) if value else ""


class DataDemandTable(Table):
    """The list page: the state and the overdue flag as badges."""

    default_order = "-number"
    columns = [
        Column("number", _("Demand number"), link=True, order_by="number"),
        Column("title", _("Data wanted"), order_by="title"),
        Column("department.name", _("Requesting department"), order_by="department__path"),
        Column("provider.name", _("Provider department"), order_by="provider__path"),
        Column("state", _("State"), order_by="state"),
        Column("due_on", _("Reply due on"), order_by="due_on"),
        Column("is_overdue", _("Overdue"), display=_overdue),
    ]

    def body(self):
        badges = {"state": lambda obj, text: format_html('<span class="badge {}">{}</span>',
                                                          STATE_BADGES.get(obj.state, ""), text),
                  "is_overdue": lambda obj, text: format_html('<span class="badge {}">{}</span>', OVERDUE_BADGE, text)
                  if text else ""}
        for obj, cells in zip(self.rows, super().body(), strict=True):
            yield [badges[c.accessor](obj, cell) if c.accessor in badges else cell
                   for c, cell in zip(self.columns, cells, strict=True)]


class DataDemandExportTable(Table):
    """The spreadsheet export: the list's columns and every field of the demand."""

    default_order = "-number"
    columns = [
        *DataDemandTable.columns,
        Column("fields", _("Fields wanted"), display=_names),
        Column("purpose", _("Purpose")),
        Column("legal_basis", _("Legal basis")),
        Column("scenario", _("Usage scenario")),
        Column("sharing_method", _("Expected sharing method")),
        Column("entry.code", _("Matched catalog entry")),
        Column("entry.name", _("Resource name")),
        Column("matched_on", _("Matched on")),
        Column("answer", _("Provider's answer")),
        Column("reason", _("Reason for rejection")),
        Column("fulfilment", _("How it was fulfilled")),
        Column("fulfilled_on", _("Fulfilled on")),
        Column("filed_by.display_name", _("Filed by")),
        Column("created_at", _("Filed at")),
    ]
