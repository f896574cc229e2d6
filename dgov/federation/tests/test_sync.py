"""The protocol and the sync, in one process: signatures both ways, every refusal of the node
endpoints in the error shape, pulls and pushes (real protocol through the test client), apply
idempotence, the checkpoint's compare-and-set, a batch that dies half-way, and the catalog feed."""

import os
import time

import pytest
from django.test import Client
from django.utils import timezone

from dgov.aggregation import datastore as store
from dgov.aggregation.testing import make_dataset
from dgov.catalog.models import Status
from dgov.catalog.services import transition
from dgov.catalog.testing import make_entry, make_superuser
from dgov.crypto.primitives import SM2PrivateKey
from dgov.exchange import signing
from dgov.federation import apply, node, protocol, services
from dgov.federation.models import CATALOG_FEED, Publication, RemoteEntry, Subscription, SyncRun
from dgov.federation.testing import REMOTE, dataset_batch, lines, peer_row, rebuilt


def rows(n: int, start: int = 0, tag: str = "") -> list[dict]:
    return [{"xm": f"测试{i}{tag}", "sfzh": f"36060319900101{i:04d}", "lxdh": f"1380000{i:04d}",
             "djrq": "2025-01-02"} for i in range(start, start + n)]


def live(dataset) -> list[dict]:
    return store.select(dataset, limit=10000)


def signed_get(path: str, key: SM2PrivateKey, code: str, *, query: str = "", nonce: str | None = None,
               timestamp: str | None = None, signature: str | None = None):
    timestamp = timestamp or str(int(time.time()))
    nonce = nonce or os.urandom(12).hex()
    message = signing.string_to_sign("GET", path, query, timestamp, nonce, b"")
    headers = {"X-Dgov-Node": code, "X-Dgov-Timestamp": timestamp, "X-Dgov-Nonce": nonce,
               "X-Dgov-Signature": signature or signing.sm2_signature(key, message)}
    return Client().get(path + (f"?{query}" if query else ""), headers=headers)


def assert_error(response, status: int, code: str):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "details"} and body["code"] == code


# --- signatures and refusals ------------------------------------------------------------------------
class TestNodeEndpoints:
    def test_a_signed_request_of_a_paired_node_is_answered_and_the_answer_is_signed(self, pair, source):
        caller, _remote = pair
        key = SM2PrivateKey.generate()
        peer_row("360681", role="downstream", pem=key.public_key().to_pem())
        response = signed_get("/federation/v1/feeds", key, "360681")
        assert response.status_code == 200
        assert [f["feed"] for f in response.json()["feeds"]] == [CATALOG_FEED]  # nothing published to 360681
        own = peer_row("360999", pem=node.public_key_pem())
        own.code = node.code()  # the answer comes from this node
        nonce = response.request["HTTP_X_DGOV_NONCE"]
        protocol.verify_response(own, 200, nonce, response.content, response.headers)
        with pytest.raises(protocol.ProtocolError):  # one changed byte
            protocol.verify_response(own, 200, nonce, response.content.replace(b"catalog", b"catalgo"),
                                     response.headers)
        with pytest.raises(protocol.ProtocolError):  # the answer to another request
            protocol.verify_response(own, 200, "x" * 24, response.content, response.headers)

    def test_unsigned_unknown_wrong_stale_replayed_and_disabled_are_refused(self, pair, source):
        key = SM2PrivateKey.generate()
        peer = peer_row("360681", role="downstream", pem=key.public_key().to_pem())
        assert_error(Client().get("/federation/v1/feeds"), 401, "not_authenticated")
        assert_error(signed_get("/federation/v1/feeds", key, "360682"), 401, "invalid_signature")
        assert_error(signed_get("/federation/v1/feeds", SM2PrivateKey.generate(), "360681"), 401,
                     "invalid_signature")
        assert_error(signed_get("/federation/v1/feeds", key, "360681", timestamp=str(int(time.time()) - 3600)),
                     401, "stale_timestamp")
        nonce = "n" * 20
        assert signed_get("/federation/v1/feeds", key, "360681", nonce=nonce).status_code == 200
        assert_error(signed_get("/federation/v1/feeds", key, "360681", nonce=nonce), 401, "replayed")
        peer.enabled = False
        peer.save()
        assert_error(signed_get("/federation/v1/feeds", key, "360681"), 403, "peer_disabled")

    def test_a_feed_not_published_to_the_caller_is_403_unknown_404_bad_input_422(self, pair, source):
        key = SM2PrivateKey.generate()
        peer_row("360681", role="downstream", pem=key.public_key().to_pem())
        path = f"/federation/v1/feeds/{source.entry.code}/changes"
        assert_error(signed_get(path, key, "360681"), 403, "not_published")
        assert_error(signed_get("/federation/v1/feeds/307999999/000001/changes", key, "360681"), 404, "not_found")
        assert_error(signed_get("/federation/v1/feeds/nothing", key, "360681"), 404, "not_found")
        assert_error(signed_get(f"/federation/v1/feeds/{CATALOG_FEED}/changes", key, "360681", query="after=-1"),
                     422, "invalid")
        assert_error(signed_get(f"/federation/v1/feeds/{CATALOG_FEED}/changes", key, "360681", query="limit=0"),
                     422, "invalid")

    def test_the_identity_endpoint_gives_what_pairing_needs(self, db):
        body = Client().get("/federation/v1/node").json()
        assert body["code"] == node.code() and body["public_key_pem"] == node.public_key_pem()
        assert body["fingerprint"] == node.fingerprint(node.public_key_pem())


