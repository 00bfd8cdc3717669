"""Posting signed call events as a telephone platform does."""

import json
import time
from datetime import UTC, datetime, timedelta

from kefu.cti.models import Platform
from kefu.cti.services import sign

SECRET = "s3cret-for-tests"
T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)


def make_platform(code="pbx1", **kw) -> Platform:
    return Platform.objects.create(code=code, name="总部呼叫中心", secret=SECRET, **kw)


def event(seq, second, kind, call_id="c-1", **data) -> dict:
    return {"version": "1", "type": kind, "call_id": call_id, "seq": seq,
            "occurred_at": (T0 + timedelta(seconds=second)).isoformat(), "data": data}


def post(client, doc, *, platform="pbx1", secret=SECRET, ts=None, raw: bytes | None = None, signature=None):
    body = raw if raw is not None else json.dumps(doc).encode()
    ts = str(int(time.time()) if ts is None else ts)
    return client.post("/api/v1/cti/events", body, content_type="application/json",
                       headers={"X-Kefu-Platform": platform, "X-Kefu-Timestamp": ts,
                                "X-Kefu-Signature": signature if signature is not None else sign(secret, ts, body)})


def full_call(caller, call_id="c-1") -> list[dict]:
    return [
        event(0, 0, "offered", call_id, caller=caller, called="10000"),
        event(1, 5, "ivr", call_id, keys="1", verified=True),
        event(2, 20, "queued", call_id, queue="billing"),
        event(3, 32, "ringing", call_id, extension="8001"),
        event(4, 36, "answered", call_id, extension="8001"),
        event(5, 100, "held", call_id),
        event(6, 130, "resumed", call_id),
        event(7, 236, "ended", call_id, by="caller"),
        event(8, 266, "acw_ended", call_id),
    ]


def recent(docs: list[dict], seconds_ago: int = 2) -> list[dict]:
    """DOCS moved in time so that the last happened SECONDS_AGO (the screen pop and the agents'
    states follow only what happens now)."""
    last = max(datetime.fromisoformat(d["occurred_at"]) for d in docs)
    shift = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=seconds_ago) - last
    return [{**d, "occurred_at": (datetime.fromisoformat(d["occurred_at"]) + shift).isoformat()} for d in docs]
