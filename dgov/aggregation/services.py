"""Writes of data aggregation: source databases, datasets and their columns, load jobs, and loads.

Who may do what (besides the permission, each checked in scope inside the transaction):

| write | by |
|---|---|
| source database: save, test, delete | the department's data administrator (`catalog_editor`, its department) |
| dataset: create, change columns | the provider department of the catalog entry (`add`, `change`) |
| load job: save, delete, run, upload a file | the provider department (`change` on the job) |
| scheduled runs | the platform (`run_due`, from `dgov aggregate due`) |

A load reads the source (or the file), checks and converts every row (`datastore.coerce_row`),
writes the good rows into the data store in **one** data-store transaction, and then records the
result. A crash before that commit leaves nothing in the data store and the run `running` (marked
failed by the next run of the job, see `fail_interrupted`); a crash after it leaves data that a rerun
finds unchanged. Rows from a database source that do not fit are rejected one by one with their
reasons and the others loaded; a file upload is all or nothing, like every import on the platform.
"""

import datetime as dt
import os
import re
import socket
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from dgov.aggregation import datastore, sources
from dgov.aggregation.models import (
    COLUMN_NAME_RE,
    REJECTS_KEPT,
    SCHEDULE_HOURS,
    Dataset,
    DatasetColumn,
    LoadMode,
    LoadRun,
    MaskKind,
    Schedule,
    SourceDatabase,
    SourceMapping,
    default_mask,
)
from dgov.catalog.models import CatalogEntry
from dgov.catalog.models import Status as EntryStatus
from dgov.core import audit
from dgov.core.errors import Conflict, ValidationError
from dgov.core.importexport import read_rows
from dgov.core.permissions import require_in_scope

MAX_COLUMNS = 200
#: An incremental load by update time reads again the rows stamped up to this long before the last
#: load's highest stamp: a source transaction that stamped its rows before that load read the table
#: but committed after it (or a writer whose clock lags) would otherwise be missed for good. Rows read
#: again come out unchanged and cost nothing in the data store.
INCREMENTAL_OVERLAP = dt.timedelta(minutes=5)
_TEXT_MOMENT_RE = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}")
#: a run still `running` after this long is taken as dead even when its process cannot be checked
STALE_AFTER = dt.timedelta(hours=24)


def _full_clean(instance, exclude=None) -> None:
    try:
        instance.full_clean(exclude=exclude)
    except DjangoValidationError as exc:
        raise ValidationError.from_django(exc) from None


def _save(instance) -> None:
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError:
        raise Conflict(_("Someone else has just saved a record with the same values. Reload and check."),
                       code="conflict") from None


# --- source databases ---------------------------------------------------------------------------------
SOURCE_FIELDS = ["department", "name", "kind", "url", "description", "is_demo"]


def source_save(*, actor, instance: SourceDatabase) -> SourceDatabase:
    """Create or change a source database. An empty `url` on a change keeps the stored URL (forms
    never show it back)."""
    with transaction.atomic():
        is_new = instance._state.adding
        require_in_scope(actor, "add" if is_new else "change", instance)
        before = None
        if not is_new:
            stored = SourceDatabase.objects.get(pk=instance.pk)
            require_in_scope(actor, "change", stored)
            before = audit.snapshot(stored, SOURCE_FIELDS)
            if not instance.url:
                instance.url = stored.url
        if not instance.url:
            raise ValidationError(details={"url": [_("This field is required.")]})
        sources.check_url(instance.kind, instance.url)
        _full_clean(instance)
        _save(instance)
        changes = audit.created(instance, SOURCE_FIELDS) if is_new else audit.diff(before, instance)
        audit.record(f"aggregation.sourcedatabase.{'create' if is_new else 'change'}", instance,
                     changes=changes, actor=actor)
    return instance


