"""kefu cti freeswitch: follow FreeSWITCH's event socket (mod_event_socket, inbound mode) and
deliver its calls to Kefu as events of the CTI interface (docs/cti.md).

Parsing is kept apart from I/O so that it is tested on recorded streams:

- FrameReader cuts the socket's bytes into frames (header lines up to a blank line, then
  Content-Length bytes of body), whatever chunks they arrive in;
- decode_event reads a `text/event-plain` body: `Name: value` lines, values URL-encoded;
- Mapper turns one FreeSWITCH event into one Kefu event (or none), keeping the little state the
  mapping needs per call (is it ours, answered, on hold) in bounded dicts.

Then the connection (follow): connect, authenticate, subscribe, hand each event on; reconnect
with backoff when the socket drops; stop on SIGTERM or Ctrl-C. The call id is the caller's leg's
Unique-ID, the sequence FreeSWITCH's Event-Sequence (unique and increasing, so a redelivered
event is recognised), the time its Event-Date-Timestamp.
"""

import logging
import os
import re
import signal
import socket
import threading
import urllib.parse
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core.management.base import CommandError
from django.db import InterfaceError, OperationalError, close_old_connections
from django.utils.translation import gettext as _

from . import client
from .models import Platform

log = logging.getLogger(__name__)

HELP = "Follow FreeSWITCH's event socket and deliver its calls to Kefu (docs/cti.md)."
PASSWORD_ENV = "KEFU_FREESWITCH_PASSWORD"

CALLCENTER, KEFU_IVR, KEFU_SURVEY = "callcenter::info", "kefu::ivr", "kefu::survey"
SUBSCRIPTION = ("event plain CHANNEL_CREATE CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE CHANNEL_HOLD CHANNEL_UNHOLD "
                f"RECORD_STOP CUSTOM {CALLCENTER} {KEFU_IVR} {KEFU_SURVEY}")

MAX_HEADER_BYTES = 64 * 1024
MAX_BODY_BYTES = 16 * 1024 * 1024
CONNECT_TIMEOUT = 10.0
POLL_SECONDS = 1.0  # how often a blocked read looks whether it should stop
RETRY_FIRST, RETRY_MAX = 1.0, 60.0  # seconds between attempts: doubled each time, up to the most
MAX_CALLS, MAX_DONE = 10_000, 5_000  # calls followed at once; ended or ignored calls remembered

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_BLANK_LINE = re.compile(rb"\r?\n\r?\n")


# --- frames ---------------------------------------------------------------------------------------

class ProtocolError(Exception):
    """The stream is not mod_event_socket's framing: the connection cannot be read further."""


class Refused(Exception):
    """FreeSWITCH refused us (the password, or its access list): trying again will not help."""


class Closed(ConnectionError):
    """FreeSWITCH closed the connection before it was ready."""


@dataclass(frozen=True)
class Frame:
    headers: dict[str, str]
    body: bytes = b""

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")

    @property
    def reply(self) -> str:
        return self.headers.get("Reply-Text", "")


