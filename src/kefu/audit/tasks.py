"""Background tasks of audit (to be scheduled by `kefu worker` every KEFU_AUDIT_ANCHOR_SECONDS)."""

from django.conf import settings
from django.tasks import task


@task
def anchor_chain() -> dict:
    """Append the signed chain head to KEFU_AUDIT_ANCHOR_FILE and log it: see services.write_anchor."""
    from .services import write_anchor

    return write_anchor(settings.KEFU_AUDIT_ANCHOR_FILE)
