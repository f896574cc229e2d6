"""Harvesting source databases (SQLite, PostgreSQL, MariaDB) and the data store; the diff between
harvests (the issue's acceptance point: a column added and another dropped both show), revival,
owners' notification, failures and the audit."""

import pytest
import sqlalchemy as sa

from dgov.aggregation import datastore as store
from dgov.aggregation.testing import make_dataset
from dgov.core.testing import audited
from dgov.metadata import services
from dgov.metadata.models import DATASTORE, Harvest, MetaChange, MetaColumn, MetaTable
from dgov.metadata.tests.conftest import create_tables
from dgov.notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db


def _schema(source) -> str:
    return {"sqlite": "main", "postgresql": "public"}.get(source.kind) or source.url.rsplit("/", 1)[1]


def test_harvest_reads_tables_columns_keys_counts(source_db, editor):
    source, _engine = source_db
    harvest = services.run_harvest(actor=editor, source=source)
    assert harvest.status == Harvest.Status.SUCCEEDED, harvest.error
    assert harvest.tables == 2 and harvest.columns == 9
    people = MetaTable.objects.get(location=f"source-{source.pk}", name="people")
    assert people.schema == _schema(source)
    assert people.department == source.department
    assert people.row_count == 5 and people.row_count_exact
    assert people.primary_key == ["id"]
    cols = {c.name: c for c in people.columns.all()}
    assert [c.name for c in people.columns.order_by("position")] == [
        "id", "full_name", "phone", "income", "born_on", "updated_at"]
    assert cols["id"].is_primary_key and cols["id"].type_family == "integer"
    assert cols["full_name"].type_family == "string" and cols["full_name"].max_length == 50
    assert not cols["full_name"].nullable and cols["phone"].nullable
    assert cols["income"].type_family == "decimal"
    assert cols["born_on"].type_family == "date"
    assert cols["updated_at"].type_family == "datetime"
    if source.kind != "sqlite":
        assert people.comment == "人员" and cols["full_name"].comment == "姓名"
        assert people.size_bytes and people.size_bytes > 0
    visits = MetaTable.objects.get(location=f"source-{source.pk}", name="visits")
    assert visits.foreign_keys[0]["columns"] == ["person_id"]
    assert visits.foreign_keys[0]["ref_table"] == "people" and visits.foreign_keys[0]["ref_columns"] == ["id"]
    assert any(ix["columns"] == ["person_id"] for ix in visits.indexes)
    # the first harvest reports both tables as new
    assert set(harvest.change_set.values_list("kind", flat=True)) == {MetaChange.Kind.TABLE_ADDED}
    assert audited("metadata.harvest.run", object_id=str(harvest.pk), outcome="success")


def test_column_added_and_dropped_show_in_the_diff(source_db, editor):
    """The issue's acceptance point, on every kind of source database."""
    source, engine = source_db
    services.run_harvest(actor=editor, source=source)
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE people ADD COLUMN email VARCHAR(80)"))
        conn.execute(sa.text("ALTER TABLE people DROP COLUMN phone"))
    second = services.run_harvest(actor=editor, source=source)
    assert second.status == Harvest.Status.SUCCEEDED, second.error
    diff = {(c.kind, c.column): c for c in second.change_set.all()}
    assert set(diff) == {(MetaChange.Kind.COLUMN_ADDED, "email"), (MetaChange.Kind.COLUMN_DROPPED, "phone")}
    added = diff[(MetaChange.Kind.COLUMN_ADDED, "email")]
    assert added.after["max_length"] == 80 and added.after["nullable"] is True
    assert diff[(MetaChange.Kind.COLUMN_DROPPED, "phone")].before["max_length"] == 20
    assert second.changes == 2
    people = MetaTable.objects.get(location=f"source-{source.pk}", name="people")
    phone = people.columns.get(name="phone")
    assert phone.dropped_at is not None
    assert people.columns.get(name="email").dropped_at is None
    # a third harvest with nothing changed reports nothing
    assert services.run_harvest(actor=editor, source=source).changes == 0


