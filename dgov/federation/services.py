"""Writes of the federation app: pairing, publications, subscriptions, and the sync runs.

Pages and the API call these with the signed-in official as `actor` (scope checked, audited); the
command line (`dgov node`, `dgov sync`) is the operator's and passes `system=True` (no actor, audited
as the command line).

A pull (`pull`) asks the peer for the feed's changes after the checkpoint, batch by batch, verifies
each answer's signature and the batch digest, and applies the batch with its checkpoint in one
transaction (`apply.py`). A push (`push`) is the same loop driven by the source: it asks the peer
where its checkpoint stands (signed), and posts signed batches that the peer verifies and applies
exactly as a pull would (`receive_push`). Either can be killed at any moment and started again: it
resumes from the checkpoint the target committed last.
"""

import os
import socket
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from dgov.aggregation import services as aggregation_services
from dgov.aggregation.models import Dataset
from dgov.catalog.models import CatalogEntry, Status
from dgov.core import audit
from dgov.core.errors import Conflict, ValidationError
from dgov.core.permissions import require_in_scope
from dgov.core.services import delete_object, save_object
from dgov.federation import apply, feeds, node, protocol
from dgov.federation.models import (
    CATALOG_FEED,
    FEED_RE,
    Peer,
    Publication,
    Subscription,
    SyncRun,
)
from dgov.federation.protocol import ProtocolError

STALE_AFTER = timedelta(days=1)
PEER_FIELDS = ["code", "name", "role", "base_url", "public_key_pem", "enabled"]


class SyncError(Exception):
    pass


def _save(*, actor, instance, system: bool):
    if not system:
        return save_object(actor=actor, instance=instance)
    from django.core.exceptions import ValidationError as DjangoValidationError

    with transaction.atomic():
        is_new = instance._state.adding
        try:
            instance.full_clean()
        except DjangoValidationError as exc:
            raise ValidationError.from_django(exc) from None
        instance.save()
        audit.record(f"{instance._meta.label_lower}.{'create' if is_new else 'change'}", instance,
                     changes=audit.created(instance) if is_new else {})
    return instance


# --- peers ------------------------------------------------------------------------------------------------
def _check_peer(peer: Peer) -> None:
    errors = {}
    peer.public_key_pem = (peer.public_key_pem or "").strip() + "\n"
    if protocol.public_key(peer.public_key_pem) is None:
        errors["public_key_pem"] = [_("Not an SM2 public key in PEM form.")]
    if peer.code == node.code():
        errors["code"] = [_("This is this node's own code.")]
    if errors:
        raise ValidationError(details=errors)


def peer_save(*, actor=None, instance: Peer, system: bool = False) -> Peer:
    """Pair with a node (new) or change a pairing. A changed key or URL counts as pairing anew."""
    with transaction.atomic():
        _check_peer(instance)
        if instance._state.adding:
            instance.paired_at = timezone.now()
        else:
            stored = Peer.objects.get(pk=instance.pk)
            if (stored.public_key_pem, stored.base_url) != (instance.public_key_pem, instance.base_url):
                instance.paired_at = timezone.now()
        try:
            return _save(actor=actor, instance=instance, system=system)
        except IntegrityError:
            raise ValidationError(details={"code": [_("This node is paired already.")]}) from None


def pair(*, code: str, name: str, base_url: str, public_key_pem: str, role: str, actor=None,
         system: bool = False) -> Peer:
    """Pair with the node `code`, or update its pairing (same code)."""
    peer = Peer.objects.filter(code=code).first() or Peer(code=code)
    peer.name, peer.base_url, peer.public_key_pem, peer.role, peer.enabled = name, base_url, public_key_pem, role, True
    return peer_save(actor=actor, instance=peer, system=system)


# --- publications and subscriptions ----------------------------------------------------------------------
def publication_save(*, actor=None, instance: Publication, system: bool = False) -> Publication:
    with transaction.atomic():
        if Publication.objects.filter(peer=instance.peer_id, dataset=instance.dataset_id).exclude(
                pk=instance.pk).exists():
            raise ValidationError(details={"dataset": [_("This dataset is published to this node already.")]})
        return _save(actor=actor, instance=instance, system=system)


