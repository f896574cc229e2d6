"""The exchange log's hash chain, built so that concurrent gateway calls do not queue on one lock.

A call writes its row inside one short transaction that tries the sealing lock: with it, rows still
pending are sealed first and the call's row is inserted already sealed (its `seq` the next number,
hash = SM3(prev_hash | canonical JSON), `dgov.exchange.offline`); without it, the row is inserted
unsealed, and the next call that gets the lock seals it, in insertion order, before its own.

- on PostgreSQL the lock is a transaction-level advisory lock, tried without waiting;
- on SQLite the transaction's write lock (dgov opens IMMEDIATE transactions) is the lock;
- `dgov exchange-log verify|export|seal` and the pages seal with a blocking lock first, so nothing
  is left unsealed when the log is checked or exported.

Either way the row is committed before the call's answer leaves, so a crash loses no call.

Like the audit chain's, the head (last sealed seq and hash) is kept outside the database in a file
with an HMAC-SM3 under the audit key, so that deleting the newest entries is detected too. A busy
worker writes it at most once per DGOV_EXCHANGE_HEAD_INTERVAL seconds (default 1); `seal`, `verify`
and `export` always bring it up to the last sealed entry.
"""

import fcntl
import json
import os
import time
from dataclasses import dataclass
from datetime import UTC

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from dgov.crypto.keys import keyring
from dgov.crypto.primitives import constant_time_equal, hmac_sm3
from dgov.exchange.models import ExchangeLogEntry
from dgov.exchange.offline import FIELDS, FORMAT, GENESIS, entry_hash

_LOCK_ID = 0x64676F78  # "dgox": distinct from the audit chain's advisory lock
SEAL_BATCH = 1000
HEAD_KEY = "dgov.audit-chain"


def record_of(entry: ExchangeLogEntry) -> dict:
    """The entry's hashed fields as plain JSON values (what an export holds)."""
    values = {name: getattr(entry, name) for name in FIELDS}
    values["occurred_at"] = entry.occurred_at.astimezone(UTC).isoformat(timespec="microseconds")
    return values


def _table() -> str:
    return connection.ops.quote_name(ExchangeLogEntry._meta.db_table)


def _locked(cursor, block: bool) -> bool:
    """Take the sealing lock for the current transaction. On PostgreSQL a transaction-level advisory
    lock (`block=False`: only if free); elsewhere the transaction's own write lock, which SQLite's
    IMMEDIATE transactions (dgov's setting) take at BEGIN, serves."""
    if connection.vendor != "postgresql":
        return True
    if block:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_ID])
        return True
    cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_LOCK_ID])
    return cursor.fetchone()[0]


def _last(cursor) -> tuple[int, str]:
    """The last sealed (seq, hash), or (0, GENESIS); read under the sealing lock."""
    cursor.execute(f"SELECT seq, hash FROM {_table()} WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1")
    row = cursor.fetchone()
    return (row[0], row[1]) if row else (0, GENESIS)


def _pending(cursor) -> bool:
    cursor.execute(f"SELECT 1 FROM {_table()} WHERE seq IS NULL LIMIT 1")
    return cursor.fetchone() is not None


def append(**fields) -> ExchangeLogEntry:
    """Write one call's row, in the chain at once when the sealing lock is free.

    Under the lock (always on SQLite, whose write transaction is the lock; on PostgreSQL when the
    try-lock succeeds) rows still pending are sealed first, then the new row is inserted already
    sealed: one INSERT, no read-back and UPDATE. Without the lock (another call is sealing) the row
    is inserted unsealed and the next call that gets the lock, or `seal`, seals it in order. Either
    way the row is committed before the answer leaves, so a crash loses no call."""
    entry = ExchangeLogEntry(**fields)
    if entry.ip:
        # Hash what the database will hand back to `verify` (an IPv6 address in its canonical form).
        entry.ip = ExchangeLogEntry._meta.get_field("ip").get_prep_value(entry.ip)
    with transaction.atomic():
        with connection.cursor() as cursor:
            if _locked(cursor, block=False) and not (_pending(cursor) and _seal_locked(SEAL_BATCH, head=False)
                                                      == SEAL_BATCH):
                seq, prev = _last(cursor)
                entry.seq, entry.prev_hash, entry.sealed_at = seq + 1, prev, timezone.now()
                entry.hash = entry_hash(prev, record_of(entry))
        entry.save(force_insert=True)
        if entry.seq is not None and _head_due():
            head = (entry.seq, entry.hash)
            transaction.on_commit(lambda: advance_head(*head))
    return entry


