"""Declarative tables for list pages, shared with export so a list exports what it shows.

    class UserTable(Table):
        columns = [
            Column("username", _("Username"), link=True),
            Column("region.name", _("Region"), order_by="region__code"),
        ]
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.formats import localize
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dgov.core.audit import action_label


@dataclass
class Column:
    accessor: str  # attribute path with dots; a trailing "()" calls it
    header: Any
    link: bool = False  # link the cell to the row's detail page
    order_by: str | None = None  # ORM ordering for sorting by this column; None: not sortable
    display: Callable[[Any], Any] | None = None  # turns the value into what is shown and exported
    export: bool = True

    def value(self, obj):
        value = obj
        for part in self.accessor.split("."):
            if value is None:
                return None
            if part.endswith("()"):
                value = getattr(value, part[:-2])()
                continue
            display = f"get_{part}_display"
            # Choice fields show their label, not the stored code.
            value = getattr(value, display)() if hasattr(value, display) else getattr(value, part, None)
        return self.display(value) if self.display else value

    def text(self, obj) -> str:
        value = self.value(obj)
        if value is None:
            return ""
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        if isinstance(value, datetime.datetime):
            return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if timezone.is_aware(value) \
                else value.strftime("%Y-%m-%d %H:%M")
        if isinstance(value, datetime.date):
            return value.isoformat()
        return str(localize(value))


class Table:
    columns: list[Column] = []
    default_order: str = "pk"

    def __init__(self, rows, *, sort: str | None = None, detail_url: Callable | None = None):
        self.rows = rows
        self.sort = sort
        self.detail_url = detail_url

    @classmethod
    def orderings(cls) -> dict[str, str]:
        return {c.accessor: c.order_by for c in cls.columns if c.order_by}

    @classmethod
    def ordering_for(cls, sort: str | None) -> str:
        """ORM ordering for a `?sort=` value (`col` or `-col`), whitelisted by the columns."""
        if sort:
            desc = sort.startswith("-")
            key = sort.lstrip("-")
            field = cls.orderings().get(key)
            if field:
                return f"-{field}" if desc else field
        return cls.default_order

    def header(self):
        out = []
        for c in self.columns:
            entry = {"label": c.header, "sort": None, "active": None}
            if c.order_by:
                active = self.sort in (c.accessor, f"-{c.accessor}")
                entry["sort"] = f"-{c.accessor}" if self.sort == c.accessor else c.accessor
                entry["active"] = ("descending" if self.sort.startswith("-") else "ascending") if active else None
            out.append(entry)
        return out

    def body(self):
        for obj in self.rows:
            cells = []
            for c in self.columns:
                text = c.text(obj)
                if c.link and self.detail_url:
                    cells.append(format_html('<a href="{}">{}</a>', self.detail_url(obj), text or "—"))
                else:
                    cells.append(text)
            yield cells


def _changes_text(changes) -> str:
    if not changes:
        return ""
    parts = []
    for key, value in changes.items():
        if isinstance(value, list) and len(value) == 2:
            parts.append(f"{key}: {value[0]} → {value[1]}")
        else:
            parts.append(f"{key}: {value}")
    return "; ".join(parts)


class AuditEntryTable(Table):
    default_order = "-seq"
    columns = [
        Column("seq", gettext_lazy("No."), link=True, order_by="seq"),
        Column("occurred_at", gettext_lazy("Time"), order_by="occurred_at"),
        Column("actor_username", gettext_lazy("Actor"), order_by="actor_username"),
        Column("action", gettext_lazy("Event"), display=action_label, export=False),
        Column("action", gettext_lazy("Action"), order_by="action"),
        Column("object_type", gettext_lazy("Object type")),
        Column("object_repr", gettext_lazy("Object")),
        Column("changes", gettext_lazy("Changes"), display=_changes_text),
        Column("outcome", gettext_lazy("Outcome"), order_by="outcome"),
        Column("ip", gettext_lazy("Source IP")),
        Column("request_id", gettext_lazy("Request id")),
        Column("hash", gettext_lazy("Hash"), export=True),
    ]
