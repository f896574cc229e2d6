import dgov.demands.models
from django.db import migrations, models


def rewrite_fields(apps, schema_editor):
    """Store the demands already filed again, so that their Chinese field names lose the \\u escapes
    (SQLite keeps the JSON text as written; PostgreSQL's jsonb is unchanged)."""
    DataDemand = apps.get_model("demands", "DataDemand")
    for pk, fields in DataDemand.objects.values_list("pk", "fields").iterator():
        DataDemand.objects.filter(pk=pk).update(fields=fields)


class Migration(migrations.Migration):

    dependencies = [
        ('demands', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='datademand',
            name='fields',
            field=models.JSONField(default=list, encoder=dgov.demands.models.TextJSONEncoder, help_text='The data items needed, one per line, e.g. 姓名, 身份证号, 婚姻状况.', verbose_name='fields wanted'),
        ),
        migrations.RunPython(rewrite_fields, migrations.RunPython.noop),
    ]
