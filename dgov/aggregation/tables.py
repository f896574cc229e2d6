from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from dgov.aggregation.models import LoadRun
from dgov.core.tables import Column, Table

#: Bootstrap badge of each run status (contrast ≥ 4.5:1)
RUN_BADGES = {LoadRun.Status.RUNNING: "text-bg-info", LoadRun.Status.SUCCEEDED: "text-bg-success",
              LoadRun.Status.FAILED: "text-bg-danger"}


def _tested(value) -> str:
    return "" if value is None else str(_("connected") if value else _("failed"))


class SourceDatabaseTable(Table):
    default_order = "name"
    columns = [
        Column("name", _("Name"), link=True, order_by="name"),
        Column("department.name", _("Department"), order_by="department__path"),
        Column("kind", _("Database type"), order_by="kind"),
        Column("safe_url", _("Connection URL")),
        Column("last_test_ok", _("Last connection test"), display=_tested),
        Column("last_tested_at", _("Tested at"), order_by="last_tested_at"),
    ]


class DatasetTable(Table):
    default_order = "entry__code"
    columns = [
        Column("entry.code", _("Resource code"), link=True, order_by="entry__code"),
        Column("entry.name", _("Resource name"), order_by="entry__name"),
        Column("entry.department.name", _("Provider department"), order_by="entry__department__path"),
        Column("table_name", _("Table name")),
        Column("row_count", _("Rows"), order_by="row_count"),
        Column("last_loaded_at", _("Last loaded"), order_by="last_loaded_at"),
    ]


class SourceMappingTable(Table):
    default_order = "name"
    columns = [
        Column("name", _("Name"), link=True, order_by="name"),
        Column("dataset.entry.name", _("Dataset"), order_by="dataset__entry__code"),
        Column("source.name", _("Source database"), display=lambda v: v or _("uploaded files")),
        Column("source_table", _("Source table")),
        Column("mode", _("Load mode"), order_by="mode"),
        Column("schedule", _("Schedule"), order_by="schedule"),
        Column("next_run_at", _("Next run"), order_by="next_run_at"),
        Column("enabled", _("Enabled")),
    ]


class LoadRunTable(Table):
    default_order = "-started_at"
    columns = [
        Column("started_at", _("Started"), link=True, order_by="started_at"),
        Column("mapping.name", _("Load job"), order_by="mapping__name"),
        Column("dataset.entry.name", _("Dataset")),
        Column("trigger", _("Trigger")),
        Column("status", _("Status"), order_by="status"),
        Column("rows_read", _("Rows read")),
        Column("rows_written", _("Rows written")),
        Column("rows_unchanged", _("Rows unchanged")),
        Column("rows_rejected", _("Rows rejected")),
        Column("rows_deleted", _("Rows marked deleted")),
    ]

    def body(self):
        for obj, cells in zip(self.rows, super().body(), strict=True):
            yield [format_html('<span class="badge {}">{}</span>', RUN_BADGES.get(obj.status, ""), cell)
                   if c.accessor == "status" else cell for c, cell in zip(self.columns, cells, strict=True)]
