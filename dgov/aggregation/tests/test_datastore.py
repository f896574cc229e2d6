"""The data store: idempotent upserts, the change sequence, deletions, reads with filters, JSON-safe
values, and columns added later."""

import datetime as dt
from decimal import Decimal

import pytest

from dgov.aggregation import services
from dgov.aggregation.testing import ENDLESS, make_dataset
from dgov.catalog.testing import item

pytestmark = pytest.mark.django_db

PEOPLE = [{"xm": "张三", "sfzh": "360603199001011234", "lxdh": "13800001111", "djrq": "2024-01-02"},
          {"xm": "李四", "sfzh": "360603199202022345", "lxdh": "13900002222", "djrq": dt.date(2024, 3, 4)},
          {"xm": "王五", "sfzh": "360603198503033456", "lxdh": None, "djrq": None}]


def test_upsert_is_idempotent_and_sequences_every_change(datastore):
    ds = make_dataset()
    assert datastore.upsert(ds, PEOPLE) == datastore.UpsertResult(written=3, unchanged=0)
    assert datastore.upsert(ds, PEOPLE) == datastore.UpsertResult(written=0, unchanged=3)
    assert datastore.stats(ds) == (3, 3)
    # Within one upsert the order of the numbers is the store's (key order on PostgreSQL); each row
    # has its own.
    first = {c["_key"]: c["_seq"] for c in datastore.changes_since(ds, 0)}
    assert sorted(first.values()) == [1, 2, 3] and set(first) == {p["sfzh"] for p in PEOPLE}
    changed = dict(PEOPLE[1], lxdh="13900009999")
    assert datastore.upsert(ds, [changed]).written == 1
    # the changed row alone is renumbered
    assert {c["_key"]: c["_seq"] for c in datastore.changes_since(ds, 0)} == {**first, PEOPLE[1]["sfzh"]: 4}
    assert datastore.mark_deleted(ds, {PEOPLE[0]["sfzh"]}) == 2
    assert datastore.mark_deleted(ds, {PEOPLE[0]["sfzh"]}) == 0  # already deleted: no new sequence numbers
    changes = datastore.changes_since(ds, 4)
    assert [(c["_seq"], c["_deleted"]) for c in changes] == [(5, True), (6, True)]
    assert {c["_key"] for c in changes} == {PEOPLE[1]["sfzh"], PEOPLE[2]["sfzh"]}
    assert datastore.count(ds) == 1
    # back in the source: live again, with a new sequence number
    assert datastore.upsert(ds, [PEOPLE[2]]).written == 1
    assert datastore.changes_since(ds, 6) == [{"_key": "360603198503033456", "_seq": 7, "_deleted": False,
                                               "xm": "王五", "sfzh": "360603198503033456", "lxdh": None,
                                               "djrq": None}]
    first_two = [(c["_key"], c["_seq"]) for c in datastore.changes_since(ds, 0, limit=2)]
    assert first_two[0] == (PEOPLE[0]["sfzh"], first[PEOPLE[0]["sfzh"]])
    assert first_two[1][0] == PEOPLE[1]["sfzh"] and first_two[1][1] in (5, 6)


def test_a_later_row_with_the_same_key_wins(datastore):
    ds = make_dataset()
    result = datastore.upsert(ds, [PEOPLE[0], dict(PEOPLE[0], xm="张三丰")])
    assert result.written == 1
    assert datastore.select(ds, columns=["xm"], where=[], limit=5, offset=0) == [{"xm": "张三丰"}]


