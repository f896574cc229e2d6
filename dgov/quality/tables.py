from django.utils.translation import gettext_lazy as _

from dgov.core.tables import Column, Table
from dgov.quality.models import QualityRun

RUN_BADGES = {QualityRun.Status.RUNNING: "text-bg-info", QualityRun.Status.SUCCEEDED: "text-bg-success",
              QualityRun.Status.FAILED: "text-bg-danger"}


class QualityRuleTable(Table):
    default_order = "table__name"
    columns = [
        Column("name", _("Name"), link=True, order_by="name"),
        Column("table.qualified_name", _("Table"), order_by="table__name"),
        Column("table.department.name", _("Department"), order_by="table__department__path"),
        Column("kind", _("Rule type"), order_by="kind"),
        Column("columns", _("Columns"), display=lambda v: ", ".join(v or [])),
        Column("threshold_pct", _("Tolerated failures (%)"), order_by="threshold_pct"),
        Column("weight", _("Weight"), order_by="weight"),
        Column("enabled", _("Enabled"), order_by="enabled"),
    ]
