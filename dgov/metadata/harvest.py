"""Reading one location's metadata: SQLAlchemy's inspector (schemas, tables, views, columns, keys,
indexes, comments) plus each dialect's own catalog for what the inspector lacks (row counts, sizes).

`read(conn, default_schema_only=...)` returns plain dicts; `dgov.metadata.services` stores them and
works out the differences. Nothing here writes to the database it reads.

Row counts: tables whose catalog estimate is below `EXACT_COUNT_BELOW` rows are counted with
`count(*)` (exact); bigger ones keep the catalog's estimate (PostgreSQL `pg_class.reltuples`,
MySQL/MariaDB `information_schema.TABLES.TABLE_ROWS`), flagged `row_count_exact=False`. SQLite has no
estimate: every table is counted. Views have no row count and no size.
"""

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine.reflection import ObjectKind

#: below this estimated number of rows a table is counted exactly
EXACT_COUNT_BELOW = 100_000
#: a PostgreSQL table never analysed (no estimate) is counted when it is smaller than this
EXACT_COUNT_MAX_BYTES = 64 * 1024 * 1024
SYSTEM_SCHEMAS = {"information_schema", "pg_catalog"}
#: the data store's bookkeeping table, never harvested
DATASTORE_BOOKKEEPING = "_dgov_tables"

FAMILIES = ("string", "integer", "decimal", "date", "datetime", "boolean", "binary")


def type_family(type_) -> str:
    """The platform's type family of a reflected SQLAlchemy type."""
    checks = ((sa.Boolean, "boolean"), (sa.Integer, "integer"), (sa.Numeric, "decimal"), (sa.Float, "decimal"),
              (sa.DateTime, "datetime"), (sa.Date, "date"), (sa.LargeBinary, "binary"),
              (sa.types._Binary, "binary"), (sa.String, "string"), (sa.Enum, "string"))
    for cls, family in checks:
        if isinstance(type_, cls):
            return family
    name = type_name(type_, None).upper()
    # SQLite's declared types (and unknown ones elsewhere) by its affinity rules
    for marks, family in ((("INT",), "integer"), (("CHAR", "CLOB", "TEXT"), "string"), (("BLOB", "BYTEA"), "binary"),
                          (("REAL", "FLOA", "DOUB", "NUM", "DEC"), "decimal"), (("TIMESTAMP", "DATETIME"), "datetime"),
                          (("DATE",), "date"), (("BOOL",), "boolean")):
        if any(m in name for m in marks):
            return family
    return "string"


def type_name(type_, dialect) -> str:
    """The type as the database names it (e.g. VARCHAR(20), NUMERIC(12, 2), TIMESTAMP WITHOUT TIME ZONE)."""
    if dialect is not None:
        try:
            return type_.compile(dialect=dialect)[:100]
        except (sa_exc.CompileError, sa_exc.UnsupportedCompilationError, TypeError, AttributeError):
            pass
    try:
        return str(type_)[:100]
    except (sa_exc.CompileError, sa_exc.UnsupportedCompilationError, TypeError, AttributeError):
        return type(type_).__name__.upper()


def _default(value) -> str:
    return "" if value is None else str(value)[:200]


def _schemas(conn: sa.Connection, inspector, default_schema_only: bool) -> list[tuple[str | None, str]]:
    """(schema to pass to the inspector, schema name to store) for each schema harvested."""
    dialect = conn.dialect.name
    if default_schema_only:
        return [(None, "")]
    if dialect == "postgresql":
        names = [s for s in inspector.get_schema_names()
                 if s not in SYSTEM_SCHEMAS and not s.startswith(("pg_toast", "pg_temp"))]
        return [(s, s) for s in sorted(names)]
    if dialect in ("mysql", "mariadb"):
        return [(None, conn.exec_driver_sql("SELECT DATABASE()").scalar() or "")]
    return [(None, "main")]


def _multi(call, schema, kind=ObjectKind.ANY) -> dict:
    try:
        return {key[1]: value for key, value in call(schema=schema, kind=kind).items()}
    except NotImplementedError:
        return {}


def _pg_stats(conn: sa.Connection, schema: str | None) -> dict[str, tuple]:
    rows = conn.execute(sa.text(
        "SELECT c.relname, c.reltuples, pg_total_relation_size(c.oid) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = COALESCE(:schema, current_schema()) AND c.relkind IN ('r', 'p', 'm')"),
        {"schema": schema})
    return {name: (None if tuples is None or tuples < 0 else int(tuples), size) for name, tuples, size in rows}