def test_select_filters_and_validation(datastore):
    ds = make_dataset()
    datastore.upsert(ds, PEOPLE)
    def keys(where, **kw):
        return [r["sfzh"] for r in datastore.select(ds, columns=["sfzh"], where=where, limit=kw.get("limit", 10),
                                                    offset=kw.get("offset", 0))]
    assert keys([]) == sorted(p["sfzh"] for p in PEOPLE)
    assert keys([("xm", "eq", "李四")]) == ["360603199202022345"]
    assert keys([("xm", "ne", "李四")]) == ["360603198503033456", "360603199001011234"]
    assert keys([("djrq", "gte", "2024-01-02")]) == ["360603199001011234", "360603199202022345"]
    assert keys([("djrq", "lt", "2024-03-04")]) == ["360603199001011234"]
    assert keys([("djrq", "lte", "2024-03-04"), ("djrq", "gt", "2024-01-02")]) == ["360603199202022345"]
    assert keys([("xm", "in", ["张三", "王五"])]) == ["360603198503033456", "360603199001011234"]
    assert keys([("lxdh", "startswith", "139")]) == ["360603199202022345"]
    assert keys([("lxdh", "startswith", "1%")]) == []  # LIKE wildcards are taken literally
    assert keys([("lxdh", "eq", None)]) == ["360603198503033456"]
    assert keys([], limit=1, offset=1) == ["360603199001011234"]
    assert datastore.count(ds, [("djrq", "gte", "2024-01-01")]) == 2
    assert datastore.select(ds, columns=[], where=[("xm", "eq", "张三")], limit=1, offset=0) == [
        {"xm": "张三", "sfzh": "360603199001011234", "lxdh": "13800001111", "djrq": "2024-01-02"}]
    for bad in ([("nope", "eq", 1)], [("xm", "like", "张")], [("djrq", "eq", "yesterday")],
                [("djrq", "startswith", "2024")], [("xm", "in", "张三")], ["xm"]):
        with pytest.raises(ValueError):
            datastore.select(ds, columns=["xm"], where=bad, limit=1, offset=0)
    with pytest.raises(ValueError):
        datastore.select(ds, columns=["_key"], where=[], limit=1, offset=0)
    with pytest.raises(ValueError):
        datastore.upsert(ds, [{"sfzh": "1", "nope": 2}])
    with pytest.raises(datastore.RowError):
        datastore.upsert(ds, [{"xm": "无名"}])  # no key


def test_select_orders_and_searches_text(datastore):
    ds = make_dataset()
    datastore.upsert(ds, [*PEOPLE, {"xm": "张三丰", "sfzh": "360603197004044567", "lxdh": "13800003333",
                                    "djrq": "2024-01-02"}])
    def names(where=(), order=None, **kw):
        return [r["xm"] for r in datastore.select(ds, columns=["xm"], where=list(where), order=order,
                                                  limit=kw.get("limit", 10), offset=kw.get("offset", 0))]
    # empty values last in both directions, ties by key
    assert names(order=[("djrq", False)]) == ["张三丰", "张三", "李四", "王五"]
    assert names(order=[("djrq", True)]) == ["李四", "张三丰", "张三", "王五"]
    assert names(order=[("djrq", True), ("xm", True)]) == ["李四", "张三丰", "张三", "王五"]
    assert names(order=[("lxdh", True)], limit=2, offset=1) == ["张三丰", "张三"]
    assert names([("xm", "contains", "张三")]) == ["张三丰", "张三"]
    assert names([(("xm", "lxdh"), "contains", "2222")]) == ["李四"]  # any of the columns
    assert names([(("xm", "lxdh"), "contains", "%")]) == []  # LIKE wildcards are taken literally
    assert names([("djrq", "contains", "-03-")]) == ["李四"]  # a date compared as its text
    assert names([((), "contains", "张")]) == []  # no column to search
    assert datastore.count(ds, [(("xm",), "contains", "三")]) == 2
    for bad in ([("xm", "contains", "")], [("xm", "contains", 3)], [(("xm", "nope"), "contains", "张")]):
        with pytest.raises(ValueError):
            datastore.select(ds, columns=["xm"], where=bad, limit=1, offset=0)
    with pytest.raises(ValueError):
        datastore.select(ds, columns=["xm"], order=[("nope", False)], limit=1, offset=0)


