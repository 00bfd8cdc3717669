"""The portal's system user shows in order histories: its name is Chinese only (自助服务), as
the customer and staff read it. Renamed only where it still has the name earlier versions gave it."""
from django.db import migrations

OLD, NEW = "自助服务 (self-service)", "自助服务"


def rename(apps, schema_editor, old=OLD, new=NEW):
    apps.get_model("staff", "User").objects.filter(username="portal", display_name=old).update(display_name=new)


def back(apps, schema_editor):
    rename(apps, schema_editor, old=NEW, new=OLD)


class Migration(migrations.Migration):
    dependencies = [("portal", "0001_initial"), ("staff", "0006_language_in_its_own_name")]
    operations = [migrations.RunPython(rename, back)]
