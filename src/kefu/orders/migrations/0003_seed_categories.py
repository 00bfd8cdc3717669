from django.db import migrations


def seed(apps, schema_editor):
    from kefu.orders.categories import load

    load(apps.get_model("orders", "Category"))


class Migration(migrations.Migration):
    dependencies = [("orders", "0002_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
