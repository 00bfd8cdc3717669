"""The sampling plan a new installation draws with: five contacts of each agent a week, every
channel, and every contact behind a low score, a repeat complaint or a regulator transfer."""

from django.db import migrations


def seed(apps, schema_editor):
    Plan = apps.get_model("quality", "SamplingPlan")
    if not Plan.objects.exists():
        Plan.objects.create(name="每人每周抽检 5 条", per_agent=5, period="week")


class Migration(migrations.Migration):
    dependencies = [("quality", "0005_sampling")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
