"""The platform's data store: the one way anything reads or writes aggregated data.

The data store is a database of its own (`DGOV_DATASTORE_URL`: a SQLite file by default,
PostgreSQL in production), separate from the application's database, reached with SQLAlchemy Core
through one engine per process. Each `Dataset` is one table, named `Dataset.table_name`, with a
column per `DatasetColumn` and four system columns:

- `_key` (text, primary key): the row key, the key columns' values (one value as text; several as
  a compact JSON array);
- `_seq` (bigint): the table's change sequence, strictly increasing on every insert, update or
  deletion, so that federation can pull "everything after N";
- `_loaded_at`: when the row last changed here (UTC);
- `_deleted`: a full load marks rows that vanished from the source as deleted, with a new `_seq`,
  instead of removing them, so that deletions travel too.

Sequences come from the bookkeeping table `_dgov_tables` (one row per dataset table). A write
(`upsert`, `mark_deleted`) first locks that row (`lock_sequence`: PostgreSQL `SELECT … FOR
UPDATE`; on SQLite the database's one write lock, taken at `BEGIN IMMEDIATE`) and holds it until
commit, *before* it reads which rows exist: writers to one table are serialised, so sequence order
is commit order — a reader of `changes_since` never sees `_seq` N+1 committed while N is still to
come — and two writers never both insert one new key. Code that writes a dataset table without these
functions must call `lock_sequence` first.

Values are normalised on the way in (`coerce`): text, integers, decimals, dates, datetimes (stored
as naive UTC), booleans, binary. They come out JSON-safe (`to_json`): dates and datetimes as ISO
strings (datetimes in the platform's time zone, with the offset), decimals as strings, binary as
base64.
"""

import base64
import datetime as dt
import json
import math
import operator
import re
import threading
import time
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from django.conf import settings
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from sqlalchemy import exc as sa_exc

from dgov.core.cache import ProcessCache

BATCH = 500
MAX_BIGINT = 2**63 - 1
OPS = ("eq", "ne", "lt", "lte", "gt", "gte", "in", "startswith", "contains")
#: values an "in" condition may list (SQLite refuses statements with more than 32766 parameters)
MAX_IN = 1000
TABLE_NAME_RE = re.compile(r"^ds_[a-z0-9_]{1,60}$")
COLUMN_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
SYSTEM_COLUMNS = ("_key", "_seq", "_loaded_at", "_deleted")
META_TABLE = "_dgov_tables"

# SQLite has no decimal type: numerics are stored as REAL there (PostgreSQL keeps them exact). The
# warning says so on every use; it is the documented trade-off of the default SQLite data store.
warnings.filterwarnings("ignore", message=r"Dialect sqlite\+pysqlite does \*not\* support Decimal",
                        category=sa_exc.SAWarning)


class RowError(ValueError):
    """A value that does not fit its column; the message names the column and says why."""


@dataclass(frozen=True)
class UpsertResult:
    written: int
    unchanged: int


# --- URLs and engines -------------------------------------------------------------------------------
def sqlalchemy_url(url: str) -> str:
    """A database URL with the driver SQLAlchemy should use: psycopg 3 for PostgreSQL, PyMySQL for
    MySQL and MariaDB (`postgres://` and `mysql://` as dj-database-url spells them work too)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError("not a database URL")
    driver = {"postgres": "postgresql+psycopg", "postgresql": "postgresql+psycopg", "pgsql": "postgresql+psycopg",
              "mysql": "mysql+pymysql", "mariadb": "mysql+pymysql"}.get(scheme.lower(), scheme)
    return f"{driver}://{rest}"


def create_engine(url: str, **kwargs) -> sa.Engine:
    """An engine for `url`; SQLite files run in WAL mode and wait for a writer instead of failing,
    and their transactions are begun explicitly (`BEGIN IMMEDIATE` for writes, see `transaction`)."""
    url = sqlalchemy_url(url)
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 30}, hide_parameters=True, **kwargs)

        @sa.event.listens_for(engine, "connect")
        def _connect(dbapi_connection, _record):
            # pysqlite's own implicit BEGIN would defer the write lock to the first write; we begin
            # ourselves so a writer holds the lock from its first statement (sequence order).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @sa.event.listens_for(engine, "begin")
        def _begin(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("dgov_write") else "BEGIN")

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    # hide_parameters: an error's message (logged) must not carry the rows' values (personal data).
    return sa.create_engine(url, hide_parameters=True, **kwargs)


_engines: dict[str, sa.Engine] = {}
_ensured: set[tuple] = set()
_lock = threading.Lock()


def engine() -> sa.Engine:
    """The data store's engine, one per process (and per URL, so tests can switch stores)."""
    url = settings.DGOV_DATASTORE_URL
    eng = _engines.get(url)
    if eng is None:
        with _lock:
            eng = _engines.get(url)
            if eng is None:
                eng = _engines[url] = create_engine(url)
    return eng


def reset() -> None:
    """Forget engines and known tables (after a test swapped or emptied the data store)."""
    with _lock:
        for eng in _engines.values():
            eng.dispose()
        _engines.clear()
        _ensured.clear()


def known(fact: tuple) -> bool:
    """Whether this process noted `fact` about the current data store (a table checked, a row
    created); `reset` forgets every fact."""
    return (settings.DGOV_DATASTORE_URL, *fact) in _ensured


def note(fact: tuple) -> None:
    _ensured.add((settings.DGOV_DATASTORE_URL, *fact))


def is_postgresql() -> bool:
    return engine().dialect.name == "postgresql"


@contextmanager
def transaction() -> Iterator[sa.Connection]:
    """One write transaction on the data store: everything written through the connection commits
    together, or nothing does. Pass it as `conn=` to `upsert` and `mark_deleted`."""
    with engine().connect().execution_options(dgov_write=True) as conn, conn.begin():
        yield conn


@contextmanager
def _reading(conn: sa.Connection | None) -> Iterator[sa.Connection]:
    if conn is not None:
        yield conn
        return
    with engine().connect() as own, own.begin():
        yield own


class TooSlow(Exception):
    """A read ran past its time limit (`time_limit`) and was stopped."""


def _canceled(exc: sa_exc.OperationalError) -> bool:
    orig = exc.orig
    return (getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)) == "57014" or (
        "interrupted" in str(orig))


@contextmanager
def time_limit(seconds: float) -> Iterator[sa.Connection]:
    """A read connection (one transaction) on which every statement stops after `seconds`, raising `TooSlow`:
    PostgreSQL's `statement_timeout` for the transaction; on SQLite a progress handler that interrupts the
    statement once the time is up. Pass it as `conn` to the reads."""
    with engine().connect() as conn, conn.begin():
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            deadline = time.monotonic() + seconds
            raw = conn.connection.dbapi_connection
            raw.set_progress_handler(lambda: int(time.monotonic() > deadline), 10000)
        else:
            conn.exec_driver_sql(f"SET LOCAL statement_timeout = {max(1, int(seconds * 1000))}")
        try:
            yield conn
        except sa_exc.OperationalError as exc:
            if _canceled(exc):
                raise TooSlow() from None
            raise
        finally:
            if sqlite:
                raw.set_progress_handler(None, 0)


@contextmanager
def _writing(conn: sa.Connection | None) -> Iterator[sa.Connection]:
    if conn is not None:
        yield conn
        return
    with transaction() as own:
        yield own


# --- tables -------------------------------------------------------------------------------------------
_SQL_TYPES = {
    "string": sa.Text,
    "integer": sa.BigInteger,
    # On SQLite, decimals are REAL: read them back as the float they are (SQLAlchemy's Decimal
    # conversion would also round them to ten decimal places: 1e-12 came back as 0).
    "decimal": sa.Numeric().with_variant(sa.Numeric(asdecimal=False), "sqlite"),
    "date": sa.Date,
    "datetime": sa.DateTime,
    "boolean": sa.Boolean,
    "binary": sa.LargeBinary,
}