class FrameReader:
    """Cuts mod_event_socket's byte stream into frames, whatever chunks it arrives in. A frame is
    `Name: value` lines up to a blank line, then as many bytes of body as its Content-Length says
    (events, the disconnect notice), or none without one (auth/request, command/reply)."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._waiting: dict[str, str] | None = None  # the headers of a frame whose body is incomplete
        self._length = 0

    def feed(self, data: bytes) -> list[Frame]:
        """The frames DATA completes, in order; the rest is kept for the next call."""
        self._buffer += data
        frames = []
        while (frame := self._next()) is not None:
            frames.append(frame)
        return frames

    def _next(self) -> Frame | None:
        if self._waiting is None:
            while self._buffer[:1] in (b"\r", b"\n"):
                del self._buffer[:1]  # line ends between frames, tolerated as FreeSWITCH does
            end = _BLANK_LINE.search(self._buffer)
            if end is None:
                if len(self._buffer) > MAX_HEADER_BYTES:
                    raise ProtocolError(f"no end of headers in {len(self._buffer)} bytes")
                return None
            headers = _outer_headers(bytes(self._buffer[:end.start()]))
            del self._buffer[:end.end()]
            length = headers.get("Content-Length", "0").strip()
            if not length.isdigit() or int(length) > MAX_BODY_BYTES:
                raise ProtocolError(f"bad Content-Length {length!r}")
            self._waiting, self._length = headers, int(length)
        if len(self._buffer) < self._length:
            return None
        body = bytes(self._buffer[:self._length])
        del self._buffer[:self._length]
        headers, self._waiting = self._waiting, None
        return Frame(headers, body)


def _outer_headers(block: bytes) -> dict[str, str]:
    headers = {}
    for line in block.decode("utf-8", "replace").splitlines():
        name, colon, value = line.partition(":")
        if not colon:
            raise ProtocolError(f"not a header line: {line[:80]!r}")
        headers[name.strip()] = value.strip()
    return headers


def decode_event(body: bytes) -> dict[str, str]:
    """The headers of a `text/event-plain` body, URL-decoded (as UTF-8); the event's own body, if
    it has one (after a Content-Length header and a blank line), under `_body`."""
    head, _blank, rest = body.partition(b"\n\n")
    headers: dict[str, str] = {}
    for raw in head.split(b"\n"):
        name, colon, value = raw.rstrip(b"\r").partition(b":")
        if colon:
            headers[name.decode("utf-8", "replace").strip()] = urllib.parse.unquote(
                value.decode("utf-8", "replace").lstrip(" "), errors="replace")
    if "Content-Length" in headers and rest:
        headers["_body"] = rest.decode("utf-8", "replace")
    return headers


# --- mapping --------------------------------------------------------------------------------------

@dataclass
class _Call:
    answered: bool = False
    held: bool = False
    ended: bool = False


class _Recent(OrderedDict):
    """A dict that forgets its oldest entries beyond LIMIT (logged when WARN)."""

    def __init__(self, limit: int, warn: bool = False):
        super().__init__()
        self.limit, self.warn = limit, warn

    def put(self, key, value) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.limit:
            dropped, _value = self.popitem(last=False)
            if self.warn:
                log.warning("freeswitch: no longer following call %s (more than %s at once)", dropped, self.limit)


def _call_id(h: dict[str, str]) -> str:
    """The caller's leg's Unique-ID: the queue member's for mod_callcenter's events and agent legs,
    else the channel's call UUID (an inbound leg's own, a bridged leg's originator's)."""
    if h.get("Event-Subclass") == CALLCENTER:
        return h.get("CC-Member-Session-UUID", "")
    return h.get("variable_cc_member_session_uuid") or h.get("Channel-Call-UUID") or h.get("Unique-ID", "")


def _is_caller_leg(h: dict[str, str], call_id: str) -> bool:
    """The leg the caller came in on: inbound and its own call. A loopback channel's inbound half
    (an agent reached through `loopback/…`) is FreeSWITCH talking to itself, not a caller."""
    return (bool(call_id) and h.get("Unique-ID") == call_id and h.get("Call-Direction") == "inbound"
            and not h.get("Channel-Name", "").startswith("loopback/"))


def _is_queue_agent_leg(h: dict[str, str]) -> bool:
    """An agent's leg mod_callcenter made: its ringing and answer come from agent-offering and
    bridge-agent-start (the answer of a ring-all race's loser is not the call's)."""
    return "variable_cc_member_session_uuid" in h or h.get("variable_cc_side") == "agent"


def _extension(value: str) -> str:
    """`1001@default` (a mod_callcenter agent), `1001` → `1001`."""
    return value.split("@", 1)[0].strip()


def _leg_extension(h: dict[str, str]) -> str:
    return _extension(h.get("variable_dialed_user") or h.get("Caller-Destination-Number", ""))


def _ended_by(h: dict[str, str], answered: bool) -> str:
    """Who ended the call, from the caller's leg's SIP hangup disposition: FreeSWITCH received the
    BYE (or CANCEL) → the caller; it sent the BYE → the agent if one had answered, else the
    system (a queue or IVR timing out); anything else → the system."""
    disposition = h.get("variable_sip_hangup_disposition", "")
    if disposition in ("recv_bye", "recv_cancel"):
        return "caller"
    if disposition == "send_bye":
        return "agent" if answered else "system"
    if not disposition and h.get("Hangup-Cause") == "ORIGINATOR_CANCEL":
        return "caller"
    return "system"


def _caller_gone(h: dict[str, str]) -> bool:
    """A member-queue-end of Cancel because the caller hung up (not a timeout, an exit key or a
    transfer out of the queue: the call goes on then). Newer mod_callcenter reports a hangup as
    BREAK_OUT with the member's channel down; older ones as NONE."""
    down = h.get("Answer-State") == "hangup" or h.get("Channel-Call-State") == "HANGUP"
    return down or h.get("CC-Cancel-Reason", "NONE") == "NONE"


