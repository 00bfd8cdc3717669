"""The browser's push stream: one server-sent-events connection per open page of a signed-in
person, carrying what kefu.push publishes on their channels (the screen pop, their agent state,
the wallboard's changes). The page's script (static kefu/push.js) acts on each message."""

import json

from django.contrib.auth.decorators import login_required
from django.core.handlers.asgi import ASGIRequest
from django.http import StreamingHttpResponse

from kefu.push import brokers
from kefu.push import services as push

HEARTBEAT_SECONDS = 15.0


def _frame(payload: dict | None) -> str:
    if payload is None:
        return ": keep-alive\n\n"  # a comment: keeps proxies from closing an idle stream
    return f"event: {payload.get('type', 'message')}\ndata: {json.dumps(payload, ensure_ascii=False)}\n\n"


# The first frame is sent once the stream is subscribed (the broker's first None): a page that
# sees the stream open misses nothing published after.
SUBSCRIBED = "retry: 2000\nevent: ready\ndata: {}\n\n"


async def _frames_async(channels):
    first = True
    async for payload in brokers.stream(channels, HEARTBEAT_SECONDS):
        yield SUBSCRIBED if first else _frame(payload)
        first = False


def _frames_sync(channels):
    first = True
    for payload in brokers.stream_sync(channels, HEARTBEAT_SECONDS):
        yield SUBSCRIBED if first else _frame(payload)
        first = False


@login_required
def stream(request):
    channels = push.channels_for(request.user)
    frames = _frames_async(channels) if isinstance(request, ASGIRequest) else _frames_sync(channels)
    response = StreamingHttpResponse(frames, content_type="text/event-stream; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event through at once
    return response
