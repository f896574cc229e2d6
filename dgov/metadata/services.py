"""Writes of dgov.metadata: harvesting one location (a source database or the data store) and storing
what changed since the previous harvest, the owners' notification, and mapping a column to a data
element.

A harvest reads first (no application transaction is held while a remote database answers), then
stores everything in one transaction with its audit entry. A harvest that cannot read its location
is kept as failed with a short reason (never the driver's message, which may quote the URL).
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from sqlalchemy import exc as sa_exc

from dgov.aggregation import datastore
from dgov.aggregation.models import Dataset, MaskKind, SourceDatabase
from dgov.aggregation.sources import SourceError, connect
from dgov.core import audit
from dgov.core.errors import PermissionDenied, ValidationError
from dgov.core.permissions import require_in_scope, resolver, scope_q
from dgov.metadata import harvest as reader
from dgov.metadata.models import DATASTORE, Harvest, MetaChange, MetaColumn, MetaTable
from dgov.notifications.models import Channel
from dgov.notifications.services import notify
from dgov.orgs.models import Department
from dgov.standards.selectors import released_element

#: the big-data centre (市大数据中心): owner of the data store and of its tables without a catalog entry
CENTRE_CODE = "360600201"
#: the column attributes whose change is reported as "altered"
TRACKED = ("data_type", "nullable", "max_length", "default", "comment")
#: changes listed in a notification before "and N more"
NOTIFY_LINES = 20


def location_of(source) -> str:
    return f"source-{source.pk}" if source is not None else DATASTORE


def centre() -> Department:
    return Department.objects.get(code=CENTRE_CODE)


def may_harvest_datastore(user) -> bool:
    """The data store holds every department's data: only an all-city scope of `run_harvest` may harvest it."""
    return scope_q(user, Harvest, "run") == Q()


def check_may_harvest(actor, source) -> None:
    if source is None:
        if not may_harvest_datastore(actor):
            raise PermissionDenied(_("Only the big-data centre may harvest the data store."), code="out_of_scope")
        return
    require_in_scope(actor, "run", Harvest(source=source, department=source.department))


def _read(source) -> list[dict]:
    if source is None:
        with datastore.engine().connect() as conn:
            return reader.read(conn, default_schema_only=True, skip=frozenset({reader.DATASTORE_BOOKKEEPING}))
    with connect(source) as conn:
        return reader.read(conn)


def run_harvest(*, actor, source: SourceDatabase | None = None, trigger: str = Harvest.Trigger.MANUAL) -> Harvest:
    """Harvest one location (`source`, or the data store when None). `actor` None: the schedule."""
    if actor is not None:
        check_may_harvest(actor, source)
    department = source.department if source is not None else centre()
    harvest = Harvest.objects.create(source=source, department=department, trigger=trigger, actor=actor,
                                     started_at=timezone.now())
    try:
        tables = _read(source)
    except SourceError as exc:
        return _failed(harvest, str(exc), actor)
    except sa_exc.SQLAlchemyError as exc:
        original = getattr(exc, "orig", None) or exc
        return _failed(harvest, _("the database could not be read (%(error)s)") % {"error": type(original).__name__},
                       actor)
    with transaction.atomic():
        changes = _store(harvest, source, tables)
        harvest.status, harvest.finished_at = Harvest.Status.SUCCEEDED, timezone.now()
        harvest.tables = len(tables)
        harvest.columns = sum(len(t["columns"]) for t in tables)
        harvest.changes = len(changes)
        harvest.save(update_fields=["status", "finished_at", "tables", "columns", "changes"])
        audit.record("metadata.harvest.run", harvest, actor=actor, changes={
            "location": [None, location_of(source)], "status": [None, harvest.status],
            "tables": [None, harvest.tables], "columns": [None, harvest.columns], "changes": [None, harvest.changes]})
        _notify_owners(harvest, changes)
    return harvest


def _failed(harvest: Harvest, reason: str, actor) -> Harvest:
    with transaction.atomic():
        harvest.status, harvest.finished_at, harvest.error = Harvest.Status.FAILED, timezone.now(), reason[:1000]
        harvest.save(update_fields=["status", "finished_at", "error"])
        audit.record("metadata.harvest.run", harvest, actor=actor, outcome="failed", changes={
            "location": [None, location_of(harvest.source)], "status": [None, harvest.status],
            "error": [None, harvest.error]})
    return harvest


