"""Reading departments' source databases: URL checks, the connection test, table and column
discovery (SQLAlchemy's inspector) and streaming a table's rows for a load.

The platform only reads sources. A URL's password is never shown back or logged: pages and the API
show `safe_url`, and errors are reported by their class and a short reason, not by the driver's text
(which may quote the URL).
"""

import datetime as dt
import ipaddress
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from django.conf import settings
from django.utils.translation import gettext as _
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url

from dgov.aggregation import datastore
from dgov.core.errors import ValidationError

SCHEMES = {"postgresql": ("postgresql", "postgres", "pgsql"), "mysql": ("mysql", "mariadb"), "sqlite": ("sqlite",)}
#: rows fetched from a source per round trip
FETCH = 5000
CONNECT_TIMEOUT = 10


def safe_url(url: str) -> str:
    """The URL with its password replaced by ***."""
    if not url:
        return ""
    try:
        return make_url(datastore.sqlalchemy_url(url)).render_as_string(hide_password=True)
    except (sa_exc.ArgumentError, ValueError):
        return "***"


#: URL query parameters a source may carry. Everything else is refused: the drivers accept options
#: that read files on the platform's server (libpq `passfile`, `sslkey`, `service`; PyMySQL
#: `read_default_file`, `local_infile`), run statements (`options`, `init_command`) or connect to a
#: local socket (`host=/path`, `unix_socket`).
ALLOWED_QUERY = {"postgresql": {"sslmode", "application_name", "target_session_attrs"},
                 "mysql": {"charset"},
                 "sqlite": set()}
HOST_RE = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}"
                     r"[A-Za-z0-9])?)*|\[?[0-9A-Fa-f:.]+\]?)$")
DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306}


def _addresses(host: str) -> set:
    """The IP addresses `host` names (empty when it does not resolve); loopback ones all as one."""
    try:
        infos = socket.getaddrinfo(host.strip("[]"), None)
    except (OSError, UnicodeError):
        return {host.lower()}
    out = set()
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        out.add("loopback" if address.is_loopback else str(address))
    return out


def _platform_databases() -> list[tuple[str, set, int, str]]:
    """(kind, addresses, port, database) of the platform's own databases (the application's and the
    data store), which no source may name."""
    out = []
    db = settings.DATABASES["default"]
    engine = db.get("ENGINE", "")
    kind = "postgresql" if "postgresql" in engine else "mysql" if "mysql" in engine else ""
    if kind:
        out.append((kind, _addresses(db.get("HOST") or "localhost"), int(db.get("PORT") or DEFAULT_PORTS[kind]),
                    str(db.get("NAME") or "")))
    try:
        store = make_url(datastore.sqlalchemy_url(settings.DGOV_DATASTORE_URL))
    except (sa_exc.ArgumentError, ValueError):
        return out
    store_kind = store.get_backend_name()
    if store_kind in DEFAULT_PORTS:
        out.append((store_kind, _addresses(store.host or "localhost"), store.port or DEFAULT_PORTS[store_kind],
                    store.database or ""))
    return out


def _platform_files() -> set[Path]:
    """The platform's own SQLite files (application database and data store), if any."""
    files = set()
    name = settings.DATABASES["default"].get("NAME")
    if "sqlite" in settings.DATABASES["default"].get("ENGINE", "") and name:
        files.add(Path(str(name)).resolve())
    store = settings.DGOV_DATASTORE_URL
    if store.startswith("sqlite"):
        database = make_url(store).database
        if database:
            files.add(Path(database).resolve())
    return files


