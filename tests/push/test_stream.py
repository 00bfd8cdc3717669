"""The browser's stream (/push/stream/): a hotline agent's page hears the screen pop of the call
answered at her extension, and nobody else's."""

import json

import pytest

from kefu.cti.models import Call, Extension
from kefu.push import brokers
from kefu.staff import roles
from tests.cti.helpers import full_call, make_platform, post, recent

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def frames(response, limit=30.0):
    """The stream's ringing and screen-pop messages; fails after LIMIT seconds without one."""
    import time

    deadline = time.monotonic() + limit
    for chunk in response.streaming_content:
        assert time.monotonic() < deadline, "no screen pop arrived"
        text = chunk.decode() if isinstance(chunk, bytes) else chunk
        if text.startswith("event:"):
            kind, data = text.strip().split("\n")
            if kind.removeprefix("event: ") in ("ringing", "screen_pop"):
                yield kind.removeprefix("event: "), json.loads(data.removeprefix("data: "))


def stop_hubs():
    """Let the listener threads end before the test database goes."""
    import time

    hub = brokers._hub
    brokers.reset()
    if hub is not None:
        hub.IDLE_SECONDS = 0
        hub._idle_since = hub._idle_since or time.monotonic()  # a stream left open by a failed test
        deadline = time.monotonic() + 10
        while hub._thread is not None and time.monotonic() < deadline:
            time.sleep(0.05)


@pytest.fixture(autouse=True)
def fresh_hub(settings):
    settings.KEFU_PUSH_POLL_SECONDS = 0.05
    brokers.reset()
    yield
    stop_hubs()


def test_the_answered_call_pops_its_contact_on_her_screen(client, make_user):
    agent = make_user(roles.AGENT)
    Extension.objects.create(platform=make_platform(), extension="8001", user=agent)
    client.force_login(agent)
    response = client.get("/push/stream/")
    assert response["Content-Type"].startswith("text/event-stream")
    stream = frames(response)
    # The stream subscribes when first read: post the call from another client meanwhile.
    from threading import Thread

    from django.test import Client

    def call():
        import time
        time.sleep(0.5)
        platform_client = Client()
        for doc in recent(full_call("13912345678")[:5]):
            post(platform_client, doc)

    Thread(target=call).start()
    kind, data = next(stream)
    assert kind == "ringing" and data["caller"].startswith("139") and "12345678" not in data["caller"]
    kind, data = next(stream)
    contact_id = Call.objects.get(call_id="c-1").contact_id
    assert (kind, data["url"]) == ("screen_pop", f"/contacts/{contact_id}/")
    response.close()


def test_the_stream_needs_a_signed_in_person(client):
    assert client.get("/push/stream/").status_code == 302