def _true(value: str) -> bool:
    return value.strip().lower() in ("true", "yes", "on", "1", "t", "y")


def _number(h: dict[str, str], *names: str) -> int:
    for name in names:
        value = h.get(name, "").strip()
        if value.isdigit():
            return int(value)
    raise ValueError(f"no {' or '.join(names)}")


def occurred_at(h: dict[str, str]) -> datetime:
    """When the event happened: Event-Date-Timestamp, microseconds since the epoch (UTC)."""
    return _EPOCH + timedelta(microseconds=_number(h, "Event-Date-Timestamp"))


def sequence(h: dict[str, str]) -> int:
    """FreeSWITCH's own Event-Sequence (the timestamp where a very old FreeSWITCH has none)."""
    return _number(h, "Event-Sequence", "Event-Date-Timestamp")


class Mapper:
    """FreeSWITCH events → Kefu events (docs/cti.md, "The FreeSWITCH adapter", has the table).

    A call is followed from its caller's inbound leg's CHANNEL_CREATE (only calls to CALLED, if
    given: the hotline's numbers, so that the switch's other traffic is left alone) or, for calls
    already going on when the adapter starts, from its first mod_callcenter event. State per call
    is small and bounded: MAX_CALLS followed at once (the oldest forgotten beyond), ended and
    ignored calls remembered for late events (a recording stopping after the hangup)."""

    def __init__(self, called: Iterable[str] = (), max_calls: int = MAX_CALLS, max_done: int = MAX_DONE):
        self.called = frozenset(called)
        self._live: _Recent = _Recent(max_calls, warn=True)
        self._ended: _Recent = _Recent(max_done)
        self._ignored: _Recent = _Recent(max_done)

    def map(self, h: dict[str, str]) -> dict | None:
        """The Kefu event for the FreeSWITCH event with headers H, or None if it has none.
        ValueError if H lacks its time (nothing is changed then)."""
        name = h.get("Event-Name", "")
        if name == "CUSTOM":
            handler = {CALLCENTER: self._callcenter, KEFU_IVR: self._ivr,
                       KEFU_SURVEY: self._survey}.get(h.get("Event-Subclass", ""))
        else:
            handler = {"CHANNEL_CREATE": self._create, "CHANNEL_ANSWER": self._answer,
                       "CHANNEL_HOLD": self._hold, "CHANNEL_UNHOLD": self._hold,
                       "CHANNEL_HANGUP_COMPLETE": self._hangup, "RECORD_STOP": self._recording}.get(name)
        if handler is None:
            return None
        seq, at = sequence(h), occurred_at(h)  # before any state changes: may raise
        found = handler(h)
        if found is None:
            return None
        call_id, kind, data = found
        return client.event(call_id, seq, kind, at, **data)

    @property
    def following(self) -> int:
        return len(self._live)

    def _adopt(self, call_id: str) -> _Call | None:
        """The call CALL_ID, followed from now on unless it ended or was left alone."""
        if not call_id or call_id in self._ended or call_id in self._ignored:
            return None
        if call_id not in self._live:
            self._live.put(call_id, _Call())
        return self._live[call_id]

    # -- channel events

    def _create(self, h):
        call_id = _call_id(h)
        if _is_caller_leg(h, call_id):
            called = h.get("Caller-Destination-Number", "")
            if call_id in self._live or call_id in self._ended or call_id in self._ignored:
                return None
            if self.called and called not in self.called:
                self._ignored.put(call_id, True)
                return None
            self._live.put(call_id, _Call())
            caller = h.get("Caller-Caller-ID-Number") or h.get("Caller-ANI") or "anonymous"
            return call_id, "offered", {"caller": caller, "called": called}
        call = self._live.get(call_id)
        extension = _leg_extension(h)
        if call is None or call.answered or _is_queue_agent_leg(h) or not extension:
            return None
        return call_id, "ringing", {"extension": extension}  # a leg the dialplan bridges the caller to

    def _answer(self, h):
        call_id = _call_id(h)
        call = self._live.get(call_id)
        extension = _leg_extension(h)
        if call is None or call.answered or _is_caller_leg(h, call_id) or _is_queue_agent_leg(h) or not extension:
            return None  # the caller's own leg is answered by the IVR, not by an agent
        call.answered = True
        return call_id, "answered", {"extension": extension}

    def _hold(self, h):
        call_id, held = _call_id(h), h.get("Event-Name") == "CHANNEL_HOLD"
        call = self._live.get(call_id)
        if call is None or call.held == held:
            return None  # either leg may report it: once is enough
        call.held = held
        return call_id, "held" if held else "resumed", {}

    def _hangup(self, h):
        call_id = _call_id(h)
        if not _is_caller_leg(h, call_id):
            return None  # an agent's leg ending does not end the call (a transfer, a survey follows)
        call = self._live.pop(call_id, None)
        if call is None:
            return None
        self._ended.put(call_id, call)
        if call.ended:
            return None  # abandoned in the queue already
        call.ended = True
        answered = call.answered or "variable_cc_queue_answered_epoch" in h or "variable_last_bridge_to" in h
        return call_id, "ended", {"by": _ended_by(h, answered)}

    def _recording(self, h):
        call_id = _call_id(h)
        path = h.get("Record-File-Path", "")
        if not path or (call_id not in self._live and call_id not in self._ended):
            return None
        return call_id, "recording", {"ref": path}

    # -- custom events

    def _callcenter(self, h):
        action, call_id = h.get("CC-Action", ""), _call_id(h)
        if action in ("member-queue-start", "member-queue-resume"):
            queue = h.get("CC-Queue", "")
            if not queue or self._adopt(call_id) is None:
                return None
            return call_id, "queued", {"queue": queue}
        if action in ("agent-offering", "bridge-agent-start"):
            call, extension = self._adopt(call_id), _extension(h.get("CC-Agent", ""))
            if call is None or call.answered or not extension:
                return None
            if action == "agent-offering":
                return call_id, "ringing", {"extension": extension}
            call.answered = True
            return call_id, "answered", {"extension": extension}
        if action == "member-queue-end" and h.get("CC-Cause") == "Cancel" and _caller_gone(h):
            call = self._adopt(call_id)
            if call is None or call.answered or call.ended:
                return None
            call.ended = True
            return call_id, "abandoned", {}
        return None  # agent and queue statistics, failed offers, the end of a bridge: not the call's

    def _ivr(self, h):
        call_id = _call_id(h)
        if call_id not in self._live:
            return None
        data: dict = {"keys": h.get("Kefu-Keys", "")}
        for header, name in (("Kefu-Self-Service", "self_service"), ("Kefu-Verified", "verified")):
            if header in h:
                data[name] = _true(h[header])
        return call_id, "ivr", data

    def _survey(self, h):
        call_id = _call_id(h)
        if call_id not in self._live and call_id not in self._ended:
            return None
        try:
            data = {"score": int(h["Kefu-Score"])}
            if "Kefu-Scale" in h:
                data["scale"] = int(h["Kefu-Scale"])
        except (KeyError, ValueError):
            log.warning("freeswitch: survey of call %s without a whole Kefu-Score/Kefu-Scale: skipped", call_id)
            return None
        return call_id, "survey", data


