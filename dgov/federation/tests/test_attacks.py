"""What a rogue or broken peer (or whoever sits between two nodes) can try, and a crash at the wrong
moment: forged or oversized answers, batches beyond the limits, huge pushes, a pushed catalog carrying
structure of its own, two first batches at once."""

import threading

import pytest
from django.test import override_settings

from dgov.aggregation import datastore as store
from dgov.aggregation.testing import make_dataset
from dgov.federation import apply, feeds, protocol, services
from dgov.federation.models import CATALOG_FEED, Publication, RemoteEntry, Subscription, SyncRun
from dgov.federation.testing import client_transport, dataset_batch, lines, rebuilt
from dgov.federation.tests.test_sync import live, rows


@pytest.fixture
def upload(pair, source):
    """`source` published to the remote (as the client side knows it) and subscribed to on the
    server side: a push from here lands in `inbox`."""
    caller, remote = pair
    Publication.objects.create(peer=remote, dataset=source)
    inbox = make_dataset(name="上报目标数据")
    Subscription.objects.create(peer=caller, feed=source.entry.code, kind="dataset", dataset=inbox)
    return remote, inbox


def test_an_unsigned_error_answer_is_not_believed(upload, source, monkeypatch):
    """A forged 409 must not move where the push stands (it was believed before its signature was
    checked, and the push then "succeeded" having sent nothing)."""
    remote, inbox = upload
    store.upsert(source, rows(6))

    def forged(method, url, body, headers):
        if method == "POST":
            return 409, (b'{"code":"checkpoint_mismatch","message":"forged","details":{"checkpoint":999}}'), {}
        return client_transport(method, url, body, headers)

    monkeypatch.setattr(protocol, "transport", forged)
    run = services.push(remote, source.entry.code, batch=4)
    assert run.status == SyncRun.Status.FAILED and "409" in run.error and "forged" not in run.error
    assert run.to_seq == 0 and live(inbox) == []


def test_an_unsigned_success_answer_is_refused(pair, source, target, monkeypatch):
    store.upsert(source, rows(3))

    def unsigned(method, url, body, headers):
        status, raw, _headers = client_transport(method, url, body, headers)
        return status, raw, {}

    monkeypatch.setattr(protocol, "transport", unsigned)
    run = services.pull(target)
    assert run.status == SyncRun.Status.FAILED and live(target.dataset) == []


def test_a_pushed_checkpoint_mismatch_that_does_not_move_ends_the_push(upload, source, monkeypatch):
    """A receiver that keeps answering "start at N" with the N the push already used would keep the
    push looping forever."""
    remote, _inbox = upload
    store.upsert(source, rows(3))
    calls = []

    def stuck(subscription, after, payload):
        calls.append(after)
        if len(calls) > 3:
            raise RuntimeError("looping")  # an unsigned 500 ends the push either way
        raise apply.CheckpointMoved(after)

    monkeypatch.setattr(apply, "apply_batch", stuck)
    run = services.push(remote, source.entry.code)
    assert run.status == SyncRun.Status.FAILED and "409" in run.error
    assert calls == [0]


def test_a_source_sending_more_changes_than_asked_is_refused(pair, source, target, monkeypatch):
    store.upsert(source, rows(8))
    real = feeds.changes
    monkeypatch.setattr(feeds, "changes", lambda peer, feed, after, limit: real(peer, feed, after, 100))
    run = services.pull(target, batch=3)
    assert run.status == SyncRun.Status.FAILED and live(target.dataset) == []


def test_batches_beyond_the_limits_are_refused(source, target):
    store.upsert(source, rows(2))
    batch = dataset_batch(source, 0, 10)
    first = lines(batch)[0]
    too_many = rebuilt(batch, [[str(i), str(i + 1), *first[2:]] for i in range(protocol.MAX_BATCH + 1)])
    with pytest.raises(apply.BatchError):
        apply.apply_batch(target, 0, too_many)
    beyond = rebuilt(batch, [[first[0], str(2**63), *first[2:]]])
    with pytest.raises(apply.BatchError):
        apply.apply_batch(target, 0, beyond)
    assert store.count(target.dataset) == 0 and apply.checkpoint(target) == 0


def test_an_answer_larger_than_the_limit_is_not_read(monkeypatch):
    monkeypatch.setattr(protocol, "MAX_BODY", 10)

    class Endless:
        def read(self, n):
            return b"x" * n

    with pytest.raises(protocol.ProtocolError):
        protocol._bounded(Endless())


def test_a_push_larger_than_djangos_upload_limit_is_received(upload, source):
    """The node endpoints bound the body themselves: Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB by
    default) made ordinary pushes fail with an unsigned 400."""
    remote, inbox = upload
    store.upsert(source, rows(30))
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=200):
        run = services.push(remote, source.entry.code, batch=30)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert live(inbox) == live(source)