def publish(*, peer: Peer, entry_code: str, actor=None, system: bool = False) -> Publication:
    dataset = Dataset.objects.filter(entry__code=entry_code).first()
    if dataset is None:
        raise ValidationError(details={"dataset": [_("No dataset has this resource code.")]})
    existing = Publication.objects.filter(peer=peer, dataset=dataset).first()
    if existing:
        return existing
    return publication_save(actor=actor, instance=Publication(peer=peer, dataset=dataset), system=system)


def publication_delete(*, actor, instance: Publication) -> None:
    delete_object(actor=actor, instance=instance)


def _matching_columns(remote: list[dict], dataset: Dataset) -> list[str]:
    local = {c.name: (c.data_type, c.is_key) for c in dataset.columns.all()}
    problems = []
    for column in remote:
        have = local.get(column.get("name"))
        if have is None:
            problems.append(_("the local dataset has no column %(name)s") % {"name": column.get("name")})
        elif have != (column.get("data_type"), bool(column.get("is_key"))):
            problems.append(_("column %(name)s differs in type or key") % {"name": column.get("name")})
    remote_keys = sorted(c.get("name") for c in remote if c.get("is_key"))
    local_keys = sorted(n for n, (_t, key) in local.items() if key)
    if not problems and remote_keys != local_keys:
        problems.append(_("the key columns differ"))
    return problems


def subscribe(*, peer: Peer, feed: str, entry_code: str = "", actor=None, system: bool = False) -> Subscription:
    """Copy a peer's feed here. The catalog needs nothing more; a dataset feed goes into the local
    dataset of the published entry `entry_code`, which gets a dataset with the feed's columns when it
    has none yet (its items must carry the feed's item names)."""
    if not FEED_RE.match(feed or ""):
        raise ValidationError(details={"feed": [_("A feed is “catalog” or a resource code (101001001/000001).")]})
    existing = Subscription.objects.filter(peer=peer, feed=feed).first()
    if existing:
        return existing
    if feed == CATALOG_FEED:
        return _save(actor=actor, instance=Subscription(peer=peer, feed=feed, kind=Subscription.Kind.CATALOG),
                     system=system)
    entry = CatalogEntry.objects.filter(code=entry_code).first()
    if entry is None or entry.status != Status.PUBLISHED:
        raise ValidationError(details={"entry_code": [_("Name a published local catalog entry.")]})
    try:
        offered = {f["feed"]: f for f in protocol.call(peer, "GET", "/federation/v1/feeds").body.get("feeds", [])}
    except ProtocolError as exc:
        raise ValidationError(details={"feed": [_("The peer could not be asked: %(reason)s") % {"reason": exc}]},
                              code="peer_unreachable") from None
    if feed not in offered or offered[feed].get("kind") != "dataset":
        raise ValidationError(details={"feed": [_("The peer does not publish this feed to this node.")]})
    remote_columns = offered[feed].get("columns") or []
    dataset = Dataset.objects.filter(entry=entry).first()
    with transaction.atomic():
        if dataset is None:
            dataset_actor = actor
            if system:
                from dgov.accounts.models import User

                # The command line is the operator's: the dataset is created as the first superuser.
                dataset_actor = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
                if dataset_actor is None:
                    raise ValidationError(details={"entry_code": [_("Create the local dataset first.")]})
            dataset = aggregation_services.dataset_create(
                actor=dataset_actor, entry=entry,
                columns=[{"name": c.get("name"), "item_name": c.get("item_name"), "is_key": c.get("is_key")}
                         for c in remote_columns])
        problems = _matching_columns(remote_columns, dataset)
        if problems:
            raise ValidationError(details={"entry_code": problems})
        if Subscription.objects.filter(dataset=dataset).exists():
            raise ValidationError(details={"entry_code": [_("This dataset is filled by another subscription.")]})
        return _save(actor=actor, instance=Subscription(peer=peer, feed=feed, kind=Subscription.Kind.DATASET,
                                                        dataset=dataset), system=system)


def subscription_update(*, actor, instance: Subscription) -> Subscription:
    return save_object(actor=actor, instance=instance, fields=["enabled"])


# --- runs --------------------------------------------------------------------------------------------------
def _runner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def _alive(runner: str) -> bool | None:
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