# --- the connection -------------------------------------------------------------------------------

def _frames(sock: socket.socket, stop: threading.Event) -> Iterator[Frame]:
    """The frames arriving on SOCK until FreeSWITCH closes it or STOP is set."""
    reader = FrameReader()
    while not stop.is_set():
        try:
            data = sock.recv(65536)
        except TimeoutError:
            continue
        if not data:
            return
        yield from reader.feed(data)


def _reply(frames: Iterator[Frame], on_event: Callable[[dict[str, str]], None]) -> str:
    """The Reply-Text of the next command/reply (events arriving first are handed on)."""
    for frame in frames:
        if frame.content_type == "command/reply":
            return frame.reply
        if frame.content_type == "text/event-plain":
            on_event(decode_event(frame.body))
        elif frame.content_type == "text/disconnect-notice":
            break
    raise Closed("FreeSWITCH closed the connection before replying")


def session(sock: socket.socket, password: str, on_event: Callable[[dict[str, str]], None], stop: threading.Event,
            on_ready: Callable[[], None] = lambda: None) -> None:
    """One connection's life: read auth/request, send the password, subscribe (SUBSCRIPTION), call
    ON_READY, then hand each event's headers to ON_EVENT until FreeSWITCH closes the connection or
    says goodbye (text/disconnect-notice), or STOP is set. Refused if the password or the access
    list is refused; Closed, ProtocolError or OSError if the connection fails."""
    frames = _frames(sock, stop)
    first = next(frames, None)
    if first is None:
        raise Closed("FreeSWITCH closed the connection without asking for the password")
    if first.content_type == "rude/rejection":
        raise Refused(first.body.decode("utf-8", "replace").strip() or "rude/rejection")
    if first.content_type != "auth/request":
        raise ProtocolError(f"expected auth/request, got {first.content_type!r}")
    sock.sendall(f"auth {password}\n\n".encode())
    reply = _reply(frames, on_event)
    if not reply.startswith("+OK"):
        raise Refused(reply or "no reply")
    sock.sendall(f"{SUBSCRIPTION}\n\n".encode())
    reply = _reply(frames, on_event)
    if not reply.startswith("+OK"):
        raise ProtocolError(f"subscription refused: {reply}")
    on_ready()
    for frame in frames:
        if frame.content_type == "text/event-plain":
            on_event(decode_event(frame.body))
        elif frame.content_type == "text/disconnect-notice":
            log.info("freeswitch: disconnect notice: %s", frame.body.decode("utf-8", "replace").strip())
            return


