from django.db import migrations


def seed(apps, schema_editor):
    from kefu.sla.defaults import seed_policies
    from kefu.sla.official import seed_calendars

    Calendar, CalendarDay = apps.get_model("sla", "Calendar"), apps.get_model("sla", "CalendarDay")
    seed_calendars(Calendar, CalendarDay)
    seed_policies(apps.get_model("sla", "SlaPolicy"), apps.get_model("sla", "SlaTarget"), Calendar)


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
