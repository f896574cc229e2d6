"""The quality engine: a table's rules compiled into as few SQL statements as the dialect allows and run
inside the database the table lives in (PostgreSQL, MySQL/MariaDB, SQLite). No row is pulled into Python to
be checked: Python only receives counts, and a few failing rows as samples.

One run sends:

1. **one aggregate pass** over the table for every row-level check (completeness, regex, range, length, code
   set, identity-number and credit-code check digits, consistency, freshness, custom SQL, conformance): each
   check contributes `count(*) FILTER (WHERE …)` columns (PostgreSQL, SQLite) or `SUM(CASE WHEN … THEN 1 ELSE 0
   END)` (MySQL/MariaDB, which lack FILTER), plus the row count and, for freshness, the latest value. The pass
   is the one a person would write by hand: the rows a check looks at are `count(col)`, a failing condition is
   not repeated beside them (conditions are NULL where the column is), completeness is the non-NULL and the
   empty counts (its failures are derived from them), a check-digit rule counts the rows that pass, and an
   aggregate several checks ask for (`count(id_number)`: completeness, validity, uniqueness) is computed once;
2. **one statement per uniqueness check**: a `GROUP BY` of the key in a CTE, returning the number of duplicate
   groups and of rows in them (with a window over the groups, so the most duplicated keys come back as the sample
   in the same statement);
3. **one statement per reference check**: an anti-join (`NOT EXISTS`) to the referenced table;
4. when samples are asked for, one `LIMIT`ed query per failing row-level check.

Everything runs in a read-only transaction (PostgreSQL `SET TRANSACTION READ ONLY`, MySQL/MariaDB
`SET SESSION TRANSACTION READ ONLY`, SQLite `PRAGMA query_only`) that is rolled back at the end; the engine owns
the connection's transaction while it runs. A check that cannot be compiled (an unknown column, bad parameters)
or whose SQL fails gets `Outcome.error` and does not stop the others: when the combined pass fails, each
row-level check is run on its own to find the culprit.

Semantics that data-quality tools disagree on, as decided here:

- **NULL and empty strings are distinct.** Completeness counts NULLs, and empty strings (blank after trimming
  unless `trim` is false) only when `empty_is_missing` (the default). Every other check leaves NULLs out of
  `checked`: a missing value is completeness's business, not validity's.
- **Uniqueness** reports the rows in duplicate groups as `failed` (Great Expectations' unexpected count), the
  number of duplicate groups (Soda's `duplicate_count`) in `details.groups`, and the rows that would have to go
  (`failed - groups`) in `details.extra_rows`. NULLs in the key: `nulls="any"` (default, the SQL standard's
  UNIQUE) leaves a row out when any key column is NULL; `"all"` only when every key column is NULL, NULLs
  otherwise comparing equal; `"none"` checks every row, NULLs equal.
- **Regular expressions** run in the database's own engine (PostgreSQL's ARE, MariaDB's PCRE made case-sensitive
  with `(?-i)`, SQLite's `REGEXP` which SQLAlchemy binds to Python's `re.search`): use the common subset
  (anchors, classes, quantifiers, `\\d`).
- **Identity numbers** (GB 11643): 17 digits and a check character (`X` upper case), month 01–12, day 01–31,
  and the ISO 7064 MOD 11-2 check character. **Credit codes** (GB 32100): the 31-character alphabet, digits in
  positions 3–8 and the MOD 31 check character. Comparisons are exact (binary on MySQL/MariaDB, whose default
  collations ignore case and trailing spaces).
"""

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from django.conf import settings
from sqlalchemy.dialects import mysql

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
ID_PATTERN = r"^[0-9]{17}[0-9X]$"
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_PATTERN = r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$"
OPS = {"<": "__lt__", "<=": "__le__", "=": "__eq__", "!=": "__ne__", ">=": "__ge__", ">": "__gt__"}
NULLS = ("any", "all", "none")
ROW_LEVEL = ("completeness", "regex", "range", "length", "code_set", "id_number", "credit_code", "consistency",
             "freshness", "custom_sql", "conformance")