def follow(host: str, port: int, password: str, on_event: Callable[[dict[str, str]], None], stop: threading.Event,
           *, once: bool = False, on_ready: Callable[[], None] = lambda: None) -> None:
    """Stay connected to FreeSWITCH's event socket at HOST:PORT and hand each event to ON_EVENT
    until STOP is set. A failed or dropped connection is logged and tried again after 1, 2, 4 …
    up to 60 seconds (from 1 again once a connection got through); events FreeSWITCH fired
    meanwhile are lost (it keeps none for a closed socket). ONCE does not try again: it returns
    when FreeSWITCH closes the connection and raises what went wrong. Refused is raised at once."""
    delay = RETRY_FIRST

    def ready() -> None:
        nonlocal delay
        delay = RETRY_FIRST
        log.info("freeswitch: connected to %s:%s and subscribed", host, port)
        on_ready()

    while not stop.is_set():
        try:
            with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT) as sock:
                sock.settimeout(POLL_SECONDS)
                session(sock, password, on_event, stop, ready)
            problem = "FreeSWITCH closed the connection"
        except Refused:
            raise
        except (OSError, ProtocolError) as exc:
            if once and not stop.is_set():
                raise
            problem = str(exc) or type(exc).__name__
        if once or stop.is_set():
            return
        log.warning("freeswitch %s:%s: %s; connecting again in %.0f s", host, port, problem, delay)
        stop.wait(delay)
        delay = min(delay * 2, RETRY_MAX)


DELIVERED, REFUSED, LOST = "delivered", "refused", "lost"


def deliver(sender, doc: dict, stop: threading.Event) -> str:
    """Hand DOC to SENDER (kefu.cti.client.Sender). While Kefu cannot be reached (no connection,
    a 5xx, the database gone) try again after 1, 2, 4 … up to 60 seconds, so that an outage of
    Kefu loses nothing (FreeSWITCH queues the events meanwhile); give up only when stopping
    (LOST). An event Kefu refuses (401) or finds invalid (422, kept there) is logged: REFUSED."""
    delay = RETRY_FIRST
    what = f"{doc['type']} #{doc['seq']} of call {doc['call_id']}"
    while True:
        try:
            result = sender.send(doc)
        except (OSError, OperationalError, InterfaceError) as exc:
            if isinstance(exc, OperationalError | InterfaceError):
                close_old_connections()
            problem = str(exc) or type(exc).__name__
        else:
            if result.status == 200:
                return DELIVERED
            if result.status < 500:
                log.warning("freeswitch: Kefu refused event %s (%s): %s", what, result.status, result.body)
                return REFUSED
            problem = f"status {result.status}"
        if stop.is_set():
            log.error("freeswitch: event %s not delivered (%s): stopping", what, problem)
            return LOST
        log.warning("freeswitch: cannot deliver event %s (%s); trying again in %.0f s", what, problem, delay)
        stop.wait(delay)
        delay = min(delay * 2, RETRY_MAX)


