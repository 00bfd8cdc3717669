"""kefu routing agents | presence | drain, and the status change on signing out."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from kefu.routing.models import PresenceChange
from kefu.staff.models import User


def _run(*args):
    out = StringIO()
    call_command("routing", *args, stdout=out)
    return out.getvalue()


def test_presence_agents_and_drain(handler, departments):
    User.objects.create_superuser("root", password="pw")
    assert "handler: away" in _run("presence", "handler", "away", "--reason", "lunch")
    change = PresenceChange.objects.get(user=handler)
    assert (change.presence, change.reason, change.by.username) == ("away", "lunch", "root")
    line = _run("agents", "--department", "tech-support").splitlines()[0]
    assert line.split()[:3] == ["handler", "tech-support", "away"]
    assert _run("drain") == "assigned 0 queued work orders\n"
    with pytest.raises(CommandError):
        _run("presence", "nobody", "away")
    with pytest.raises(CommandError):
        _run("drain", "--department", "nowhere")


def test_signing_out_of_the_web_front_goes_offline(client, handler):
    User.objects.filter(pk=handler.pk).update(presence="available")
    client.force_login(handler)
    client.post("/logout/")
    handler.refresh_from_db()
    assert handler.presence == "offline"
    assert PresenceChange.objects.get(user=handler).reason == "Signed out."
