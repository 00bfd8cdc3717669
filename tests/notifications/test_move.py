"""Notification moved from the sla app to its own with its rows: no copy, no drop. Migrated back
to before the move and forward again, every notification is still there, in the same table, and
the permissions granted on the model stay granted (its content type moves with it)."""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from kefu.notifications.models import Notification

BEFORE = [("notifications", None), ("sla", "0007_stop_update_clocks_after_resolution")]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_move_keeps_the_rows_and_the_permissions(agent, order):
    kept = Notification.objects.create(recipient=agent, order=order, message="kept", created_at=timezone.now())
    content_type = ContentType.objects.get_for_model(Notification)
    permission = Permission.objects.get(content_type=content_type, codename="view_notification")
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state([BEFORE[1]]).apps.get_model("sla", "Notification")
    assert list(old.objects.values_list("pk", "message")) == [(kept.pk, "kept")]
    old.objects.create(recipient_id=agent.pk, order_id=order.pk, message="written before the move", created_at=timezone.now())
    assert ContentType.objects.get(pk=content_type.pk).app_label == "sla"

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert sorted(Notification.objects.values_list("message", flat=True)) == ["kept", "written before the move"]
    assert ContentType.objects.get(pk=content_type.pk).app_label == "notifications"
    assert Permission.objects.get(pk=permission.pk).content_type_id == content_type.pk
    ContentType.objects.clear_cache()
