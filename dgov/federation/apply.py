"""The target side: apply one batch of a feed's changes, and advance the checkpoint with it.

A dataset's batch is applied in ONE transaction of the target's data store: the rows (upserted by
key; deletions marked with a new local sequence) and the checkpoint row in `_dgov_fed_checkpoints`,
which lives in the same database as the rows it describes. A `kill -9` therefore leaves either the
whole batch with its checkpoint or neither. The checkpoint moves by compare-and-set: a batch applies
only if it starts where the checkpoint stands (`after`), so a batch sent twice, or by a pull and a
push at once, is refused instead of being applied twice. Applying is idempotent anyway: a row whose
values did not change is not rewritten.

The catalog's batch is applied the same way in the application database, where `RemoteEntry` and
the subscription's checkpoint live.
"""

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dgov.aggregation import datastore
from dgov.catalog.models import OpenType, SharingType
from dgov.federation.models import RemoteEntry, Subscription
from dgov.federation.protocol import MAX_BATCH, batch_digest

MAX_SEQ = 2**63 - 1  # the checkpoint is a bigint on every database

CHECKPOINTS = "_dgov_fed_checkpoints"
_meta = sa.MetaData()
checkpoints = sa.Table(CHECKPOINTS, _meta,
                       sa.Column("name", sa.String(40), primary_key=True),
                       sa.Column("last_seq", sa.BigInteger, nullable=False))


class BatchError(Exception):
    """A batch that cannot be applied: the message says why (no personal data in it)."""

    def __init__(self, message: str, code: str = "invalid_batch", details=None):
        super().__init__(message)
        self.code, self.details = code, details or {}


class CheckpointMoved(BatchError):
    def __init__(self, current: int):
        super().__init__(_("The batch does not start at the checkpoint (%(seq)d).") % {"seq": current},
                         code="checkpoint_mismatch", details={"checkpoint": current})
        self.current = current


@dataclass(frozen=True)
class Applied:
    checkpoint: int
    written: int
    unchanged: int
    deleted: int

    @property
    def applied(self) -> int:
        return self.written + self.deleted


# --- checkpoints in the data store -------------------------------------------------------------------
def _ensure_checkpoints() -> None:
    with datastore.transaction() as conn:
        _meta.create_all(conn, tables=[checkpoints], checkfirst=True)


def _ensure_checkpoint_row(name: str) -> None:
    """The checkpoint row exists (at 0) before anyone applies: `SELECT … FOR UPDATE` locks nothing
    when the row is missing, so two first batches (a pull and a push at once) on PostgreSQL would
    both read 0 and both apply — and the second would move the checkpoint back, or fail on the key."""
    try:
        with datastore.transaction() as conn:
            if conn.execute(sa.select(checkpoints.c.name).where(checkpoints.c.name == name)).first() is None:
                conn.execute(checkpoints.insert().values(name=name, last_seq=0))
    except sa.exc.IntegrityError:
        pass  # a concurrent first batch created it: what we need


def _read(conn, name: str, *, lock: bool = False) -> int:
    query = sa.select(checkpoints.c.last_seq).where(checkpoints.c.name == name)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return conn.execute(query).scalar() or 0


def dataset_checkpoint(subscription: Subscription) -> int:
    _ensure_checkpoints()
    with datastore.engine().connect() as conn, conn.begin():
        return _read(conn, subscription.checkpoint_name)


def checkpoint(subscription: Subscription) -> int:
    """Where the subscription stands: the data store's checkpoint for datasets, the row's for the catalog."""
    if subscription.kind == Subscription.Kind.DATASET:
        return dataset_checkpoint(subscription)
    return Subscription.objects.values_list("checkpoint", flat=True).get(pk=subscription.pk)


def _write(conn, name: str, seq: int) -> None:
    updated = conn.execute(checkpoints.update().where(checkpoints.c.name == name).values(last_seq=seq)).rowcount
    if not updated:
        conn.execute(checkpoints.insert().values(name=name, last_seq=seq))


# --- validation ----------------------------------------------------------------------------------------
def check_batch(after: int, changes, digest: str) -> int:
    """The batch is well formed, in sequence after `after`, and matches its digest. Returns its last
    sequence (`after` for an empty batch)."""
    if not isinstance(changes, list):
        raise BatchError(_("The changes are not a list."))
    if len(changes) > MAX_BATCH:
        raise BatchError(_("A batch carries at most %(n)d changes.") % {"n": MAX_BATCH})
    if digest != batch_digest(changes):
        raise BatchError(_("The batch does not match its digest."), code="bad_digest")
    last, keys = after, set()
    for change in changes:
        if not isinstance(change, dict) or not isinstance(change.get("_key"), str) or not change["_key"] \
                or type(change.get("_seq")) is not int or not isinstance(change.get("_deleted"), bool):
            raise BatchError(_("A change lacks its key, sequence or deletion flag."))
        if change["_seq"] <= last or change["_seq"] > MAX_SEQ:
            raise BatchError(_("The changes are not in increasing sequence after the checkpoint."))
        if change["_key"] in keys:
            raise BatchError(_("A key appears twice in one batch."))
        keys.add(change["_key"])
        last = change["_seq"]
    return last