def check_url(kind: str, url: str) -> str:
    """The URL if it suits the database type; ValidationError on the `url` field otherwise. SQLite
    sources must be files in DGOV_SOURCE_SQLITE_DIR: a department must not be able to point the
    platform at its own database or any other file on the server. Server sources name a host (not a
    local socket), carry no driver option beyond `ALLOWED_QUERY`, and are not the platform's own
    databases. Messages never quote the URL (it holds the password)."""
    scheme = url.partition("://")[0].lower()
    if scheme not in SCHEMES.get(kind, ()):
        raise ValidationError(details={"url": [_("The URL does not match the database type (e.g. %(example)s).")
                                               % {"example": EXAMPLES.get(kind, "")}]})
    try:
        parsed = make_url(datastore.sqlalchemy_url(url))
        port = parsed.port
    except (sa_exc.ArgumentError, ValueError):
        raise ValidationError(details={"url": [_("This is not a valid database URL.")]}) from None
    refused = sorted(set(parsed.query) - ALLOWED_QUERY.get(kind, set()))
    if refused:
        raise ValidationError(details={"url": [_("The URL carries options the platform does not accept: "
                                                 "%(names)s.") % {"names": ", ".join(refused)}]})
    if kind == "sqlite":
        if not parsed.database or parsed.database == ":memory:" or parsed.database.startswith("file:"):
            raise ValidationError(details={"url": [_("A SQLite source is a database file.")]})
        allowed = Path(settings.DGOV_SOURCE_SQLITE_DIR).resolve()
        path = Path(parsed.database).resolve()
        if not path.is_relative_to(allowed) or path == allowed or path in _platform_files():
            raise ValidationError(details={"url": [_("SQLite source files must be in %(dir)s.") % {"dir": allowed}]})
        return url
    if not parsed.host or not parsed.database:
        raise ValidationError(details={"url": [_("The URL names the host and the database.")]})
    if not HOST_RE.match(parsed.host) or parsed.host.startswith("/"):
        raise ValidationError(details={"url": [_("The host is a server name or address, not a local socket "
                                                 "or a list of hosts.")]})
    addresses = _addresses(parsed.host)
    for own_kind, own_addresses, own_port, own_name in _platform_databases():
        if (own_kind == kind and addresses & own_addresses and (port or DEFAULT_PORTS[kind]) == own_port
                and parsed.database == own_name):
            raise ValidationError(details={"url": [_("This is one of the platform's own databases; it cannot be "
                                                     "a source.")]})
    return url


EXAMPLES = {"postgresql": "postgresql://user:password@host:5432/dbname",
            "mysql": "mysql://user:password@host:3306/dbname",
            "sqlite": "sqlite:////var/lib/dgov/sources/file.sqlite3"}


class SourceError(Exception):
    """A source database could not be reached or read; the message holds no credentials."""


def _describe(exc: Exception) -> str:
    """A short reason for a failed connection without the driver's message (it may quote the URL,
    user names or queries)."""
    original = getattr(exc, "orig", None) or exc
    name = type(original).__name__
    if isinstance(exc, sa_exc.OperationalError):
        return _("could not connect or the database refused the query (%(error)s)") % {"error": name}
    if isinstance(exc, sa_exc.NoSuchTableError):
        return _("no such table")
    return name


@contextmanager
def connect(source) -> Iterator[sa.Connection]:
    """A read-only connection to the source (a short-lived engine: sources are used by loads, not per
    request)."""
    try:
        # Checked again at every use: the rules (and the settings they read) may have changed since the
        # source was saved, and a file may have been replaced by a link.
        check_url(source.kind, source.url)
    except ValidationError as exc:
        raise SourceError(" ".join(exc.sentences())) from None
    url = datastore.sqlalchemy_url(source.url)
    # hide_parameters: a failed query's message (logged, and raised as the cause) must not carry the
    # rows' values (personal data).
    kwargs = {"poolclass": sa.pool.NullPool, "hide_parameters": True}
    if source.kind == "sqlite":
        path = Path(make_url(url).database).resolve()
        if not path.is_file():
            raise SourceError(_("the SQLite file does not exist"))
        # Opened read-only, so a load can never change the department's file.
        engine = sa.create_engine("sqlite://", creator=lambda: _sqlite_readonly(path), **kwargs)
    else:
        connect_args = {"connect_timeout": CONNECT_TIMEOUT}
        if source.kind == "mysql":
            # A department's server must never be able to make us send it a local file
            # (LOAD DATA LOCAL INFILE): PyMySQL refuses the request when local_infile is off.
            connect_args["local_infile"] = False
            connect_args["conv"] = _mysql_conversions()
        engine = sa.create_engine(url, connect_args=connect_args, **kwargs)
    try:
        with engine.connect() as conn:
            yield conn
    except sa_exc.SQLAlchemyError as exc:
        raise SourceError(_describe(exc)) from None
    finally:
        engine.dispose()


def _sqlite_readonly(path: Path):
    import sqlite3

    # as_uri() percent-encodes the path, so a "?" or "#" in a file name cannot add URI parameters.
    return sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=CONNECT_TIMEOUT)


def test_connection(source) -> tuple[bool, str]:
    """(ok, message) after connecting and running a trivial query."""
    try:
        with connect(source) as conn:
            conn.execute(sa.text("SELECT 1"))
            version = conn.dialect.server_version_info
    except SourceError as exc:
        return False, str(exc)
    return True, ".".join(str(v) for v in version) if version else "ok"


def tables(source) -> list[str]:
    """The source's tables and views (default schema)."""
    with connect(source) as conn:
        inspector = sa.inspect(conn)
        return sorted(inspector.get_table_names()) + sorted(inspector.get_view_names())