def mark_interrupted(peer: Peer, feed: str, *, now=None) -> int:
    """Runs of this feed whose process died (kill -9, a crash) become `interrupted`. What they
    committed stays applied: every batch committed with its checkpoint."""
    now = now or timezone.now()
    count = 0
    for run in SyncRun.objects.filter(peer=peer, feed=feed, status=SyncRun.Status.RUNNING):
        alive = _alive(run.runner) if run.runner else None
        if alive is False or run.started_at < now - STALE_AFTER:
            with transaction.atomic():
                if SyncRun.objects.filter(pk=run.pk, status=SyncRun.Status.RUNNING).update(
                        status=SyncRun.Status.INTERRUPTED, finished_at=now,
                        error=gettext_noop("interrupted: the process running it stopped before it finished")):
                    audit.record("federation.syncrun.interrupted", run, outcome="failed")
                    count += 1
    return count


def _start(peer: Peer, feed: str, direction: str, subscription: Subscription | None, from_seq: int) -> SyncRun:
    mark_interrupted(peer, feed)
    with transaction.atomic():
        run = SyncRun.objects.create(peer=peer, feed=feed, direction=direction, subscription=subscription,
                                     runner=_runner(), started_at=timezone.now(), from_seq=from_seq, to_seq=from_seq)
        audit.record("federation.syncrun.start", run, changes={"direction": direction, "from_seq": from_seq})
    return run


def _progress(run: SyncRun, applied: apply.Applied) -> None:
    run.batches += 1
    run.rows_applied += applied.written
    run.rows_deleted += applied.deleted
    run.to_seq = applied.checkpoint
    SyncRun.objects.filter(pk=run.pk).update(batches=run.batches, rows_applied=run.rows_applied,
                                             rows_deleted=run.rows_deleted, to_seq=run.to_seq)


def _finish(run: SyncRun, error: str = "") -> SyncRun:
    run.status = SyncRun.Status.FAILED if error else SyncRun.Status.SUCCEEDED
    run.finished_at, run.error = timezone.now(), error[:500]
    with transaction.atomic():
        run.save(update_fields=["status", "finished_at", "error"])
        audit.record("federation.syncrun.finish", run, outcome="failed" if error else "success",
                     changes={"batches": run.batches, "applied": run.rows_applied, "deleted": run.rows_deleted,
                              "to_seq": run.to_seq, **({"error": run.error} if error else {})})
    return run


def _record_status(subscription: Subscription, *, source_seq: int | None = None, error: str = "",
                   applied: int = 0) -> None:
    now = timezone.now()
    values = {"checkpoint": apply.checkpoint(subscription)}
    if source_seq is not None:
        values["source_seq"] = source_seq
    if error:
        values.update(last_failure_at=now, last_error=error[:500])
    else:
        values.update(last_success_at=now, last_error="")
    Subscription.objects.filter(pk=subscription.pk).update(**values)
    if applied:
        from django.db.models import F

        Subscription.objects.filter(pk=subscription.pk).update(rows_applied=F("rows_applied") + applied)


def _claimed_last(answer: dict) -> int | None:
    """The sequence a dataset batch says it ends at (its last line's), read without parsing the rest."""
    rows = answer.get("rows")
    if not isinstance(rows, str) or not rows.endswith("\n"):
        return None
    fields = rows[rows.rfind("\n", 0, len(rows) - 1) + 1:].split("\t", 2)
    return int(fields[1]) if len(fields) > 2 and fields[1].isdigit() and len(fields[1]) <= 19 else None


