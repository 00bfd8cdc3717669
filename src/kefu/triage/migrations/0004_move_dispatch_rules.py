"""Dispatch rules moved to the routing app; the table is renamed, its rows stay."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('triage', '0003_dispatch_rules'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.AlterModelTable(name='dispatchrule', table='routing_dispatchrule')],
            state_operations=[migrations.DeleteModel(name='DispatchRule')],
        ),
    ]
