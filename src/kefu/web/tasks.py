"""Background tasks of the web app's worker: housekeeping of the task table itself."""

from datetime import timedelta

from django.conf import settings
from django.tasks import TaskResultStatus, task
from django.utils import timezone

PRUNE_BATCH = 5000


@task
def prune_task_results() -> int:
    """Delete finished task results older than KEFU_TASK_RESULTS_DAYS, a batch at a time. The
    periodic tasks alone finish some 4,000 a day; the scheduler's and the reclaimer's queries
    filter the table by status, so it must stay small. Waiting and running tasks are never
    touched; PeriodicRun keeps each periodic task's last outcome for /healthz."""
    from django_tasks_db.models import DBTaskResult

    cutoff = timezone.now() - timedelta(days=settings.KEFU_TASK_RESULTS_DAYS)
    finished = DBTaskResult.objects.filter(status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED],
                                           finished_at__lt=cutoff)
    deleted = 0
    while ids := list(finished.values_list("pk", flat=True)[:PRUNE_BATCH]):
        deleted += DBTaskResult.objects.filter(pk__in=ids).delete()[0]
    return deleted