def pull(subscription: Subscription, *, batch: int = protocol.DEFAULT_BATCH, on_batch=None) -> SyncRun:
    """Pull a subscription's feed from its peer until it is up to date.

    A dataset's batches are applied by a second thread, one at a time and in order, while this one
    asks for the next batch (after the sequence the one being applied ends at): the peer's answer and
    the data store's work overlap. Each batch still commits with its checkpoint, which moves by
    compare-and-set: a batch asked for ahead is applied only if the one before it ended where it
    starts, and asked for again from the checkpoint otherwise."""
    if subscription.dataset_id:  # its columns once: every batch's apply reads them several times
        subscription = Subscription.objects.select_related("peer", "dataset__entry").prefetch_related(
            "dataset__columns").get(pk=subscription.pk)
    peer = subscription.peer
    start = apply.checkpoint(subscription)
    run = _start(peer, subscription.feed, SyncRun.Direction.PULL, subscription, start)
    after, source_seq, applied_total = start, None, 0
    # The thread touches only the data store (the subscription, its dataset and columns are loaded).
    ahead = ThreadPoolExecutor(max_workers=1) if subscription.kind == Subscription.Kind.DATASET else None
    pending = None

    def settle() -> None:
        """Wait for the batch being applied; `after` becomes where the checkpoint stands."""
        nonlocal pending, after, applied_total
        future, pending = pending, None
        try:
            applied = future.result()
        except apply.CheckpointMoved as exc:
            after = exc.current  # someone else (a push, another pull) applied it: go on from there
            return
        _progress(run, applied)
        applied_total += applied.applied
        after = applied.checkpoint
        if on_batch:
            on_batch(run)

    try:
        asking = after
        while True:
            answer = protocol.call(peer, "GET", f"/federation/v1/feeds/{subscription.feed}/changes",
                                   query={"after": asking, "limit": batch}).body
            if answer.get("after") != asking or answer.get("feed") != subscription.feed:
                raise SyncError(_("The answer is for another request."))
            if pending is not None:
                settle()
                if after != asking:  # the batch before did not end where this one starts
                    asking = after
                    continue
            source_seq = answer.get("last_seq") if type(answer.get("last_seq")) is int else None
            if subscription.kind == Subscription.Kind.CATALOG:
                changes = answer.get("changes")
                size = len(changes) if isinstance(changes, list) else -1
            else:
                size = answer.get("count") if type(answer.get("count")) is int else -1
            if size == 0:
                break
            if size < 0 or size > batch:
                raise SyncError(_("The peer sent more changes than were asked for."))
            if ahead is None:
                try:
                    applied = apply.apply_batch(subscription, after, answer)
                except apply.CheckpointMoved as exc:
                    after = asking = exc.current
                    continue
                _progress(run, applied)
                applied_total += applied.applied
                after = asking = applied.checkpoint
                if on_batch:
                    on_batch(run)
                continue
            pending = ahead.submit(apply.apply_batch, subscription, after, answer)
            claimed = _claimed_last(answer)
            if claimed is None or claimed <= asking:
                settle()  # nothing to ask ahead for: the apply says what is wrong
                claimed = after
            asking = claimed
    except (ProtocolError, SyncError, apply.BatchError) as exc:
        if pending is not None:
            try:
                settle()  # the batch being applied commits or not on its own: count it if it did
            except Exception:  # noqa: BLE001, S110  (the run fails for the first error)
                pass
        _record_status(subscription, source_seq=source_seq, error=str(exc), applied=applied_total)
        return _finish(run, str(exc))
    finally:
        if pending is not None:
            _wait(pending)
        if ahead is not None:
            ahead.shutdown()
    _record_status(subscription, source_seq=source_seq, applied=applied_total)
    return _finish(run)


def _wait(future) -> None:
    """Let a batch being applied finish (it commits or not on its own) before the call returns."""
    try:
        future.result()
    except Exception:  # noqa: BLE001, S110  (the error that ends the call is already on its way)
        pass


def publication_for(peer: Peer, feed: str) -> Publication | None:
    return Publication.objects.filter(peer=peer, dataset__entry__code=feed).select_related("dataset").first()


def push(peer: Peer, feed: str, *, batch: int = protocol.DEFAULT_BATCH, on_batch=None) -> SyncRun:
    """Send a feed to the peer (upload): its checkpoint first, then signed batches from there."""
    publication = publication_for(peer, feed) if feed != CATALOG_FEED else None
    if feed != CATALOG_FEED and publication is None:
        raise ValidationError(details={"feed": [_("This dataset is not published to that node.")]})
    run = _start(peer, feed, SyncRun.Direction.PUSH, None, 0)
    try:
        inbox = {s["feed"]: s for s in protocol.call(peer, "GET", "/federation/v1/inbox").body.get("subscriptions", [])}
        if feed not in inbox:
            raise SyncError(_("The peer does not subscribe to this feed."))
        after = inbox[feed].get("checkpoint")
        if type(after) is not int:
            raise SyncError(_("The peer did not say where its checkpoint stands."))
        run.from_seq = run.to_seq = after
        SyncRun.objects.filter(pk=run.pk).update(from_seq=after, to_seq=after)
        while True:
            payload = feeds.changes(peer, feed, after, batch)
            if not (payload.get("changes") if feed == CATALOG_FEED else payload.get("count")):
                break
            try:
                answer = protocol.call(peer, "POST", f"/federation/v1/inbox/{feed}", payload=payload).body
            except ProtocolError as exc:
                moved = exc.details.get("checkpoint")
                if exc.code == "checkpoint_mismatch" and type(moved) is int and 0 <= moved != after:
                    after = moved  # someone else moved it (a pull, another push): go on from there
                    continue
                raise
            applied = apply.Applied(checkpoint=answer.get("checkpoint", after), written=answer.get("written", 0),
                                    unchanged=answer.get("unchanged", 0), deleted=answer.get("deleted", 0))
            if type(applied.checkpoint) is not int or applied.checkpoint <= after:
                raise SyncError(_("The peer did not advance its checkpoint."))
            _progress(run, applied)
            after = applied.checkpoint
            if publication:
                Publication.objects.filter(pk=publication.pk).update(remote_checkpoint=after,
                                                                     last_push_at=timezone.now(), last_error="")
            if on_batch:
                on_batch(run)
    except (ProtocolError, SyncError, feeds.UnknownFeed, feeds.FeedRefused) as exc:
        if publication:
            Publication.objects.filter(pk=publication.pk).update(last_error=str(exc)[:500])
        return _finish(run, str(exc))
    if publication:
        Publication.objects.filter(pk=publication.pk).update(last_push_at=timezone.now(), last_error="")
    return _finish(run)