def source_test(*, actor, source: SourceDatabase) -> tuple[bool, str]:
    """Connect to the source; records the outcome on it (and in the audit log)."""
    require_in_scope(actor, "change", source)
    ok, message = sources.test_connection(source)
    with transaction.atomic():
        SourceDatabase.objects.filter(pk=source.pk).update(last_tested_at=timezone.now(), last_test_ok=ok)
        source.last_tested_at, source.last_test_ok = timezone.now(), ok
        audit.record("aggregation.sourcedatabase.test", source, changes={"ok": ok},
                     outcome="success" if ok else "failed", actor=actor)
    return ok, message


def source_delete(*, actor, source: SourceDatabase) -> None:
    with transaction.atomic():
        require_in_scope(actor, "delete", source)
        if source.mappings.exists():
            raise Conflict(_("It cannot be deleted while other records refer to it."), code="protected",
                           details={"referenced_by": [str(SourceMapping._meta.verbose_name_plural)]})
        audit.record("aggregation.sourcedatabase.delete", source, changes=audit.created(source, SOURCE_FIELDS),
                     actor=actor)
        source.delete()


# --- datasets ---------------------------------------------------------------------------------------
def _default_column_name(item, used: set[str]) -> str:
    base = item.data_element.lower() if re.match(COLUMN_NAME_RE, item.data_element.lower() or "") else ""
    name = base or f"item_{item.position}"
    candidate, n = name, 2
    while candidate in used:
        candidate, n = f"{name}_{n}"[:63], n + 1
    return candidate


def _clean_columns(entry: CatalogEntry, columns: list[dict], *, old: dict | None = None) -> list[DatasetColumn]:
    """DatasetColumns for `columns` ([{"name", "item_name", "is_key", "mask"}]), each item of the
    entry at most once, with the item's data type; field errors by position (`columns.<i>.<field>`)."""
    items = {i.name: i for i in entry.items.all()}
    errors: dict[str, list[str]] = {}
    out: list[DatasetColumn] = []
    names: set[str] = set()
    carried: set[str] = set()
    if not columns:
        errors["columns"] = [_("A dataset has at least one column.")]
    if len(columns) > MAX_COLUMNS:
        errors["columns"] = [_("A dataset has at most %(n)d columns.") % {"n": MAX_COLUMNS}]
    for i, spec in enumerate(columns[:MAX_COLUMNS]):
        name = str(spec.get("name") or "").strip()
        item_name = str(spec.get("item_name") or "").strip()
        mask = spec.get("mask") or ""
        item = items.get(item_name)
        if item is None:
            errors[f"columns.{i}.item_name"] = [_("The catalog entry has no data item %(name)s.") % {"name": item_name}]
        elif item_name in carried:
            errors[f"columns.{i}.item_name"] = [_("The data item %(name)s is already carried by another column.")
                                                % {"name": item_name}]
        if not name and item is not None:
            name = _default_column_name(item, names)
        if not re.match(COLUMN_NAME_RE, name):
            errors[f"columns.{i}.name"] = [_("A column name is a lower-case letter followed by at most 62 "
                                             "lower-case letters, digits or underscores.")]
        elif name in names:
            errors[f"columns.{i}.name"] = [_("Two columns have the name %(name)s.") % {"name": name}]
        if mask and mask not in MaskKind.values:
            errors[f"columns.{i}.mask"] = [_("Unknown masking rule.")]
        if item is None or f"columns.{i}.name" in errors:
            continue
        names.add(name)
        carried.add(item_name)
        previous = (old or {}).get(name)
        out.append(DatasetColumn(
            name=name, item_name=item_name,
            data_type=previous.data_type if previous is not None else item.data_type,
            is_key=bool(spec.get("is_key")), position=i + 1,
            mask=mask or (previous.mask if previous is not None else default_mask(item_name, item.personal_data))))
    if out and not any(c.is_key for c in out) and "columns" not in errors:
        errors["columns"] = [_("Choose at least one key column: the key identifies a row across loads.")]
    if errors:
        raise ValidationError(details=errors)
    return out