def _stop_on_signals(stop: threading.Event) -> Callable[[], None]:
    """Make SIGTERM and SIGINT (Ctrl-C) set STOP (the main thread only: Python allows no other);
    the function returned puts the previous handlers back."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handle(signum, _frame) -> None:
        log.info("freeswitch: %s received, stopping", signal.Signals(signum).name)
        stop.set()

    previous = {signum: signal.signal(signum, handle) for signum in (signal.SIGTERM, signal.SIGINT)}

    def restore() -> None:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return restore


# --- the command ----------------------------------------------------------------------------------

def add_arguments(parser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="FreeSWITCH's event socket host (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8021, help="its port (default 8021)")
    parser.add_argument("--platform", required=True, metavar="CODE",
                        help="the telephone platform's code in Kefu: its secret signs the events")
    parser.add_argument("--url", default="", help="a Kefu server's base address to post the events to "
                        "(e.g. http://127.0.0.1:8000); without it, they are taken in this process")
    parser.add_argument("--called", action="append", default=[], metavar="NUMBER",
                        help="follow only calls to this number (the hotline's; repeat for several); "
                        "default: every inbound call")
    parser.add_argument("--once", action="store_true",
                        help="do not reconnect: stop when FreeSWITCH closes the connection")
    # The password is read from the environment only (KEFU_FREESWITCH_PASSWORD): a command-line
    # argument would show in the process list.


def run(options: dict, out) -> None:
    password = os.environ.get(PASSWORD_ENV, "")
    if not password:
        raise CommandError(_("Set the event socket's password in the environment variable %(var)s.")
                           % {"var": PASSWORD_ENV})
    if "\n" in password or "\r" in password:
        raise CommandError(_("The password in %(var)s must be a single line.") % {"var": PASSWORD_ENV})
    platform = Platform.objects.filter(code=options["platform"], is_active=True).first()
    if platform is None:
        raise CommandError(_("There is no active telephone platform with the code %(code)s.")
                           % {"code": options["platform"]})
    host, port = options["host"], options["port"]
    sender = client.Sender(platform, options.get("url") or "")
    mapper = Mapper(options.get("called") or ())
    stop = threading.Event()
    counts: Counter[str] = Counter()

    def on_event(headers: dict[str, str]) -> None:
        try:
            doc = mapper.map(headers)
        except ValueError as exc:
            log.warning("freeswitch: %s event skipped: %s", headers.get("Event-Name", "?"), exc)
            return
        if doc is None:
            return
        try:
            counts[deliver(sender, doc, stop)] += 1
        except Exception:  # a fault in Kefu must not stop the calls that follow
            log.exception("freeswitch: event %s #%s of call %s failed", doc["type"], doc["seq"], doc["call_id"])
            counts[REFUSED] += 1

    def ready() -> None:
        out.write(_("Connected to FreeSWITCH at %(host)s:%(port)s; delivering its calls for %(platform)s.")
                  % {"host": host, "port": port, "platform": platform.code})

    restore = _stop_on_signals(stop)
    try:
        follow(host, port, password, on_event, stop, once=options.get("once", False), on_ready=ready)
    except Refused as exc:
        raise CommandError(_("FreeSWITCH at %(host)s:%(port)s refused the connection (%(reply)s). Check the "
                             "password in %(var)s and the event socket's access list.")
                           % {"host": host, "port": port, "reply": exc, "var": PASSWORD_ENV}) from None
    except (OSError, ProtocolError) as exc:
        raise CommandError(_("The connection to FreeSWITCH at %(host)s:%(port)s failed: %(error)s")
                           % {"host": host, "port": port, "error": exc}) from None
    except KeyboardInterrupt:
        pass  # Ctrl-C outside the main thread's handler: stop all the same
    finally:
        restore()
    out.write(_("Stopped: %(delivered)s events delivered, %(refused)s refused, %(lost)s not delivered.")
              % {"delivered": counts[DELIVERED], "refused": counts[REFUSED], "lost": counts[LOST]})
