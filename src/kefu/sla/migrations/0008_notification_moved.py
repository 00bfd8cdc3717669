"""Notification now belongs to the notifications app (its 0001 took over the model and the
rows): removed from this app's migration state only, nothing in the database."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("notifications", "0001_initial"),
        ("sla", "0007_stop_update_clocks_after_resolution"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="Notification")]),
    ]
