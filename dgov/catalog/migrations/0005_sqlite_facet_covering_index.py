"""SQLite: the same covering index as 0004 on PostgreSQL, as a plain index on the entry id followed by
the status and every facet column. An entry row carries its summary (up to 2 000 characters), so a
facet column stored after it is often on an overflow page: counting the facets of a search that
matches 40 % of the catalog read twice as long from the table as from this index (bench/README.md,
"Catalog search"). `selectors._counts_in_one_pass` names it with INDEXED BY, since SQLite's planner
prefers the rowid for the ids a search yields."""

from django.db import migrations

INDEX = "catalog_entry_facet_cover"
COLUMNS = ("id", "status", "department_id", "classification_id", "region_id", "sharing_type", "open_type",
           "format", "update_cycle")


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON catalog_catalogentry ({', '.join(COLUMNS)})")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0004_facet_covering_index")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
