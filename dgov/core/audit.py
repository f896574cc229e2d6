"""Writing and verifying the audit chain.

Services call `record(...)` inside their write transaction, so an entry exists exactly when the
write committed. Failed and denied attempts are recorded by the API and view layers after the
rolled-back work (see `record_failure`). Reads of personal data call `record_read`.

Appends are serialised: PostgreSQL takes a transaction-level advisory lock; SQLite's IMMEDIATE
transactions already hold the single write lock.
"""

import fcntl
import json
import os
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, timedelta

from django.apps import apps
from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dgov.core.cache import on_audit_recorded
from dgov.core.context import current
from dgov.core.metrics import AUDIT_ENTRIES
from dgov.core.models import AuditAnchor, AuditEntry
from dgov.crypto.fields import EncryptedTextField
from dgov.crypto.keys import keyring
from dgov.crypto.primitives import constant_time_equal, hmac_sm3

GENESIS = "0" * 64
_ADVISORY_LOCK_ID = 0x64676F76  # "dgov"
MASKED = "***"


CHAIN_KEY = "dgov.audit-chain"


def _chain_key(version: int) -> bytes:
    """A version of the chain key. Raises KeyError when the version is unknown or was retired."""
    return keyring().version(CHAIN_KEY, version)


def _canonical(entry: AuditEntry) -> bytes:
    payload = {
        "seq": entry.seq,
        "occurred_at": entry.occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": entry.actor_id,
        "actor_username": entry.actor_username,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "object_repr": entry.object_repr,
        "changes": entry.changes,
        "outcome": entry.outcome,
        "ip": entry.ip,
        "request_id": entry.request_id,
        "source": entry.source,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def compute_hash(prev_hash: str, entry: AuditEntry, key: bytes | None = None) -> str:
    key = key if key is not None else _chain_key(entry.key_version)
    return hmac_sm3(key, prev_hash.encode() + b"|" + _canonical(entry)).hex()


def _json_safe(value):
    """Values as they will read back from any database's JSON column (no floats, dates as text)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, models.Model):
        return str(value.pk)
    return str(value)


def sensitive_fields(model) -> set[str]:
    """Fields whose values never enter the audit log: encrypted personal data, secrets and
    anything a model lists in `audit_masked_fields`."""
    names = {f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)}
    names |= set(getattr(model, "audit_masked_fields", ()))
    return names | {"password"}


def snapshot(instance, fields=None) -> dict:
    """The current values of `fields` (default: all concrete fields), for `diff` after a change."""
    names = fields or [f.name for f in instance._meta.concrete_fields]
    return {name: getattr(instance, instance._meta.get_field(name).attname) for name in names}


def diff(before: dict, instance) -> dict:
    """{field: [old, new]} for the fields that changed; sensitive values masked."""
    masked = sensitive_fields(type(instance))
    after = snapshot(instance, list(before))
    changes = {}
    for name, old in before.items():
        new = after[name]
        if old != new:
            changes[name] = [MASKED, MASKED] if name in masked else [_json_safe(old), _json_safe(new)]
    return changes


def created(instance, fields=None) -> dict:
    """{field: [None, value]} for a new object; sensitive values masked."""
    masked = sensitive_fields(type(instance))
    return {name: [None, MASKED if name in masked else _json_safe(value)]
            for name, value in snapshot(instance, fields).items()
            if value not in (None, "") and name not in ("id", "created_at", "updated_at")}


@dataclass
class Target:
    """What an entry is about when there is no model instance (a login attempt, a command)."""

    object_type: str = ""
    object_id: str = ""
    object_repr: str = ""


def _describe(obj) -> Target:
    if obj is None:
        return Target()
    if isinstance(obj, Target):
        return obj
    return Target(obj._meta.label_lower, str(obj.pk or ""), str(obj)[:200])


#: the entries of the innermost `deferred()` block, waiting to be chained when it ends (None: none open)
_queue: ContextVar[list[AuditEntry] | None] = ContextVar("dgov_audit_queue", default=None)


def record(action: str, obj=None, *, changes: dict | None = None, outcome: str = "success",
           actor=None) -> AuditEntry:
    """Append one entry. `action` is "<app>.<model>.<verb>" or a named event ("auth.login"). Inside a
    `deferred()` block the entry is chained and written when the block ends (its `seq` is unset until
    then)."""
    ctx = current()
    actor = actor if actor is not None else (ctx.actor() if ctx else None)
    target = _describe(obj)
    entry = AuditEntry(
        occurred_at=timezone.now(),
        actor_id=actor.pk if actor is not None else None,
        actor_username=getattr(actor, "username", "") if actor is not None else "",
        action=action[:80],
        object_type=target.object_type,
        object_id=target.object_id[:64],
        object_repr=target.object_repr[:200],
        changes=_json_safe(changes or {}),
        outcome=outcome,
        ip=ctx.ip if ctx else None,
        request_id=ctx.request_id if ctx else "",
        source=ctx.source if ctx else "cli",
    )
    queue = _queue.get()
    if queue is not None:
        queue.append(entry)
    else:
        _append([entry])
    return entry


@contextmanager
def deferred():
    """A transaction whose audit entries are chained and written together at its end, still inside it.

    The chain is appended under one lock (PostgreSQL: an advisory transaction lock) held until commit, so
    a long transaction that records early keeps every other writer waiting; inside this block the lock is
    taken only when the block ends. An entry exists exactly when the block's work committed, as always.
    Use it around a whole unit of work whose inner failures propagate (an exception caught inside the
    block, after a rolled-back savepoint that recorded, would still write that entry). Nested blocks
    join the outermost one."""
    if _queue.get() is not None:
        with transaction.atomic():
            yield
        return
    queue: list[AuditEntry] = []
    token = _queue.set(queue)
    try:
        with transaction.atomic():
            yield
            _queue.reset(token)
            token = None
            if queue:
                _append(queue)
    finally:
        if token is not None:
            _queue.reset(token)


def _append(entries: list[AuditEntry]) -> None:
    """Chain `entries` after the newest entry and write them, under the chain's lock."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK_ID])
        last = AuditEntry.objects.order_by("-seq").values_list("seq", "hash").first()
        if last is None:
            # Every entry was purged: continue from the anchor, where `verify` starts.
            last = AuditAnchor.objects.order_by("-seq").values_list("seq", "hash").first()
        seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
        version, key = keyring().current(CHAIN_KEY)
        for entry in entries:
            entry.seq, entry.prev_hash, entry.key_version = seq, prev_hash, version
            entry.hash = compute_hash(prev_hash, entry, key)
            seq, prev_hash = seq + 1, entry.hash
        if len(entries) == 1:
            entries[0].save(force_insert=True)
        else:
            AuditEntry.objects.bulk_create(entries)
        head = entries[-1]
        transaction.on_commit(lambda: advance_head(head.seq, head.hash))
        for entry in entries:
            on_audit_recorded(entry.action, entry.object_type)
    for entry in entries:
        AUDIT_ENTRIES.labels(entry.outcome).inc()


# --- the head anchor: what the chain alone cannot show ----------------------------------------
# Deleting the newest entries leaves a shorter chain that still verifies. After every commit the
# last (seq, hash) is kept, MAC-protected, in a file outside the database (DGOV_AUDIT_HEAD_FILE);
# verify() then also checks that the database still reaches that head.

def _head_mac(seq: int, digest: str, version: int) -> str:
    return hmac_sm3(_chain_key(version), f"head|{seq}|{digest}".encode()).hex()


def read_head() -> tuple[int, str] | None:
    """The recorded head, or None when there is none. Raises ValueError if it was tampered with."""
    try:
        data = json.loads(settings.DGOV_AUDIT_HEAD_FILE.read_text())
    except FileNotFoundError:
        return None
    except ValueError:
        raise ValueError("the audit head file is not valid JSON") from None
    seq, digest, mac, version = data.get("seq"), data.get("hash"), data.get("mac", ""), data.get("v", 1)
    if not isinstance(seq, int) or not isinstance(digest, str) or not isinstance(version, int):
        raise ValueError("the audit head file was altered (its fields are malformed)")
    try:
        expected = _head_mac(seq, digest, version)
    except KeyError:
        raise ValueError(f"the audit head file names key version {version}, which is unknown or retired") from None
    if not constant_time_equal(mac.encode(), expected.encode()):
        raise ValueError("the audit head file was altered (its MAC does not match)")
    return seq, digest


def advance_head(seq: int, digest: str) -> None:
    """Record (seq, hash) as the head unless a later one is recorded already. Several worker
    processes write it: a file lock orders them, and the write is atomic (write, then rename)."""
    path = settings.DGOV_AUDIT_HEAD_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            current = read_head()
        except ValueError:
            current = None  # a damaged head is reported by verify(); it must not stop the writes
        if current is not None and current[0] >= seq:
            return
        tmp = path.with_suffix(".tmp")
        version, _ = keyring().current(CHAIN_KEY)
        tmp.write_text(json.dumps({"seq": seq, "hash": digest, "v": version,
                                   "mac": _head_mac(seq, digest, version)}))
        os.replace(tmp, path)


def record_read(obj, fields: list[str], *, actor=None) -> AuditEntry:
    """A read of personal data: which fields of which object were shown unmasked."""
    return record("personal_data.read", obj, changes={"fields": sorted(fields)}, actor=actor)


def record_failure(action: str, obj=None, *, outcome: str, reason: str, actor=None) -> AuditEntry:
    """A write that was refused or failed. Runs in its own transaction so a rollback of the
    attempted work does not take the record with it."""
    return record(action, obj, changes={"reason": reason}, outcome=outcome, actor=actor)


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_seq: int | None = None
    last_seq: int | None = None
    broken_seq: int | None = None
    broken_id: int | None = None
    reason: str = ""


def verify(chunk_size: int = 2000) -> VerifyResult:
    """Walk the chain from the latest purge anchor (or the genesis) and recompute every hash."""
    anchor = AuditAnchor.objects.order_by("-seq").first()
    expected_seq, prev_hash = (anchor.seq + 1, anchor.hash) if anchor else (1, GENESIS)
    checked, first, first_id = 0, None, None
    # An anchor is only trusted when a purge entry inside the verified chain vouches for it: a row
    # planted in the anchor table cannot stand in for deleted history.
    confirmed = anchor is None
    qs = AuditEntry.objects.filter(seq__gte=expected_seq if anchor else 0).order_by("seq")
    for entry in qs.iterator(chunk_size=chunk_size):
        if first is None:
            first, first_id = entry.seq, entry.pk

        def broken(reason, entry=entry, checked=checked, first=first):
            return VerifyResult(False, checked, first, entry.seq, entry.seq, entry.pk, reason)

        if entry.seq != expected_seq:
            return broken(f"expected entry #{expected_seq}, found #{entry.seq} (entries deleted or inserted)")
        if not constant_time_equal(entry.prev_hash.encode(), prev_hash.encode()):
            return broken("prev_hash does not match the previous entry")
        try:
            expected = compute_hash(prev_hash, entry)
        except KeyError:
            return broken(f"its hash was made with {CHAIN_KEY} v{entry.key_version}, which is unknown or retired")
        if not constant_time_equal(entry.hash.encode(), expected.encode()):
            return broken("content does not match its hash (entry edited)")
        if not confirmed and entry.action == "audit.purge" and isinstance(entry.changes, dict) \
                and entry.changes.get("anchor_seq") == anchor.seq and entry.changes.get("anchor_hash") == anchor.hash:
            confirmed = True
        prev_hash, expected_seq = entry.hash, entry.seq + 1
        checked += 1
    if not confirmed:
        return VerifyResult(False, checked, first, expected_seq - 1 if checked else None,
                            first if first is not None else anchor.seq + 1, first_id,
                            f"no purge entry confirms the anchor at #{anchor.seq} (entries deleted)")
    last = expected_seq - 1
    try:
        head = read_head()
    except ValueError as exc:
        return VerifyResult(False, checked, first, last, last + 1, None, str(exc))
    if head is not None:
        head_seq, head_hash = head
        if head_seq > last:
            return VerifyResult(False, checked, first, last, last + 1, None,
                                f"the chain ends at #{last} but entries up to #{head_seq} were recorded "
                                f"(the newest entries were deleted)")
        # A head inside the verified range must be that very entry (one before it was purged).
        if first is not None and head_seq >= first and not AuditEntry.objects.filter(
                seq=head_seq, hash=head_hash).exists():
            return VerifyResult(False, checked, first, last, head_seq, None,
                                f"entry #{head_seq} differs from the recorded head (entries replaced)")
    return VerifyResult(True, checked, first, last if checked else None)


def purge(*, actor=None, now=None) -> int:
    """Delete entries older than the retention period (never less than 180 days), anchoring the
    chain at the last purged entry. Returns how many were deleted."""
    days = max(180, settings.DGOV_AUDIT_RETENTION_DAYS)
    cutoff = (now or timezone.now()) - timedelta(days=days)
    with transaction.atomic():
        last = AuditEntry.objects.filter(occurred_at__lt=cutoff).order_by("-seq").first()
        if last is None:
            return 0
        count, _ = AuditEntry.objects.filter(seq__lte=last.seq).delete()
        AuditAnchor.objects.create(seq=last.seq, hash=last.hash)
        record("audit.purge", Target("core.auditentry", "", f"≤ #{last.seq}"),
               changes={"deleted": count, "before": cutoff.isoformat(), "retention_days": days,
                        "anchor_seq": last.seq, "anchor_hash": last.hash},
               actor=actor)
    return count


# --- readable descriptions of actions, for the audit pages and the workbench -----------------

EVENT_LABELS = {
    "auth.login": gettext_lazy("Logged in"),
    "auth.logout": gettext_lazy("Logged out"),
    "auth.lock": gettext_lazy("Account locked after failed attempts"),
    "personal_data.read": gettext_lazy("Viewed personal data"),
    "audit.verify": gettext_lazy("Verified the audit chain"),
    "audit.purge": gettext_lazy("Purged audit entries past retention"),
    "demo.load": gettext_lazy("Loaded demo data"),
}
VERB_LABELS = {
    "create": gettext_lazy("created"), "change": gettext_lazy("changed"), "delete": gettext_lazy("deleted"),
    "export": gettext_lazy("exported"), "import": gettext_lazy("imported"),
    "load": gettext_lazy("reference data loaded"), "register": gettext_lazy("registered"),
    "password": gettext_lazy("password changed"), "password_reset_request": gettext_lazy("password reset requested"),
    "unlock": gettext_lazy("unlocked"), "revoke": gettext_lazy("revoked"), "begin": gettext_lazy("set-up started"),
    "confirm": gettext_lazy("set up"), "verify": gettext_lazy("verified"), "purge": gettext_lazy("purged"),
}


def register_action_labels(*, events: dict | None = None, verbs: dict | None = None) -> None:
    """Apps name their own audit events and verbs (from AppConfig.ready)."""
    EVENT_LABELS.update(events or {})
    VERB_LABELS.update(verbs or {})


def action_label(action: str) -> str:
    """"accounts.user.create" → "用户：已创建"; named events by name; refused requests say so.
    Unknown codes are shown as they are."""
    if action in EVENT_LABELS:
        return str(EVENT_LABELS[action])
    if action.startswith(("api:", "web:")):
        return _("Refused request: %(request)s") % {"request": action[4:]}
    parts = action.split(".")
    if len(parts) == 3 and parts[2] in VERB_LABELS:
        try:
            model = apps.get_model(parts[0], parts[1])
        except LookupError:
            return action
        return f"{model._meta.verbose_name}：{VERB_LABELS[parts[2]]}"
    return action