def _mysql_stats(conn: sa.Connection) -> dict[str, tuple]:
    rows = conn.execute(sa.text(
        "SELECT TABLE_NAME, TABLE_ROWS, DATA_LENGTH + INDEX_LENGTH FROM information_schema.TABLES "
        "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'"))
    return {name: (None if n is None else int(n), None if size is None else int(size)) for name, n, size in rows}


def _sqlite_sizes(conn: sa.Connection, tables: list[str], indexes: dict) -> dict[str, tuple]:
    """Per-table bytes from the dbstat virtual table (table and its indexes) when SQLite was built with
    it; else no size."""
    try:
        pages = dict(conn.exec_driver_sql("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").all())
    except sa_exc.DBAPIError:
        return {name: (None, None) for name in tables}
    out = {}
    for name in tables:
        size = pages.get(name, 0) + sum(pages.get(ix["name"], 0) for ix in indexes.get(name, []) if ix.get("name"))
        out[name] = (None, int(size))
    # SQLite's automatic indexes (sqlite_autoindex_<table>_N) back primary keys and unique constraints
    for index, size in pages.items():
        if index.startswith("sqlite_autoindex_"):
            table = index[len("sqlite_autoindex_"):].rsplit("_", 1)[0]
            if table in out and out[table][1] is not None:
                out[table] = (None, out[table][1] + int(size))
    return out


def _count(conn: sa.Connection, schema: str | None, name: str) -> int:
    table = sa.table(name, schema=schema)
    return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def read(conn: sa.Connection, *, default_schema_only: bool = False, skip: frozenset = frozenset()) -> list[dict]:
    """Every table and view of the location (`default_schema_only`: the connection's default schema,
    stored with an empty schema name — the data store). `skip` names tables left out."""
    inspector = sa.inspect(conn)
    dialect = conn.dialect
    out = []
    for schema, stored_schema in _schemas(conn, inspector, default_schema_only):
        tables = [t for t in inspector.get_table_names(schema=schema) if t not in skip]
        views = set(inspector.get_view_names(schema=schema)) - set(skip)
        try:
            views |= set(inspector.get_materialized_view_names(schema=schema))
        except NotImplementedError:
            pass
        columns = _multi(inspector.get_multi_columns, schema)
        pks = _multi(inspector.get_multi_pk_constraint, schema)
        fks = _multi(inspector.get_multi_foreign_keys, schema, ObjectKind.TABLE)
        indexes = _multi(inspector.get_multi_indexes, schema, ObjectKind.TABLE)
        comments = _multi(inspector.get_multi_table_comment, schema)
        if dialect.name == "postgresql":
            stats = _pg_stats(conn, schema)
        elif dialect.name in ("mysql", "mariadb"):
            stats = _mysql_stats(conn)
        else:
            stats = _sqlite_sizes(conn, tables, indexes)
        for name in sorted(tables) + sorted(views):
            is_view = name in views
            pk = list((pks.get(name) or {}).get("constrained_columns") or [])
            cols = []
            for position, col in enumerate(columns.get(name, []), start=1):
                cols.append({
                    "name": col["name"], "position": position, "data_type": type_name(col["type"], dialect),
                    "type_family": type_family(col["type"]),
                    "max_length": getattr(col["type"], "length", None) if isinstance(
                        getattr(col["type"], "length", None), int) else None,
                    "nullable": bool(col.get("nullable", True)), "default": _default(col.get("default")),
                    "comment": (col.get("comment") or "")[:1000], "is_primary_key": col["name"] in pk})
            estimate, size = (None, None) if is_view else stats.get(name, (None, None))
            row_count, exact = None, False
            if not is_view:
                if dialect.name == "sqlite" or (estimate is not None and estimate < EXACT_COUNT_BELOW) or (
                        estimate is None and dialect.name == "postgresql" and (size or 0) < EXACT_COUNT_MAX_BYTES):
                    row_count, exact = _count(conn, schema, name), True
                else:
                    row_count = estimate
            out.append({
                "schema": stored_schema, "name": name, "kind": "view" if is_view else "table",
                "comment": ((comments.get(name) or {}).get("text") or "")[:1000],
                "row_count": row_count, "row_count_exact": exact, "size_bytes": size, "primary_key": pk,
                "foreign_keys": [{"name": fk.get("name") or "", "columns": list(fk["constrained_columns"]),
                                  "ref_schema": fk.get("referred_schema") or "", "ref_table": fk["referred_table"],
                                  "ref_columns": list(fk["referred_columns"])} for fk in fks.get(name, [])],
                "indexes": [{"name": ix.get("name") or "", "unique": bool(ix.get("unique")),
                             "columns": [c for c in ix.get("column_names") or [] if c]}
                            for ix in indexes.get(name, [])],
                "columns": cols})
    return out