_meta = sa.MetaData()
meta_table = sa.Table(META_TABLE, _meta,
                      sa.Column("table_name", sa.String(63), primary_key=True),
                      sa.Column("last_seq", sa.BigInteger, nullable=False, default=0))


def _columns(dataset) -> list:
    """The dataset's columns (uses a prefetched `columns` when the caller prefetched it)."""
    return list(dataset.columns.all())


def _signature(dataset) -> tuple:
    return (dataset.table_name, tuple((c.name, c.data_type) for c in _columns(dataset)))


_tables: dict[tuple, sa.Table] = {}


def table(dataset) -> sa.Table:
    """The SQLAlchemy table of `dataset` (built from its columns, cached by their names and types)."""
    signature = _signature(dataset)
    tbl = _tables.get(signature)
    if tbl is None:
        name, columns = signature
        if not TABLE_NAME_RE.match(name):
            raise ValueError(f"invalid data store table name {name!r}")
        cols = [sa.Column("_key", sa.Text, primary_key=True),
                sa.Column("_seq", sa.BigInteger, nullable=False, index=True),
                sa.Column("_loaded_at", sa.DateTime, nullable=False),
                sa.Column("_deleted", sa.Boolean, nullable=False, default=False)]
        for col_name, data_type in columns:
            if not COLUMN_NAME_RE.match(col_name):
                raise ValueError(f"invalid column name {col_name!r}")
            cols.append(sa.Column(col_name, _SQL_TYPES[data_type], nullable=True))
        tbl = sa.Table(name, sa.MetaData(), *cols)
        _tables[signature] = tbl
    return tbl


def ensure_table(dataset, *, conn: sa.Connection | None = None) -> sa.Table:
    """Create the dataset's table (and the bookkeeping row) when missing, and add the columns the
    dataset gained since. Columns it lost stay in the table, unused: their data is not thrown away."""
    tbl = table(dataset)
    if conn is None:
        # Look first, in a read transaction: a reader's first use of a table in a process must not
        # wait for the write lock (on SQLite held by a load for as long as it runs).
        with _reading(None) as c:
            if _up_to_date(c, tbl):
                _ensured.add((settings.DGOV_DATASTORE_URL, _signature(dataset)))
                return tbl
    with _writing(conn) as c:
        _meta.create_all(c, tables=[meta_table], checkfirst=True)
        inspector = sa.inspect(c)
        if not inspector.has_table(tbl.name):
            tbl.create(c)
        else:
            have = {col["name"] for col in inspector.get_columns(tbl.name)}
            for column in tbl.columns:
                if column.name not in have:
                    ddl = sa.schema.CreateColumn(column).compile(dialect=c.dialect)
                    c.exec_driver_sql(f"ALTER TABLE {c.dialect.identifier_preparer.quote(tbl.name)} ADD COLUMN {ddl}")
        if c.execute(sa.select(meta_table.c.last_seq).where(meta_table.c.table_name == tbl.name)).first() is None:
            last = c.execute(sa.select(sa.func.coalesce(sa.func.max(tbl.c._seq), 0))).scalar_one()
            insert = _insert_ignore(c, meta_table).values(table_name=tbl.name, last_seq=last)
            c.execute(insert)  # a concurrent first use may have inserted it meanwhile (PostgreSQL)
    _ensured.add((settings.DGOV_DATASTORE_URL, _signature(dataset)))
    return tbl


def _up_to_date(conn: sa.Connection, tbl: sa.Table) -> bool:
    """Whether the table, every one of its columns and its sequence row exist."""
    inspector = sa.inspect(conn)
    if not inspector.has_table(META_TABLE) or not inspector.has_table(tbl.name):
        return False
    have = {col["name"] for col in inspector.get_columns(tbl.name)}
    if any(column.name not in have for column in tbl.columns):
        return False
    return conn.execute(sa.select(meta_table.c.last_seq).where(meta_table.c.table_name == tbl.name)).first() \
        is not None


def _insert_ignore(conn: sa.Connection, tbl: sa.Table):
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif conn.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        return tbl.insert()
    return insert(tbl).on_conflict_do_nothing()


def _ready(dataset) -> sa.Table:
    """The table, created on its first use in this process."""
    if (settings.DGOV_DATASTORE_URL, _signature(dataset)) not in _ensured:
        return ensure_table(dataset)
    return table(dataset)


def drop_table(dataset) -> None:
    """Remove a dataset's table and its sequence (its dataset is being deleted)."""
    tbl = table(dataset)
    with transaction() as c:
        tbl.drop(c, checkfirst=True)
        if sa.inspect(c).has_table(META_TABLE):
            c.execute(meta_table.delete().where(meta_table.c.table_name == tbl.name))
    _ensured.difference_update({key for key in _ensured if key[1][0] == tbl.name})


# --- values -------------------------------------------------------------------------------------------
_TRUE = {"1", "true", "t", "yes", "y", "是", "真"}
_FALSE = {"0", "false", "f", "no", "n", "否", "假"}


def _tz():
    return ZoneInfo(settings.TIME_ZONE)


def _shown(value) -> str:
    return str(value)[:40]


def coerce(value, data_type: str, column: str = ""):
    """`value` as its column stores it, or RowError saying why it does not fit. None and empty text
    (in any column but text) are NULL."""
    if value is None:
        return None
    if isinstance(value, str) and data_type != "string":
        value = value.strip()
        if value == "":
            return None
    try:
        return _coerce(value, data_type)
    except RowError as exc:
        raise RowError(f"{column}: {exc}" if column else str(exc)) from None
    except (ValueError, InvalidOperation, OverflowError, TypeError):
        reason = _("“%(value)s” is not a valid %(type)s") % {"value": _shown(value), "type": _type_label(data_type)}
        raise RowError(f"{column}: {reason}" if column else reason) from None


def _type_label(data_type: str) -> str:
    from dgov.catalog.models import DataItem

    try:
        return str(DataItem.DataType(data_type).label)
    except ValueError:
        return data_type


def _coerce(value, data_type: str):
    if data_type == "string":
        if isinstance(value, bytes | bytearray | memoryview):
            raise RowError(_("binary data in a text column"))
        if isinstance(value, dt.datetime | dt.date | Decimal | float | int | bool):
            value = to_json(value, _natural=True)
        value = str(value)
        if "\x00" in value:
            raise RowError(_("the text contains a NUL character"))
        return value
    if data_type == "integer":
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, float | Decimal):
            if not (math.isfinite(value) if isinstance(value, float) else value.is_finite()) or value != int(value):
                raise RowError(_("“%(value)s” is not a whole number") % {"value": _shown(value)})
            value = int(value)
        elif not isinstance(value, int):
            text = str(value)
            if not re.fullmatch(r"[+-]?\d{1,19}", text):
                raise RowError(_("“%(value)s” is not a whole number") % {"value": _shown(text)})
            value = int(text)
        if not -MAX_BIGINT - 1 <= value <= MAX_BIGINT:
            raise RowError(_("%(value)s is out of range") % {"value": value})
        return value
    if data_type == "decimal":
        if isinstance(value, bool):
            raise RowError(_("a yes/no value is not a number"))
        number = value if isinstance(value, Decimal) else Decimal(str(value))
        if not number.is_finite():
            raise RowError(_("“%(value)s” is not a finite number") % {"value": _shown(value)})
        return number
    if data_type == "date":
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        text = str(value)
        parsed = parse_date(text[:10]) if re.match(r"^\d{4}-\d{2}-\d{2}(?:$|[ T])", text) else None
        if parsed is None:
            raise RowError(_("“%(value)s” is not a date (YYYY-MM-DD)") % {"value": _shown(text)})
        return parsed
    if data_type == "datetime":
        if isinstance(value, dt.datetime):
            moment = value
        elif isinstance(value, dt.date):
            moment = dt.datetime.combine(value, dt.time())
        else:
            moment = parse_datetime(str(value))
            if moment is None:
                raise RowError(_("“%(value)s” is not a date and time (YYYY-MM-DD HH:MM:SS)") % {"value": _shown(value)})
        if moment.tzinfo is None:  # a source's local time
            moment = moment.replace(tzinfo=_tz())
        return moment.astimezone(dt.UTC).replace(tzinfo=None)
    if data_type == "boolean":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise RowError(_("“%(value)s” is not a yes/no value") % {"value": _shown(text)})
    if data_type == "binary":
        if isinstance(value, bytes | bytearray | memoryview):
            return bytes(value)
        try:
            return base64.b64decode(str(value), validate=True)
        except ValueError:
            raise RowError(_("binary data given as text must be base64")) from None
    raise TypeError(f"unknown data type {data_type!r}")


