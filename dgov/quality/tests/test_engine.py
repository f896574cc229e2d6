"""The acceptance test of the quality engine (issue 6): on a seeded table with NULLs, empty strings, duplicates,
orphan foreign keys, bad identity numbers and credit codes, out-of-range and stale values, every rule's
`checked` and `failed` equal the counts of a hand-written SQL query for the same condition — on SQLite,
PostgreSQL and MariaDB, each a real database on this machine.

The hand-written queries are plain SQL strings, one per rule, written for each dialect where they differ (the
regular-expression operator, the character-code function); they share nothing with the engine's compiler."""

import datetime as dt
import os
import random
from decimal import Decimal

import pymysql
import pytest
import sqlalchemy as sa

from dgov.aggregation import datastore
from dgov.aggregation.testing import pg_database, pg_recreate
from dgov.core.validators import credit_code_check_char, id_number_check_char
from dgov.quality import engine
from dgov.quality.engine import Check

NOW = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)
STALE_HOURS = 24 * 30
ID_W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
USCC_W = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ALPHA = "0123456789ABCDEFGHJKLMNPQRTUWXY"
REGIONS = ["360602001001", "360602001002", "360603101001", "360681100001", "360681100002"]
SEX_CODES = ["0", "1", "2", "9"]


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


# --- the seeded table -------------------------------------------------------------------------------------
def _id_number(rng: random.Random, *, bad: str = "") -> str:
    born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(25000))
    body = f"360602{born:%Y%m%d}{rng.randrange(1000):03d}"
    check = id_number_check_char(body)
    if bad == "check":
        check = "0" if check != "0" else "1"
    elif bad == "month":
        body = body[:10] + "13" + body[12:]
        check = id_number_check_char(body)
    elif bad == "short":
        return body[:-1] + check
    elif bad == "lower" and check != "X":
        return _id_number(rng, bad="lower")
    value = body + check
    return value.lower() if bad == "lower" else value


def _credit_code(rng: random.Random, *, bad: bool = False) -> str:
    body = "91" + "360602" + "".join(rng.choice(ALPHA) for _ in range(9))
    check = credit_code_check_char(body)
    if bad:
        check = ALPHA[(ALPHA.index(check) + 1) % 31]
    return body + check