def test_batches_are_cut_to_fit_the_body_limit_and_bigger_bodies_are_refused(upload, source, monkeypatch):
    remote, inbox = upload
    store.upsert(source, rows(9))
    monkeypatch.setattr(protocol, "MAX_BODY", 4096 + 160)  # about two rows (of about 75 bytes) per batch
    run = services.push(remote, source.entry.code, batch=9)
    assert run.status == SyncRun.Status.SUCCEEDED and run.batches >= 4, run.error
    assert live(inbox) == live(source)
    from django.test import Client

    response = Client().post(f"/federation/v1/inbox/{source.entry.code}", data=b"x" * 5000,
                             content_type="application/json")
    assert response.status_code == 413 and response.json()["code"] == "too_large"


def test_a_pushed_catalog_keeps_only_the_fields_the_feed_carries(pair):
    _caller, remote = pair
    sub = Subscription.objects.create(peer=remote, feed=CATALOG_FEED, kind="catalog")
    changes = [{"_key": "307000001/000001", "_seq": 1, "_deleted": False,
                "entry": {"name": "对端资源", "version": 1, "sharing_type": "<script>",
                          "items": [{"name": "姓名", "data_type": "string", "extra": {"deep": [1] * 100}},
                                    "not an item", {"no": "name"}, {"name": ["x"]}]}}]
    apply.apply_batch(sub, 0, {"changes": changes, "digest": protocol.batch_digest(changes)})
    entry = RemoteEntry.objects.get(peer=remote)
    assert entry.items == [{"name": "姓名", "data_type": "string"}] and entry.sharing_type == ""


def test_deleting_rows_holds_the_tables_sequence_first(source, target, monkeypatch):
    """A batch of deletions only (no upsert took the lock) reads which rows are live under the
    table's sequence lock, like every writer of the table."""
    store.upsert(source, rows(3))
    apply.apply_batch(target, 0, dataset_batch(source, 0, 10))
    store.mark_deleted(source, [])
    deletions = dataset_batch(source, 3, 10)
    order = []
    real_lock, real_execute = store.lock_sequence, store.sa.Connection.execute
    monkeypatch.setattr(store, "lock_sequence", lambda conn, tbl: (order.append("lock"), real_lock(conn, tbl))[1])

    def reads(conn, statement, *args, **kwargs):
        if getattr(statement, "is_select", False) and target.dataset.table_name in str(statement):
            order.append("read")
        return real_execute(conn, statement, *args, **kwargs)

    monkeypatch.setattr(store.sa.Connection, "execute", reads)
    assert apply.apply_batch(target, 3, deletions).deleted == 3
    assert "lock" in order and order.index("lock") < (order.index("read") if "read" in order else len(order))
    assert store.count(target.dataset) == 0


def test_two_first_batches_at_once_apply_only_one(source, target, monkeypatch):
    """A pull and a push of the first batch at the same moment: the checkpoint's compare-and-set must
    let one through. On PostgreSQL the missing checkpoint row locked nothing, and both applied (the
    second moving the checkpoint back, or failing on the row's key)."""
    store.upsert(source, rows(6))
    short = dataset_batch(source, 0, 2)
    full = dataset_batch(source, 0, 6)
    # the thread must not touch the test's Django connection: everything it needs is fetched here
    sub = Subscription.objects.select_related("peer", "dataset__entry").prefetch_related(
        "dataset__columns").get(pk=target.pk)
    inside, release = threading.Event(), threading.Event()
    real_apply = store.apply_changes_text
    first = []

    def slow_apply(dataset, columns, text, *, after, conn):
        result = real_apply(dataset, columns, text, after=after, conn=conn)
        if not first:
            first.append(True)
            inside.set()
            release.wait(10)
        return result

    monkeypatch.setattr(store, "apply_changes_text", slow_apply)
    outcome = {}

    def apply_full():
        try:
            outcome["full"] = apply.apply_batch(sub, 0, full).checkpoint
        except Exception as exc:  # noqa: BLE001 (reported below)
            outcome["full"] = exc

    thread = threading.Thread(target=apply_full)
    thread.start()
    assert inside.wait(10)
    result = {}

    def apply_short():
        try:
            result["short"] = apply.apply_batch(sub, 0, short).checkpoint
        except Exception as exc:  # noqa: BLE001
            result["short"] = exc

    second = threading.Thread(target=apply_short)
    second.start()
    second.join(1)  # it waits for the first (SQLite: the write lock; PostgreSQL: the checkpoint row)
    release.set()
    thread.join(20)
    second.join(20)
    assert outcome["full"] == 6
    assert isinstance(result["short"], apply.CheckpointMoved) and result["short"].current == 6
    assert apply.checkpoint(sub) == 6 and store.count(sub.dataset) == 6


def test_the_node_key_cannot_be_used_or_exported_through_the_key_service(db):
    """Whoever holds the key service's highest rights still cannot sign as this node."""
    from dgov.catalog.testing import make_superuser
    from dgov.federation import node
    from dgov.kms import services as kms

    node.public_key_pem()  # created on first use
    admin = make_superuser()
    with pytest.raises(kms.PlatformKey):
        kms.sign(actor=admin, name=node.NODE_KEY, items=[kms.Item(input=b"forged batch")])
    with pytest.raises(kms.PlatformKey):
        kms.export(actor=admin, name=node.NODE_KEY)