def to_json(value, *, _natural: bool = False):
    """A stored value as JSON can carry it (`_natural`: as text in a text column)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return repr(value) if _natural else format(Decimal(repr(value)).normalize(), "f")
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, dt.datetime):
        if _natural:
            return value.isoformat(sep=" ")
        aware = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value
        return aware.astimezone(_tz()).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode()
    return str(value)


def _out(value, data_type: str):
    """A stored value as `select` and `changes_since` hand it out: JSON-safe, a decimal always as a
    string (SQLite hands back REAL decimals as floats, or as integers when they are whole)."""
    if data_type == "decimal" and isinstance(value, int | float) and not isinstance(value, bool):
        return to_json(Decimal(repr(value)) if isinstance(value, float) else Decimal(value))
    return to_json(value)


def _comparable(value, data_type: str, *, approximate: bool = False):
    """A stored value in a form equal for equal data, whatever the database handed back. SQLite
    keeps decimals as REAL (`approximate`): there a decimal equals what it became as a float, or a
    value with more digits than a float holds would count as changed on every load."""
    if value is not None and data_type == "decimal":
        if approximate:
            return float(value)
        return to_json(Decimal(str(value)))
    return value


def row_key(values: dict, key_columns: list[str]) -> str:
    """The `_key` of a row: one key column's value as text, several as a compact JSON array."""
    parts = []
    for name in key_columns:
        value = values.get(name)
        if value is None or value == "":
            raise RowError(_("%(column)s: the key column is empty") % {"column": name})
        parts.append(to_json(value))
    if len(parts) == 1:
        return str(parts[0])
    return json.dumps(parts, ensure_ascii=False, separators=(",", ":"))


def _converter(data_type: str, column: str, tz):
    """A function converting one value of a `data_type` column exactly as `coerce` does, chosen once
    per column: a value that already has the type the column stores (what the PostgreSQL and MySQL
    drivers hand back) passes through a cheap check; anything else goes through `coerce`."""
    def slow(value):
        return coerce(value, data_type, column)

    if data_type == "string":
        def convert(value):
            if type(value) is str and "\x00" not in value:
                return value
            return None if value is None else slow(value)
    elif data_type == "integer":
        def convert(value):
            if type(value) is int and -MAX_BIGINT - 1 <= value <= MAX_BIGINT:
                return value
            return None if value is None else slow(value)
    elif data_type == "decimal":
        def convert(value):
            if type(value) is Decimal and value.is_finite():
                return value
            return None if value is None else slow(value)
    elif data_type == "date":
        def convert(value):
            if type(value) is dt.date:
                return value
            return None if value is None else slow(value)
    elif data_type == "datetime":
        utc = dt.UTC

        def convert(value):
            if type(value) is dt.datetime:
                # as `_coerce`: a naive time is the source's local time, stored as naive UTC
                aware = value if value.tzinfo is not None else value.replace(tzinfo=tz)
                return aware.astimezone(utc).replace(tzinfo=None)
            return None if value is None else slow(value)
    elif data_type == "boolean":
        def convert(value):
            if type(value) is bool:
                return value
            return None if value is None else slow(value)
    elif data_type == "binary":
        def convert(value):
            if type(value) is bytes:
                return value
            return None if value is None else slow(value)
    else:
        raise TypeError(f"unknown data type {data_type!r}")
    return convert


def row_coercer(columns: list, source_names: dict[str, str] | None = None, *,
                positions: dict[str, int] | None = None):
    """`coerce_row` for these columns, with the converters chosen once: a function of a row (a dict
    by column name, or by source column name through `source_names`: column → source column; or,
    with `positions`, a tuple: column → index of its value in the tuple)."""
    keys = [c.name for c in columns if c.is_key]
    if not keys:
        raise ValueError("the dataset has no key column")
    tz = _tz()
    unmapped = object()  # a column no source column feeds reads None (no row has this key)
    if positions is not None:
        sources = [positions.get(c.name, -1) for c in columns]
    else:
        sources = [c.name if source_names is None else source_names.get(c.name, unmapped) for c in columns]
    plan = [(c.name, source, _converter(c.data_type, c.name, tz), getattr(c, "mask", "none") in ("none", ""),
             c.data_type) for c, source in zip(columns, sources, strict=True)]
    single_key = keys[0] if len(keys) == 1 else None

    def failed(name: str, plain: bool, data_type: str, exc: RowError):
        if plain:
            return exc
        # Personal data: the reason must not quote the value (it is kept with the run).
        return RowError(_("%(column)s: not a valid %(type)s") % {"column": name, "type": _type_label(data_type)})

    def finish(values: dict) -> dict:
        if single_key is not None:
            value = values[single_key]
            if type(value) is str and value != "":
                values["_key"] = value  # what `row_key` makes of one text key
                return values
        values["_key"] = row_key(values, keys)
        return values

    if positions is not None:
        def convert(row) -> dict:
            values = {}
            for name, index, conv, plain, data_type in plan:
                try:
                    values[name] = conv(row[index] if index >= 0 else None)
                except RowError as exc:
                    raise failed(name, plain, data_type, exc) from None
            return finish(values)
    else:
        def convert(row: dict) -> dict:
            values = {}
            get = row.get
            for name, source, conv, plain, data_type in plan:
                try:
                    values[name] = conv(get(source))
                except RowError as exc:
                    raise failed(name, plain, data_type, exc) from None
            return finish(values)

    return convert


def tuple_coercer(columns: list, positions: dict[str, int]):
    """`row_coercer` for rows that are tuples (`positions`: column → index in the tuple), giving
    `(_key, value, …)` in `columns`' order, what `load` takes: no dict per row. A row that does not
    fit goes through `row_coercer` again, which says which column and why."""
    keys = [c.name for c in columns if c.is_key]
    names = [c.name for c in columns]
    tz = _tz()
    converters = [_converter(c.data_type, c.name, tz) for c in columns]
    indexes = [positions.get(c.name, -1) for c in columns]
    if all(i >= 0 for i in indexes):
        pick = operator.itemgetter(*indexes)
        if len(indexes) == 1:
            pick = (lambda get: lambda row: (get(row),))(pick)
    else:
        def pick(row):
            return tuple(row[i] if i >= 0 else None for i in indexes)
    slow = row_coercer(columns, positions=positions)
    single = names.index(keys[0]) if len(keys) == 1 else None

    def convert(row) -> tuple:
        try:
            values = [f(v) for f, v in zip(converters, pick(row), strict=True)]
        except RowError:
            slow(row)  # raises the RowError that names the column
            raise
        key = values[single] if single is not None else None
        if type(key) is not str or key == "":
            key = row_key(dict(zip(names, values, strict=True)), keys)
        return (key, *values)

    return convert