def rows() -> list[dict]:
    rng = random.Random(6)
    out = []
    ids = []
    for i in range(1, 301):
        kind = i % 10
        id_number = _id_number(rng)
        if kind == 1:
            id_number = _id_number(rng, bad=["check", "month", "short", "lower"][i % 4])
        elif kind == 2 and ids:
            id_number = ids[i % len(ids)]  # a duplicate
        elif kind == 3 and i % 3 == 0:
            id_number = None
        ids.append(id_number)
        name = ["王芳", "李娜", "张伟", "刘洋", "陈静"][i % 5] + str(i % 3)
        if i % 17 == 0:
            name = None
        elif i % 19 == 0:
            name = ""
        elif i % 23 == 0:
            name = "   "
        born = dt.date(1980, 1, 1) + dt.timedelta(days=i % 40 // 4)
        if i % 29 == 0:
            born = None
        if i % 59 == 0:  # both parts of the compound key missing
            name, born = None, None
        region = REGIONS[i % len(REGIONS)]
        if i % 31 == 0:
            region = "360699999999"  # an orphan
        elif i % 37 == 0:
            region = None
        updated = NOW.replace(tzinfo=None) - dt.timedelta(hours=(i * 7) % (STALE_HOURS * 2))
        created = updated - dt.timedelta(days=1)
        if i % 41 == 0:
            created = updated + dt.timedelta(days=2)  # created after its last update
        phone = f"13{rng.randrange(10**9):09d}"
        if i % 13 == 0:
            phone = phone[:-2]
        elif i % 43 == 0:
            phone = "0701-6221234"
        out.append({
            "id": i, "name": name, "id_number": id_number, "born": born,
            "credit_code": _credit_code(rng, bad=i % 11 == 0) if i % 5 == 0 else None,
            "sex": "3" if i % 47 == 0 else (None if i % 53 == 0 else SEX_CODES[i % 4]),
            "region": region, "amount": Decimal(rng.randrange(-500, 12000)) / 4,
            "phone": phone, "created_at": created, "updated_at": updated,
        })
    return out


def build(conn: sa.Connection) -> None:
    md = sa.MetaData()
    sa.Table("qe_regions", md, sa.Column("code", sa.String(12), primary_key=True),
             sa.Column("name", sa.String(50)))
    people = sa.Table(
        "qe_people", md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("name", sa.String(50)), sa.Column("id_number", sa.String(20)), sa.Column("born", sa.Date),
        sa.Column("credit_code", sa.String(20)), sa.Column("sex", sa.String(2)), sa.Column("region", sa.String(12)),
        sa.Column("amount", sa.Numeric(10, 2)), sa.Column("phone", sa.String(20)),
        sa.Column("created_at", sa.DateTime), sa.Column("updated_at", sa.DateTime))
    md.drop_all(conn)
    md.create_all(conn)
    conn.execute(md.tables["qe_regions"].insert(), [{"code": c, "name": c} for c in REGIONS])
    conn.execute(people.insert(), rows())
    conn.commit()


# --- the checks and their hand-written SQL ----------------------------------------------------------------
def _regex(dialect: str, col: str, pattern: str) -> str:
    if dialect == "postgresql":
        return f"{col} ~ '{pattern}'"
    if dialect == "mysql":
        return f"{col} REGEXP '(?-i){pattern}'"
    return f"{col} REGEXP '{pattern}'"


def _code(dialect: str) -> str:
    return "unicode" if dialect == "sqlite" else "ascii"


def _bin(dialect: str, expr: str) -> str:
    return f"CAST({expr} AS BINARY)" if dialect == "mysql" else expr


def _id_ok(d: str, col: str) -> str:
    total = " + ".join(f"({_code(d)}(substr({col}, {i + 1}, 1)) - 48) * {w}" for i, w in enumerate(ID_W))
    return (f"({_regex(d, col, '^[0-9]{17}[0-9X]$')} AND substr({col}, 11, 2) BETWEEN '01' AND '12' "
            f"AND substr({col}, 13, 2) BETWEEN '01' AND '31' "
            f"AND {_bin(d, f'substr({col}, 18, 1)')} = {_bin(d, f"substr('10X98765432', ({total}) % 11 + 1, 1)")})")


def _credit_ok(d: str, col: str) -> str:
    pos = "strpos('{a}', {x})" if d == "postgresql" else "instr('{a}', {x})"
    total = " + ".join(f"({pos.format(a=ALPHA, x=f'substr({col}, {i + 1}, 1)')} - 1) * {w}"
                       for i, w in enumerate(USCC_W))
    pattern = "^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$"
    return (f"({_regex(d, col, pattern)} AND {_bin(d, f'substr({col}, 18, 1)')} = "
            f"{_bin(d, f"substr('{ALPHA}', (31 - ({total}) % 31) % 31 + 1, 1)")})")


def _length(d: str, col: str) -> str:
    return f"length({col})" if d == "sqlite" else f"char_length({col})"


def cases(d: str) -> list[tuple[Check, str, str]]:
    """(check, hand-written `checked` condition, hand-written `failed` condition) — counted over qe_people."""
    phone = "^1[3-9][0-9]{9}$"
    sex_in = f"{_bin(d, 'sex')} IN ('0', '1', '2', '9')"
    return [
        (Check("name_complete", "completeness", ("name",), {}),
         "1 = 1", "name IS NULL OR trim(name) = ''"),
        (Check("name_not_null", "completeness", ("name",), {"empty_is_missing": False}),
         "1 = 1", "name IS NULL"),
        (Check("name_untrimmed", "completeness", ("name",), {"trim": False}),
         "1 = 1", f"name IS NULL OR {_bin(d, 'name')} = ''"),
        (Check("phone_format", "regex", ("phone",), {"pattern": phone}),
         "phone IS NOT NULL", f"phone IS NOT NULL AND NOT {_regex(d, 'phone', phone)}"),
        (Check("amount_range", "range", ("amount",), {"min": 0, "max": "2500"}),
         "amount IS NOT NULL", "amount < 0 OR amount > 2500"),
        (Check("born_range", "range", ("born",), {"min": "1980-01-03", "max": "1980-01-08"}),
         "born IS NOT NULL", "born < '1980-01-03' OR born > '1980-01-08'"),
        (Check("phone_length", "length", ("phone",), {"min": 11, "max": 11}),
         "phone IS NOT NULL", f"{_length(d, 'phone')} <> 11"),
        (Check("sex_code", "code_set", ("sex",), {"values": SEX_CODES}),
         "sex IS NOT NULL", f"sex IS NOT NULL AND NOT {sex_in}"),
        (Check("id_check", "id_number", ("id_number",), {}),
         "id_number IS NOT NULL", f"id_number IS NOT NULL AND NOT {_id_ok(d, 'id_number')}"),
        (Check("credit_check", "credit_code", ("credit_code",), {}),
         "credit_code IS NOT NULL", f"credit_code IS NOT NULL AND NOT {_credit_ok(d, 'credit_code')}"),
        (Check("dates_consistent", "consistency", ("created_at", "updated_at"), {"op": "<="}),
         "created_at IS NOT NULL AND updated_at IS NOT NULL", "created_at > updated_at"),
        (Check("fresh", "freshness", ("updated_at",), {"max_age_hours": STALE_HOURS}),
         "updated_at IS NOT NULL", "updated_at < :threshold"),
        (Check("no_big_amount_for_9", "custom_sql", (), {"condition": "sex = '9' AND amount > 1000"}),
         "1 = 1", "sex = '9' AND amount > 1000"),
        (Check("id_conforms", "conformance", ("id_number",),
               {"max_length": 18, "pattern": "^[0-9]{17}[0-9X]$", "check_digit": "id_number"}),
         "id_number IS NOT NULL",
         f"id_number IS NOT NULL AND ({_length(d, 'id_number')} > 18 "
         f"OR NOT {_regex(d, 'id_number', '^[0-9]{17}[0-9X]$')} OR NOT {_id_ok(d, 'id_number')})"),
        (Check("sex_conforms", "conformance", ("sex",), {"values": SEX_CODES, "max_length": 1}),
         "sex IS NOT NULL", f"sex IS NOT NULL AND (NOT {sex_in} OR {_length(d, 'sex')} > 1)"),
    ]


def hand_uniqueness(conn, cols: list[str], nulls: str) -> tuple[int, int, int]:
    """(checked, failed rows, groups) by hand."""
    key = ", ".join(cols)
    where = {"any": " AND ".join(f"{c} IS NOT NULL" for c in cols),
             "all": " OR ".join(f"{c} IS NOT NULL" for c in cols), "none": "1 = 1"}[nulls]
    checked = conn.exec_driver_sql(f"SELECT count(*) FROM qe_people WHERE {where}").scalar_one()
    groups, failed = conn.exec_driver_sql(
        f"SELECT count(*), coalesce(sum(n), 0) FROM (SELECT {key}, count(*) AS n FROM qe_people WHERE {where} "
        f"GROUP BY {key} HAVING count(*) > 1) d").one()
    return checked, int(failed), groups


# --- the three databases ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sqlite_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("qe") / "qe.sqlite3"
    eng = datastore.create_engine(f"sqlite:///{path}")
    yield eng
    eng.dispose()


@pytest.fixture(scope="module")
def postgres_db():
    pg = pg_database("qe")
    if pg is None:
        name = f"test_dgov_qe_{_worker()}"
        url, maintenance = (f"postgresql://postgres@127.0.0.1:5432/{name}",
                            "postgresql://postgres@127.0.0.1:5432/postgres")
    else:
        url, maintenance, name = pg
    pg_recreate(maintenance, name)
    eng = datastore.create_engine(url)
    yield eng
    eng.dispose()
    pg_recreate(maintenance, name, create=False)


@pytest.fixture(scope="module")
def mariadb_db():
    name = f"dgov_qe_{_worker()}"
    server = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="", autocommit=True)
    with server.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    eng = datastore.create_engine(f"mysql://root:@127.0.0.1:3306/{name}")
    yield eng
    eng.dispose()
    with server.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
    server.close()


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def db(request):
    eng = request.getfixturevalue({"sqlite": "sqlite_db", "postgresql": "postgres_db",
                                   "mysql": "mariadb_db"}[request.param])
    with eng.connect() as conn:
        build(conn)
    return request.param, eng


