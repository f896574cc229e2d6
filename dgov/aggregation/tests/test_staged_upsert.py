"""The bulk write path (on PostgreSQL: rows staged by COPY, merged by one INSERT … ON CONFLICT, and
deletions marked by one UPDATE; on SQLite the row-by-row path): the same rows and the same `_seq`
rules on both — new rows numbered, changed rows renumbered, unchanged rows not, deletions numbered —
and the per-column converters, which must give exactly what `coerce` gives."""

import datetime as dt
from decimal import Decimal

import pytest

from dgov.aggregation.testing import make_dataset
from dgov.catalog.testing import item

pytestmark = pytest.mark.django_db


def _person(n: int, **changes) -> dict:
    return {"sfzh": f"3606031990{n:08d}", "xm": f"演示{n}", "lxdh": f"138{n:08d}", "djrq": dt.date(2024, 1, 1)
            + dt.timedelta(days=n % 300), **changes}


def _seqs(datastore, ds, after: int = 0) -> dict[str, tuple[int, bool]]:
    out, last = {}, after
    while True:
        batch = datastore.changes_since(ds, last, limit=1000)
        if not batch:
            return out
        for change in batch:
            out[change["_key"]] = (change["_seq"], change["_deleted"])
        last = batch[-1]["_seq"]


def test_many_rows_new_changed_unchanged_and_deleted_get_the_right_sequence_numbers(datastore):
    ds = make_dataset()
    people = [_person(n) for n in range(2500)]  # more than one old batch, enough to analyse the staging table
    assert datastore.upsert(ds, reversed(people)) == datastore.UpsertResult(written=2500, unchanged=0)
    first = _seqs(datastore, ds)
    assert sorted(seq for seq, _deleted in first.values()) == list(range(1, 2501))
    if datastore.is_postgresql():  # one allocation, numbered in key order (not the order the rows came in)
        assert [first[p["sfzh"]][0] for p in people] == list(range(1, 2501))

    # nothing changed: nothing written, no number used
    assert datastore.upsert(ds, people) == datastore.UpsertResult(written=0, unchanged=2500)
    assert datastore.stats(ds) == (2500, 2500)

    # 10 changed (a value, a NULL where there was one, a value where there was NULL), the rest as they were
    changed = {5: {"xm": "改名"}, 6: {"lxdh": None}, 7: {"djrq": None}}
    people = [_person(n, **changed.get(n, {})) for n in range(2500)]
    assert datastore.upsert(ds, people) == datastore.UpsertResult(written=3, unchanged=2497)
    again = [_person(n, **{**changed.get(n, {}), **({"lxdh": "13900000000"} if n == 6 else {})}) for n in range(2500)]
    assert datastore.upsert(ds, again) == datastore.UpsertResult(written=1, unchanged=2499)
    after = _seqs(datastore, ds)
    renumbered = {key: seq for key, (seq, _d) in after.items() if first[key][0] != seq}
    assert set(renumbered) == {_person(n)["sfzh"] for n in (5, 6, 7)}
    assert renumbered[_person(6)["sfzh"]] == 2504  # changed twice: the later number
    assert sorted(renumbered.values()) == [2501, 2503, 2504]

    # a full load that kept 2000 rows: 500 deletions, each numbered, the others untouched
    keep = {p["sfzh"] for p in people[:2000]}
    assert datastore.mark_deleted(ds, keep) == 500
    deletions = _seqs(datastore, ds, after=2504)
    assert sorted(seq for seq, _d in deletions.values()) == list(range(2505, 3005))
    assert all(deleted for _seq, deleted in deletions.values())
    assert set(deletions) == {p["sfzh"] for p in people[2000:]}
    if datastore.is_postgresql():
        assert [deletions[p["sfzh"]][0] for p in people[2000:]] == list(range(2505, 3005))
    assert datastore.mark_deleted(ds, keep) == 0  # deleted rows are not deleted again
    assert datastore.count(ds) == 2000

    # deleted rows that come back are written (live again) with new numbers, even unchanged
    back = datastore.upsert(ds, people[2490:])
    assert back == datastore.UpsertResult(written=10, unchanged=0)
    assert datastore.stats(ds) == (2010, 3014)