def columns(source, table_name: str) -> list[dict]:
    """The columns of one table: [{"name", "type", "nullable", "primary_key"}]."""
    with connect(source) as conn:
        inspector = sa.inspect(conn)
        try:
            cols = inspector.get_columns(table_name)
            pk = set(inspector.get_pk_constraint(table_name).get("constrained_columns") or [])
        except sa_exc.NoSuchTableError:
            raise SourceError(_("no such table")) from None
    return [{"name": c["name"], "type": str(c["type"]), "nullable": bool(c.get("nullable", True)),
             "primary_key": c["name"] in pk} for c in cols]


def _read_query(table_name: str, source_columns: list[str], since_column: str, since, strict: bool,
                order_by: str):
    # Untyped columns: values come as the driver gives them (PostgreSQL and MySQL typed, SQLite as
    # stored), and `datastore.coerce` converts them row by row, so one bad value rejects one row
    # instead of failing the whole read.
    tbl = sa.Table(table_name, sa.MetaData(), *[sa.Column(name) for name in source_columns])
    query = sa.select(*tbl.c)
    if since_column and since is not None:
        query = query.where(tbl.c[since_column] > since if strict else tbl.c[since_column] >= since)
    if order_by:
        query = query.order_by(tbl.c[order_by])
    return query


def read_tuples(conn: sa.Connection, table_name: str, source_columns: list[str], *,
                since_column: str = "", since=None, strict: bool = False, order_by: str = "") -> Iterator[tuple]:
    """Stream a table's rows as tuples of `source_columns`, FETCH rows per round trip, through the
    driver's own cursor: server-side on PostgreSQL (psycopg named cursor) and MySQL (PyMySQL's
    unbuffered cursor), so a large table never sits in memory. With `since_column`, only the rows
    whose value is above `since` (`strict`, for an increasing key) or at least `since` (for an update
    time: rows written in the same instant as the last load are read again and come out unchanged).
    A failed query raises SourceError (its class only: the driver's message may quote values)."""
    compiled = _read_query(table_name, source_columns, since_column, since, strict, order_by).compile(
        dialect=conn.dialect)
    params = compiled.params
    if conn.dialect.paramstyle in ("qmark", "numeric"):
        params = tuple(params[name] for name in compiled.positiontup or ())
    driver = conn.connection.driver_connection
    dbapi_error = conn.dialect.loaded_dbapi.Error
    if conn.dialect.name == "postgresql":
        cursor = driver.cursor(name="dgov_source_read")
        cursor.itersize = FETCH
    elif conn.dialect.name == "mysql":
        import pymysql.cursors

        cursor = driver.cursor(pymysql.cursors.SSCursor)
    else:
        cursor = driver.cursor()
    try:
        cursor.execute(str(compiled), params)
        fetch = cursor.fetchmany
        while True:
            batch = fetch(FETCH)
            if not batch:
                break
            yield from batch
    except dbapi_error as exc:
        raise SourceError(_("could not connect or the database refused the query (%(error)s)")
                          % {"error": type(exc).__name__}) from None
    finally:
        try:
            cursor.close()
        except dbapi_error:
            pass  # the connection is gone: nothing left to close


def read_rows(conn: sa.Connection, table_name: str, source_columns: list[str], *,
              since_column: str = "", since=None, strict: bool = False, order_by: str = "") -> Iterator[dict]:
    """`read_tuples`, each row as a dict by source column."""
    for row in read_tuples(conn, table_name, source_columns, since_column=since_column, since=since, strict=strict,
                           order_by=order_by):
        yield dict(zip(source_columns, row, strict=True))


def _mysql_conversions() -> dict:
    """PyMySQL's value conversions, with DATE and DATETIME/TIMESTAMP parsed by the standard library's
    C `fromisoformat` (PyMySQL's own parsers are Python and regular expressions: a fifth of a read's
    time). MySQL sends them as `YYYY-MM-DD[ HH:MM:SS[.ffffff]]`; anything else (a zero date) goes
    through PyMySQL's parser as before, which hands it back as text."""
    from pymysql.constants import FIELD_TYPE
    from pymysql.converters import conversions, convert_date, convert_datetime

    def to_datetime(value):
        try:
            return dt.datetime.fromisoformat(value) if type(value) is str and len(value) >= 19 else \
                convert_datetime(value)
        except ValueError:
            return convert_datetime(value)

    def to_date(value):
        try:
            return dt.date.fromisoformat(value) if type(value) is str and len(value) == 10 else convert_date(value)
        except ValueError:
            return convert_date(value)

    conv = dict(conversions)
    conv[FIELD_TYPE.DATETIME] = conv[FIELD_TYPE.TIMESTAMP] = to_datetime
    conv[FIELD_TYPE.DATE] = to_date
    return conv