def _threshold(dialect: str):
    return (NOW - dt.timedelta(hours=STALE_HOURS)).replace(tzinfo=None)


def test_every_rule_counts_what_hand_written_sql_counts(db):
    dialect, eng = db
    checks = cases(dialect)
    uniq = [Check("id_unique", "uniqueness", ("id_number",), {}),
            Check("person_any", "uniqueness", ("name", "born"), {"nulls": "any"}),
            Check("person_all", "uniqueness", ("name", "born"), {"nulls": "all"}),
            Check("person_none", "uniqueness", ("name", "born"), {"nulls": "none"})]
    ref = Check("region_exists", "reference", ("region",), {"table": "qe_regions", "columns": ["code"]})
    with eng.connect() as conn:
        result = engine.run(conn, "qe_people", [c for c, _, _ in checks] + uniq + [ref], key_columns=["id"], now=NOW)
        got = {o.key: o for o in result.outcomes}
        assert result.rows == 300
        assert result.dialect == dialect
        threshold = sa.bindparam("threshold", _threshold(dialect), type_=sa.DateTime)
        for check, checked_sql, failed_sql in checks:
            outcome = got[check.key]
            assert outcome.error == "", (check.key, outcome.error)
            sql = sa.text(f"SELECT (SELECT count(*) FROM qe_people WHERE {checked_sql}), "
                          f"(SELECT count(*) FROM qe_people WHERE {failed_sql})")
            if ":threshold" in failed_sql:
                sql = sql.bindparams(threshold)
            want = conn.execute(sql).one()
            assert (outcome.checked, outcome.failed) == tuple(want), check.key
            assert outcome.failed > 0, f"the seed makes {check.key} fail somewhere"
        for check in uniq:
            checked, failed, groups = hand_uniqueness(conn, list(check.columns), check.params.get("nulls", "any"))
            outcome = got[check.key]
            assert outcome.error == ""
            assert (outcome.checked, outcome.failed, outcome.details["groups"]) == (checked, failed, groups), \
                check.key
            assert outcome.details["extra_rows"] == failed - groups
            assert groups > 0
        checked, failed = conn.execute(sa.text(
            "SELECT (SELECT count(*) FROM qe_people WHERE region IS NOT NULL), (SELECT count(*) FROM qe_people p "
            "WHERE p.region IS NOT NULL AND NOT EXISTS (SELECT 1 FROM qe_regions r WHERE r.code = p.region))")).one()
        assert (got["region_exists"].checked, got["region_exists"].failed) == (checked, failed) != (checked, 0)
        conn.rollback()


