"""Delivering call events the way a platform does (docs/cti.md): signed and posted to
`/api/v1/cti/events` of a Kefu server, or handed to kefu.cti.services.receive in this process.
Used by the FreeSWITCH adapter, the call-record import and the simulator."""

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime

from kefu.core.errors import ServiceError

from . import services
from .models import Platform

PATH = "/api/v1/cti/events"


@dataclass(frozen=True)
class Delivered:
    status: int  # 200 applied or duplicate, 4xx refused or invalid
    body: dict


def event(call_id: str, seq: int, kind: str, at: datetime, **data) -> dict:
    """One event of interface version 1."""
    return {"version": "1", "type": kind, "call_id": call_id, "seq": seq, "occurred_at": at.isoformat(),
            "data": data}


class Sender:
    """Signs and delivers events for PLATFORM (its code and secret): over HTTP to URL (the base
    address of a Kefu server, e.g. http://127.0.0.1:8000) or, without URL, in this process."""

    def __init__(self, platform: Platform, url: str = "", timeout: float = 10.0):
        self.code, self.secret = platform.code, platform.secret
        self.url = url.rstrip("/") + PATH if url else ""
        self.timeout = timeout

    def send(self, doc: dict) -> Delivered:
        body = json.dumps(doc, ensure_ascii=False).encode()
        timestamp = str(int(time.time()))
        signature = services.sign(self.secret, timestamp, body)
        if not self.url:
            try:
                receipt = services.receive(self.code, body, signature, timestamp)
            except ServiceError as exc:
                return Delivered(exc.status, exc.as_dict())
            return Delivered(200, {"event_id": receipt.event_id, "outcome": receipt.outcome})
        request = urllib.request.Request(self.url, data=body, method="POST", headers={
            "Content-Type": "application/json", "X-Kefu-Platform": self.code, "X-Kefu-Timestamp": timestamp,
            "X-Kefu-Signature": f"sha256={signature}"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return Delivered(response.status, json.loads(response.read() or b"{}"))
        except urllib.error.HTTPError as exc:
            try:
                detail = json.loads(exc.read() or b"{}")
            except ValueError:
                detail = {}
            return Delivered(exc.code, detail)