def coerce_row(columns: list, row: dict) -> dict:
    """A row's values normalised for its dataset's columns (`columns`: DatasetColumn objects), and
    `_key`. Raises RowError for the first value that does not fit, or an empty key."""
    signature = (settings.TIME_ZONE, tuple((c.name, c.data_type, getattr(c, "mask", "none"), c.is_key)
                                           for c in columns))
    convert = _coercers.get(signature)
    if convert is None:
        convert = row_coercer(columns)
        if len(_coercers) > 1000:  # columns change rarely; keep the cache bounded all the same
            _coercers.clear()
        _coercers[signature] = convert
    return convert(row)


_coercers: dict[tuple, object] = {}


# --- writes -------------------------------------------------------------------------------------------
def lock_sequence(conn: sa.Connection, dataset_or_table) -> int | None:
    """Hold the table's sequence until `conn`'s transaction ends: every writer of the table calls it
    before reading what the table holds (see the module docstring). On SQLite the write transaction
    (`transaction()`) holds the database's write lock already. Returns the last sequence number
    handed out (None on SQLite, where nothing is read)."""
    tbl = dataset_or_table if isinstance(dataset_or_table, sa.Table) else table(dataset_or_table)
    if conn.dialect.name != "sqlite":
        return conn.execute(sa.select(meta_table.c.last_seq).where(meta_table.c.table_name == tbl.name)
                            .with_for_update()).scalar_one()
    return None


def _advance(cursor, tbl: sa.Table, last: int, n: int) -> None:
    """Record that the `n` numbers after `last` are used (PostgreSQL; the caller holds the sequence
    since it read `last`, so nobody else moved it)."""
    now_last = cursor.execute(f"UPDATE {META_TABLE} SET last_seq = last_seq + %s WHERE table_name = %s "
                              "RETURNING last_seq", [n, tbl.name]).fetchone()[0]
    if now_last != last + n:
        raise RuntimeError(f"the sequence of {tbl.name} moved while it was held")


def _allocate(conn: sa.Connection, tbl: sa.Table, n: int) -> int:
    """Reserve `n` sequence numbers; returns the first. The caller holds the sequence
    (`lock_sequence`) until the transaction ends."""
    conn.execute(meta_table.update().where(meta_table.c.table_name == tbl.name)
                 .values(last_seq=meta_table.c.last_seq + n))
    last = conn.execute(sa.select(meta_table.c.last_seq).where(meta_table.c.table_name == tbl.name)).scalar_one()
    return last - n + 1


def _batches(iterable: Iterable, size: int) -> Iterator[list]:
    batch = []
    for item in iterable:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _remember_upsert(c: sa.Connection, tbl: sa.Table, kind: str, keys: set | None = None) -> None:
    """What `mark_deleted(…, upserted=True)` needs of the upsert just done in this transaction:
    `fresh` (the table was empty: every live row is one it wrote), `staged` (its keys are in the
    temporary table `_dgov_stage`, PostgreSQL) or `keys` (the set of its keys, SQLite)."""
    c.info["dgov_upserted"] = (c.get_transaction(), tbl.name, kind, keys)


def upsert(dataset, rows: Iterable[dict], *, conn: sa.Connection | None = None, unique: bool = False) -> UpsertResult:
    """Insert new rows and update changed ones (live again if they were deleted); a row whose values
    did not change is not rewritten and keeps its `_seq`. Rows are dicts by column name (missing
    columns are NULL), or rows from `coerce_row` (with `_key`), taken as they are; a later row with
    the same key replaces an earlier one — unless the caller says the keys are `unique` (a load,
    which rejects repeated keys before): then a repeated key is an error, and on PostgreSQL a table
    that holds no row at all is written by COPY straight into it. Raises RowError for a value that
    does not fit (callers that reject rows one by one check with `coerce_row` first), ValueError for
    an unknown column."""
    columns = _columns(dataset)
    names = {c.name for c in columns}
    types = {c.name: c.data_type for c in columns}
    tbl = _ready(dataset)
    written = unchanged = 0
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with _writing(conn) as c:
        if c.dialect.name == "postgresql":
            return _upsert_staged(c, tbl, columns, rows, now, unique=unique)
        approximate = c.dialect.name == "sqlite"
        locked = False
        seen: set[str] = set()
        for batch in _batches(rows, BATCH):
            if not locked:
                lock_sequence(c, tbl)
                locked = True
            by_key: dict[str, dict] = {}
            for row in batch:
                unknown = set(row) - names - {"_key"}
                if unknown:
                    raise ValueError(f"unknown columns {sorted(unknown)}")
                values = row if "_key" in row else coerce_row(columns, row)
                if unique and (values["_key"] in by_key or values["_key"] in seen):
                    raise ValueError("a key repeats")
                by_key[values["_key"]] = values
            seen.update(by_key)
            existing = {r._key: r._mapping for r in c.execute(
                sa.select(tbl).where(tbl.c._key.in_(list(by_key))))}
            inserts, updates = [], []
            for key, values in by_key.items():
                old = existing.get(key)
                if old is None:
                    inserts.append(values)
                elif old["_deleted"] or any(_comparable(old[n], types[n], approximate=approximate)
                                            != _comparable(values[n], types[n], approximate=approximate)
                                            for n in names):
                    updates.append(values)
                else:
                    unchanged += 1
            if not inserts and not updates:
                continue
            seq = _allocate(c, tbl, len(inserts) + len(updates))
            for values in inserts + updates:
                values.update(_seq=seq, _loaded_at=now, _deleted=False)
                seq += 1
            if inserts:
                c.execute(tbl.insert(), inserts)
            if updates:
                params = [{**{f"v_{k}": v for k, v in values.items() if k != "_key"}, "k_key": values["_key"]}
                          for values in updates]
                stmt = (tbl.update().where(tbl.c._key == sa.bindparam("k_key"))
                        .values({name: sa.bindparam(f"v_{name}") for name in [*names, "_seq", "_loaded_at",
                                                                               "_deleted"]}))
                c.execute(stmt, params)
            written += len(inserts) + len(updates)
        _remember_upsert(c, tbl, "keys", seen)
    return UpsertResult(written=written, unchanged=unchanged)


def load(dataset, rows: Iterable[tuple], *, conn: sa.Connection) -> UpsertResult:
    """`upsert(…, unique=True)` of a load's checked rows, each `(_key, value, …)` in the dataset's
    column order (`tuple_coercer`), each key once: no dict per row on PostgreSQL."""
    columns = _columns(dataset)
    if conn.dialect.name != "postgresql":
        fields = ["_key", *(c.name for c in columns)]
        return upsert(dataset, (dict(zip(fields, row, strict=True)) for row in rows), conn=conn, unique=True)
    tbl = _ready(dataset)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    return _upsert_staged(conn, tbl, columns, rows, now, unique=True, prepared=True)