def seal(*, block: bool = True, limit: int = SEAL_BATCH) -> int:
    """Seal pending rows into the chain and bring the head file up to the last sealed entry; returns
    how many were sealed. With `block=False` it gives up at once when another process is sealing."""
    total = 0
    while True:
        with transaction.atomic():
            with connection.cursor() as cursor:
                if not _locked(cursor, block):
                    return total
                sealed = _seal_locked(limit, head=False)
                if sealed < limit:
                    seq, digest = _last(cursor)
                    if seq:
                        transaction.on_commit(lambda s=seq, d=digest: advance_head(s, d))
        total += sealed
        if sealed < limit:
            return total


def _seal_locked(limit: int, *, head: bool = True) -> int:
    """Seal up to `limit` pending rows in insertion order (the caller holds the sealing lock)."""
    pending = list(ExchangeLogEntry.objects.filter(seq__isnull=True).order_by("id")[:limit])
    if not pending:
        return 0
    with connection.cursor() as cursor:
        seq, prev = _last(cursor)
        now = timezone.now()
        for entry in pending:
            seq += 1
            entry.seq, entry.prev_hash, entry.sealed_at = seq, prev, now
            entry.hash = prev = entry_hash(prev, record_of(entry))
        sealed_at = connection.ops.adapt_datetimefield_value(now)
        cursor.executemany(f"UPDATE {_table()} SET seq = %s, prev_hash = %s, hash = %s, sealed_at = %s "
                           f"WHERE id = %s AND seq IS NULL",
                           [(e.seq, e.prev_hash, e.hash, sealed_at, e.pk) for e in pending])
    if head:
        last = (seq, prev)
        transaction.on_commit(lambda: advance_head(*last))
    return len(pending)


_head_written = [float("-inf")]  # monotonic time this process last scheduled a head-file write (none yet)


def _head_due() -> bool:
    """Whether this process should write the head file now. The head only guards against the newest
    entries being deleted; writing it (lock, read, MAC, replace) on every call cost as much as the
    call's SQL, so a busy process writes it at most once per DGOV_EXCHANGE_HEAD_INTERVAL seconds
    (default 1). `seal`, `verify` and `export` always bring it up to date."""
    now = time.monotonic()
    if now - _head_written[0] < float(getattr(settings, "DGOV_EXCHANGE_HEAD_INTERVAL", 1.0)):
        return False
    _head_written[0] = now
    return True


# --- the head, outside the database ---------------------------------------------------------------

def head_file():
    configured = getattr(settings, "DGOV_EXCHANGE_HEAD_FILE", None)
    return configured or settings.DGOV_AUDIT_HEAD_FILE.with_name("exchange-log-head.json")


def _head_mac(seq: int, digest: str, version: int) -> str:
    return hmac_sm3(keyring().version(HEAD_KEY, version), f"exchange-head|{seq}|{digest}".encode()).hex()


def read_head() -> tuple[int, str] | None:
    """The recorded head, or None. Raises ValueError when the file was altered."""
    try:
        data = json.loads(head_file().read_text())
    except FileNotFoundError:
        return None
    except ValueError:
        raise ValueError("the exchange log head file is not valid JSON") from None
    seq, digest, mac, version = data.get("seq"), data.get("hash"), data.get("mac", ""), data.get("v")
    if not isinstance(seq, int) or not isinstance(digest, str) or not isinstance(version, int):
        raise ValueError("the exchange log head file was altered (its fields are malformed)")
    try:
        expected = _head_mac(seq, digest, version)
    except KeyError:
        raise ValueError(f"the exchange log head file names key version {version}, which is unknown") from None
    if not constant_time_equal(str(mac).encode(), expected.encode()):
        raise ValueError("the exchange log head file was altered (its MAC does not match)")
    return seq, digest