# --- pull and push ------------------------------------------------------------------------------------
class TestPull:
    def test_pull_copies_every_row_in_batches_and_is_idempotent(self, source, target):
        store.upsert(source, rows(25))
        run = services.pull(target, batch=4)
        assert run.status == SyncRun.Status.SUCCEEDED and run.batches == 7 and run.rows_applied == 25
        assert live(target.dataset) == live(source)
        target.refresh_from_db()
        assert target.checkpoint == 25 and target.source_seq == 25 and target.lag == 0
        again = services.pull(target, batch=4)
        assert again.batches == 0 and live(target.dataset) == live(source)

    def test_updates_and_deletions_travel(self, source, target):
        store.upsert(source, rows(10))
        services.pull(target, batch=3)
        store.upsert(source, rows(2, tag="（改）"))
        keep = [r["sfzh"] for r in rows(10)[:7]]
        assert store.mark_deleted(source, keep) == 3
        run = services.pull(target, batch=3)
        assert run.rows_deleted == 3
        assert live(target.dataset) == live(source) and len(live(target.dataset)) == 7
        assert live(target.dataset)[0]["xm"] == "测试0（改）"

    def test_a_failed_pull_is_recorded_with_its_reason(self, pair, source, target, monkeypatch):
        Publication.objects.all().delete()
        run = services.pull(target)
        assert run.status == SyncRun.Status.FAILED and "403" in run.error
        target.refresh_from_db()
        assert target.last_failure_at and "403" in target.last_error

    def test_push_sends_batches_that_the_peer_verifies_and_applies(self, pair, source):
        caller, remote = pair
        Publication.objects.create(peer=remote, dataset=source)
        store.upsert(source, rows(9))
        inbox = make_dataset(name="上报目标数据")
        sub = Subscription.objects.create(peer=caller, feed=source.entry.code, kind="dataset", dataset=inbox)
        run = services.push(remote, source.entry.code, batch=4)
        assert run.status == SyncRun.Status.SUCCEEDED and run.batches == 3, run.error
        assert live(inbox) == live(source)
        assert SyncRun.objects.filter(direction="received", subscription=sub).count() == 3
        assert Publication.objects.get(peer=remote).remote_checkpoint == 9