def dataset_create(*, actor, entry: CatalogEntry, columns: list[dict], is_demo: bool = False) -> Dataset:
    """The data store table for a published catalog entry, with a column per listed data item."""
    with transaction.atomic():
        dataset = Dataset(entry=entry, table_name=Dataset.table_name_for(entry), is_demo=is_demo)
        require_in_scope(actor, "add", dataset)
        if entry.status != EntryStatus.PUBLISHED:
            raise ValidationError(details={"entry": [_("Only a published catalog entry can have a dataset.")]})
        if Dataset.objects.filter(entry=entry).exists():
            raise Conflict(_("This catalog entry already has a dataset."))
        cols = _clean_columns(entry, columns)
        _save(dataset)
        for col in cols:
            col.dataset = dataset
        DatasetColumn.objects.bulk_create(cols)
        audit.record("aggregation.dataset.create", dataset, actor=actor, changes={
            "entry": [None, entry.code], "table_name": [None, dataset.table_name],
            "columns": [None, [_column_summary(c) for c in cols]]})
    datastore.ensure_table(dataset)
    return dataset


def _column_summary(col: DatasetColumn) -> str:
    return f"{col.name}={col.item_name}{'*' if col.is_key else ''}({col.mask})"


def dataset_update(*, actor, dataset: Dataset, columns: list[dict]) -> Dataset:
    """Change a dataset's columns: masks, order, columns added or dropped. Once it holds rows, its
    key columns stay as they are (every stored `_key` depends on them) and a kept column keeps its
    data type."""
    with transaction.atomic():
        dataset = Dataset.objects.select_for_update().select_related("entry").get(pk=dataset.pk)
        require_in_scope(actor, "change", dataset)
        old = {c.name: c for c in dataset.columns.all()}
        cols = _clean_columns(dataset.entry, columns, old=old)
        if dataset.last_seq:
            old_keys = sorted(n for n, c in old.items() if c.is_key)
            new_keys = sorted(c.name for c in cols if c.is_key)
            if old_keys != new_keys:
                raise ValidationError(details={"columns": [
                    _("The dataset holds rows: its key columns (%(keys)s) cannot change.")
                    % {"keys": ", ".join(old_keys)}]})
        before = [_column_summary(c) for c in old.values()]
        dataset.columns.all().delete()
        for col in cols:
            col.dataset = dataset
        DatasetColumn.objects.bulk_create(cols)
        after = [_column_summary(c) for c in cols]
        if before != after:
            audit.record("aggregation.dataset.change", dataset, changes={"columns": [before, after]}, actor=actor)
        # Mappings of dropped columns lose them; their jobs keep working on what is left.
        kept = {c.name for c in cols}
        for mapping in dataset.mappings.all():
            if set(mapping.column_map) - kept:
                mapping.column_map = {k: v for k, v in mapping.column_map.items() if k in kept}
                mapping.save(update_fields=["column_map", "updated_at"])
    datastore.ensure_table(dataset)
    return dataset


def refresh_stats(dataset: Dataset) -> Dataset:
    """Copy the data store's live row count and sequence onto the dataset."""
    live, last = datastore.stats(dataset)
    Dataset.objects.filter(pk=dataset.pk).update(row_count=live, last_seq=last)
    dataset.row_count, dataset.last_seq = live, last
    return dataset


# --- load jobs ---------------------------------------------------------------------------------------
MAPPING_FIELDS = ["name", "dataset", "source", "source_table", "column_map", "mode", "incremental_by",
                  "incremental_column", "schedule", "enabled", "is_demo"]
SOURCE_NAME_RE = re.compile(r"^[^\x00-\x1f\"`]{1,128}$")