# --- datasets ---------------------------------------------------------------------------------------------
def _mark_keys_deleted(conn, dataset, keys: list[str]) -> int:
    """Mark the live rows with these keys deleted, each with a new sequence of the local table (so
    that a node further down sees the deletion too). `datastore.mark_deleted` marks everything *not*
    kept, which is a full load's need; a feed names the keys."""
    if not keys:
        return 0
    tbl = datastore.table(dataset)
    # Hold the table's sequence before reading which rows are live, like every writer of the table
    # (datastore's rule): sequence order stays commit order for whoever reads this table's changes.
    datastore.lock_sequence(conn, tbl)
    live = sorted(k for (k,) in conn.execute(
        sa.select(tbl.c._key).where(tbl.c._key.in_(keys), tbl.c._deleted.is_(False))))
    if not live:
        return 0
    meta = datastore.meta_table
    conn.execute(meta.update().where(meta.c.table_name == tbl.name).values(last_seq=meta.c.last_seq + len(live)))
    first = conn.execute(sa.select(meta.c.last_seq).where(meta.c.table_name == tbl.name)).scalar_one() - len(live) + 1
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    stmt = (tbl.update().where(tbl.c._key == sa.bindparam("k_key"))
            .values(_deleted=True, _seq=sa.bindparam("v_seq"), _loaded_at=now))
    conn.execute(stmt, [{"k_key": key, "v_seq": first + i} for i, key in enumerate(live)])
    return len(live)


def _dataset_rows(dataset, changes: list[dict]) -> tuple[list[dict], list[str]]:
    columns = list(dataset.columns.all())
    names = {c.name for c in columns}
    upserts, deletes = [], []
    for change in changes:
        if change["_deleted"]:
            deletes.append(change["_key"])
            continue
        unknown = set(change) - names - {"_key", "_seq", "_deleted"}
        if unknown:
            raise BatchError(_("The feed has columns the local dataset lacks: %(names)s")
                             % {"names": ", ".join(sorted(unknown))}, code="column_mismatch")
        try:
            values = datastore.coerce_row(columns, {n: change.get(n) for n in names})
        except ValueError as exc:
            raise BatchError(_("A row does not fit the local dataset: %(reason)s") % {"reason": exc}) from None
        if values["_key"] != change["_key"]:
            raise BatchError(_("A row's key does not match the local dataset's key columns."),
                             code="column_mismatch")
        upserts.append(values)
    return upserts, deletes


def apply_dataset_batch(subscription: Subscription, after: int, changes: list[dict], digest: str) -> Applied:
    last = check_batch(after, changes, digest)
    dataset = subscription.dataset
    upserts, deletes = _dataset_rows(dataset, changes)
    datastore.ensure_table(dataset)  # its own transaction: never inside ours (SQLite has one writer)
    _ensure_checkpoints()
    name = subscription.checkpoint_name
    _ensure_checkpoint_row(name)
    with datastore.transaction() as conn:
        current = _read(conn, name, lock=True)
        if current != after:
            raise CheckpointMoved(current)
        result = datastore.upsert(dataset, upserts, conn=conn)
        deleted = _mark_keys_deleted(conn, dataset, deletes)
        _write(conn, name, last)
    return Applied(checkpoint=last, written=result.written, unchanged=result.unchanged, deleted=deleted)


# --- the catalog --------------------------------------------------------------------------------------------
def _text(entry: dict, name: str, limit: int) -> str:
    value = entry.get(name)
    return value[:limit] if isinstance(value, str) else ""


ITEM_FIELDS = ("name", "data_type", "personal_data", "sharing_type", "open_type")


def _item(item) -> dict:
    """A data item as the feed describes it, reduced to the fields the catalog feed carries, as short
    text: a peer's feed stores no structure of its own choosing here."""
    if not isinstance(item, dict) or not isinstance(item.get("name"), str):
        return {}
    return {name: item[name][:200] for name in ITEM_FIELDS if isinstance(item.get(name), str)}


def apply_catalog_batch(subscription: Subscription, after: int, changes: list[dict], digest: str) -> Applied:
    last = check_batch(after, changes, digest)
    written = deleted = unchanged = 0
    with transaction.atomic():
        sub = Subscription.objects.select_for_update().get(pk=subscription.pk)
        if sub.checkpoint != after:
            raise CheckpointMoved(sub.checkpoint)
        for change in changes:
            code = change["_key"][:20]
            if change["_deleted"]:
                deleted += RemoteEntry.objects.filter(peer_id=sub.peer_id, code=code, withdrawn=False).update(
                    withdrawn=True, source_seq=change["_seq"], updated_at=timezone.now())
                continue
            entry = change.get("entry")
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                raise BatchError(_("A catalog change lacks its entry."))
            items = [_item(i) for i in entry.get("items")[:500]] if isinstance(entry.get("items"), list) else []
            values = {"name": _text(entry, "name", 200), "department": _text(entry, "department", 100),
                      "sharing_type": _text(entry, "sharing_type", 16) if entry.get("sharing_type")
                      in SharingType.values else "",
                      "open_type": _text(entry, "open_type", 16) if entry.get("open_type") in OpenType.values else "",
                      "summary": _text(entry, "summary", 2000), "items": [i for i in items if i],
                      "version": entry["version"] if type(entry.get("version")) is int and entry["version"] >= 0 else 0,
                      "withdrawn": False, "source_seq": change["_seq"]}
            RemoteEntry.objects.update_or_create(peer_id=sub.peer_id, code=code, defaults=values)
            written += 1
        sub.checkpoint = last
        sub.save(update_fields=["checkpoint", "updated_at"])
    return Applied(checkpoint=last, written=written, unchanged=unchanged, deleted=deleted)


def apply_batch(subscription: Subscription, after: int, changes: list[dict], digest: str) -> Applied:
    if subscription.kind == Subscription.Kind.CATALOG:
        return apply_catalog_batch(subscription, after, changes, digest)
    return apply_dataset_batch(subscription, after, changes, digest)