def receive_push(peer: Peer, feed: str, payload: dict) -> apply.Applied:
    """Apply a batch a peer pushed, after the same checks as a pull (the signature was checked by
    the view). The received batch is recorded as one run of its own."""
    subscription = Subscription.objects.filter(peer=peer, feed=feed, enabled=True).select_related(
        "peer", "dataset").prefetch_related("dataset__columns").first()
    if subscription is None:
        raise Conflict(_("This node does not subscribe to that feed."), code="not_subscribed")
    after = payload.get("after")
    if type(after) is not int or after < 0:
        raise apply.BatchError(_("The batch does not say where it starts."))
    run = SyncRun(peer=peer, feed=feed, direction=SyncRun.Direction.RECEIVED, subscription=subscription,
                  runner=_runner(), started_at=timezone.now(), from_seq=after, to_seq=after)
    source_seq = payload.get("last_seq") if type(payload.get("last_seq")) is int else None
    try:
        applied = apply.apply_batch(subscription, after, payload)
    except apply.CheckpointMoved:
        raise
    except apply.BatchError as exc:
        _record_status(subscription, source_seq=source_seq, error=str(exc))
        raise
    run.batches, run.rows_applied, run.rows_deleted, run.to_seq = 1, applied.written, applied.deleted, \
        applied.checkpoint
    run.status, run.finished_at = SyncRun.Status.SUCCEEDED, timezone.now()
    with transaction.atomic():
        run.save()
        audit.record("federation.syncrun.receive", run, changes={"applied": applied.written,
                                                                 "deleted": applied.deleted,
                                                                 "to_seq": applied.checkpoint})
    _record_status(subscription, source_seq=source_seq, applied=applied.applied)
    return applied


def pull_all(*, peer: Peer | None = None, feed: str = "", batch: int = protocol.DEFAULT_BATCH,
             on_batch=None) -> list[SyncRun]:
    subs = Subscription.objects.filter(enabled=True, peer__enabled=True).select_related("peer", "dataset")
    if peer is not None:
        subs = subs.filter(peer=peer)
    if feed:
        subs = subs.filter(feed=feed)
    return [pull(sub, batch=batch, on_batch=on_batch) for sub in subs.order_by("peer__code", "feed")]


def push_all(*, peer: Peer | None = None, feed: str = "", batch: int = protocol.DEFAULT_BATCH,
             on_batch=None) -> list[SyncRun]:
    """Push to `peer` (default: every enabled upstream peer) each feed it subscribes to that this
    node serves it: the catalog and the datasets published to it."""
    peers = [peer] if peer is not None else list(Peer.objects.filter(enabled=True, role="upstream"))
    runs = []
    for target in peers:
        if feed:
            runs.append(push(target, feed, batch=batch, on_batch=on_batch))
            continue
        served = {CATALOG_FEED, *Publication.objects.filter(peer=target).values_list("dataset__entry__code",
                                                                                      flat=True)}
        try:
            wanted = [s.get("feed") for s in protocol.call(target, "GET", "/federation/v1/inbox").body.get(
                "subscriptions", [])]
        except ProtocolError:
            wanted = sorted(served)  # each push then records why it failed
        for name in sorted(f for f in wanted if f in served):
            runs.append(push(target, name, batch=batch, on_batch=on_batch))
    return runs


def require_subscription_scope(actor, subscription: Subscription, action: str = "change") -> None:
    require_in_scope(actor, action, subscription)