def _clean_mapping(actor, mapping: SourceMapping) -> None:
    errors: dict[str, list[str]] = {}
    columns = {c.name: c for c in mapping.dataset.columns.all()}
    column_map = mapping.column_map if isinstance(mapping.column_map, dict) else None
    if column_map is None:
        errors["column_map"] = [_("The column mapping is an object: dataset column → source column.")]
        column_map = {}
    clean = {}
    for col, src in column_map.items():
        src = str(src or "").strip()
        if col not in columns:
            errors.setdefault("column_map", []).append(_("The dataset has no column %(name)s.") % {"name": col})
        elif not src:
            continue
        elif not SOURCE_NAME_RE.match(src):
            errors.setdefault("column_map", []).append(_("%(name)s is not a valid source column name.") % {"name": src})
        else:
            clean[col] = src
    missing = [name for name, c in columns.items() if c.is_key and name not in clean]
    if missing:
        errors.setdefault("column_map", []).append(
            _("Every key column must be mapped: %(names)s.") % {"names": ", ".join(missing)})
    mapping.column_map = clean
    if mapping.source_id is not None:
        if not SourceDatabase.objects.restrict(actor, "view").filter(pk=mapping.source_id).exists():
            errors["source"] = [_("No such source database in your scope.")]
        if not SOURCE_NAME_RE.match(mapping.source_table or ""):
            errors["source_table"] = [_("Name the source table.")]
    else:
        mapping.source_table = ""
        if mapping.schedule != Schedule.MANUAL:
            errors["schedule"] = [_("A job loaded from uploaded files runs when a file is uploaded; it has no "
                                    "schedule.")]
        if mapping.mode == LoadMode.INCREMENTAL:
            mapping.incremental_by, mapping.incremental_column = "", ""
    if mapping.mode == LoadMode.INCREMENTAL and mapping.source_id is not None:
        if not mapping.incremental_by:
            errors["incremental_by"] = [_("Say how increments are found: by an update-time column or an "
                                          "increasing key.")]
        if not SOURCE_NAME_RE.match(mapping.incremental_column or ""):
            errors["incremental_column"] = [_("Name the source column that increments are found by.")]
    elif mapping.mode == LoadMode.FULL:
        mapping.incremental_by, mapping.incremental_column = "", ""
    # A full load marks every row it did not read deleted: beside another job of the same dataset it
    # would delete that job's rows on every run.
    others = SourceMapping.objects.filter(dataset_id=mapping.dataset_id).exclude(pk=mapping.pk)
    if mapping.mode == LoadMode.FULL and others.exists():
        errors.setdefault("mode", []).append(_("A full load replaces all of the dataset's rows, and the dataset "
                                               "has other load jobs: load incrementally, or use one job."))
    elif others.filter(mode=LoadMode.FULL).exists():
        errors.setdefault("dataset", []).append(_("The dataset has a full load job, which replaces all of its "
                                                  "rows: it cannot have another load job."))
    if errors:
        raise ValidationError(details=errors)


def mapping_save(*, actor, instance: SourceMapping) -> SourceMapping:
    with transaction.atomic():
        is_new = instance._state.adding
        require_in_scope(actor, "add" if is_new else "change", instance)
        # Serialises the saves of one dataset's jobs (the rule on full loads in `_clean_mapping`).
        Dataset.objects.select_for_update().filter(pk=instance.dataset_id).first()
        before = None
        if not is_new:
            stored = SourceMapping.objects.get(pk=instance.pk)
            require_in_scope(actor, "change", stored)
            before = audit.snapshot(stored, MAPPING_FIELDS)
            # A changed source, table, column or mode starts the increments afresh.
            if any(getattr(stored, f) != getattr(instance, f) for f in
                   ("source_id", "source_table", "mode", "incremental_by", "incremental_column")):
                instance.watermark = ""
        _clean_mapping(actor, instance)
        if instance.schedule == Schedule.MANUAL or not instance.enabled:
            instance.next_run_at = None
        elif instance.next_run_at is None or (before and before["schedule"] != instance.schedule):
            instance.next_run_at = timezone.now() + dt.timedelta(hours=SCHEDULE_HOURS[instance.schedule])
        _full_clean(instance, exclude=["column_map"])
        _save(instance)
        changes = audit.created(instance, MAPPING_FIELDS) if is_new else audit.diff(before, instance)
        audit.record(f"aggregation.sourcemapping.{'create' if is_new else 'change'}", instance, changes=changes,
                     actor=actor)
    return instance


