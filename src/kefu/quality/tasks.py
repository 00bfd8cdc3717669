"""Quality inspection's background work, scheduled by `kefu worker` every KEFU_QUALITY_CHECK_SECONDS."""

from django.tasks import task

from . import services


@task
def check_contacts() -> dict:
    """The automatic checks of the contacts that ended since the last turn (safe to run again:
    a contact's hits are replaced, not added), each active sampling plan drawn once for its
    last complete period, and the inspections whose appeal window ended made final."""
    return {"checked": services.check_due(), "drawn": [str(run) for run in services.draw_due()],
            "closed": services.close_due()}
