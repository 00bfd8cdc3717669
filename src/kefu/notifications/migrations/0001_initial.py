"""Notification moves here from the sla app with its rows: the model is taken over in the
migration state only (sla 0008 lets go of it) and keeps its table, sla_notification (db_table).
No copy, no drop, nothing done to the table. The content type moves too, so the permissions
granted on it stay granted."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def move_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="notifications", model="notification").exists():
        ContentType.objects.filter(app_label="sla", model="notification").update(app_label="notifications")


def restore_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="sla", model="notification").exists():
        ContentType.objects.filter(app_label="notifications", model="notification").update(app_label="sla")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("orders", "0014_customer_summary"),
        ("sla", "0007_stop_update_clocks_after_resolution"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Notification",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("message", models.CharField(max_length=300, verbose_name="message")),
                        ("created_at", models.DateTimeField(verbose_name="created at")),
                        ("read_at", models.DateTimeField(blank=True, null=True, verbose_name="read at")),
                        ("order", models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+",
                                                    to="orders.workorder", verbose_name="work order")),
                        ("recipient", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="notifications",
                                                        to=settings.AUTH_USER_MODEL, verbose_name="recipient")),
                    ],
                    options={
                        "verbose_name": "notification",
                        "verbose_name_plural": "notifications",
                        "ordering": ["-created_at", "-id"],
                        "db_table": "sla_notification",
                        "indexes": [models.Index(fields=["recipient", "read_at", "created_at"], name="sla_notification_inbox")],
                    },
                ),
            ],
        ),
        migrations.RunPython(move_content_type, restore_content_type, elidable=True),
    ]
