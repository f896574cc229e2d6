from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from dgov.core.tables import Column, Table
from dgov.sharing.models import GrantStatus, Status

#: Bootstrap badge of each status (contrast ≥ 4.5:1)
STATUS_BADGES = {Status.SUBMITTED: "text-bg-info", Status.PROVIDER_APPROVED: "text-bg-primary",
                 Status.GRANTED: "text-bg-success", Status.REJECTED: "text-bg-dark",
                 Status.WITHDRAWN: "text-bg-secondary"}
GRANT_BADGES = {GrantStatus.ACTIVE: "text-bg-success", GrantStatus.REVOKED: "text-bg-dark",
                GrantStatus.EXPIRED: "text-bg-secondary"}
OVERDUE_BADGE = "text-bg-danger"


def _names(values) -> str:
    return "、".join(values or [])


def _overdue(value) -> str:
    return str(_("overdue")) if value else ""


def _conditions(values) -> str:
    return "；".join(f"{c.get('item')} {c.get('op')} {c.get('value')}" for c in values or [])


class _Badges(Table):
    badges: dict = {}

    def body(self):
        for obj, cells in zip(self.rows, super().body(), strict=True):
            yield [self.badges[c.accessor](obj, cell) if c.accessor in self.badges else cell
                   for c, cell in zip(self.columns, cells, strict=True)]


class SharingRequestTable(_Badges):
    """The list page: the status and the overdue flag as badges."""

    default_order = "-number"
    columns = [
        Column("number", _("Request number"), link=True, order_by="number"),
        Column("entry.name", _("Catalog entry"), order_by="entry__name"),
        Column("department.name", _("Consumer department"), order_by="department__path"),
        Column("application.name", _("Consumer application"), order_by="application__code"),
        Column("provider.name", _("Provider department"), order_by="provider__path"),
        Column("status", _("Status"), order_by="status"),
        Column("due_on", _("Current step due on"), order_by="due_on"),
        Column("is_overdue", _("Overdue"), display=_overdue),
    ]
    badges = {"status": lambda obj, text: format_html('<span class="badge {}">{}</span>',
                                                      STATUS_BADGES.get(obj.status, ""), text),
              "is_overdue": lambda obj, text: format_html('<span class="badge {}">{}</span>', OVERDUE_BADGE, text)
              if text else ""}


class SharingRequestExportTable(Table):
    """The spreadsheet export: the list's columns and every field of the request."""

    default_order = "-number"
    columns = [
        *SharingRequestTable.columns,
        Column("entry.code", _("Resource code")),
        Column("sharing_type", _("Sharing type")),
        Column("items", _("Data items requested"), display=_names),
        Column("purpose", _("Purpose")),
        Column("legal_basis", _("Legal basis")),
        Column("scenario", _("Usage scenario")),
        Column("period_start", _("Use from")),
        Column("period_end", _("Use until")),
        Column("submitted_on", _("Submitted on")),
        Column("provider_due_on", _("Provider's reply due on")),
        Column("provider_decided_at", _("Provider decided at")),
        Column("provider_reason", _("Provider's reason")),
        Column("centre_due_on", _("Big-data centre's reply due on")),
        Column("centre_decided_at", _("Big-data centre decided at")),
        Column("centre_reason", _("Big-data centre's reason")),
        Column("withdraw_reason", _("Reason for withdrawal")),
        Column("approved_items", _("Items approved"), display=_names),
        Column("row_filter", _("Row filter"), display=_conditions),
        Column("daily_quota", _("Calls per day")),
        Column("rate_limit", _("Calls per minute")),
        Column("unmasked_items", _("Items shown unmasked"), display=_names),
        Column("expires_on", _("Grant expires on")),
        Column("submitted_by.display_name", _("Submitted by")),
    ]


class GrantTable(_Badges):
    default_order = "-created_at"
    columns = [
        Column("pk", _("Grant"), link=True, order_by="id"),
        Column("entry.code", _("Service code"), order_by="entry__code"),
        Column("entry.name", _("Catalog entry"), order_by="entry__name"),
        Column("application.name", _("Consumer application"), order_by="application__code"),
        Column("application.department.name", _("Consumer department"), order_by="application__department__path"),
        Column("items", _("Data items"), display=_names),
        Column("expires_at", _("Expires at"), order_by="expires_at"),
        Column("status", _("Status"), order_by="status"),
    ]
    badges = {"status": lambda obj, text: format_html('<span class="badge {}">{}</span>',
                                                      GRANT_BADGES.get(obj.status, ""), text)}


class GrantExportTable(Table):
    default_order = "-created_at"
    columns = [
        *GrantTable.columns,
        Column("entry.department.name", _("Provider department")),
        Column("row_filter", _("Row filter"), display=_conditions),
        Column("valid_from", _("Valid from")),
        Column("daily_quota", _("Calls per day")),
        Column("rate_limit", _("Calls per minute")),
        Column("unmasked_items", _("Items shown unmasked"), display=_names),
        Column("request.number", _("Request number")),
        Column("revoked_reason", _("Reason for revocation")),
        Column("revoked_at", _("Revoked at")),
        Column("created_at", _("Granted at")),
    ]