WORK_MEM_RE = re.compile(r"^[0-9]{1,6}(kB|MB|GB)$")


class CheckError(ValueError):
    """A check that cannot be compiled: the message says why."""


@dataclass(frozen=True)
class Check:
    key: str
    kind: str
    columns: tuple[str, ...]
    params: dict = field(default_factory=dict, hash=False)
    personal: tuple[str, ...] = ()


@dataclass
class Outcome:
    key: str
    checked: int = 0
    failed: int = 0
    details: dict = field(default_factory=dict)
    sample: list[dict] = field(default_factory=list)
    error: str = ""


@dataclass
class RunOutcome:
    rows: int
    statements: int
    dialect: str
    outcomes: list[Outcome]


@dataclass
class _Compiled:
    """A row-level check as aggregates of the combined pass: `aggregates` maps names to aggregate expressions,
    `read(values, rows)` turns their values into `(checked, failed, details)`, and `failing` is the condition a
    failing row meets (for samples)."""

    check: Check
    aggregates: dict
    read: Callable[[dict, int], tuple[int, int, dict]]
    failing: object


def _counts(values: dict, rows: int) -> tuple[int, int, dict]:
    """The common shape: `checked` (every row when not counted) and `failed` among them."""
    return values.get("checked", rows), values["failed"], {}


# --- dialect differences -----------------------------------------------------------------------------------
class _Sql:
    def __init__(self, conn: sa.Connection):
        name = conn.dialect.name
        self.name = "mysql" if name in ("mysql", "mariadb") else name
        if self.name not in ("postgresql", "mysql", "sqlite"):
            raise CheckError(f"unsupported database: {name}")

    def count_if(self, cond):
        if self.name == "mysql":
            return sa.func.coalesce(sa.func.sum(sa.case((cond, 1), else_=0)), 0)
        return sa.func.count().filter(cond)

    def text(self, col):
        """The column as text (regex, length and code sets work on text)."""
        if isinstance(col.type, (sa.String, sa.types.NullType)):
            return col
        return sa.cast(col, sa.String) if self.name != "mysql" else sa.cast(col, mysql.CHAR())

    def exact(self, expr):
        """An operand compared byte for byte (MySQL/MariaDB collations ignore case and trailing spaces)."""
        return sa.type_coerce(sa.cast(expr, mysql.BINARY()), sa.String) if self.name == "mysql" else expr

    def regex(self, col, pattern: str):
        return self.text(col).regexp_match("(?-i)" + pattern if self.name == "mysql" else pattern)

    def length(self, expr):
        return sa.func.length(expr) if self.name == "sqlite" else sa.func.char_length(expr)

    def code(self, char):
        """The character's code point (for digit arithmetic)."""
        return sa.func.unicode(char) if self.name == "sqlite" else sa.func.ascii(char)

    def position(self, alphabet: str, char):
        """1-based position of `char` in `alphabet` (0 when absent)."""
        if self.name == "postgresql":
            return sa.func.strpos(sa.literal(alphabet), char)
        return sa.func.instr(sa.literal(alphabet), char)


def _is_text(col) -> bool:
    return isinstance(col.type, (sa.String, sa.types.NullType))


def _tz(name: str | None):
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise CheckError(f"unknown time zone: {name}") from None


def _value_for(col, value):
    """A rule's bound (range) as the column's Python type, so it binds as the column stores it."""
    if value is None:
        return None
    python_type = None
    try:
        python_type = col.type.python_type
    except NotImplementedError:
        return value
    if python_type is dt.datetime and isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    if python_type is dt.date and isinstance(value, str):
        return dt.date.fromisoformat(value)
    if python_type in (Decimal, float, int) and not isinstance(value, (int, float, Decimal)):
        try:
            return Decimal(str(value))
        except InvalidOperation:
            raise CheckError(f"not a number: {value}") from None
    return value


