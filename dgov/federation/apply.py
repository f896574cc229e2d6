"""The target side: apply one batch of a feed's changes, and advance the checkpoint with it.

A dataset's batch (its changes as COPY text, `dgov.aggregation.copytext`) is applied in ONE
transaction of the target's data store: the rows (checked, then upserted by key; deletions marked
with a new local sequence: `datastore.apply_changes_text`) and the checkpoint row in
`_dgov_fed_checkpoints`, which lives in the same database as the rows it describes. A `kill -9`
therefore leaves either the whole batch with its checkpoint or neither. The checkpoint moves by
compare-and-set: a batch applies only if it starts where the checkpoint stands (`after`), so a batch
sent twice, or by a pull and a push at once, is refused instead of being applied twice. Applying is
idempotent anyway: a row whose values did not change is not rewritten.

The catalog's batch is applied the same way in the application database, where `RemoteEntry` and
the subscription's checkpoint live.
"""

from dataclasses import dataclass

import sqlalchemy as sa
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dgov.aggregation import datastore
from dgov.catalog.models import OpenType, SharingType
from dgov.federation.models import RemoteEntry, Subscription
from dgov.federation.protocol import MAX_BATCH, batch_digest, rows_digest

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
    """The checkpoints table exists (checked once per process and data store)."""
    if datastore.known(("federation checkpoints",)):
        return
    with datastore.transaction() as conn:
        _meta.create_all(conn, tables=[checkpoints], checkfirst=True)
    datastore.note(("federation checkpoints",))


def _ensure_checkpoint_row(name: str) -> None:
    """The checkpoint row exists (at 0) before anyone applies: `SELECT … FOR UPDATE` locks nothing
    when the row is missing, so two first batches (a pull and a push at once) on PostgreSQL would
    both read 0 and both apply — and the second would move the checkpoint back, or fail on the key."""
    if datastore.known(("federation checkpoint", name)):
        return
    try:
        with datastore.transaction() as conn:
            if conn.execute(sa.select(checkpoints.c.name).where(checkpoints.c.name == name)).first() is None:
                conn.execute(checkpoints.insert().values(name=name, last_seq=0))
    except sa.exc.IntegrityError:
        pass  # a concurrent first batch created it: what we need
    datastore.note(("federation checkpoint", name))


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
def _rows_batch(payload: dict) -> tuple[list[str], str]:
    """(columns, rows) of a dataset batch, well formed, and matching its digest."""
    columns, count, rows, digest = (payload.get("columns"), payload.get("count"), payload.get("rows"),
                                    payload.get("digest", ""))
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns) \
            or len(set(columns)) != len(columns) or type(count) is not int or not isinstance(rows, str):
        raise BatchError(_("The changes are not a list."))
    if count > MAX_BATCH:
        raise BatchError(_("A batch carries at most %(n)d changes.") % {"n": MAX_BATCH})
    if count != rows.count("\n") or (rows and not rows.endswith("\n")):
        raise BatchError(_("A change lacks its key, sequence or deletion flag."))
    if digest != rows_digest(columns, rows):
        raise BatchError(_("The batch does not match its digest."), code="bad_digest")
    return columns, rows


def apply_dataset_batch(subscription: Subscription, after: int, payload: dict) -> Applied:
    columns, rows = _rows_batch(payload)
    dataset = subscription.dataset
    unknown = set(columns) - {c.name for c in dataset.columns.all()}
    if unknown:
        raise BatchError(_("The feed has columns the local dataset lacks: %(names)s")
                         % {"names": ", ".join(sorted(unknown))}, code="column_mismatch")
    datastore.ready(dataset)  # its own transaction: never inside ours (SQLite has one writer)
    _ensure_checkpoints()
    name = subscription.checkpoint_name
    _ensure_checkpoint_row(name)
    with datastore.transaction() as conn:
        current = _read(conn, name, lock=True)
        if current != after:
            raise CheckpointMoved(current)
        try:
            result = datastore.apply_changes_text(dataset, columns, rows, after=after, conn=conn)
        except datastore.FeedError as exc:
            raise BatchError(str(exc), code=exc.code) from None
        _write(conn, name, result.last)
    return Applied(checkpoint=result.last, written=result.written, unchanged=result.unchanged,
                   deleted=result.deleted)


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


def apply_catalog_batch(subscription: Subscription, after: int, payload: dict) -> Applied:
    changes = payload.get("changes")
    last = check_batch(after, changes, payload.get("digest", ""))
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


def apply_batch(subscription: Subscription, after: int, payload: dict) -> Applied:
    """Apply a batch as it travels (`feeds.changes`: `changes` for the catalog, `columns`, `count`
    and `rows` for a dataset, and its `digest`) after the checkpoint `after`."""
    if not isinstance(payload, dict):
        raise BatchError(_("The changes are not a list."))
    if subscription.kind == Subscription.Kind.CATALOG:
        return apply_catalog_batch(subscription, after, payload)
    return apply_dataset_batch(subscription, after, payload)
