"""Field validators shared by models (and so the admin's forms) and the API's input schemas."""

from datetime import UTC, datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

PAST_SINCE = datetime(2000, 1, 1, tzinfo=UTC)
CLOCK_SKEW = timedelta(minutes=10)
"""A moment that records something that happened (a call started, an incident detected) lies
after PAST_SINCE and no later than now, give or take a client's clock running this fast. One
far in the future (9999-12-31T23:00Z) could not even be shown in +08:00, and every page
listing it would fail."""


def why_not_past(value: datetime) -> str | None:
    """Why VALUE cannot be the time of something that has happened, or None if it can."""
    moment = timezone.make_aware(value) if timezone.is_naive(value) else value
    if moment < PAST_SINCE:
        return _("must not be before %(year)s") % {"year": PAST_SINCE.year}
    if moment > timezone.now() + CLOCK_SKEW:
        return _("must not be in the future")
    return None


def past_moment(value: datetime | None) -> None:
    """Model field validator: the time of something that has happened."""
    if value is not None and (reason := why_not_past(value)):
        raise ValidationError(reason, code="not_past")