# --- compiling one check -----------------------------------------------------------------------------------
class _Compiler:
    def __init__(self, conn: sa.Connection, table: str, *, schema: str | None, key_columns: Sequence[str],
                 now: dt.datetime | None, skip_deleted: bool):
        self.sql = _Sql(conn)
        self.conn = conn
        self.table = sa.Table(table, sa.MetaData(), schema=schema, autoload_with=conn)
        self.schema = schema
        self.now = now or dt.datetime.now(dt.UTC)
        self.key_columns = [c for c in key_columns if c in self.table.c]
        self.skip_deleted = skip_deleted
        self.base = self._live(self.table)

    def _live(self, tbl):
        if self.skip_deleted and "_deleted" in tbl.c:
            return sa.not_(tbl.c._deleted)
        return None

    def column(self, name: str):
        if name not in self.table.c:
            raise CheckError(f"no column {name} in {self.table.name}")
        return self.table.c[name]

    def _one(self, check: Check):
        if len(check.columns) != 1:
            raise CheckError(f"{check.kind} checks exactly one column")
        return self.column(check.columns[0])

    # row-level checks: each returns a _Compiled
    def compile(self, check: Check) -> _Compiled:
        method = getattr(self, "_" + check.kind, None)
        if method is None or check.kind not in ROW_LEVEL:
            raise CheckError(f"unknown check type: {check.kind}")
        return method(check)

    def _present(self, check, failed, *, checked=None):
        """`failed` among the rows whose column is not NULL (`checked`, counted as `count(col)` unless given).
        `failed` must not be true where the column is NULL: every condition below is NULL there."""
        col = self._one(check) if checked is None else None
        counted = sa.func.count(col) if checked is None else self.sql.count_if(checked)
        return _Compiled(check, {"checked": counted, "failed": self.sql.count_if(failed)}, _counts,
                         sa.and_(col.is_not(None) if checked is None else checked, failed))

    def _completeness(self, check):
        col = self._one(check)
        params = check.params
        aggregates, failing = {"present": sa.func.count(col)}, col.is_(None)
        empty_is_missing = _is_text(col) and params.get("empty_is_missing", True)
        if _is_text(col):
            value = sa.func.trim(col) if params.get("trim", True) else col
            empty = self.sql.exact(value) == ""  # NULL where the column is
            aggregates["empty"] = self.sql.count_if(empty)
            if empty_is_missing:
                failing = sa.or_(failing, empty)

        def read(values, rows):
            details = {"nulls": rows - values["present"]}
            if "empty" in values:
                details["empty"] = values["empty"]
            return rows, details["nulls"] + (details["empty"] if empty_is_missing else 0), details
        return _Compiled(check, aggregates, read, failing)

    def _regex(self, check):
        col = self._one(check)
        pattern = check.params.get("pattern")
        if not isinstance(pattern, str) or not pattern:
            raise CheckError("a regex check needs a pattern")
        return self._present(check, sa.not_(self.sql.regex(col, pattern)))

    def _range(self, check):
        col = self._one(check)
        low, high = (_value_for(col, check.params.get(k)) for k in ("min", "max"))
        if low is None and high is None:
            raise CheckError("a range check needs a minimum or a maximum")
        conds = ([col < low] if low is not None else []) + ([col > high] if high is not None else [])
        return self._present(check, sa.or_(*conds))

    def _length(self, check):
        col = self._one(check)
        low, high = check.params.get("min"), check.params.get("max")
        if low is None and high is None:
            raise CheckError("a length check needs a minimum or a maximum")
        length = self.sql.length(self.sql.text(col))
        conds = ([length < int(low)] if low is not None else []) + ([length > int(high)] if high is not None else [])
        return self._present(check, sa.or_(*conds))

    def _in_codes(self, col, values):
        if not isinstance(values, (list, tuple)) or not values:
            raise CheckError("a code-set check needs its values")
        return self.sql.exact(self.sql.text(col)).in_([str(v) for v in values])

    def _code_set(self, check):
        col = self._one(check)
        return self._present(check, sa.not_(self._in_codes(col, check.params.get("values"))))

    def _id_ok(self, col):
        text = self.sql.text(col)
        digits = [(self.sql.code(sa.func.substr(text, i + 1, 1)) - 48) * w for i, w in enumerate(ID_WEIGHTS)]
        expected = sa.func.substr(sa.literal(ID_CHECK), (sum(digits[1:], digits[0]) % 11) + 1, 1)
        return sa.and_(self.sql.regex(col, ID_PATTERN),
                       sa.func.substr(text, 11, 2).between("01", "12"),
                       sa.func.substr(text, 13, 2).between("01", "31"),
                       self.sql.exact(sa.func.substr(text, 18, 1)) == self.sql.exact(expected))

    def _credit_ok(self, col):
        text = self.sql.text(col)
        values = [(self.sql.position(USCC_ALPHABET, sa.func.substr(text, i + 1, 1)) - 1) * w
                  for i, w in enumerate(USCC_WEIGHTS)]
        expected = sa.func.substr(sa.literal(USCC_ALPHABET), ((31 - sum(values[1:], values[0]) % 31) % 31) + 1, 1)
        return sa.and_(self.sql.regex(col, USCC_PATTERN),
                       self.sql.exact(sa.func.substr(text, 18, 1)) == self.sql.exact(expected))

    @staticmethod
    def _not_true(cond):
        """True when `cond` is false or NULL (a NULL must not hide a failing row)."""
        return sa.not_(sa.func.coalesce(cond, sa.false()))

    def _valid(self, check, ok):
        """Rows whose column is not NULL, failing unless `ok` is true: counted as checked − passed, so a NULL
        `ok` fails a row without a coalesce on every row."""
        col = self._one(check)
        return _Compiled(check, {"checked": sa.func.count(col), "passed": self.sql.count_if(ok)},
                         lambda v, rows: (v["checked"], v["checked"] - v["passed"], {}),
                         sa.and_(col.is_not(None), self._not_true(ok)))

    def _id_number(self, check):
        return self._valid(check, self._id_ok(self._one(check)))

    def _credit_code(self, check):
        return self._valid(check, self._credit_ok(self._one(check)))

    def _consistency(self, check):
        if len(check.columns) != 2:
            raise CheckError("a consistency check compares two columns")
        left, right = (self.column(c) for c in check.columns)
        op = OPS.get(check.params.get("op"))
        if op is None:
            raise CheckError(f"unknown comparison: {check.params.get('op')}")
        return self._present(check, sa.not_(getattr(left, op)(right)),
                             checked=sa.and_(left.is_not(None), right.is_not(None)))

    def _freshness(self, check):
        col = self._one(check)
        try:
            hours = float(check.params.get("max_age_hours"))
        except (TypeError, ValueError):
            raise CheckError("a freshness check needs max_age_hours") from None
        if hours <= 0:
            raise CheckError("max_age_hours must be positive")
        threshold = self.now - dt.timedelta(hours=hours)
        try:
            python_type = col.type.python_type
        except NotImplementedError:
            python_type = None
        if python_type is dt.date:
            threshold = threshold.astimezone(_tz(check.params.get("timezone"))).date()
        elif not getattr(col.type, "timezone", False):
            threshold = threshold.astimezone(_tz(check.params.get("timezone"))).replace(tzinfo=None)
            if python_type is None:  # an untyped (SQLite) column: compare as the ISO text it holds
                threshold = threshold.isoformat(" ")
        compiled = self._present(check, col < threshold)
        compiled.aggregates["latest"] = sa.func.max(col)

        def read(values, rows):
            latest = values["latest"]
            return values["checked"], values["failed"], {
                "latest": _plain(latest), "stale": latest is None or _stale(latest, threshold)}
        compiled.read = read
        return compiled

    def _custom_sql(self, check):
        condition = check.params.get("condition")
        if not isinstance(condition, str) or not condition.strip():
            raise CheckError("a custom SQL check needs a condition")
        if ";" in condition or "--" in condition or "/*" in condition:
            raise CheckError("a condition is one SQL expression without ; or comments")
        failing = sa.text(f"({condition})")
        return _Compiled(check, {"failed": self.sql.count_if(failing)}, _counts, failing)

    def _conformance(self, check):
        col = self._one(check)
        params, parts = check.params, {}
        if params.get("max_length"):
            parts["too_long"] = self.sql.length(self.sql.text(col)) > int(params["max_length"])
        if params.get("pattern"):
            parts["bad_format"] = sa.not_(self.sql.regex(col, params["pattern"]))
        if params.get("values"):
            parts["not_in_code_set"] = sa.not_(self._in_codes(col, params["values"]))
        digit = params.get("check_digit")
        if digit in ("id_number", "credit_code"):
            ok = self._id_ok(col) if digit == "id_number" else self._credit_ok(col)
            parts["bad_check_digit"] = self._not_true(ok)
        elif digit:
            raise CheckError(f"unknown check-digit rule: {digit}")
        if not parts:
            raise CheckError("the data element gives nothing to check")
        present = col.is_not(None)
        failing = sa.and_(present, sa.or_(*parts.values()))
        aggregates = {"checked": sa.func.count(col), "failed": self.sql.count_if(failing),
                      **{name: self.sql.count_if(sa.and_(present, cond)) for name, cond in parts.items()}}
        return _Compiled(check, aggregates,
                         lambda v, rows: (v["checked"], v["failed"], {name: v[name] for name in parts}), failing)

    # statements of their own
    def uniqueness(self, check: Check, sample_size: int):
        if not check.columns:
            raise CheckError("a uniqueness check needs at least one column")
        cols = [self.column(c) for c in check.columns]
        nulls = check.params.get("nulls", "any")
        if nulls not in NULLS:
            raise CheckError(f"nulls must be one of {', '.join(NULLS)}")
        where = [self.base] if self.base is not None else []
        if nulls == "any":
            where += [c.is_not(None) for c in cols]
        elif nulls == "all":
            where.append(sa.or_(*[c.is_not(None) for c in cols]))
        n = sa.func.count().label("n")
        groups = (sa.select(*cols, n).where(*where).group_by(*cols).having(sa.func.count() > 1)
                  .cte("dgov_dup"))
        if sample_size <= 0:
            stmt = sa.select(sa.func.count().label("groups"), sa.func.coalesce(sa.func.sum(groups.c.n), 0)
                             .label("failed"))
            return stmt.select_from(groups), self.checked_count(nulls, cols)
        stmt = (sa.select(*[groups.c[c.name] for c in cols], groups.c.n,
                          sa.func.count().over().label("dgov_groups"),
                          sa.func.sum(groups.c.n).over().label("dgov_failed"))
                .order_by(groups.c.n.desc(), *[groups.c[c.name] for c in cols]).limit(sample_size))
        return stmt, self.checked_count(nulls, cols)

    def reference(self, check: Check):
        if not check.columns:
            raise CheckError("a reference check needs at least one column")
        cols = [self.column(c) for c in check.columns]
        params = check.params
        ref_name = params.get("table")
        ref_cols = params.get("columns") or []
        if not ref_name or len(ref_cols) != len(cols):
            raise CheckError("a reference check names the table and as many columns as it checks")
        ref = sa.Table(ref_name, sa.MetaData(), schema=params.get("schema") or self.schema,
                       autoload_with=self.conn)
        missing = [c for c in ref_cols if c not in ref.c]
        if missing:
            raise CheckError(f"no column {missing[0]} in {ref_name}")
        match = [ref.c[r] == c for r, c in zip(ref_cols, cols, strict=True)]
        live = self._live(ref)
        if live is not None:
            match.append(live)
        orphan = sa.and_(*[c.is_not(None) for c in cols], ~sa.exists().where(*match))
        where = [orphan] + ([self.base] if self.base is not None else [])
        return sa.select(sa.func.count()).select_from(self.table).where(*where), self.checked_count("any", cols), \
            orphan

    def checked_count(self, nulls: str, cols: list):
        """The aggregate counting the rows a key check looks at (None: every row)."""
        if nulls == "any":
            return sa.func.count(cols[0]) if len(cols) == 1 else \
                self.sql.count_if(sa.and_(*[c.is_not(None) for c in cols]))
        if nulls == "all":
            return self.sql.count_if(sa.or_(*[c.is_not(None) for c in cols]))
        return None