def advance_head(seq: int, digest: str) -> None:
    path = head_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            current = read_head()
        except ValueError:
            current = None  # reported by verify(); it must not stop the gateway
        if current is not None and current[0] >= seq:
            return
        version, _key = keyring().current(HEAD_KEY)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"seq": seq, "hash": digest, "v": version, "mac": _head_mac(seq, digest, version)}))
        os.replace(tmp, path)


# --- verification and export ----------------------------------------------------------------------

@dataclass
class VerifyResult:
    ok: bool
    checked: int
    last_seq: int | None = None
    broken_seq: int | None = None
    reason: str = ""


def verify(chunk_size: int = 2000) -> VerifyResult:
    """Seal what is pending, then walk the chain from entry 1 recomputing every hash, and check that
    it reaches the recorded head."""
    seal(block=True)
    expected, prev, checked = 1, GENESIS, 0
    qs = ExchangeLogEntry.objects.filter(seq__isnull=False).order_by("seq")
    for entry in qs.iterator(chunk_size=chunk_size):
        if entry.seq != expected:
            return VerifyResult(False, checked, expected - 1, expected,
                                f"expected entry #{expected}, found #{entry.seq} (entries deleted or inserted)")
        if not constant_time_equal(entry.prev_hash.encode(), prev.encode()):
            return VerifyResult(False, checked, expected - 1, entry.seq,
                                "prev_hash does not match the previous entry")
        computed = entry_hash(prev, record_of(entry))
        if not constant_time_equal(entry.hash.encode(), computed.encode()):
            return VerifyResult(False, checked, expected - 1, entry.seq,
                                "content does not match its hash (entry edited)")
        prev, expected, checked = entry.hash, expected + 1, checked + 1
    last = expected - 1
    try:
        head = read_head()
    except ValueError as exc:
        return VerifyResult(False, checked, last, last + 1, str(exc))
    if head is not None:
        if head[0] > last:
            return VerifyResult(False, checked, last, last + 1,
                                f"the chain ends at #{last} but entries up to #{head[0]} were sealed "
                                f"(the newest entries were deleted)")
        if not ExchangeLogEntry.objects.filter(seq=head[0], hash=head[1]).exists():
            return VerifyResult(False, checked, last, head[0], f"entry #{head[0]} differs from the recorded head")
    return VerifyResult(True, checked, last if checked else None)


@dataclass
class ExportResult:
    entries: int
    first_seq: int | None
    last_seq: int | None
    end_hash: str


def export(out, *, since=None) -> ExportResult:
    """Write the sealed chain (from the first entry on or after `since`, a datetime) to the text
    stream `out` as JSON Lines, verifiable offline with `dgov.exchange.offline`."""
    seal(block=True)
    sealed = ExchangeLogEntry.objects.filter(seq__isnull=False)
    last = sealed.order_by("-seq").values_list("seq", "hash").first()
    start = (sealed.filter(occurred_at__gte=since) if since else sealed).order_by("seq").values_list(
        "seq", "prev_hash").first()
    if last is None or start is None:
        first_seq, last_seq, start_hash, end_hash = None, None, GENESIS, GENESIS
    else:
        (first_seq, start_hash), (last_seq, end_hash) = start, last
    header = {"format": FORMAT, "version": 1, "exported_at": timezone.now().astimezone(UTC).isoformat(),
              "first_seq": first_seq if first_seq is not None else 1, "last_seq": last_seq if last_seq else 0,
              "start_hash": start_hash, "end_hash": end_hash, "fields": list(FIELDS),
              "hash": "SM3(prev_hash + '|' + canonical JSON of fields)"}
    out.write(json.dumps(header, ensure_ascii=False) + "\n")
    count = 0
    if first_seq is not None:
        rows = sealed.filter(seq__gte=first_seq, seq__lte=last_seq).order_by("seq")
        for entry in rows.iterator(chunk_size=2000):
            record = record_of(entry)
            record.update(prev_hash=entry.prev_hash, hash=entry.hash)
            out.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
            count += 1
    return ExportResult(count, first_seq, last_seq, end_hash)
