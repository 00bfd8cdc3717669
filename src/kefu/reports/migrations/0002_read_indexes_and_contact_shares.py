"""Contacts' shares (first-contact resolution), and the rollups' read indexes: by grain,
dimension and period (the whole organisation's reports) and by department (a department's).
On PostgreSQL they also carry the columns a report sums and groups by (INCLUDE), so reports are
index-only scans; elsewhere they are plain."""

from django.db import migrations, models

INCLUDED = {"reports_rollup_read": "department_id, province, key, value",
            "reports_rollup_dept": "measure, province, key, value"}
READ = models.Index(fields=["grain", "dim", "measure", "period"], name="reports_rollup_read")
DEPT = models.Index(fields=["grain", "dim", "department_id", "period"], name="reports_rollup_dept")


def create(apps, schema_editor):
    Rollup = apps.get_model("reports", "Rollup")
    for index in (READ, DEPT):
        if schema_editor.connection.vendor == "postgresql":
            columns = ", ".join(index.fields)
            schema_editor.execute(f"CREATE INDEX {index.name} ON reports_rollup ({columns}) INCLUDE ({INCLUDED[index.name]})")
        else:
            schema_editor.add_index(Rollup, index)


def drop(apps, schema_editor):
    Rollup = apps.get_model("reports", "Rollup")
    for index in (READ, DEPT):
        schema_editor.remove_index(Rollup, index)


class Migration(migrations.Migration):

    dependencies = [
        ('reports', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='ContactFact',
            fields=[
                ('contact_id', models.BigIntegerField(primary_key=True, serialize=False, verbose_name='contact')),
                ('dims', models.JSONField(default=dict, verbose_name='dimensions')),
                ('atoms', models.JSONField(default=list, verbose_name='shares')),
                ('first_day', models.DateField(null=True, verbose_name='first day')),
                ('last_day', models.DateField(null=True, verbose_name='last day')),
                ('computed_at', models.DateTimeField(verbose_name='computed at')),
            ],
            options={
                'verbose_name': "contact's share of the rollups",
                'verbose_name_plural': "contacts' shares of the rollups",
            },
        ),
        migrations.RemoveIndex(  # the same columns, recreated covering on PostgreSQL below
            model_name='rollup',
            name='reports_rollup_read',
        ),
        migrations.AddField(
            model_name='rebuildrun',
            name='last_contact_id',
            field=models.BigIntegerField(default=0, verbose_name='last contact done'),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddIndex(model_name="rollup", index=READ),
                              migrations.AddIndex(model_name="rollup", index=DEPT)],
            database_operations=[migrations.RunPython(create, drop)],
        ),
        migrations.AddIndex(
            model_name='contactfact',
            index=models.Index(fields=['last_day', 'first_day'], name='reports_contactfact_days'),
        ),
    ]