def test_values_of_every_type_survive_the_bulk_path_and_compare_by_value(datastore):
    ds = make_dataset(items=[item("编号", personal_data="none"), item("金额", data_type="decimal", length=None),
                             item("人数", data_type="integer", length=None),
                             item("时间", data_type="datetime", length=None),
                             item("有效", data_type="boolean", length=None),
                             item("照片", data_type="binary", length=None)],
                      columns=[{"name": "bh", "item_name": "编号", "is_key": True},
                               {"name": "je", "item_name": "金额"}, {"name": "rs", "item_name": "人数"},
                               {"name": "sj", "item_name": "时间"}, {"name": "yx", "item_name": "有效"},
                               {"name": "zp", "item_name": "照片"}])
    rows = [{"bh": "A\\1\t\"x\"\n", "je": Decimal("735.50"), "rs": -2**63, "sj": dt.datetime(2025, 1, 2, 8, 30),
             "yx": True, "zp": b"\x00\\\xff\n"},
            {"bh": "A2", "je": None, "rs": None, "sj": None, "yx": None, "zp": None}]
    assert datastore.upsert(ds, rows).written == 2
    assert datastore.select(ds, columns=[], where=[], limit=5, offset=0) == [
        {"bh": "A2", "je": None, "rs": None, "sj": None, "yx": None, "zp": None},
        {"bh": "A\\1\t\"x\"\n", "je": "735.5", "rs": -2**63, "sj": "2025-01-02T08:30:00+08:00", "yx": True,
         "zp": "AFz/Cg=="}]
    # equal values in other forms (a decimal's scale, an aware time) are unchanged
    same = [dict(rows[0], je="735.500", sj=dt.datetime(2025, 1, 2, 0, 30, tzinfo=dt.UTC)), rows[1]]
    assert datastore.upsert(ds, same) == datastore.UpsertResult(written=0, unchanged=2)
    assert datastore.upsert(ds, [dict(rows[0], zp=b"\x00")]).written == 1


def test_a_row_that_does_not_fit_leaves_the_callers_transaction_usable(datastore):
    ds = make_dataset()
    with datastore.transaction() as conn:
        assert datastore.upsert(ds, [_person(1)], conn=conn).written == 1
        with pytest.raises(datastore.RowError):
            datastore.upsert(ds, [_person(2), _person(3, djrq="yesterday")], conn=conn)
        with pytest.raises(ValueError):
            datastore.upsert(ds, [_person(4), {"sfzh": "5", "nope": 1}], conn=conn)
        # the same transaction goes on: a second bulk write, the deletions, and the commit
        assert datastore.upsert(ds, [_person(6), _person(6, xm="后者")], conn=conn).written == 1
        assert datastore.mark_deleted(ds, {_person(6)["sfzh"]}, conn=conn) == 1
    assert [r["sfzh"] for r in datastore.select(ds, columns=["sfzh"], where=[], limit=10, offset=0)] == [
        _person(6)["sfzh"]]
    assert datastore.select(ds, columns=["xm"], where=[], limit=1, offset=0) == [{"xm": "后者"}]
    assert datastore.stats(ds) == (1, 3)


def test_a_later_row_with_the_same_key_wins_far_apart(datastore):
    ds = make_dataset()
    rows = [_person(n) for n in range(1200)] + [_person(3, xm="后者"), _person(1100, lxdh=None)]
    result = datastore.upsert(ds, rows)
    if datastore.is_postgresql():  # one staging of all rows: each key written once
        assert result == datastore.UpsertResult(written=1200, unchanged=0)
        assert datastore.stats(ds) == (1200, 1200)
    else:  # batches of 500: a key repeated in a later batch (person 3) is written again there
        assert result == datastore.UpsertResult(written=1201, unchanged=0)
        assert datastore.stats(ds) == (1200, 1201)
    got = {r["sfzh"]: r for r in datastore.select(ds, columns=["sfzh", "xm", "lxdh"],
                                                  where=[("sfzh", "in", [_person(3)["sfzh"], _person(1100)["sfzh"]])],
                                                  limit=5, offset=0)}
    assert got[_person(3)["sfzh"]]["xm"] == "后者" and got[_person(1100)["sfzh"]]["lxdh"] is None


