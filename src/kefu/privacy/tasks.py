"""Background tasks of privacy (scheduled by `kefu worker`)."""

from django.tasks import task


@task
def purge_personal_data() -> dict:
    """The retention purge: see services.purge."""
    from .services import purge

    return purge()
