"""A source table (the same on SQLite, MariaDB and PostgreSQL) and the job that loads it."""

import datetime as dt

import sqlalchemy as sa

from dgov.aggregation import datastore, services
from dgov.aggregation.models import SourceDatabase, SourceMapping
from dgov.aggregation.testing import make_dataset
from dgov.orgs.models import Department

TABLE = "residents"
ROWS = [
    (1, "张三", "360603199001011234", "13800001111", dt.date(2024, 1, 2), dt.datetime(2025, 1, 1, 9, 0)),
    (2, "李四", "360603199202022345", "13900002222", dt.date(2024, 3, 4), dt.datetime(2025, 1, 2, 9, 0)),
    (3, "王五", "360603198503033456", "13700003333", dt.date(2023, 5, 6), dt.datetime(2025, 1, 3, 9, 0)),
]


def source_table(url: str, rows=ROWS) -> sa.Engine:
    """(Re)create the `residents` table at `url` with `rows`."""
    engine = sa.create_engine(datastore.sqlalchemy_url(url), poolclass=sa.pool.NullPool)
    meta = sa.MetaData()
    sa.Table(TABLE, meta, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
             sa.Column("full_name", sa.String(50)), sa.Column("id_no", sa.String(18)),
             sa.Column("phone", sa.String(20)), sa.Column("registered_on", sa.Date),
             sa.Column("updated_at", sa.DateTime))
    with engine.begin() as conn:
        meta.drop_all(conn)
        meta.create_all(conn)
        insert(engine, rows, conn=conn)
    return engine


def insert(engine, rows, conn=None):
    stmt = sa.text(f"INSERT INTO {TABLE} (id, full_name, id_no, phone, registered_on, updated_at) "
                   "VALUES (:id, :n, :i, :p, :r, :u)")
    params = [{"id": r[0], "n": r[1], "i": r[2], "p": r[3], "r": r[4], "u": r[5]} for r in rows]
    if engine.dialect.name == "sqlite":  # as text, as SQLite stores them (its default adapters are deprecated)
        params = [{k: v.isoformat(sep=" ") if isinstance(v, dt.datetime) else v.isoformat()
                   if isinstance(v, dt.date) else v for k, v in p.items()} for p in params]
    if conn is not None:
        conn.execute(stmt, params)
        return
    with engine.begin() as c:
        c.execute(stmt, params)


def execute(engine, sql: str, **params):
    with engine.begin() as conn:
        conn.execute(sa.text(sql), params)


def make_source(actor, url: str, kind: str, name: str = "测试源库") -> SourceDatabase:
    return services.source_save(actor=actor, instance=SourceDatabase(
        department=Department.objects.get(code="360603909"), name=name, kind=kind, url=url))


COLUMN_MAP = {"xm": "full_name", "sfzh": "id_no", "lxdh": "phone", "djrq": "registered_on"}


def make_job(actor, source, dataset=None, **fields) -> SourceMapping:
    dataset = dataset or make_dataset(actor=actor)
    values = {"name": "测试归集", "source_table": TABLE, "column_map": dict(COLUMN_MAP), **fields}
    return services.mapping_save(actor=actor, instance=SourceMapping(dataset=dataset, source=source, **values))