def _quote(conn: sa.Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(name)


def _stage(conn: sa.Connection, cursor, name: str, columns_sql: str, source_table: str, rows: Iterable[tuple],
           extra: str = "") -> None:
    """A temporary table `name` (dropped at commit) with `source_table`'s `columns_sql`, filled with
    `rows` by one COPY. `extra`: more columns (`, NULL::bigint AS x`) the rows carry at their end."""
    cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{name}")
    cursor.execute(f"CREATE TEMP TABLE {name} ON COMMIT DROP AS SELECT {columns_sql}{extra} FROM {source_table} "
                   "WITH NO DATA")
    with cursor.copy(f"COPY {name} FROM STDIN") as copy:
        write = copy.write_row
        for row in rows:
            write(row)


#: staged rows from which the planner gets statistics of the staging table (a hash join, not a loop)
_ANALYZE_FROM = 1000


def _upsert_staged(c: sa.Connection, tbl: sa.Table, columns: list, rows: Iterable, now, *,
                   unique: bool = False, prepared: bool = False) -> UpsertResult:
    """`upsert` on PostgreSQL: the rows COPYed into a temporary table, then the new, changed or
    deleted-and-back ones picked with IS DISTINCT FROM (numerics compare by value, as `_comparable`
    does) and written by one INSERT … ON CONFLICT DO UPDATE, numbered after the table's last sequence
    number in `_key` order; the sequence then advances by as many. With `unique` keys, the sequence is
    held first and a table with no row at all gets the rows by COPY directly, numbered in the order
    they come (nothing to compare them with). A savepoint around it: a row that does not fit leaves
    the caller's transaction as it was (RowError raised from the middle of a COPY aborts it
    otherwise)."""
    names = [col.name for col in columns]
    allowed = {*names, "_key"}
    pick = operator.itemgetter(*names)
    single = len(names) == 1
    quoted = [_quote(c, n) for n in names]
    cols = ", ".join(quoted)
    target = _quote(c, tbl.name)
    seen: set[str] = set()
    repeated = False
    count = 0

    def checked():
        nonlocal repeated, count
        for row in rows:
            if not row.keys() <= allowed:
                raise ValueError(f"unknown columns {sorted(set(row) - allowed)}")
            values = row if "_key" in row else coerce_row(columns, row)
            count += 1
            if not unique:
                key = values["_key"]
                if key in seen:
                    repeated = True
                else:
                    seen.add(key)
            yield values

    with c.begin_nested():
        cursor = c.connection.driver_connection.cursor()
        last = None
        if unique:
            # Hold the sequence before reading what the table holds (the module docstring).
            last = lock_sequence(c, tbl)
            if cursor.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {target})").fetchone()[0]:
                seq = last
                with cursor.copy(f"COPY {target} (_key, {cols}, _seq, _loaded_at, _deleted) FROM STDIN") as copy:
                    write = copy.write_row
                    if prepared:
                        for row in rows:
                            seq += 1
                            write((*row, seq, now, False))
                        count = seq - last
                    else:
                        for values in checked():
                            seq += 1
                            picked = pick(values)
                            write((values["_key"], picked, seq, now, False) if single
                                  else (values["_key"], *picked, seq, now, False))
                if count:
                    _advance(cursor, tbl, last, count)
                _remember_upsert(c, tbl, "fresh")
                return UpsertResult(written=count, unchanged=0)

        def staged():
            nonlocal count
            if prepared:
                for count, row in enumerate(rows, start=1):
                    yield (*row, count)
                return
            for ordinal, values in enumerate(checked()):
                picked = pick(values)
                yield (values["_key"], picked, ordinal) if single else (values["_key"], *picked, ordinal)

        _stage(c, cursor, "_dgov_stage", f"_key, {cols}", target, staged(), extra=", NULL::bigint AS _ord")
        _remember_upsert(c, tbl, "staged")
        if not count:
            return UpsertResult(written=0, unchanged=0)
        if repeated:  # a later row with the same key replaces an earlier one
            cursor.execute("DELETE FROM _dgov_stage s USING _dgov_stage later "
                           "WHERE later._key = s._key AND later._ord > s._ord")
        staged_rows = count if unique else len(seen)
        if staged_rows >= _ANALYZE_FROM:
            cursor.execute("ANALYZE _dgov_stage")
        if last is None:
            # Hold the sequence before reading what the table holds (the module docstring); the rows
            # written are numbered after the last number, in key order, and the sequence advanced by
            # as many (one pass over the join, no count first).
            last = lock_sequence(c, tbl)
        staged_cols, table_cols = ", ".join("s." + q for q in quoted), ", ".join("t." + q for q in quoted)
        cursor.execute(
            f"INSERT INTO {target} (_key, _seq, _loaded_at, _deleted, {cols}) "
            f"SELECT s._key, %s + row_number() OVER (ORDER BY s._key), %s, false, {staged_cols} "
            f"FROM _dgov_stage s LEFT JOIN {target} t ON t._key = s._key WHERE t._key IS NULL OR t._deleted "
            f"OR ({staged_cols}) IS DISTINCT FROM ({table_cols}) "
            f"ON CONFLICT (_key) DO UPDATE SET _seq = EXCLUDED._seq, _loaded_at = EXCLUDED._loaded_at, "
            f"_deleted = false, {', '.join(f'{q} = EXCLUDED.{q}' for q in quoted)}", [last, now])
        written = cursor.rowcount
        if written:
            _advance(cursor, tbl, last, written)
    return UpsertResult(written=written, unchanged=staged_rows - written)


def _mark_deleted_staged(c: sa.Connection, tbl: sa.Table, keep: Iterable[str], now, *, stage: bool) -> int:
    """`mark_deleted` on PostgreSQL: the kept keys COPYed into a temporary table (and, with `stage`,
    the keys the upsert before staged in `_dgov_stage`), and the vanished rows marked by one UPDATE,
    numbered after the last sequence number in `_key` order, instead of every live key read into
    Python."""
    target = _quote(c, tbl.name)
    cursor = c.connection.driver_connection.cursor()
    kept = 0

    def staged():
        nonlocal kept
        for key in keep:
            kept += 1
            yield (key,)

    _stage(c, cursor, "_dgov_keep", "_key", target, staged())
    if kept >= _ANALYZE_FROM:
        cursor.execute("ANALYZE _dgov_keep")
    last = lock_sequence(c, tbl)  # before reading which rows are live
    also = " AND NOT EXISTS (SELECT 1 FROM _dgov_stage s WHERE s._key = t._key)" if stage else ""
    cursor.execute(f"UPDATE {target} u SET _deleted = true, _seq = g.seq, _loaded_at = %s "
                   f"FROM (SELECT t._key, %s + row_number() OVER (ORDER BY t._key) AS seq FROM {target} t "
                   f"WHERE NOT t._deleted AND NOT EXISTS (SELECT 1 FROM _dgov_keep k WHERE k._key = t._key){also}) g "
                   "WHERE u._key = g._key", [now, last])
    count = cursor.rowcount
    if count:
        _advance(cursor, tbl, last, count)
    cursor.execute("DROP TABLE pg_temp._dgov_keep")
    return count


def mark_deleted(dataset, keep_keys: Iterable[str], *, conn: sa.Connection | None = None,
                 upserted: bool = False) -> int:
    """Mark every live row whose key is not in `keep_keys` deleted, each with a new `_seq`; returns
    how many. (A full load passes the keys it read.) With `upserted`, the keys of the rows that the
    `upsert` just before, on the same `conn` and in the same transaction, took are kept too, without
    being passed again (a full load passes only the keys of the rows it rejected)."""
    tbl = _ready(dataset)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with _writing(conn) as c:
        kind, upserted_keys = None, None
        if upserted:
            record = c.info.get("dgov_upserted")
            if conn is None or record is None or record[0] is not c.get_transaction() or record[1] != tbl.name:
                raise ValueError("mark_deleted(upserted=True) follows an upsert of the same table in the same "
                                 "transaction")
            kind, upserted_keys = record[2], record[3]
            if kind == "fresh":
                return 0  # the table was empty: every live row is one the upsert wrote
        if c.dialect.name == "postgresql":
            with c.begin_nested():
                return _mark_deleted_staged(c, tbl, keep_keys, now, stage=kind == "staged")
        keep = set(keep_keys)
        lock_sequence(c, tbl)
        gone = [key for (key,) in c.execute(sa.select(tbl.c._key).where(tbl.c._deleted.is_(False)))
                if key not in keep and (upserted_keys is None or key not in upserted_keys)]
        if not gone:
            return 0
        seq = _allocate(c, tbl, len(gone))
        stmt = (tbl.update().where(tbl.c._key == sa.bindparam("k_key"))
                .values(_deleted=True, _seq=sa.bindparam("v_seq"), _loaded_at=now))
        for batch in _batches(enumerate(gone), BATCH):
            c.execute(stmt, [{"k_key": key, "v_seq": seq + i} for i, key in batch])
    return len(gone)


