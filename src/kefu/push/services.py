"""What Kefu pushes to browsers and who hears it: each person's own channel (the screen pop, her
agent state) and the wallboard's (its holders). Publishing happens after the commit."""

from . import brokers

WALLBOARD = "wallboard"
STREAMS = True
"""Whether pages open the push stream; the test suite turns it off (tests/conftest.py) so that no
browser test leaves a listener reading the database under the next test, and turns it on where
it tests the stream."""


def user_channel(user_id: int) -> str:
    return f"user.{user_id}"


def channels_for(user) -> list[str]:
    """The channels USER's browser listens to."""
    channels = [user_channel(user.pk)]
    if user.has_perm("cti.view_wallboard"):
        channels.append(WALLBOARD)
    return channels


def to_user(user_id: int, kind: str, **data) -> None:
    brokers.publish(user_channel(user_id), {"type": kind, **data})


def to_wallboard(kind: str, **data) -> None:
    brokers.publish(WALLBOARD, {"type": kind, **data})
