"""Quality inspection's background work, scheduled by `kefu worker` every KEFU_QUALITY_CHECK_SECONDS."""

from django.tasks import task

from . import services


@task
def check_contacts() -> dict:
    """The automatic checks of the contacts that ended since the last turn (safe to run again:
    a contact's hits are replaced, not added)."""
    return {"checked": services.check_due()}