# --- reads --------------------------------------------------------------------------------------------
def _column(tbl: sa.Table, dataset_columns: dict, name: str):
    if name not in dataset_columns:
        raise ValueError(f"unknown column {name!r}")
    return tbl.c[name]


def _conditions(tbl: sa.Table, dataset_columns: dict, where) -> list:
    conditions = [tbl.c._deleted.is_(False)]
    for item in where or []:
        try:
            name, op, value = item
        except (TypeError, ValueError):
            raise ValueError("a condition is (column, op, value)") from None
        if op == "contains":
            conditions.append(_contains(tbl, dataset_columns, name, value))
            continue
        column = _column(tbl, dataset_columns, name)
        data_type = dataset_columns[name]
        if op not in OPS:
            raise ValueError(f"unknown operator {op!r}")
        if op == "in":
            if isinstance(value, str) or not isinstance(value, Iterable):
                raise ValueError(f"{name}: 'in' takes a list")
            value = list(value)
            if len(value) > MAX_IN:
                raise ValueError(f"{name}: 'in' takes at most {MAX_IN} values")
            values = [coerce(v, data_type, name) for v in value]
            conditions.append(column.in_([v for v in values if v is not None]))
            continue
        if op == "startswith":
            if data_type != "string":
                raise ValueError(f"{name}: 'startswith' applies to text columns only")
            conditions.append(column.startswith(str(value), autoescape=True))
            continue
        coerced = coerce(value, data_type, name)
        if coerced is None:
            conditions.append(column.is_(None) if op == "eq" else column.is_not(None) if op == "ne" else sa.false())
            continue
        conditions.append({"eq": column == coerced, "ne": sa.or_(column != coerced, column.is_(None)),
                           "lt": column < coerced, "lte": column <= coerced, "gt": column > coerced,
                           "gte": column >= coerced}[op])
    return conditions


def _contains(tbl: sa.Table, dataset_columns: dict, names, text) -> sa.ColumnElement:
    """Any of `names` (one column name or a list of them) holds `text`, case-insensitive; a column that is
    not text is compared as its text."""
    if isinstance(names, str):
        names = [names]
    if not isinstance(text, str) or not text:
        raise ValueError("'contains' takes a text")
    tests = []
    for name in names:
        column = _column(tbl, dataset_columns, name)
        column = column if dataset_columns[name] == "string" else sa.cast(column, sa.String)
        tests.append(column.icontains(text, autoescape=True))
    return sa.or_(*tests) if tests else sa.false()


def _ordering(tbl: sa.Table, dataset_columns: dict, order) -> list:
    """ORDER BY terms of `order` — (column, descending) pairs — empty values last, then `_key` so that pages
    never overlap."""
    terms = []
    for name, descending in order or []:
        column = _column(tbl, dataset_columns, name)
        terms.append((column.desc() if descending else column.asc()).nulls_last())
    return [*terms, tbl.c._key]


def _query(dataset, columns, where, order=None):
    dataset_columns = {c.name: c.data_type for c in _columns(dataset)}
    names = list(columns) if columns else list(dataset_columns)
    tbl = _ready(dataset)
    selected = [_column(tbl, dataset_columns, name) for name in names]
    query = (sa.select(*selected).where(*_conditions(tbl, dataset_columns, where))
             .order_by(*_ordering(tbl, dataset_columns, order)))
    return query, tbl, [(name, dataset_columns[name]) for name in names]


def _record(row, types: list[tuple[str, str]]) -> dict:
    return {name: _out(value, data_type) for (name, data_type), value in zip(types, row, strict=False)}


def select(dataset, *, columns: list[str] | None = None, where: list[tuple[str, str, object]] | None = None,
           order: list[tuple[str, bool]] | None = None, limit: int = 100, offset: int = 0,
           conn: sa.Connection | None = None) -> list[dict]:
    """Live rows with the named columns (all of the dataset's when empty), values JSON-safe, ordered by
    `order` — (column, descending) pairs, empty values last — then by `_key`. `where` is a list of
    (column, op, value) ANDed; ops `eq ne lt lte gt gte in startswith contains` (`contains`: a case-insensitive
    substring, in one column or — given a list of columns — in any of them). Unknown columns or ops, and values
    that do not fit their column, raise ValueError."""
    if limit < 0 or offset < 0:
        raise ValueError("limit and offset are not negative")
    query, _tbl, types = _query(dataset, columns, where, order)
    with _reading(conn) as c:
        return [_record(row, types) for row in c.execute(query.limit(limit).offset(offset))]


def stream(dataset, *, columns: list[str] | None = None, where: list[tuple[str, str, object]] | None = None,
           batch: int = 5000, conn: sa.Connection | None = None) -> Iterator[dict]:
    """Every live row matching `where` (as `select`), in `_key` order, read `batch` at a time after the last
    key read (each batch one index range read, however far into the table: an offset would re-read every row
    before it). Give `conn` for one snapshot of a table that changes meanwhile."""
    query, tbl, types = _query(dataset, columns, where)
    query = query.add_columns(tbl.c._key)
    last = None
    while True:
        page = query if last is None else query.where(tbl.c._key > last)
        with _reading(conn) as c:
            rows = c.execute(page.limit(batch)).all()
        for row in rows:
            yield _record(row, types)
        if len(rows) < batch:
            return
        last = rows[-1][-1]


#: counts by table and condition, tagged with the table's last sequence number (see `count`)
_COUNTS = ProcessCache("datastore-counts", maxsize=5000, ttl=3600)


def count(dataset, where: list[tuple[str, str, object]] | None = None, *, conn: sa.Connection | None = None,
          cached: bool = False) -> int:
    """How many live rows match `where` (as `select`). `cached` keeps the count per process under the table's
    last sequence number: every write to a table hands out new numbers (upsert, load, mark_deleted), so a count
    taken under the current one is still exact, and a primary-key read of the sequence replaces reading every
    matching row (CKAN's datastore_search counts them on every call)."""
    dataset_columns = {c.name: c.data_type for c in _columns(dataset)}
    tbl = _ready(dataset)
    query = sa.select(sa.func.count()).select_from(tbl).where(*_conditions(tbl, dataset_columns, where))
    with _reading(conn) as c:
        if not cached:
            return c.execute(query).scalar_one()
        last = c.execute(sa.select(meta_table.c.last_seq).where(meta_table.c.table_name == tbl.name)).scalar()
        key = (settings.DGOV_DATASTORE_URL, tbl.name, dataset.pk, repr(where))
        return _COUNTS.get_or_build(key, last or 0, lambda: c.execute(query).scalar_one())


def value_counts(dataset, column: str, *, limit: int = 12, conn: sa.Connection | None = None) -> list:
    """The most frequent values of `column` over the live rows with their counts, most frequent first, NULLs
    left out: at most `limit` + 1 of them, so that a caller asking whether a column holds few values (a chart
    draws a dozen as bars) learns it from the length, in one statement."""
    dataset_columns = {c.name: c.data_type for c in _columns(dataset)}
    tbl = _ready(dataset)
    col = _column(tbl, dataset_columns, column)
    n = sa.func.count().label("n")
    top = (sa.select(col, n).where(tbl.c._deleted.is_(False), col.is_not(None)).group_by(col)
           .order_by(n.desc(), col).limit(limit + 1))
    with _reading(conn) as c:
        return [(_out(value, dataset_columns[column]), count) for value, count in c.execute(top)]


