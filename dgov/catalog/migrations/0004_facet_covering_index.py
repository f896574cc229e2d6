"""PostgreSQL: an index of the entries' ids that carries every facet column (INCLUDE), so a search's
facets are counted by merging the matching ids with it, without reading the table (bench/README.md,
"Catalog search"). SQLite gets its own form of it in 0005."""

from django.db import migrations

INDEX = "catalog_entry_facet_cover"
COLUMNS = ("department_id", "classification_id", "region_id", "sharing_type", "open_type", "format", "update_cycle")


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON catalog_catalogentry (id) "
                              f"INCLUDE ({', '.join(COLUMNS)})")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0003_provincial_catalog")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