# --- apply: checkpoint and atomicity ----------------------------------------------------------------------
class TestApply:
    def _batch(self, source, after=0, limit=100):
        return dataset_batch(source, after, limit)

    def test_the_same_batch_twice_is_refused_and_nothing_is_duplicated(self, source, target):
        store.upsert(source, rows(5))
        batch = self._batch(source)
        assert apply.apply_batch(target, 0, batch).written == 5
        with pytest.raises(apply.CheckpointMoved) as exc:
            apply.apply_batch(target, 0, batch)
        assert exc.value.current == 5
        assert store.count(target.dataset) == 5

    def test_a_batch_that_dies_half_way_leaves_neither_rows_nor_checkpoint(self, source, target, monkeypatch):
        store.upsert(source, rows(5))
        batch = self._batch(source)

        def crash(*args):
            raise RuntimeError("killed between the rows and the checkpoint")

        monkeypatch.setattr(apply, "_write", crash)
        with pytest.raises(RuntimeError):
            apply.apply_batch(target, 0, batch)
        monkeypatch.undo()
        assert store.count(target.dataset) == 0 and apply.checkpoint(target) == 0
        assert apply.apply_batch(target, 0, batch).checkpoint == 5

    @pytest.mark.parametrize("damage", ["digest", "order", "twice", "column", "key", "value", "fields", "nokey"])
    def test_damaged_batches_are_refused(self, source, target, damage):
        store.upsert(source, rows(3))
        batch = self._batch(source)
        fields = lines(batch)
        columns = batch["columns"]
        if damage == "digest":
            batch = {**batch, "rows": batch["rows"].replace(fields[0][3], "篡改")}
        elif damage == "order":
            batch = rebuilt(batch, fields[::-1])
        elif damage == "twice":
            batch = rebuilt(batch, [*fields, [fields[0][0], "99", *fields[0][2:]]])
        elif damage == "column":
            batch = rebuilt(batch, [[*f, "1"] for f in fields], [*columns, "extra"])
        elif damage == "key":  # a row whose key is not what its key column makes
            batch = rebuilt(batch, [["360603199001019999", *fields[0][1:]], *fields[1:]])
        elif damage == "value":  # a date that is not one
            i = 3 + columns.index("djrq")
            batch = rebuilt(batch, [[*fields[0][:i], "2025-02-30", *fields[0][i + 1:]], *fields[1:]])
        elif damage == "fields":
            batch = rebuilt(batch, [fields[0][:-1], *fields[1:]])
        else:
            batch = rebuilt(batch, [["\\N", *fields[0][1:]], *fields[1:]])
        with pytest.raises(apply.BatchError):
            apply.apply_batch(target, 0, batch)
        assert store.count(target.dataset) == 0 and apply.checkpoint(target) == 0

    def test_values_come_back_as_they_were_sent(self, source, target):
        """Text with tabs, newlines and backslashes, NULLs, decimals, dates, and a deletion."""
        odd = [{**rows(1)[0], "xm": "张\t三\n\\ \\N 末", "lxdh": None}, *rows(3)[1:]]
        store.upsert(source, odd)
        store.mark_deleted(source, [r["sfzh"] for r in odd[:2]])
        result = apply.apply_batch(target, 0, self._batch(source))
        assert (result.written, result.deleted, result.checkpoint) == (2, 0, 4)
        assert live(target.dataset) == live(source)
        assert store.select(target.dataset, where=[("sfzh", "eq", odd[0]["sfzh"])])[0]["xm"] == odd[0]["xm"]


# --- the catalog feed ---------------------------------------------------------------------------------------
def test_the_catalog_feed_carries_published_entries_and_withdrawals_only(pair):
    _caller, remote = pair
    sub = Subscription.objects.create(peer=remote, feed=CATALOG_FEED, kind="catalog")
    published = make_entry(name="省级目录测试资源", status=Status.PUBLISHED)
    make_entry(name="草稿资源", status=Status.DRAFT)
    assert services.pull(sub).status == SyncRun.Status.SUCCEEDED
    names = set(RemoteEntry.objects.filter(peer=remote).values_list("name", flat=True))
    assert "省级目录测试资源" in names and "草稿资源" not in names
    transition(actor=make_superuser(), entry=published, action="withdraw", reason="测试撤回")
    services.pull(sub)
    assert RemoteEntry.objects.get(peer=remote, code=published.code).withdrawn