def changes_since(dataset, seq: int, limit: int = 1000, *, conn: sa.Connection | None = None) -> list[dict]:
    """Rows changed after sequence `seq` (deleted ones included), ordered by `_seq`: each with
    `_key`, `_seq`, `_deleted` and every column, JSON-safe."""
    types = {c.name: c.data_type for c in _columns(dataset)}
    names = list(types)
    tbl = _ready(dataset)
    query = (sa.select(tbl.c._key, tbl.c._seq, tbl.c._deleted, *[tbl.c[n] for n in names])
             .where(tbl.c._seq > seq).order_by(tbl.c._seq).limit(limit))
    with _reading(conn) as c:
        return [{"_key": row[0], "_seq": row[1], "_deleted": bool(row[2]),
                 **{n: _out(v, types[n]) for n, v in zip(names, row[3:], strict=True)}} for row in c.execute(query)]


def stats(dataset, *, conn: sa.Connection | None = None) -> tuple[int, int]:
    """(live rows, last sequence) of the dataset's table."""
    tbl = _ready(dataset)
    with _reading(conn) as c:
        live = c.execute(sa.select(sa.func.count()).select_from(tbl).where(tbl.c._deleted.is_(False))).scalar_one()
        last = c.execute(sa.select(meta_table.c.last_seq).where(meta_table.c.table_name == tbl.name)).scalar()
    return live, last or 0


def last_seq(dataset, *, conn: sa.Connection | None = None) -> int:
    """The last sequence number the dataset's table handed out (without counting its rows)."""
    tbl = _ready(dataset)
    with _reading(conn) as c:
        return c.execute(sa.select(meta_table.c.last_seq).where(meta_table.c.table_name == tbl.name)).scalar() or 0


def ready(dataset) -> sa.Table:
    """The dataset's table, created or brought up to date on its first use in this process (its own
    transaction: call it before opening the one that writes)."""
    return _ready(dataset)


# --- federation: changes as COPY text (dgov/aggregation/copytext.py) -------------------------------------
MAX_SEQ = MAX_BIGINT


class FeedError(ValueError):
    """A batch of changes that cannot be applied; `code` as the node protocol answers it."""

    def __init__(self, message: str, code: str = "invalid_batch"):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class FeedResult:
    last: int
    written: int
    unchanged: int
    deleted: int


def changes_text(dataset, after: int, limit: int, upto: int, *,
                 conn: sa.Connection | None = None) -> tuple[list[str], int, str]:
    """(the dataset's columns, how many, the changes) after sequence `after` up to `upto`, at most
    `limit`, ordered by `_seq`, deleted rows included, as COPY text (`copytext`). On PostgreSQL the
    database writes the text itself (`COPY (SELECT …) TO STDOUT`, session time zone UTC: the
    integers are checked ones, COPY takes no parameters)."""
    from dgov.aggregation import copytext

    columns = _columns(dataset)
    names = [c.name for c in columns]
    tbl = _ready(dataset)
    after, limit, upto = int(after), int(limit), int(upto)
    with _reading(conn) as c:
        if c.dialect.name == "postgresql":
            cursor = c.connection.driver_connection.cursor()
            # The text's settings; and the walk along the `_seq` index that a feed is (without
            # statistics of a freshly loaded table the planner would rather sort every later row).
            cursor.execute("SELECT set_config('TimeZone', 'UTC', true), set_config('DateStyle', 'ISO, YMD', true), "
                           "set_config('bytea_output', 'hex', true), set_config('enable_bitmapscan', 'off', true), "
                           "set_config('enable_seqscan', 'off', true), set_config('enable_sort', 'off', true)")
            fields = ["_key", "_seq", "_deleted"] + [
                f"{_quote(c, col.name)} AT TIME ZONE 'UTC'" if col.data_type == "datetime" else _quote(c, col.name)
                for col in columns]
            chunks = []
            with cursor.copy(f"COPY (SELECT {', '.join(fields)} FROM {_quote(c, tbl.name)} WHERE _seq > {after} "
                             f"AND _seq <= {upto} ORDER BY _seq LIMIT {limit}) TO STDOUT") as copy:
                for block in copy:
                    chunks.append(block)
            text = b"".join(chunks).decode("utf-8")
            return names, text.count("\n"), text
        types = [col.data_type for col in columns]
        query = (sa.select(tbl.c._key, tbl.c._seq, tbl.c._deleted, *[tbl.c[n] for n in names])
                 .where(tbl.c._seq > after, tbl.c._seq <= upto).order_by(tbl.c._seq).limit(limit))
        encode = copytext.encode_value
        lines = ["\t".join([copytext.escape(row[0]), str(row[1]), "t" if row[2] else "f",
                            *[encode(v, t) for v, t in zip(row[3:], types, strict=True)]]) + "\n"
                 for row in c.execute(query)]
    return names, len(lines), "".join(lines)


def mark_keys_deleted(conn: sa.Connection, dataset, keys: list[str]) -> int:
    """Mark the live rows with these keys deleted, each with a new sequence of the table (so that a
    node further down sees the deletion too). `mark_deleted` marks everything *not* kept, which is
    a full load's need; a feed names the keys."""
    if not keys:
        return 0
    tbl = table(dataset)
    # Hold the table's sequence before reading which rows are live, like every writer of the table.
    lock_sequence(conn, tbl)
    live = []
    for batch in _batches(keys, MAX_IN):
        live += [k for (k,) in conn.execute(sa.select(tbl.c._key).where(tbl.c._key.in_(batch),
                                                                          tbl.c._deleted.is_(False)))]
    if not live:
        return 0
    live.sort()
    first = _allocate(conn, tbl, len(live))
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    stmt = (tbl.update().where(tbl.c._key == sa.bindparam("k_key"))
            .values(_deleted=True, _seq=sa.bindparam("v_seq"), _loaded_at=now))
    conn.execute(stmt, [{"k_key": key, "v_seq": first + i} for i, key in enumerate(live)])
    return len(live)


def apply_changes_text(dataset, columns: list[str], text: str, *, after: int, conn: sa.Connection) -> FeedResult:
    """Apply a batch of changes (`columns` of the feed, `text` in `copytext` format) after sequence
    `after`, inside the caller's transaction: every change checked first — well formed, sequences
    increasing after `after`, each key once, values that fit the local columns (as `coerce` checks
    them), and `_key` what the local key columns make of the values — then the rows upserted and the
    deletions marked, each with a new local sequence. Raises FeedError, and writes nothing, when a
    check fails. On PostgreSQL the text is COPYed into a typed staging table and checked and applied
    in SQL (`_apply_staged`); elsewhere it is parsed and checked row by row in Python."""
    from dgov.aggregation import copytext

    local = _columns(dataset)
    by_name = {col.name: col for col in local}
    if conn.dialect.name == "postgresql":
        return _apply_staged(conn, dataset, local, [by_name[n] for n in columns], text, after)
    try:
        parsed = copytext.parse(text, [by_name[n].data_type for n in columns])
    except copytext.FormatError:
        raise FeedError(_("A change lacks its key, sequence or deletion flag.")) from None
    last, keys, upserts, deletes = after, set(), [], []
    for key, seq, deleted, *values in parsed:
        if not isinstance(key, str) or not key:
            raise FeedError(_("A change lacks its key, sequence or deletion flag."))
        if seq <= last or seq > MAX_SEQ:
            raise FeedError(_("The changes are not in increasing sequence after the checkpoint."))
        if key in keys:
            raise FeedError(_("A key appears twice in one batch."))
        keys.add(key)
        last = seq
        if deleted:
            deletes.append(key)
            continue
        try:
            row = coerce_row(local, dict(zip(columns, values, strict=True)))
        except ValueError as exc:
            raise FeedError(_("A row does not fit the local dataset: %(reason)s") % {"reason": exc}) from None
        if row["_key"] != key:
            raise FeedError(_("A row's key does not match the local dataset's key columns."), code="column_mismatch")
        upserts.append(row)
    result = upsert(dataset, upserts, conn=conn) if upserts else UpsertResult(0, 0)
    deleted = mark_keys_deleted(conn, dataset, deletes)
    return FeedResult(last=last, written=result.written, unchanged=result.unchanged, deleted=deleted)


