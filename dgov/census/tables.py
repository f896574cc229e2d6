from django.utils.translation import gettext_lazy as _

from dgov.core.tables import Column, Table


def _percent(value) -> str:
    return f"{value:.1f}%" if value is not None else ""


class CampaignTable(Table):
    """The campaign list's export (progress over the assignments the reader may see)."""

    default_order = "-year"
    columns = [
        Column("year", _("Year"), order_by="year"),
        Column("name", _("Name"), link=True, order_by="name"),
        Column("state", _("State"), order_by="state"),
        Column("opens_on", _("Opens on"), order_by="opens_on"),
        Column("due_on", _("Due on"), order_by="due_on"),
        Column("progress.assigned", _("Departments assigned")),
        Column("progress.done", _("Submitted or accepted")),
        Column("progress.overdue", _("Overdue")),
        Column("progress.rate", _("Completion rate"), display=_percent),
    ]


class AssignmentTable(Table):
    """Assignments: the list page, a campaign's progress table and their exports."""

    default_order = "department__code"
    columns = [
        Column("campaign.name", _("Census campaign"), order_by="campaign__year"),
        Column("department.code", _("Department code"), order_by="department__code"),
        Column("department.name", _("Department"), link=True, order_by="department__name"),
        Column("state", _("State"), order_by="state"),
        Column("is_overdue", _("Overdue")),
        Column("entries_before", _("Entries before"), order_by="entries_before"),
        Column("entries_after", _("Entries after"), order_by="entries_after"),
        Column("confirmed", _("Entries confirmed")),
        Column("updated", _("Entries updated")),
        Column("created", _("Entries created")),
        Column("last_upload_at", _("Last upload"), order_by="last_upload_at"),
        Column("submitted_at", _("Submitted at"), order_by="submitted_at"),
        Column("return_reason", _("Reason for return")),
    ]


def _flag(value) -> str:
    return _("overdue") if value else ""


class ProgressTable(Table):
    """A campaign page's departments (the export has every column: AssignmentTable)."""

    default_order = "department__code"
    columns = [
        Column("department.name", _("Department"), link=True, order_by="department__code"),
        Column("state", _("State"), order_by="state"),
        Column("is_overdue", _("Overdue"), display=_flag),
        Column("entries_before", _("Entries before"), order_by="entries_before"),
        Column("entries_after", _("Entries after"), order_by="entries_after"),
        Column("confirmed", _("Entries confirmed")),
        Column("updated", _("Entries updated")),
        Column("created", _("Entries created")),
        Column("last_upload_at", _("Last upload"), order_by="last_upload_at"),
    ]


class UploadTable(Table):
    default_order = "-created_at"
    columns = [
        Column("created_at", _("Time")),
        Column("uploaded_by.display_name", _("Uploaded by")),
        Column("filename", _("File name")),
        Column("dry_run", _("Dry run")),
        Column("ok", _("Passed")),
        Column("unchanged_count", _("Entries confirmed")),
        Column("updated_count", _("Entries updated")),
        Column("created_count", _("Entries created")),
        Column("error_count", _("Errors")),
        Column("digest", _("SM3 digest")),
    ]