def mapping_delete(*, actor, mapping: SourceMapping) -> None:
    with transaction.atomic():
        require_in_scope(actor, "delete", mapping)
        audit.record("aggregation.sourcemapping.delete", mapping, changes=audit.created(mapping, MAPPING_FIELDS),
                     actor=actor)
        mapping.delete()


# --- loads ----------------------------------------------------------------------------------------------
def _runner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def _alive(runner: str) -> bool | None:
    """Whether the process that started a run is still alive (None: it ran on another host)."""
    host, _sep, pid = runner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return None
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def fail_interrupted(mapping: SourceMapping | None = None, *, now=None) -> int:
    """Mark runs whose process died (or that ran longer than a day) failed. Their rows never reached
    the data store: a load commits at its end."""
    now = now or timezone.now()
    runs = LoadRun.objects.filter(status=LoadRun.Status.RUNNING)
    if mapping is not None:
        runs = runs.filter(mapping=mapping)
    failed = 0
    for run in runs:
        alive = _alive(run.runner) if run.runner else None
        if alive is False or run.started_at < now - STALE_AFTER:
            with transaction.atomic():
                if LoadRun.objects.filter(pk=run.pk, status=LoadRun.Status.RUNNING).update(
                        status=LoadRun.Status.FAILED, finished_at=now,
                        error=gettext_noop("interrupted: the process running it stopped before it finished")):
                    audit.record("aggregation.loadrun.interrupted", run, outcome="failed", actor=None)
                    failed += 1
    return failed


@dataclass
class _Tally:
    read: int = 0
    rejected: int = 0
    rejects: list = field(default_factory=list)
    keys: set = field(default_factory=set)
    #: keys of rejected rows: not loaded, yet not gone from the source either
    kept: set = field(default_factory=set)
    watermark: object = None

    masked_key: bool = False

    def reject(self, row: int, key: str, reason: str) -> None:
        self.rejected += 1
        if len(self.rejects) < REJECTS_KEPT:
            self.rejects.append({"row": row, "key": mask_key(key) if self.masked_key else key[:100],
                                 "reason": reason[:300]})


def mask_key(key: str) -> str:
    """A row key kept with a run when the key is personal data (an ID number): enough to find the row
    in the source (the first and last four characters), not enough to be the data."""
    if len(key) <= 8:
        return "*" * len(key)
    return key[:4] + "*" * (len(key) - 8) + key[-4:]


def _start(actor, mapping: SourceMapping, trigger: str, file_name: str = "") -> LoadRun:
    """The job's new run, `running`. A job runs once at a time (the constraint
    `uniq_running_load_per_job`): 409 `load_running` while another run of it is going."""
    try:
        with transaction.atomic():
            if actor is not None:
                require_in_scope(actor, "change", mapping)
            run = LoadRun.objects.create(mapping=mapping, dataset=mapping.dataset, mode=mapping.mode,
                                         trigger=trigger, actor=actor, file_name=file_name[:200],
                                         started_at=timezone.now(), watermark_before=mapping.watermark,
                                         runner=_runner())
    except IntegrityError:
        raise Conflict(_("This load job is running already; wait for its run to finish."),
                       code="load_running") from None
    return run