def _owners(source, tables: list[dict]) -> dict:
    """(department, dataset, {personal column names}) per table name, for the data store; the source's
    department for a source."""
    if source is not None:
        return {}
    names = [t["name"] for t in tables]
    datasets = {d.table_name: d for d in Dataset.objects.filter(table_name__in=names)
                .select_related("entry__department").prefetch_related("columns")}
    default = centre()
    out = {}
    for name in names:
        dataset = datasets.get(name)
        if dataset is None:
            out[name] = (default, None, set())
        else:
            personal = {c.name for c in dataset.columns.all() if c.mask != MaskKind.NONE}
            out[name] = (dataset.entry.department, dataset, personal)
    return out


def _column_values(info: dict) -> dict:
    return {k: info[k] for k in ("position", "data_type", "type_family", "max_length", "nullable", "default",
                                 "comment", "is_primary_key")}


def _snapshot(values: dict) -> dict:
    return {k: values[k] for k in TRACKED}


def _store(harvest: Harvest, source, tables: list[dict]) -> list[MetaChange]:
    """Save the tables and columns read, and the changes since the previous harvest."""
    now = harvest.started_at
    location = location_of(source)
    owners = _owners(source, tables)
    existing = {(t.schema, t.name): t for t in MetaTable.objects.filter(location=location)
                .prefetch_related("columns__element")}
    changes: list[MetaChange] = []

    def change(table, kind, column="", before=None, after=None):
        changes.append(MetaChange(harvest=harvest, table=table, kind=kind, column=column, before=before,
                                  after=after))

    seen = set()
    for info in tables:
        key = (info["schema"], info["name"])
        seen.add(key)
        department, dataset, personal = owners.get(info["name"], (source.department if source else None, None, set()))
        fields = {"source": source, "dataset": dataset, "department": department, "kind": info["kind"],
                  "comment": info["comment"], "row_count": info["row_count"],
                  "row_count_exact": info["row_count_exact"], "size_bytes": info["size_bytes"],
                  "primary_key": info["primary_key"], "foreign_keys": info["foreign_keys"],
                  "indexes": info["indexes"], "last_harvest": harvest, "harvested_at": now}
        table = existing.get(key)
        if table is None:
            table = MetaTable.objects.create(location=location, schema=info["schema"], name=info["name"], **fields)
            change(table, MetaChange.Kind.TABLE_ADDED,
                   after={"kind": info["kind"], "columns": [c["name"] for c in info["columns"]]})
            MetaColumn.objects.bulk_create([MetaColumn(table=table, name=c["name"], personal=c["name"] in personal,
                                                       **_column_values(c)) for c in info["columns"]])
            continue
        if table.dropped_at is not None:
            change(table, MetaChange.Kind.TABLE_ADDED, before={"dropped_at": table.dropped_at.isoformat()},
                   after={"kind": info["kind"], "columns": [c["name"] for c in info["columns"]]})
        for name, value in fields.items():
            setattr(table, name, value)
        table.dropped_at = None
        table.save()
        _store_columns(table, info["columns"], personal, now, change)
    for key, table in existing.items():
        if key not in seen and table.dropped_at is None:
            table.dropped_at = now
            table.save(update_fields=["dropped_at", "updated_at"])
            MetaColumn.objects.filter(table=table, dropped_at__isnull=True).update(dropped_at=now)
            change(table, MetaChange.Kind.TABLE_DROPPED, before={"columns": [
                c.name for c in table.columns.all() if c.dropped_at is None]})
    MetaChange.objects.bulk_create(changes)
    return changes


def _store_columns(table: MetaTable, columns: list[dict], personal: set, now, change) -> None:
    stored = {c.name: c for c in table.columns.all()}
    new = []
    for info in columns:
        values = _column_values(info)
        col = stored.pop(info["name"], None)
        is_personal = info["name"] in personal
        if col is None:
            new.append(MetaColumn(table=table, name=info["name"], personal=is_personal, **values))
            change(table, MetaChange.Kind.COLUMN_ADDED, info["name"], after=_snapshot(values))
            continue
        if col.dropped_at is not None:
            change(table, MetaChange.Kind.COLUMN_ADDED, info["name"], before={"dropped_at": col.dropped_at.isoformat()},
                   after=_snapshot(values))
        else:
            before = {k: getattr(col, k) for k in TRACKED if getattr(col, k) != values[k]}
            if before:
                change(table, MetaChange.Kind.COLUMN_ALTERED, info["name"], before=before,
                       after={k: values[k] for k in before})
        for name, value in values.items():
            setattr(col, name, value)
        col.personal = is_personal or bool(col.element_id and col.element.personal)
        col.dropped_at = None
        col.save()
    MetaColumn.objects.bulk_create(new)
    for col in stored.values():
        if col.dropped_at is None:
            col.dropped_at = now
            col.save(update_fields=["dropped_at"])
            change(table, MetaChange.Kind.COLUMN_DROPPED, col.name,
                   before=_snapshot({k: getattr(col, k) for k in TRACKED}))