def test_the_three_nulls_policies_differ_on_this_seed(db):
    """The seed has rows with NULL names or birth dates, so the policies must give different counts."""
    dialect, eng = db
    checks = [Check(n, "uniqueness", ("name", "born"), {"nulls": n}) for n in ("any", "all", "none")]
    with eng.connect() as conn:
        result = engine.run(conn, "qe_people", checks, now=NOW)
    checked = [o.checked for o in result.outcomes]
    assert checked[0] < checked[1] < checked[2] == 300


def test_one_pass_for_row_level_rules_and_one_statement_each_for_the_others(db):
    dialect, eng = db
    row_level = [c for c, _, _ in cases(dialect)]
    with eng.connect() as conn:
        counts_only = engine.run(conn, "qe_people", row_level + [
            Check("u", "uniqueness", ("id_number",), {}),
            Check("r", "reference", ("region",), {"table": "qe_regions", "columns": ["code"]})],
            now=NOW, sample_size=0)
        texts = engine.statements(conn, "qe_people", row_level, now=NOW)
    assert counts_only.statements == 3
    assert len(texts) == 1 and "qe_people" in texts[0]


def test_samples_are_failing_rows_with_personal_values_masked(db):
    dialect, eng = db
    checks = [Check("id", "id_number", ("id_number",), {}, personal=("id_number",)),
              Check("dup", "uniqueness", ("id_number",), {}, personal=("id_number",)),
              Check("phone", "regex", ("phone",), {"pattern": "^1[3-9][0-9]{9}$"})]
    with eng.connect() as conn:
        result = engine.run(conn, "qe_people", checks, key_columns=["id"], now=NOW, sample_size=3)
        bad = {r["id"]: r for r in conn.execute(sa.text("SELECT id, id_number, phone FROM qe_people")).mappings()}
    by_key = {o.key: o for o in result.outcomes}
    ids = by_key["id"].sample
    assert len(ids) == 3
    for row in ids:
        original = bad[row["id"]]["id_number"]
        assert row["id_number"] != original and "*" in row["id_number"]
        assert row["id_number"][:3] == original[:3]
    assert all(r["count"] >= 2 and "*" in r["id_number"] for r in by_key["dup"].sample)
    phones = by_key["phone"].sample
    assert phones and all(bad[r["id"]]["phone"] == r["phone"] for r in phones)  # not personal: shown as is


