"""Where pushed messages travel between the process that publishes them (the one that received a
call event) and the processes that hold browsers' streams (any app node).

- DatabaseBroker, the embedded default: an outbox table (PushMessage). Each process has ONE
  listener, which reads the rows above the last it saw every KEFU_PUSH_POLL_SECONDS (one indexed
  query per process, whatever the number of browsers) and hands each to the streams of its
  channel. Works on SQLite and PostgreSQL, on one node or several sharing the database.
- RedisBroker (KEFU_PUSH_URL=redis://…): PUBLISH on the channel, one pattern subscription per
  process; for several app nodes without the polling.

Browsers never poll: they hold one server-sent-events stream (kefu.web.push).
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

log = logging.getLogger("kefu.push")

PREFIX = "kefu:"
KEEP = timedelta(minutes=10)


class Hub:
    """The process's subscribers: channel → callbacks (each stream registers one). A background
    thread runs the broker's listener while anyone listens (and IDLE_SECONDS longer, so that a
    page that reloads finds it running) and calls the callbacks with each message's payload."""

    IDLE_SECONDS = 60.0

    def __init__(self, broker: Broker):
        self.broker = broker
        self._subscribers: dict[str, set[Callable[[dict], None]]] = defaultdict(set)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._idle_since: float | None = None

    def subscribe(self, channels: list[str], callback: Callable[[dict], None]) -> Callable[[], None]:
        with self._lock:
            for channel in channels:
                self._subscribers[channel].add(callback)
            self._idle_since = None
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="kefu-push", daemon=True)
                self._thread.start()

        def unsubscribe():
            with self._lock:
                for channel in channels:
                    self._subscribers[channel].discard(callback)
                    if not self._subscribers[channel]:
                        del self._subscribers[channel]
                if not self._subscribers:
                    self._idle_since = time.monotonic()
        return unsubscribe

    def dispatch(self, channel: str, payload: dict) -> None:
        with self._lock:
            callbacks = list(self._subscribers.get(channel, ()))
        for callback in callbacks:
            try:
                callback(payload)
            except Exception:
                log.exception("push: a stream's callback failed")

    def _wanted(self) -> bool:
        with self._lock:
            return self._idle_since is None or time.monotonic() - self._idle_since < self.IDLE_SECONDS

    def _run(self) -> None:
        while True:
            try:
                self.broker.listen(self.dispatch, self._wanted)
            except Exception:
                log.exception("push: the listener stopped; starting it again in a second")
                time.sleep(1)
            with self._lock:
                if self._idle_since is not None and time.monotonic() - self._idle_since >= self.IDLE_SECONDS:
                    self._thread = None
                    return


class Broker:
    def publish(self, channel: str, payload: dict) -> None:
        raise NotImplementedError

    def listen(self, dispatch: Callable[[str, dict], None], wanted: Callable[[], bool]) -> None:
        """Hand each message to DISPATCH(channel, payload) while WANTED() says so."""
        raise NotImplementedError


class DatabaseBroker(Broker):
    def publish(self, channel: str, payload: dict) -> None:
        from .models import PushMessage

        PushMessage.objects.create(channel=channel, payload=payload)

    def listen(self, dispatch: Callable[[str, dict], None], wanted: Callable[[], bool]) -> None:
        from .models import PushMessage

        interval = settings.KEFU_PUSH_POLL_SECONDS
        close_old_connections()
        last = PushMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        while wanted():
            rows = list(PushMessage.objects.filter(pk__gt=last).order_by("pk").values_list("pk", "channel", "payload")[:1000])
            for pk, channel, payload in rows:
                last = pk
                dispatch(channel, payload)
            close_old_connections()
            if len(rows) < 1000:
                time.sleep(interval)
        connection.close()

    @staticmethod
    def prune(now=None) -> int:
        """Delete the messages older than KEEP (the worker, now and then)."""
        from .models import PushMessage

        return PushMessage.objects.filter(created_at__lt=(now or timezone.now()) - KEEP).delete()[0]


class RedisBroker(Broker):
    def __init__(self, url: str):
        import redis

        self.url = url
        self.client = redis.Redis.from_url(url)

    def publish(self, channel: str, payload: dict) -> None:
        self.client.publish(PREFIX + channel, json.dumps(payload, ensure_ascii=False))

    def listen(self, dispatch: Callable[[str, dict], None], wanted: Callable[[], bool]) -> None:
        import redis

        pubsub = redis.Redis.from_url(self.url).pubsub(ignore_subscribe_messages=True)
        pubsub.psubscribe(PREFIX + "*")
        try:
            while wanted():
                message = pubsub.get_message(timeout=1.0)
                if message is not None and message["type"] == "pmessage":
                    dispatch(message["channel"].decode()[len(PREFIX):], json.loads(message["data"]))
        finally:
            pubsub.close()


_broker: Broker | None = None
_hub: Hub | None = None


def broker() -> Broker:
    global _broker
    if _broker is None:
        url = settings.KEFU_PUSH_URL
        _broker = RedisBroker(url) if url.startswith(("redis://", "rediss://", "unix://")) else DatabaseBroker()
    return _broker


def hub() -> Hub:
    global _hub
    if _hub is None:
        _hub = Hub(broker())
    return _hub


def reset() -> None:
    """Forget the broker and hub (tests that change KEFU_PUSH_URL)."""
    global _broker, _hub
    _broker = _hub = None


def publish(channel: str, payload: dict) -> None:
    """Send PAYLOAD to CHANNEL's browsers once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: _publish_now(channel, payload))


def _publish_now(channel: str, payload: dict) -> None:
    try:
        broker().publish(channel, payload)
    except Exception:  # a push is a convenience: its loss must never fail the request that caused it
        log.exception("push: could not publish on %s", channel)


async def stream(channels: list[str], heartbeat: float = 15.0):
    """The messages of CHANNELS as they come, for one browser (an async generator of payloads;
    None once subscribed, then on each heartbeat); for ASGI."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue = asyncio.Queue(maxsize=100)

    def deliver(payload: dict) -> None:
        loop.call_soon_threadsafe(_offer, queue, payload)

    unsubscribe = hub().subscribe(channels, deliver)
    try:
        yield None  # subscribed: from here on nothing published is missed
        while True:
            try:
                yield await asyncio.wait_for(queue.get(), heartbeat)
            except TimeoutError:
                yield None
    finally:
        unsubscribe()


def _offer(queue: asyncio.Queue, payload: dict) -> None:
    try:
        queue.put_nowait(payload)
    except asyncio.QueueFull:  # a browser that does not read: drop, it reloads what it needs
        pass


def stream_sync(channels: list[str], heartbeat: float = 15.0):
    """The same for a WSGI server (the development server, tests): a blocking generator."""
    import queue as queues

    box: queues.Queue = queues.Queue(maxsize=100)

    def deliver(payload: dict) -> None:
        try:
            box.put_nowait(payload)
        except queues.Full:
            pass

    unsubscribe = hub().subscribe(channels, deliver)
    try:
        yield None  # subscribed
        while True:
            try:
                yield box.get(timeout=heartbeat)
            except queues.Empty:
                yield None
    finally:
        unsubscribe()