def _finish(run: LoadRun, mapping: SourceMapping, *, written=0, unchanged=0, deleted=0, tally: _Tally,
            error: str = "", watermark: str | None = None) -> LoadRun:
    run.rows_read, run.rows_rejected, run.rejects = tally.read, tally.rejected, tally.rejects
    run.rows_written, run.rows_unchanged, run.rows_deleted = written, unchanged, deleted
    run.finished_at = timezone.now()
    run.status = LoadRun.Status.FAILED if error else LoadRun.Status.SUCCEEDED
    run.error = error[:1000]
    dataset = mapping.dataset
    with transaction.atomic():
        if not error:
            if watermark is not None:
                run.watermark_after = watermark
                SourceMapping.objects.filter(pk=mapping.pk).update(watermark=watermark)
                mapping.watermark = watermark
            live, last = datastore.stats(dataset)
            Dataset.objects.filter(pk=dataset.pk).update(row_count=live, last_seq=last, last_loaded_at=run.finished_at)
            dataset.row_count, dataset.last_seq, dataset.last_loaded_at = live, last, run.finished_at
        run.save()
        audit.record("aggregation.loadrun.run", run, outcome="failed" if error else "success", actor=run.actor,
                     changes={"mapping": mapping.pk, "dataset": dataset.entry.code, "mode": run.mode,
                              "trigger": run.trigger, "read": run.rows_read, "written": written,
                              "unchanged": unchanged, "rejected": run.rows_rejected, "deleted": deleted,
                              **({"error": run.error} if error else {})})
    return run


def _encode_watermark(value) -> str:
    if isinstance(value, dt.datetime):
        return "datetime:" + value.isoformat()
    if isinstance(value, dt.date):
        return "date:" + value.isoformat()
    if isinstance(value, int):
        return f"int:{value}"
    return "str:" + datastore.to_json(value, _natural=True)


def decode_watermark(text: str):
    if not text:
        return None
    kind, _sep, value = text.partition(":")
    if kind == "datetime":
        return dt.datetime.fromisoformat(value)
    if kind == "date":
        return dt.date.fromisoformat(value)
    if kind == "int":
        return int(value)
    return value


def _overlap(since):
    """The lower bound an update-time load reads from: `since` less INCREMENTAL_OVERLAP. Text stamps
    (SQLite) are moved back as text, written with a space, which sorts before a "T" of the same day:
    the bound never rises above any stamp it should include."""
    if isinstance(since, dt.datetime):
        return since - INCREMENTAL_OVERLAP
    if isinstance(since, dt.date):
        return since - dt.timedelta(days=1)
    if isinstance(since, str) and _TEXT_MOMENT_RE.match(since):
        moment = dt.datetime.fromisoformat(since[:19].replace("T", " ")) if len(since) >= 19 else None
        if moment is not None:
            return (moment - INCREMENTAL_OVERLAP).isoformat(sep=" ")
    return since


def _later(old: str, seen) -> str:
    """The new watermark: the highest value read, never below the old one (a load that reads again
    the overlap may see nothing newer)."""
    if seen is None:
        return old
    new = _encode_watermark(seen)
    try:
        before = decode_watermark(old)
        if before is not None and before > seen:
            return old
    except (TypeError, ValueError):
        pass  # the column's type changed: the new value stands
    return new


def _check_rows(mapping: SourceMapping, columns: list, rows, tally: _Tally, *, track_watermark: bool,
                source_columns: list[str] | None = None):
    """Yield the coerced rows of `rows` ((number, source row)), rejecting those that do not fit or
    repeat a key. A source row is a dict by source column, and the rows come out as dicts with
    `_key` (`datastore.coerce_row`); or, with `source_columns`, a tuple of those columns' values, and
    they come out as `(_key, value, …)` (`datastore.tuple_coercer`, what `datastore.load` takes)."""
    col_map = mapping.column_map
    inc_col = mapping.incremental_column if track_watermark else ""
    # Converters chosen once for the columns, reading the source row by its column names or positions
    # (no dict of the dataset's names per row).
    if source_columns is not None:
        index = {name: i for i, name in enumerate(source_columns)}
        convert = datastore.tuple_coercer(columns, {col: index[src] for col, src in col_map.items()})

        def source_value(source_row, name):
            return source_row[index[name]] if name in index else None
    else:
        convert = datastore.row_coercer(columns, col_map)

        def source_value(source_row, name):
            return source_row.get(name)
    inc_index = index[inc_col] if inc_col and source_columns is not None else None
    keys = tally.keys
    for number, source_row in rows:
        tally.read += 1
        if inc_col:
            value = source_row[inc_index] if inc_index is not None else source_row.get(inc_col)
            if value is not None and (tally.watermark is None or value > tally.watermark):
                tally.watermark = value
        try:
            values = convert(source_row)
        except datastore.RowError as exc:
            row = {col: source_value(source_row, src) for col, src in col_map.items()}
            try:
                key = datastore.row_key({c.name: row.get(c.name) for c in columns if c.is_key},
                                        [c.name for c in columns if c.is_key])
                keys.add(key)  # a bad row of a known key is not "gone from the source"
                tally.kept.add(key)
            except datastore.RowError:
                key = ""
            tally.reject(number, key, str(exc))
            continue
        key = values[0] if source_columns is not None else values["_key"]
        if key in keys:
            tally.reject(number, key, _("the key repeats an earlier row"))
            continue
        keys.add(key)
        yield values


