"""Time-limit escalation notices on orders are `sla_escalation` events: `escalate` is now the
order action that moves an order up a tier. Every earlier `escalate` event was an SLA one."""

from django.db import migrations


def forwards(apps, schema_editor):
    apps.get_model("orders", "OrderEvent").objects.filter(action="escalate").update(action="sla_escalation")


def backwards(apps, schema_editor):
    apps.get_model("orders", "OrderEvent").objects.filter(action="sla_escalation").update(action="escalate")


class Migration(migrations.Migration):

    dependencies = [
        ("sla", "0005_warn_label"),
        ("orders", "0005_workorder_repeat_count"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
