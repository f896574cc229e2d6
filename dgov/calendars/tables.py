from django.utils.dateformat import format as format_date
from django.utils.translation import gettext_lazy as _

from dgov.core.tables import Column, Table


class CalendarDayTable(Table):
    default_order = "date"
    columns = [
        Column("date", _("Date"), link=True, order_by="date"),
        Column("date", _("Weekday"), display=lambda d: format_date(d, "D") if d else "", export=False),
        Column("kind", _("Kind"), order_by="kind"),
        Column("festival", _("Festival")),
        Column("note", _("Note")),
    ]