def _pg_type(conn: sa.Connection, data_type: str) -> str:
    return sa.types.to_instance(_SQL_TYPES[data_type]).compile(dialect=conn.dialect)


def _apply_staged(c: sa.Connection, dataset, local: list, fed: list, text: str, after: int) -> FeedResult:
    """`apply_changes_text` on PostgreSQL: the text COPYed into a temporary table typed like the
    local columns (datetimes as `timestamptz`, read in the platform's time zone when they carry no
    offset, as `coerce` reads them), checked by one query, then written by one INSERT … ON CONFLICT
    and one UPDATE, in a savepoint (a failed check leaves the caller's transaction as it was)."""
    import psycopg

    tbl = table(dataset)
    target = _quote(c, tbl.name)
    fed_names = [col.name for col in fed]
    quoted = {col.name: _quote(c, col.name) for col in local}
    stage_cols = ", ".join(
        f"{quoted[col.name]} {'timestamptz' if col.data_type == 'datetime' else _pg_type(c, col.data_type)}"
        for col in fed)
    keys = [col for col in local if col.is_key]
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    try:
        with c.begin_nested():
            cursor = c.connection.driver_connection.cursor()
            zone = cursor.execute("SELECT current_setting('TimeZone'), set_config('TimeZone', %s, true)",
                                  [settings.TIME_ZONE]).fetchone()[0]
            cursor.execute("DROP TABLE IF EXISTS pg_temp._dgov_feed")
            cursor.execute(f"CREATE TEMP TABLE _dgov_feed (_key text, _seq bigint, _deleted boolean"
                           f"{', ' + stage_cols if stage_cols else ''}, _ord bigint GENERATED ALWAYS AS IDENTITY) "
                           "ON COMMIT DROP")
            with cursor.copy(f"COPY _dgov_feed (_key, _seq, _deleted{''.join(', ' + quoted[n] for n in fed_names)}) "
                             "FROM STDIN") as copy:
                copy.write(text)
            cursor.execute("SELECT set_config('TimeZone', %s, true)", [zone])
            unfit = []
            for col in fed:
                q = quoted[col.name]
                if col.data_type == "decimal":
                    unfit.append(f"{q}::text IN ('NaN', 'Infinity', '-Infinity')")
                elif col.data_type == "date":
                    unfit.append(f"NOT isfinite({q}) OR {q} NOT BETWEEN '0001-01-01' AND '9999-12-31'")
                elif col.data_type == "datetime":
                    unfit.append(f"NOT isfinite({q}) OR {q} < '0001-01-01 00:00:00+00' "
                                 f"OR {q} >= '10000-01-01 00:00:00+00'")
            single = keys[0] if len(keys) == 1 and keys[0].data_type == "string" else None
            mismatch = ("false" if single is None else
                        f"_key IS DISTINCT FROM {quoted[single.name]}" if single.name in fed_names else "true")
            counts = cursor.execute(
                "SELECT count(*), "
                "count(*) FILTER (WHERE _key IS NULL OR _key = '' OR _seq IS NULL OR _deleted IS NULL), "
                "count(*) FILTER (WHERE _deleted), "
                "coalesce(bool_and(_seq > prev), true), count(DISTINCT _key), max(_seq), "
                f"count(*) FILTER (WHERE NOT _deleted AND ({' OR '.join(unfit) or 'false'})), "
                f"count(*) FILTER (WHERE NOT _deleted AND ({mismatch})) "
                "FROM (SELECT *, lag(_seq, 1, %s::bigint) OVER (ORDER BY _ord) AS prev FROM _dgov_feed) x",
                [after]).fetchone()
            total, lacking, deletions, increasing, distinct, last, unfit_rows, mismatched = counts
            if lacking:
                raise FeedError(_("A change lacks its key, sequence or deletion flag."))
            if not increasing:
                raise FeedError(_("The changes are not in increasing sequence after the checkpoint."))
            if distinct != total:
                raise FeedError(_("A key appears twice in one batch."))
            if unfit_rows:
                raise FeedError(_("A row does not fit the local dataset: %(reason)s")
                                % {"reason": _("not a finite value or out of range")})
            if mismatched:
                raise FeedError(_("A row's key does not match the local dataset's key columns."),
                                code="column_mismatch")
            if single is None and total:
                key_names = [col.name for col in keys]
                for key, *values in cursor.execute(
                        f"SELECT _key{''.join(', ' + (quoted[n] if n in fed_names else 'NULL') for n in key_names)} "
                        "FROM _dgov_feed WHERE NOT _deleted"):
                    try:
                        made = row_key(dict(zip(key_names, values, strict=True)), key_names)
                    except RowError as exc:
                        raise FeedError(_("A row does not fit the local dataset: %(reason)s")
                                        % {"reason": exc}) from None
                    if made != key:
                        raise FeedError(_("A row's key does not match the local dataset's key columns."),
                                        code="column_mismatch")
            if not total:
                return FeedResult(last=after, written=0, unchanged=0, deleted=0)
            # Hold the sequence before reading what the table holds (the module docstring).
            base = lock_sequence(c, tbl)
            values = [(f"s.{quoted[col.name]} AT TIME ZONE 'UTC'" if col.data_type == "datetime"
                       else f"s.{quoted[col.name]}") if col.name in fed_names
                      else f"NULL::{_pg_type(c, col.data_type)}" for col in local]
            cols = ", ".join(quoted[col.name] for col in local)
            table_cols = ", ".join(f"t.{quoted[col.name]}" for col in local)
            written = deleted = 0
            if total > deletions:
                written = cursor.execute(
                    f"INSERT INTO {target} (_key, _seq, _loaded_at, _deleted, {cols}) "
                    f"SELECT s._key, %s + row_number() OVER (ORDER BY s._key), %s, false, {', '.join(values)} "
                    f"FROM _dgov_feed s LEFT JOIN {target} t ON t._key = s._key WHERE NOT s._deleted AND "
                    f"(t._key IS NULL OR t._deleted OR ({', '.join(values)}) IS DISTINCT FROM ({table_cols})) "
                    f"ON CONFLICT (_key) DO UPDATE SET _seq = EXCLUDED._seq, _loaded_at = EXCLUDED._loaded_at, "
                    f"_deleted = false, {', '.join(f'{q} = EXCLUDED.{q}' for q in quoted.values())}",
                    [base, now]).rowcount
            if deletions:
                deleted = cursor.execute(
                    f"UPDATE {target} u SET _deleted = true, _seq = g.seq, _loaded_at = %s "
                    f"FROM (SELECT t._key, %s + row_number() OVER (ORDER BY t._key) AS seq FROM _dgov_feed s "
                    f"JOIN {target} t ON t._key = s._key WHERE s._deleted AND NOT t._deleted) g WHERE u._key = g._key",
                    [now, base + written]).rowcount
            if written + deleted:
                _advance(cursor, tbl, base, written + deleted)
            cursor.execute("DROP TABLE pg_temp._dgov_feed")
    except psycopg.errors.BadCopyFileFormat:
        raise FeedError(_("A change lacks its key, sequence or deletion flag.")) from None
    except psycopg.errors.DataError as exc:
        # The database's message may quote the value (personal data): its condition only.
        raise FeedError(_("A row does not fit the local dataset: %(reason)s")
                        % {"reason": type(exc).__name__}) from None
    return FeedResult(last=last, written=written, unchanged=total - deletions - written, deleted=deleted)