def run_load(*, actor, mapping: SourceMapping, trigger: str = LoadRun.Trigger.MANUAL) -> LoadRun:
    """Load a database job now (see the module docstring). Returns the finished run."""
    if mapping.is_file:
        raise ValidationError(details={"mapping": [_("This job is loaded by uploading a file.")]})
    if not mapping.enabled and trigger == LoadRun.Trigger.SCHEDULE:
        raise Conflict(_("This load job is disabled."))
    fail_interrupted(mapping)
    mapping = SourceMapping.objects.select_related("dataset__entry", "source").get(pk=mapping.pk)
    run = _start(actor, mapping, trigger)
    columns = list(mapping.dataset.columns.all())
    tally = _Tally(masked_key=any(c.is_key and c.mask != MaskKind.NONE for c in columns))
    incremental = mapping.mode == LoadMode.INCREMENTAL
    since = decode_watermark(mapping.watermark) if incremental else None
    by_key = incremental and mapping.incremental_by == SourceMapping.IncrementalBy.KEY
    if incremental and not by_key:
        since = _overlap(since)
    source_cols = sorted(set(mapping.column_map.values()) | ({mapping.incremental_column} if incremental else set()))
    try:
        with sources.connect(mapping.source) as conn:
            available = {c["name"] for c in _source_columns(conn, mapping.source_table)}
            missing = [c for c in source_cols if c not in available]
            if missing:
                raise sources.SourceError(_("the source table has no column %(names)s") % {"names": ", ".join(missing)})
            rows = sources.read_tuples(conn, mapping.source_table, source_cols,
                                       since_column=mapping.incremental_column if incremental else "", since=since,
                                       strict=by_key, order_by=mapping.incremental_column if incremental else "")
            numbered = enumerate(rows, start=1)
            checked = _check_rows(mapping, columns, numbered, tally, track_watermark=incremental,
                                  source_columns=source_cols)
            with datastore.transaction() as ds:
                datastore.ensure_table(mapping.dataset, conn=ds)
                # A job's rows have one key each (`_check_rows` rejects repeats): an empty dataset is
                # written by COPY straight into its table.
                result = datastore.load(mapping.dataset, checked, conn=ds)
                # the rows just upserted are kept without being sent again, and so are the keys of
                # rows rejected
                deleted = 0 if incremental else datastore.mark_deleted(mapping.dataset, tally.kept, conn=ds,
                                                                       upserted=True)
    except sources.SourceError as exc:
        return _finish(run, mapping, tally=tally, error=str(exc))
    except Exception as exc:  # noqa: BLE001  (the run records the failure; the traceback goes to the log)
        import logging

        logging.getLogger("dgov.aggregation").exception("load run %s failed", run.pk)
        return _finish(run, mapping, tally=tally,
                       error=_("the load failed (%(error)s)") % {"error": type(exc).__name__})
    watermark = _later(mapping.watermark, tally.watermark) if incremental else None
    return _finish(run, mapping, written=result.written, unchanged=result.unchanged, deleted=deleted, tally=tally,
                   watermark=watermark)


