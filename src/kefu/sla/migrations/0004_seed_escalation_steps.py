from django.db import migrations

STEPS = [(1, "warning", 0, "handler"), (2, "breach", 0, "department_lead"), (3, "breach", 60, "supervisors")]


def seed(apps, schema_editor):
    Step = apps.get_model("sla", "EscalationStep")
    for level, trigger, delay, notify in STEPS:
        Step.objects.get_or_create(level=level, defaults={"trigger": trigger, "delay_minutes": delay, "notify": notify})


class Migration(migrations.Migration):
    dependencies = [("sla", "0003_escalations")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