# --- telling the owners ----------------------------------------------------------------------------
def administrators(department: Department) -> list:
    """The active officials holding `catalog_editor` whose scope covers `department`'s harvested tables."""
    stand_in = MetaTable(department=department)
    users = (get_user_model().objects.filter(is_active=True, role_assignments__role__code="catalog_editor")
             .distinct().order_by("username"))
    return [u for u in users if getattr(u, "is_official", False) and resolver().allows(u, "change", stand_in)]


def describe(change: MetaChange) -> str:
    """One line about a change, e.g. "column added: public.people.phone"."""
    where = change.table.qualified_name + (f".{change.column}" if change.column else "")
    line = f"{change.get_kind_display()}: {where}"
    if change.kind == MetaChange.Kind.COLUMN_ALTERED:
        line += " (" + ", ".join(f"{k} {change.before[k]!r} → {change.after[k]!r}" for k in change.before) + ")"
    return line


SUBJECT = gettext_noop("Metadata changes in %(location)s")
BODY = gettext_noop("The metadata harvest of %(location)s on %(when)s found %(count)s change(s) in your "
                    "department's tables:\n%(lines)s")
MORE = gettext_noop("… and %(count)s more")


def _notify_owners(harvest: Harvest, changes: list[MetaChange]) -> int:
    """One in-app message per owning department's administrator, listing that department's changes."""
    by_department: dict[int, list[MetaChange]] = {}
    for c in changes:
        by_department.setdefault(c.table.department_id, []).append(c)
    sent = 0
    with translation.override(settings.LANGUAGE_CODE):
        location = harvest.location_label
        for department_id, items in by_department.items():
            lines = [describe(c) for c in items[:NOTIFY_LINES]]
            if len(items) > NOTIFY_LINES:
                lines.append(_(MORE) % {"count": len(items) - NOTIFY_LINES})
            subject = _(SUBJECT) % {"location": location}
            body = _(BODY) % {"location": location, "count": len(items), "lines": "\n".join(lines),
                              "when": timezone.localtime(harvest.started_at).strftime("%Y-%m-%d %H:%M")}
            for user in administrators(Department.objects.get(pk=department_id)):
                notify(user=user, channel=Channel.IN_APP, recipient=user.username, subject=subject, body=body)
                sent += 1
    return sent


# --- the schedule ----------------------------------------------------------------------------------
def harvest_all(*, trigger: str = Harvest.Trigger.SCHEDULED) -> list[Harvest]:
    """The data store and every registered source database, one harvest each."""
    harvests = [run_harvest(actor=None, source=None, trigger=trigger)]
    for source in SourceDatabase.objects.select_related("department").order_by("pk"):
        harvests.append(run_harvest(actor=None, source=source, trigger=trigger))
    return harvests


# --- mapping a column to a data element ------------------------------------------------------------
def map_column(*, actor, column: MetaColumn, identifier: str | None) -> MetaColumn:
    """Map `column` to the latest released version of the data element `identifier` (None: unmap)."""
    with transaction.atomic():
        column = MetaColumn.objects.select_for_update(of=("self",)).select_related("table", "element").get(
            pk=column.pk)
        require_in_scope(actor, "change", column.table)
        element = None
        if identifier:
            element = released_element(identifier)
            if element is None:
                raise ValidationError(details={"element": [
                    _("No released data element has this identifier.")]})
        before = column.element.identifier if column.element_id else None
        column.element = element
        if element is not None and element.personal:
            column.personal = True
        column.save(update_fields=["element", "personal"])
        audit.record("metadata.metacolumn.change", column.table, actor=actor, changes={
            "column": [None, column.name], "element": [before, element.identifier if element else None]})
    return column