def test_altered_column_and_dropped_then_revived_table(sqlite_source, postgres_url, editor):
    source, engine = sqlite_source
    services.run_harvest(actor=editor, source=source)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE visits"))
    second = services.run_harvest(actor=editor, source=source)
    [dropped] = second.change_set.all()
    assert dropped.kind == MetaChange.Kind.TABLE_DROPPED and "person_id" in dropped.before["columns"]
    visits = MetaTable.objects.get(location=f"source-{source.pk}", name="visits")
    assert visits.dropped_at is not None
    assert not visits.columns.filter(dropped_at__isnull=True).exists()
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE visits (id INTEGER PRIMARY KEY, person_id BIGINT, note TEXT)"))
    third = services.run_harvest(actor=editor, source=source)
    kinds = {(c.kind, c.column) for c in third.change_set.all()}
    assert (MetaChange.Kind.TABLE_ADDED, "") in kinds
    visits.refresh_from_db()
    assert visits.dropped_at is None and visits.columns.filter(dropped_at__isnull=True).count() == 3
    # altered: a PostgreSQL source changes a type, a nullability and a comment
    from dgov.aggregation.tests.helpers import make_source
    from dgov.catalog.testing import make_superuser

    pg = create_tables(postgres_url)
    pg_source = make_source(make_superuser(), postgres_url, "postgresql", name="PG")
    services.run_harvest(actor=editor, source=pg_source)
    with pg.begin() as conn:
        conn.execute(sa.text("ALTER TABLE people ALTER COLUMN phone TYPE varchar(40)"))
        conn.execute(sa.text("UPDATE people SET phone = '' WHERE phone IS NULL"))
        conn.execute(sa.text("ALTER TABLE people ALTER COLUMN phone SET NOT NULL"))
        conn.execute(sa.text("COMMENT ON COLUMN people.full_name IS '姓名（全称）'"))
    altered = services.run_harvest(actor=editor, source=pg_source)
    by_column = {c.column: c for c in altered.change_set.filter(kind=MetaChange.Kind.COLUMN_ALTERED)}
    assert set(by_column) == {"phone", "full_name"}
    assert by_column["phone"].before == {"data_type": "VARCHAR(20)", "nullable": True, "max_length": 20}
    assert by_column["phone"].after == {"data_type": "VARCHAR(40)", "nullable": False, "max_length": 40}
    assert by_column["full_name"].before == {"comment": "姓名"}
    assert by_column["full_name"].after == {"comment": "姓名（全称）"}
    with pg.begin() as conn:
        conn.execute(sa.text("DROP TABLE visits; DROP TABLE people"))
    pg.dispose()


def test_owners_are_told_once_per_harvest(sqlite_source, editor, outsider):
    source, engine = sqlite_source
    services.run_harvest(actor=editor, source=source)
    before = OutboxMessage.objects.filter(user=editor).count()
    assert before == 1  # the first harvest: two tables added, one message
    assert not OutboxMessage.objects.filter(user=outsider).exists()
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE people ADD COLUMN email VARCHAR(80)"))
        conn.execute(sa.text("ALTER TABLE visits ADD COLUMN place VARCHAR(80)"))
    services.run_harvest(actor=editor, source=source)
    messages = OutboxMessage.objects.filter(user=editor).order_by("-pk")
    assert messages.count() == before + 1
    assert "people.email" in messages[0].body and "visits.place" in messages[0].body
    # nothing changed: no message
    services.run_harvest(actor=editor, source=source)
    assert OutboxMessage.objects.filter(user=editor).count() == before + 1


def test_a_failed_harvest_is_recorded_with_its_reason(sqlite_source, editor, settings):
    source, _engine = sqlite_source
    (settings.DGOV_SOURCE_SQLITE_DIR / "src.sqlite3").unlink()
    harvest = services.run_harvest(actor=editor, source=source)
    assert harvest.status == Harvest.Status.FAILED and harvest.error
    assert harvest.finished_at is not None
    assert audited("metadata.harvest.run", object_id=str(harvest.pk), outcome="failed")


def test_refused_connection_is_a_failed_harvest(editor):
    from dgov.aggregation.tests.helpers import make_source
    from dgov.catalog.testing import make_superuser

    source = make_source(make_superuser(), "postgresql://nobody@127.0.0.1:1/none", "postgresql")
    harvest = services.run_harvest(actor=editor, source=source)
    assert harvest.status == Harvest.Status.FAILED
    assert "nobody" not in harvest.error and "Traceback" not in harvest.error


def test_scope(sqlite_source, outsider, editor, governor):
    from dgov.core.errors import PermissionDenied

    source, _engine = sqlite_source
    with pytest.raises(PermissionDenied):
        services.run_harvest(actor=outsider, source=source)
    with pytest.raises(PermissionDenied):
        services.run_harvest(actor=editor, source=None)  # the data store: the big-data centre only
    assert services.run_harvest(actor=governor, source=source).status == Harvest.Status.SUCCEEDED


def test_datastore_harvest_links_datasets(governor):
    dataset = make_dataset()
    dataset.columns.filter(name="djrq").update(mask="none")
    masked = set(dataset.columns.exclude(mask="none").values_list("name", flat=True))
    assert masked and "djrq" not in masked
    store.ensure_table(dataset)
    with store.engine().begin() as conn:
        conn.execute(sa.text("CREATE TABLE loose_table (a INTEGER PRIMARY KEY, b VARCHAR(10))"))
    harvest = services.run_harvest(actor=governor, source=None)
    assert harvest.status == Harvest.Status.SUCCEEDED, harvest.error
    tables = {t.name: t for t in MetaTable.objects.filter(location=DATASTORE)}
    assert "_dgov_tables" not in tables
    ds = tables[dataset.table_name]
    assert ds.dataset == dataset and ds.department == dataset.entry.department and ds.schema == ""
    assert ds.qualified_name == f"datastore/{dataset.table_name}"
    personal = set(MetaColumn.objects.filter(table=ds, personal=True).values_list("name", flat=True))
    assert personal == masked
    assert {"_key", "_seq", "xm", "sfzh"} <= set(ds.columns.values_list("name", flat=True))
    assert tables["loose_table"].department.code == services.CENTRE_CODE
    assert tables["loose_table"].dataset is None
    assert harvest.department.code == services.CENTRE_CODE