# --- values that leave the database ------------------------------------------------------------------------
def mask(value) -> str:
    """A personal value in a sample: its shape kept, its content hidden."""
    if value is None:
        return None
    text = str(value)
    if len(text) <= 2:
        return "*" * len(text)
    if len(text) <= 6:
        return text[0] + "*" * (len(text) - 2) + text[-1]
    return text[:3] + "*" * (len(text) - 7) + text[-4:]


def _plain(value):
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"<{len(bytes(value))} bytes>"
    return str(value)


def _row(mapping, personal: Sequence[str]) -> dict:
    return {k: (mask(v) if k in personal else _plain(v)) for k, v in mapping.items()}


# --- running -----------------------------------------------------------------------------------------------
class _ReadOnly:
    """The connection's transaction made read-only (and rolled back at the end)."""

    def __init__(self, conn: sa.Connection, sql: _Sql):
        self.conn, self.sql = conn, sql

    def begin(self):
        if self.conn.in_transaction():
            self.conn.rollback()
        if self.sql.name == "postgresql":
            self.conn.exec_driver_sql("SET TRANSACTION READ ONLY")
            work_mem = getattr(settings, "DGOV_QUALITY_WORK_MEM", "")
            if work_mem and WORK_MEM_RE.match(work_mem):
                self.conn.exec_driver_sql(f"SET LOCAL work_mem = '{work_mem}'")
        elif self.sql.name == "mysql":
            self.conn.exec_driver_sql("SET SESSION TRANSACTION READ ONLY")
            self.conn.commit()
        else:
            self.conn.exec_driver_sql("PRAGMA query_only = 1")

    def end(self):
        if self.conn.in_transaction():
            self.conn.rollback()
        if self.sql.name == "mysql":
            self.conn.exec_driver_sql("SET SESSION TRANSACTION READ WRITE")
            self.conn.commit()
        elif self.sql.name == "sqlite":
            self.conn.exec_driver_sql("PRAGMA query_only = 0")
            self.conn.commit()

    def execute(self, stmt):
        """Run one statement; on failure the transaction is restarted (PostgreSQL aborts it) and the error
        raised."""
        try:
            return self.conn.execute(stmt)
        except sa.exc.DBAPIError:
            self.conn.rollback()
            self.begin()
            raise