def test_a_run_whose_process_died_is_marked_interrupted(pair):
    _caller, remote = pair
    dead = SyncRun.objects.create(peer=remote, feed=CATALOG_FEED, direction="pull", started_at=timezone.now(),
                                  runner=f"{__import__('socket').gethostname()}:999999999")
    assert services.mark_interrupted(remote, CATALOG_FEED) == 1
    dead.refresh_from_db()
    assert dead.status == SyncRun.Status.INTERRUPTED


def test_pairing_checks_the_key_and_refuses_the_own_code(db):
    from dgov.core.errors import ValidationError

    with pytest.raises(ValidationError) as exc:
        services.pair(code="360000", name="江西省", base_url="http://127.0.0.1:1", public_key_pem="not a key",
                      role="upstream", system=True)
    assert "public_key_pem" in exc.value.details
    with pytest.raises(ValidationError) as exc:
        services.pair(code=node.code(), name="自己", base_url="http://127.0.0.1:1",
                      public_key_pem=node.public_key_pem(), role="upstream", system=True)
    assert "code" in exc.value.details
    peer = services.pair(code=REMOTE, name="江西省", base_url="http://127.0.0.1:1",
                         public_key_pem=SM2PrivateKey.generate().public_key().to_pem(), role="upstream", system=True)
    assert peer.paired_at is not None


def test_every_data_type_travels_exactly(pair):
    """Integers, decimals (exact on PostgreSQL), dates, datetimes (UTC on the wire), booleans, binary
    and NULLs, through the batch text both ways (PostgreSQL's COPY or Python's, by the data store)."""
    import datetime as dt
    from decimal import Decimal

    from dgov.catalog.testing import item

    items = [item("编号", length=None), item("数量", data_type="integer", length=None),
             item("金额", data_type="decimal", length=None), item("日期", data_type="date", length=None),
             item("时间", data_type="datetime", length=None), item("是否", data_type="boolean", length=None),
             item("附件", data_type="binary", length=None)]
    columns = [{"name": "bh", "item_name": "编号", "is_key": True}, {"name": "sl", "item_name": "数量"},
               {"name": "je", "item_name": "金额"}, {"name": "rq", "item_name": "日期"},
               {"name": "sj", "item_name": "时间"}, {"name": "sf", "item_name": "是否"},
               {"name": "fj", "item_name": "附件"}]
    caller, remote = pair
    source = make_dataset(name="全类型源数据", items=items, columns=columns)
    Publication.objects.create(peer=caller, dataset=source)
    inbox = make_dataset(name="全类型目标数据", items=items, columns=columns)
    sub = Subscription.objects.create(peer=remote, feed=source.entry.code, kind="dataset", dataset=inbox)
    values = [{"bh": "a\tb", "sl": -(2**63), "je": Decimal("-12.50"), "rq": dt.date(1, 1, 1),
               "sj": dt.datetime(2026, 1, 1, 8, 0, 0, 500000), "sf": True, "fj": b"\x00\xff\\"},
              {"bh": "2", "sl": 2**63 - 1, "je": Decimal("0.000001"), "rq": dt.date(9999, 12, 31),
               "sj": "2026-07-01T23:59:59+00:00", "sf": False, "fj": b""},
              {"bh": "3", "sl": None, "je": None, "rq": None, "sj": None, "sf": None, "fj": None}]
    store.upsert(source, values)
    run = services.pull(sub)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert live(inbox) == live(source) and len(live(inbox)) == 3
    assert services.pull(sub).status == SyncRun.Status.SUCCEEDED  # nothing new: nothing rewritten
    assert store.changes_since(inbox, 3) == []