CASES = {
    "string": ["文本", "", "  a  ", 12, Decimal("1.50"), dt.date(2024, 1, 2), dt.datetime(2024, 1, 2, 3, 4), True,
               None, "a\x00b", b"x"],
    "integer": [5, -2**63, 2**63 - 1, 2**63, True, 3.0, 3.5, Decimal("7"), " 12 ", "", "x", None, float("nan")],
    "decimal": [Decimal("1.50"), Decimal("NaN"), Decimal("Infinity"), 1.25, 3, "2.5", " ", "x", True, None],
    "date": [dt.date(2024, 1, 2), dt.datetime(2024, 1, 2, 23, 0), "2024-01-02", "2024-01-02T08:00", "x", None],
    "datetime": [dt.datetime(2024, 1, 2, 8, 30), dt.datetime(2024, 1, 2, 0, 30, tzinfo=dt.UTC),
                 dt.datetime(1988, 7, 1, 12, 0), dt.date(2024, 1, 2), "2024-01-02 08:30:00", "x", None],
    "boolean": [True, False, 1, 0, "是", "否", "x", None],
    "binary": [b"\x00\xff", bytearray(b"ab"), memoryview(b"cd"), "AAE=", "not base64!", None],
}


@pytest.mark.parametrize("data_type", sorted(CASES))
def test_the_per_column_converters_give_exactly_what_coerce_gives(datastore, data_type):
    """Values the drivers hand back already typed take a shortcut; every value must come out as
    `coerce` makes it (type included), or fail with the same reason."""
    converter = datastore._converter(data_type, "c", datastore._tz())
    for value in CASES[data_type]:
        try:
            expected = datastore.coerce(value, data_type, "c")
        except datastore.RowError as exc:
            with pytest.raises(datastore.RowError) as raised:
                converter(value)
            assert str(raised.value) == str(exc), value
            continue
        got = converter(value)
        assert (type(got), got) == (type(expected), expected), value


def test_a_row_coercer_reads_the_source_names_and_nothing_else(datastore):
    ds = make_dataset()
    columns = list(ds.columns.all())
    convert = datastore.row_coercer(columns, {"sfzh": "ID_NO", "xm": "NAME"})
    # lxdh and djrq are not mapped: a source column that happens to bear their names is not read
    values = convert({"ID_NO": "360603199001011234", "NAME": "张三", "lxdh": "13800001111", "djrq": "2024-01-02"})
    assert values == {"xm": "张三", "sfzh": "360603199001011234", "lxdh": None, "djrq": None,
                      "_key": "360603199001011234"}
    assert datastore.coerce_row(columns, {"sfzh": 42, "xm": "张三"})["_key"] == "42"
    with pytest.raises(datastore.RowError):
        convert({"ID_NO": "", "NAME": "张三"})
    with pytest.raises(datastore.RowError) as raised:
        datastore.coerce_row(columns, {"sfzh": "1", "djrq": "2024-13-45"})
    assert "2024-13-45" in str(raised.value)  # not personal data: the reason quotes the value
    personal = datastore.row_coercer([type(c)(name="csrq", data_type="date", mask="partial", is_key=False)
                                      for c in columns[:1]] + columns)
    with pytest.raises(datastore.RowError) as raised:  # personal data: the reason never quotes the value
        personal({"sfzh": "1", "csrq": "1990-13-45"})
    assert "1990-13-45" not in str(raised.value) and str(raised.value).startswith("csrq")


def test_a_concurrent_full_load_deletion_waits_for_a_writer_and_sees_its_rows(datastore):
    """`mark_deleted` holds the table's sequence before it reads which rows are live: a row another
    writer is committing meanwhile is found and marked (read before the lock, it would stay live
    although the full load did not keep it), with a number after the writer's."""
    import threading

    ds = make_dataset()
    dataset = type(ds).objects.prefetch_related("columns").get(pk=ds.pk)
    datastore.upsert(dataset, [_person(1)])
    first_holds, second_started, results = threading.Event(), threading.Event(), {}

    def writer():
        with datastore.transaction() as conn:
            results["writer"] = datastore.upsert(dataset, [_person(2)], conn=conn)
            first_holds.set()
            second_started.wait(10)
            threading.Event().wait(0.5)  # the deletion is waiting meanwhile

    def full_load_deletion():
        first_holds.wait(10)
        second_started.set()
        try:
            results["deleted"] = datastore.mark_deleted(dataset, {_person(1)["sfzh"]})
        except Exception as exc:  # noqa: BLE001
            results["deleted"] = exc

    threads = [threading.Thread(target=writer), threading.Thread(target=full_load_deletion)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results == {"writer": datastore.UpsertResult(written=1, unchanged=0), "deleted": 1}
    assert _seqs(datastore, ds) == {_person(1)["sfzh"]: (1, False), _person(2)["sfzh"]: (3, True)}
