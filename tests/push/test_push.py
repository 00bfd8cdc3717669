"""The push channel: messages published after a commit reach the streams of their channel, through
the embedded database broker and through Redis; the browser's stream carries the screen pop."""

import os
import queue
import threading

import pytest

from kefu.push import brokers
from kefu.push.models import PushMessage

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def listen():
    """listen(BROKER, CHANNELS): a hub on BROKER with one subscriber to CHANNELS, its messages in
    a queue; the hub's thread ends with the test."""
    hubs = []

    def start(broker, channels):
        hub = brokers.Hub(broker)
        box: queue.Queue = queue.Queue()
        hubs.append((hub, hub.subscribe(channels, box.put)))
        return box
    yield start
    for hub, unsubscribe in hubs:
        hub.IDLE_SECONDS = 0
        unsubscribe()
        while hub._thread is not None:
            threading.Event().wait(0.05)


def test_the_database_broker_hands_each_message_to_its_channel_only(settings, listen):
    settings.KEFU_PUSH_POLL_SECONDS = 0.05
    broker = brokers.DatabaseBroker()
    box = listen(broker, ["user.1"])
    threading.Event().wait(0.3)  # the listener starts at the latest message
    broker.publish("user.2", {"type": "ringing", "n": 1})
    broker.publish("user.1", {"type": "screen_pop", "url": "/contacts/5/"})
    assert box.get(timeout=5) == {"type": "screen_pop", "url": "/contacts/5/"}
    with pytest.raises(queue.Empty):
        box.get(timeout=0.3)


def test_old_messages_are_pruned():
    from datetime import timedelta

    from django.utils import timezone

    PushMessage.objects.create(channel="user.1", payload={})
    assert brokers.DatabaseBroker.prune(now=timezone.now() + timedelta(minutes=5)) == 0
    assert brokers.DatabaseBroker.prune(now=timezone.now() + timedelta(minutes=11)) == 1


def test_publish_waits_for_the_commit_and_a_rollback_sends_nothing():
    from django.db import transaction

    with transaction.atomic():
        brokers.publish("user.1", {"type": "x"})
        assert not PushMessage.objects.exists()
    assert PushMessage.objects.count() == 1
    with pytest.raises(RuntimeError), transaction.atomic():
        brokers.publish("user.1", {"type": "y"})
        raise RuntimeError
    assert PushMessage.objects.count() == 1


REDIS = os.environ.get("KEFU_TEST_REDIS_URL", "")


@pytest.mark.skipif(not REDIS, reason="needs Redis (set KEFU_TEST_REDIS_URL; CI does)")
def test_the_redis_broker_carries_messages_between_app_nodes(listen):
    publisher, receiver = brokers.RedisBroker(REDIS), brokers.RedisBroker(REDIS)
    box = listen(receiver, ["wallboard"])
    threading.Event().wait(0.3)  # subscribed
    publisher.publish("user.9", {"type": "other"})
    publisher.publish("wallboard", {"type": "calls", "text": "队列"})
    assert box.get(timeout=5) == {"type": "calls", "text": "队列"}
    with pytest.raises(queue.Empty):
        box.get(timeout=0.3)