def test_stream_reads_every_row_in_key_order_by_batches(datastore):
    ds = make_dataset()
    people = [{"xm": f"居民{i}", "sfzh": f"3606031990010{i:05d}", "lxdh": None, "djrq": None} for i in range(23)]
    datastore.upsert(ds, people)
    datastore.mark_deleted(ds, {p["sfzh"] for p in people[1:]})
    rows = list(datastore.stream(ds, columns=["sfzh", "xm"], batch=5))
    assert rows == [{"sfzh": p["sfzh"], "xm": p["xm"]} for p in people[1:]]
    assert [r["xm"] for r in datastore.stream(ds, columns=["xm"], where=[("xm", "contains", "居民2")], batch=2)] == [
        "居民2", "居民20", "居民21", "居民22"]
    assert list(datastore.stream(ds, where=[("xm", "eq", "无")])) == []


def test_values_come_back_json_safe(datastore, settings):
    ds = make_dataset(items=[item("编号", personal_data="none"), item("金额", data_type="decimal", length=None),
                             item("人数", data_type="integer", length=None),
                             item("时间", data_type="datetime", length=None),
                             item("有效", data_type="boolean", length=None)],
                      columns=[{"name": "bh", "item_name": "编号", "is_key": True},
                               {"name": "je", "item_name": "金额"}, {"name": "rs", "item_name": "人数"},
                               {"name": "sj", "item_name": "时间"}, {"name": "yx", "item_name": "有效"}])
    datastore.upsert(ds, [{"bh": "A1", "je": Decimal("735.50"), "rs": "12", "sj": "2025-01-02 08:30:00",
                           "yx": "是"},
                          {"bh": "A2", "je": 10, "rs": 3.0, "sj": dt.datetime(2025, 1, 2, 0, 30, tzinfo=dt.UTC),
                           "yx": False}])
    rows = datastore.select(ds, columns=["bh", "je", "rs", "sj", "yx"], where=[], limit=5, offset=0)
    assert rows == [{"bh": "A1", "je": "735.5", "rs": 12, "sj": "2025-01-02T08:30:00+08:00", "yx": True},
                    {"bh": "A2", "je": "10", "rs": 3, "sj": "2025-01-02T08:30:00+08:00", "yx": False}]
    # the same values again (as other types) are unchanged
    assert datastore.upsert(ds, [{"bh": "A1", "je": "735.500", "rs": 12, "sj": dt.datetime(2025, 1, 2, 8, 30),
                                  "yx": True}]).unchanged == 1
    assert datastore.select(ds, columns=["bh"], where=[("sj", "eq", "2025-01-02T00:30:00+00:00")],
                            limit=5, offset=0) == [{"bh": "A1"}, {"bh": "A2"}]
    for value in ("1.5", "abc", "99999999999999999999"):
        with pytest.raises(datastore.RowError):
            datastore.coerce(value, "integer", "rs")


def test_a_column_added_later_extends_the_table(datastore, editor):
    ds = make_dataset(actor=editor, columns=[{"name": "sfzh", "item_name": "公民身份号码", "is_key": True},
                                             {"name": "xm", "item_name": "姓名"}])
    datastore.upsert(ds, [{"sfzh": "1", "xm": "甲"}])
    services.dataset_update(actor=editor, dataset=ds, columns=[
        {"name": "sfzh", "item_name": "公民身份号码", "is_key": True}, {"name": "xm", "item_name": "姓名"},
        {"name": "lxdh", "item_name": "联系电话"}])
    ds.refresh_from_db()
    assert datastore.select(ds, columns=["xm", "lxdh"], where=[], limit=5, offset=0) == [{"xm": "甲", "lxdh": None}]
    datastore.upsert(ds, [{"sfzh": "1", "xm": "甲", "lxdh": "139"}])
    assert datastore.select(ds, columns=["lxdh"], where=[], limit=5, offset=0) == [{"lxdh": "139"}]


def test_time_limit_stops_a_slow_read_and_the_connection_serves_again(datastore):
    ds = make_dataset()
    datastore.upsert(ds, PEOPLE)
    with pytest.raises(datastore.TooSlow):
        with datastore.time_limit(0.2) as conn:
            conn.exec_driver_sql(ENDLESS)
    with datastore.time_limit(5) as conn:  # a quick read passes, and the pooled connection is whole again
        assert datastore.count(ds, conn=conn) == 3
    assert datastore.select(ds, columns=["xm"], where=[("xm", "eq", "张三")]) == [{"xm": "张三"}]