def _error(exc: Exception) -> str:
    if isinstance(exc, sa.exc.DBAPIError):
        return str(exc.orig).strip().splitlines()[0][:500] if exc.orig else str(exc)[:500]
    return str(exc)[:500]


def _aggregates(wanted: dict, dialect) -> tuple[list, dict]:
    """The combined pass's columns for `wanted` ({owner: {name: aggregate}}), an aggregate asked for twice
    (`count(id_number)` by completeness, validity and uniqueness alike) computed once; and, per owner, the
    label of each of its names."""
    columns, seen, labels = [], {}, {}
    for owner, aggregates in wanted.items():
        labels[owner] = {}
        for name, expr in aggregates.items():
            compiled = expr.compile(dialect=dialect)
            key = (compiled.string, repr(sorted(compiled.params.items())))
            if key not in seen:
                seen[key] = f"a{len(columns)}"
                columns.append(expr.label(seen[key]))
            labels[owner][name] = seen[key]
    return columns, labels


class _Run:
    def __init__(self, conn, table, checks, *, schema, key_columns, now, sample_size, skip_deleted):
        self.compiler = _Compiler(conn, table, schema=schema, key_columns=key_columns, now=now,
                                  skip_deleted=skip_deleted)
        self.checks = list(checks)
        self.sample_size = sample_size
        self.outcomes = {c.key: Outcome(c.key) for c in self.checks}
        self.row_level: list[_Compiled] = []
        self.separate: list[tuple[Check, str, object]] = []  # (check, kind, compiled statement parts)
        for check in self.checks:
            try:
                if check.kind == "uniqueness":
                    self.separate.append((check, "uniqueness", self.compiler.uniqueness(check, sample_size)))
                elif check.kind == "reference":
                    self.separate.append((check, "reference", self.compiler.reference(check)))
                else:
                    self.row_level.append(self.compiler.compile(check))
            except (CheckError, sa.exc.NoSuchTableError, sa.exc.DBAPIError) as exc:
                if isinstance(exc, sa.exc.DBAPIError):
                    conn.rollback()
                self.outcomes[check.key].error = _error(exc) if not isinstance(exc, sa.exc.NoSuchTableError) \
                    else f"no table {exc}"

    def _where(self, *conds):
        base = self.compiler.base
        return [c for c in (base, *conds) if c is not None]

    def main_statement(self, compiled: list[_Compiled], separate=()):
        """The combined pass for `compiled` and the `checked` counts of the `separate` checks; with, per check
        key, the labels of its values."""
        wanted = {c.check.key: c.aggregates for c in compiled}
        for check, _, parts in separate:
            if parts[1] is not None:
                wanted[check.key] = {"checked": parts[1]}
        columns, labels = _aggregates(wanted, self.compiler.conn.dialect)
        stmt = (sa.select(sa.func.count().label("dgov_rows"), *columns)
                .select_from(self.compiler.table).where(*self._where()))
        return stmt, labels

    def statements(self) -> list:
        stmts = [self.main_statement(self.row_level, self.separate)[0]]
        stmts += [parts[0] for _, _, parts in self.separate]
        return stmts

    def execute(self, ro: _ReadOnly) -> tuple[int, int]:
        stmt, labels = self.main_statement(self.row_level, self.separate)
        statements = 1
        try:
            row = ro.execute(stmt).mappings().one()
            self._take(row, self.row_level, labels)
        except sa.exc.DBAPIError:
            # find the failing check(s): each row-level check on its own, then the separate checks' counts alone
            for c in self.row_level:
                one, one_labels = self.main_statement([c])
                statements += 1
                try:
                    self._take(ro.execute(one).mappings().one(), [c], one_labels)
                except sa.exc.DBAPIError as exc:
                    self.outcomes[c.check.key].error = _error(exc)
            stmt, labels = self.main_statement([], self.separate)
            statements += 1
            row = ro.execute(stmt).mappings().one()
        rows = int(row["dgov_rows"])
        for check, kind, parts in self.separate:
            outcome = self.outcomes[check.key]
            outcome.checked = int(row[labels[check.key]["checked"]]) if parts[1] is not None else rows
            statements += 1
            try:
                if kind == "uniqueness":
                    self._take_duplicates(ro.execute(parts[0]).mappings().all(), check, outcome)
                else:
                    outcome.failed = int(ro.execute(parts[0]).scalar_one())
                    statements += self._sample(ro, check, parts[2], outcome)
            except sa.exc.DBAPIError as exc:
                outcome.error = _error(exc)
        for c in self.row_level:
            outcome = self.outcomes[c.check.key]
            if outcome.failed and not outcome.error:
                statements += self._sample(ro, c.check, c.failing, outcome)
        return rows, statements

    def _take(self, row, compiled: list[_Compiled], labels: dict):
        rows = int(row["dgov_rows"])
        for c in compiled:
            mine = labels[c.check.key]
            values = {name: row[label] if name == "latest" else int(row[label] or 0) for name, label in mine.items()}
            outcome = self.outcomes[c.check.key]
            outcome.checked, outcome.failed, details = c.read(values, rows)
            outcome.details.update(details)

    def _take_duplicates(self, rows, check: Check, outcome: Outcome):
        if self.sample_size <= 0:
            groups, failed = rows[0]["groups"], rows[0]["failed"]
        else:
            groups = rows[0]["dgov_groups"] if rows else 0
            failed = rows[0]["dgov_failed"] if rows else 0
            outcome.sample = [_row({**{c: r[c] for c in check.columns}, "count": r["n"]}, check.personal)
                              for r in rows]
        outcome.failed = int(failed or 0)
        outcome.details = {"groups": int(groups or 0), "extra_rows": int(failed or 0) - int(groups or 0),
                           "nulls": check.params.get("nulls", "any")}

    def _sample(self, ro: _ReadOnly, check: Check, cond, outcome: Outcome) -> int:
        if self.sample_size <= 0 or not outcome.failed:
            return 0
        table = self.compiler.table
        names = list(dict.fromkeys([*self.compiler.key_columns, *[c for c in check.columns if c in table.c]]))
        if not names:
            return 0
        stmt = sa.select(*[table.c[n] for n in names]).where(*self._where(cond)).limit(self.sample_size)
        try:
            outcome.sample = [_row(r, check.personal) for r in ro.execute(stmt).mappings().all()]
        except sa.exc.DBAPIError as exc:
            outcome.details["sample_error"] = _error(exc)
        return 1