def test_a_broken_check_is_reported_and_the_others_still_count(db):
    dialect, eng = db
    checks = [Check("ok", "completeness", ("name",), {}),
              Check("no_column", "regex", ("nope",), {"pattern": "x"}),
              Check("bad_sql", "custom_sql", (), {"condition": "no_such_column > 1"}),
              Check("bad_ref", "reference", ("region",), {"table": "qe_nothing", "columns": ["code"]})]
    with eng.connect() as conn:
        result = engine.run(conn, "qe_people", checks, now=NOW)
    by_key = {o.key: o for o in result.outcomes}
    assert by_key["ok"].error == "" and by_key["ok"].failed > 0
    assert "nope" in by_key["no_column"].error
    assert by_key["bad_sql"].error
    assert "qe_nothing" in by_key["bad_ref"].error


def test_runs_read_only(db):
    """A custom condition cannot write: the run's transaction is read-only."""
    dialect, eng = db
    with eng.connect() as conn:
        result = engine.run(conn, "qe_people", [Check("c", "custom_sql", (), {"condition": "id > 0"})], now=NOW)
        assert result.outcomes[0].failed == 300
        # the connection is writable again afterwards
        conn.execute(sa.text("UPDATE qe_regions SET name = 'x' WHERE code = :c"), {"c": REGIONS[0]})
        conn.commit()


def test_bad_parameters_are_check_errors(sqlite_db):
    with sqlite_db.connect() as conn:
        build(conn)
        result = engine.run(conn, "qe_people", [
            Check("a", "range", ("amount",), {}), Check("b", "uniqueness", ("name",), {"nulls": "maybe"}),
            Check("c", "consistency", ("created_at", "updated_at"), {"op": "~"}),
            Check("d", "freshness", ("updated_at",), {"max_age_hours": -1}),
            Check("e", "custom_sql", (), {"condition": "1=1; DROP TABLE qe_people"}),
            Check("f", "conformance", ("name",), {}), Check("g", "teleport", ("name",), {})], now=NOW)
        assert all(o.error for o in result.outcomes), [o for o in result.outcomes if not o.error]
        assert conn.execute(sa.text("SELECT count(*) FROM qe_people")).scalar_one() == 300
    with pytest.raises(engine.CheckError):
        with sqlite_db.connect() as conn:
            engine.run(conn, "qe_people", [Check("a", "completeness", ("name",)), Check("a", "completeness", ("id",))])


def test_data_store_rows_marked_deleted_are_left_out(sqlite_db):
    md = sa.MetaData()
    tbl = sa.Table("ds_qe", md, sa.Column("_key", sa.String, primary_key=True), sa.Column("v", sa.String),
                   sa.Column("_deleted", sa.Boolean))
    with sqlite_db.connect() as conn:
        md.drop_all(conn)
        md.create_all(conn)
        conn.execute(tbl.insert(), [{"_key": "1", "v": None, "_deleted": False},
                                    {"_key": "2", "v": None, "_deleted": True},
                                    {"_key": "3", "v": "x", "_deleted": False}])
        conn.commit()
        live = engine.run(conn, "ds_qe", [Check("v", "completeness", ("v",))], key_columns=["_key"], now=NOW)
        every = engine.run(conn, "ds_qe", [Check("v", "completeness", ("v",))], now=NOW, skip_deleted=False)
    assert (live.rows, live.outcomes[0].failed) == (2, 1)
    assert live.outcomes[0].sample == [{"_key": "1", "v": None}]
    assert (every.rows, every.outcomes[0].failed) == (3, 2)
