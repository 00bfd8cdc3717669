"""Who sits at an extension of a platform (admin 扩展号): one indexed read, asked on the call
events that name an extension. Not cached: a mapping changed or rolled back applies at once."""

from .models import Extension


def user_at(platform_id: int, extension: str) -> int | None:
    """The id of the member of staff at EXTENSION of the platform, or None."""
    if not extension:
        return None
    return Extension.objects.filter(platform_id=platform_id, extension=extension).values_list("user_id", flat=True).first()
