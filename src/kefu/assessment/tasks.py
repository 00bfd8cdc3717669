"""Staff assessment's background work, scheduled daily by `kefu worker`."""

from django.tasks import task

from . import services


@task
def publish_due() -> dict:
    """Each active scheme's last complete period computed as a draft, published on its day."""
    return {"published": [str(run) for run in services.publish_due()]}