def _stale(latest, threshold) -> bool:
    try:
        return latest < threshold
    except TypeError:
        return str(latest) < str(threshold)


def run(conn: sa.Connection, table: str, checks: Sequence[Check], *, schema: str | None = None,
        key_columns: Sequence[str] = (), now: dt.datetime | None = None, sample_size: int = 5,
        skip_deleted: bool = True) -> RunOutcome:
    """Check `table` with `checks` inside its database; see the module's docstring."""
    keys = [c.key for c in checks]
    if len(set(keys)) != len(keys):
        raise CheckError("check keys must be unique")
    sql = _Sql(conn)
    ro = _ReadOnly(conn, sql)
    ro.begin()
    try:
        work = _Run(conn, table, checks, schema=schema, key_columns=key_columns, now=now,
                    sample_size=sample_size, skip_deleted=skip_deleted)
        rows, statements = work.execute(ro)
    finally:
        ro.end()
    return RunOutcome(rows=rows, statements=statements, dialect=sql.name,
                      outcomes=[work.outcomes[k] for k in keys])


def statements(conn: sa.Connection, table: str, checks: Sequence[Check], *, schema: str | None = None,
               key_columns: Sequence[str] = (), now: dt.datetime | None = None, sample_size: int = 0,
               skip_deleted: bool = True) -> list[str]:
    """The SQL a run sends for the counts (samples aside), as text with the values inlined where they can be."""
    work = _Run(conn, table, checks, schema=schema, key_columns=key_columns, now=now, sample_size=sample_size,
                skip_deleted=skip_deleted)
    out = []
    for stmt in work.statements():
        try:
            text = str(stmt.compile(conn, compile_kwargs={"literal_binds": True}))
            # the pyformat drivers' escaping of % is not part of the SQL
            out.append(text.replace("%%", "%") if conn.dialect.paramstyle in ("pyformat", "format") else text)
        except (sa.exc.CompileError, NotImplementedError, TypeError):
            out.append(str(stmt.compile(conn)))
    return out