def _source_columns(conn, table_name: str) -> list[dict]:
    import sqlalchemy as sa

    try:
        return sa.inspect(conn).get_columns(table_name)
    except Exception:  # noqa: BLE001  (any driver's "no such table")
        raise sources.SourceError(_("the source has no table %(name)s") % {"name": table_name}) from None


def load_file(*, actor, mapping: SourceMapping, name: str, data: bytes) -> LoadRun:
    """Load an uploaded .xlsx or .csv (first row: headers, as in the job's column mapping) into a file
    job. All or nothing: a file with any rejected row writes nothing and the run lists the rows."""
    if not mapping.is_file:
        raise ValidationError(details={"file": [_("This job loads from a source database, not from files.")]})
    fail_interrupted(mapping)
    mapping = SourceMapping.objects.select_related("dataset__entry").get(pk=mapping.pk)
    rows = read_rows(name, data)  # ImportFileError (a 422) for an unreadable or oversized file
    run = _start(actor, mapping, LoadRun.Trigger.UPLOAD, file_name=name)
    columns = list(mapping.dataset.columns.all())
    tally = _Tally(masked_key=any(c.is_key and c.mask != MaskKind.NONE for c in columns))
    if not rows:
        return _finish(run, mapping, tally=tally, error=_("the file is empty"))
    (_n, header), body = rows[0], rows[1:]
    header = [h.strip() for h in header]
    missing = [src for src in mapping.column_map.values() if src not in header]
    if missing:
        return _finish(run, mapping, tally=tally,
                       error=_("the file has no column %(names)s") % {"names": ", ".join(missing)})
    index = {h: i for i, h in enumerate(header)}
    numbered = ((number, {h: (cells[i] if i < len(cells) else "") for h, i in index.items()}) for number, cells in body)
    good = list(_check_rows(mapping, columns, numbered, tally, track_watermark=False))
    if tally.rejected:
        return _finish(run, mapping, tally=tally,
                       error=ngettext("%(n)d row does not fit; nothing was loaded",
                                      "%(n)d rows do not fit; nothing was loaded", tally.rejected)
                       % {"n": tally.rejected})
    try:
        with datastore.transaction() as ds:
            datastore.ensure_table(mapping.dataset, conn=ds)
            result = datastore.upsert(mapping.dataset, good, conn=ds, unique=True)
            deleted = datastore.mark_deleted(mapping.dataset, (), conn=ds, upserted=True) \
                if mapping.mode == LoadMode.FULL else 0
    except Exception as exc:  # noqa: BLE001
        import logging

        logging.getLogger("dgov.aggregation").exception("load run %s failed", run.pk)
        return _finish(run, mapping, tally=tally,
                       error=_("the load failed (%(error)s)") % {"error": type(exc).__name__})
    return _finish(run, mapping, written=result.written, unchanged=result.unchanged, deleted=deleted, tally=tally)


def run_due(*, now=None) -> list[LoadRun]:
    """Run every enabled scheduled job whose time has come (the deployment runs `dgov aggregate due`
    every few minutes). Each job is claimed by moving its next run forward first, so two schedulers
    never run it twice."""
    now = now or timezone.now()
    fail_interrupted(now=now)
    runs = []
    due = SourceMapping.objects.filter(enabled=True, next_run_at__lte=now).exclude(schedule=Schedule.MANUAL)
    for mapping in due.order_by("next_run_at"):
        nxt = now + dt.timedelta(hours=SCHEDULE_HOURS[mapping.schedule])
        if not SourceMapping.objects.filter(pk=mapping.pk, next_run_at=mapping.next_run_at).update(next_run_at=nxt):
            continue  # another scheduler took it
        try:
            runs.append(run_load(actor=None, mapping=mapping, trigger=LoadRun.Trigger.SCHEDULE))
        except Conflict:
            continue  # running already (started on demand): this turn is skipped
    return runs

