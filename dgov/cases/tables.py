"""The officials' case tables: the list of every case in scope (shown and exported), with the state
and the clock as badges."""

from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from dgov.cases.models import State
from dgov.core.tables import Column, Table

#: Bootstrap badge of each state (contrast ≥ 4.5:1)
STATE_BADGES = {
    State.DRAFT: "text-bg-light border", State.SUBMITTED: "text-bg-primary", State.CORRECTION: "text-bg-warning",
    State.ACCEPTED: "text-bg-info", State.IN_REVIEW: "text-bg-info", State.SUSPENDED: "text-bg-secondary",
    State.APPROVED: "text-bg-success", State.REFUSED: "text-bg-dark", State.NOT_ACCEPTED: "text-bg-dark",
    State.DELIVERED: "text-bg-success", State.CLOSED: "text-bg-secondary", State.WITHDRAWN: "text-bg-light border",
}

#: the clock's status (dgov.cases.clock.status) → (badge, label)
CLOCK_BADGES = {
    "ok": ("text-bg-success", _("on time")),
    "yellow": ("text-bg-warning", _("yellow warning")),
    "red": ("text-bg-danger", _("red warning")),
    "overdue": ("text-bg-dark", _("overdue")),
}
#: while these states last the clock runs (or is paused) and its status is shown
CLOCK_STATES = {State.SUBMITTED, State.CORRECTION, State.ACCEPTED, State.IN_REVIEW, State.SUSPENDED}
#: the clock stands still in these states (补正 and the special procedures)
PAUSED_STATES = {State.CORRECTION, State.SUSPENDED}


def clock_of(case, today=None, *, computed: tuple | None = None) -> dict | None:
    """The clock as a page shows it: status, badge, label, remaining working days, paused; None
    when the clock no longer runs (decided, closed, withdrawn, draft). `computed`: the case's
    (status, days left) from `clock.statuses` (a list reads the calendar once for all its rows)."""
    if case.state not in CLOCK_STATES:
        return None
    from dgov.cases import clock

    status, remaining = computed if computed is not None else (clock.status(case, today=today),
                                                              clock.remaining_working_days(case, today=today))
    badge, label = CLOCK_BADGES.get(status, ("text-bg-light border", status))
    return {"status": status, "badge": badge, "label": label, "paused": case.state in PAUSED_STATES,
            "remaining": remaining, "remaining_text": remaining_text(remaining)}


def clocks_of(cases, today=None) -> dict:
    """case id → `clock_of` for many cases, with the calendar read once."""
    from dgov.cases import clock

    cases = list(cases)
    computed = clock.statuses([c for c in cases if c.state in CLOCK_STATES], today)
    return {c.pk: clock_of(c, today, computed=computed.get(c.pk)) for c in cases}


def state_badge(case) -> str:
    return format_html('<span class="badge {}">{}</span>', STATE_BADGES.get(case.state, ""),
                       case.get_state_display())


def clock_badge(case, info: dict | None) -> str:
    if info is None:
        return ""
    if info["paused"]:
        return format_html('<span class="badge text-bg-secondary">{}</span>', _("clock paused"))
    return format_html('<span class="badge {}">{}</span> <span class="small text-nowrap">{}</span>', info["badge"],
                       info["label"], info["remaining_text"])


def remaining_text(days) -> str:
    if days is None:
        return ""
    if days < 0:
        return _("%(days)d working days late") % {"days": -days}
    return _("%(days)d working days left") % {"days": days}


class CaseTable(Table):
    """Every case in scope: the list page and its export."""

    default_order = "-submitted_at"
    columns = [
        Column("reference", _("Reference"), link=True, order_by="reference"),
        Column("title", _("Item"), order_by="title"),
        Column("applicant_name", _("Applicant"), order_by="applicant_name"),
        Column("department.name", _("Implementing department"), order_by="department__path"),
        Column("state", _("State"), order_by="state"),
        Column("submitted_at", _("Submitted at"), order_by="submitted_at"),
        Column("due_on", _("Decision due on"), order_by="due_on"),
        Column("channel", _("Channel"), order_by="channel"),
    ]

    def body(self):
        self.rows = list(self.rows)
        clocks = clocks_of(self.rows)
        for obj, cells in zip(self.rows, super().body(), strict=True):
            out = []
            for column, cell in zip(self.columns, cells, strict=True):
                if column.accessor == "state":
                    cell = state_badge(obj)
                elif column.accessor == "due_on":
                    cell = format_html("{} {}", cell, clock_badge(obj, clocks[obj.pk]))
                out.append(cell)
            yield out


class MessageTemplateTable(Table):
    default_order = "code"
    columns = [
        Column("code", _("Code"), link=True, order_by="code"),
        Column("name", _("Name"), order_by="name"),
        Column("subject", _("Subject")),
        Column("body", _("Body")),
        Column("sms", _("Also by SMS"), order_by="sms"),
        Column("active", _("Active"), order_by="active"),
    ]
