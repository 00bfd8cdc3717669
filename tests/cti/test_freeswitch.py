"""kefu cti freeswitch: frames, events and their mapping on streams in FreeSWITCH's wire format
(fixtures/freeswitch), then the command against a fake mod_event_socket server."""

import logging
import os
import random
import signal
import socket
import socketserver
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kefu.cti import freeswitch
from kefu.cti.client import Delivered
from kefu.cti.freeswitch import FrameReader, Mapper, ProtocolError, decode_event
from kefu.cti.models import Call, CallEvent, Extension
from kefu.staff import roles

from .helpers import make_platform

FIXTURES = Path(__file__).parent / "fixtures" / "freeswitch"
PASSWORD = "ClueCon-hotline-2026"
CALLER_LEG = "5e1b7c0e-3b1f-4d2a-9a63-0c8f1d2e4b71"
RECORDING = "/var/lib/freeswitch/recordings/2026-03-02/5e1b7c0e-3b1f-4d2a-9a63-0c8f1d2e4b71.wav"

AUTH_REQUEST = b"Content-Type: auth/request\n\n"
NOTICE = b"Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"
DISCONNECT = b"Content-Type: text/disconnect-notice\nContent-Length: %d\n\n" % len(NOTICE) + NOTICE


def reply(text: str) -> bytes:
    return f"Content-Type: command/reply\nReply-Text: {text}\n\n".encode()


HANDSHAKE = AUTH_REQUEST + reply("+OK accepted") + reply("+OK event listener enabled plain")


def stream(name: str) -> bytes:
    return (FIXTURES / f"{name}.txt").read_bytes()


def events(name: str) -> list[dict[str, str]]:
    return [decode_event(f.body) for f in FrameReader().feed(stream(name)) if f.content_type == "text/event-plain"]


def mapped(name: str, mapper: Mapper | None = None) -> list[dict]:
    mapper = mapper or Mapper()
    return [doc for h in events(name) if (doc := mapper.map(h)) is not None]


def kinds(docs: list[dict]) -> list[tuple]:
    return [(d["type"], d["data"]) for d in docs]


def chunked(data: bytes, sizes) -> list[bytes]:
    chunks, i = [], 0
    for size in sizes:
        if i >= len(data):
            break
        chunks.append(data[i:i + size])
        i += size
    return chunks + ([data[i:]] if i < len(data) else [])


# --- frames ----------------------------------------------------------------------------------------

def _frames(chunks) -> list:
    reader, frames = FrameReader(), []
    for chunk in chunks:
        frames += reader.feed(chunk)
    return frames


@pytest.mark.parametrize("name", ["answered_call", "abandoned_call", "direct_call"])
def test_frames_are_the_same_however_the_stream_is_cut(name):
    data = HANDSHAKE + stream(name)
    whole = _frames([data])
    assert [f.content_type for f in whole[:3]] == ["auth/request", "command/reply", "command/reply"]
    assert whole[1].reply == "+OK accepted"
    assert all(f.content_type == "text/event-plain" for f in whole[3:-1])
    rng = random.Random(name)
    cuts = [
        [1] * len(data),                                         # byte by byte: every boundary split
        [2, 3, 5, 7, 11, 13, 1500] * 100,                        # inside "\n\n" and Content-Length bodies
        [rng.randint(1, 700) for _ in range(len(data))],
    ]
    for sizes in cuts:
        assert _frames(chunked(data, sizes)) == whole


def test_each_frame_carries_its_content_length_body():
    frames = FrameReader().feed(stream("abandoned_call"))
    first, last = frames[0], frames[-1]
    assert int(first.headers["Content-Length"]) == len(first.body) and first.body.startswith(b"Event-Name: CHANNEL_CREATE\n")
    assert last.content_type == "text/disconnect-notice" and last.body == NOTICE


def test_an_incomplete_frame_waits_for_the_rest():
    data = stream("answered_call")
    end = len(FrameReader().feed(data)[0].body) + data.index(b"\n\n") + 2  # the first frame's last byte + 1
    reader = FrameReader()
    assert reader.feed(data[:end - 1]) == []
    [frame] = reader.feed(data[end - 1:end])
    assert decode_event(frame.body)["Event-Name"] == "CHANNEL_CREATE"
    assert reader.feed(b"\n\r\n") == []  # stray line ends between frames are skipped
    assert [f.reply for f in reader.feed(reply("+OK accepted"))] == ["+OK accepted"]


@pytest.mark.parametrize("garbage", [
    b"Content-Length: twelve\nContent-Type: text/event-plain\n\n",
    b"Content-Length: -5\n\n",
    b"this is not a header\n\n",
    b"Content-Type: text/event-plain\n" + b"X" * (freeswitch.MAX_HEADER_BYTES + 10),
])
def test_a_stream_out_of_step_is_a_protocol_error(garbage):
    with pytest.raises(ProtocolError):
        FrameReader().feed(garbage)


def test_event_headers_are_url_decoded():
    h = events("answered_call")[0]
    assert h["Caller-Caller-ID-Name"] == "张三"
    assert h["Event-Date-Local"] == "2026-03-02 09:00:00"
    assert h["Channel-Name"] == "sofia/external/13912345678@10.20.0.1"
    assert h["FreeSWITCH-IPv6"] == "::1"


def test_an_event_s_own_body_is_kept():
    body = b"Event-Name: CUSTOM\nEvent-Subclass: sms%3A%3Asend_message\nContent-Length: 6\n\nhello\n"
    h = decode_event(body)
    assert h["Event-Subclass"] == "sms::send_message" and h["_body"] == "hello\n"


# --- mapping ---------------------------------------------------------------------------------------

def test_a_queue_call_answered_held_recorded_and_ended_by_the_caller():
    docs = mapped("answered_call")
    assert kinds(docs) == [
        ("offered", {"caller": "13912345678", "called": "10000"}),
        ("ivr", {"keys": "2", "self_service": False}),
        ("queued", {"queue": "support@default"}),
        ("ringing", {"extension": "1001"}),
        ("answered", {"extension": "1001"}),  # from bridge-agent-start, not the agent leg's CHANNEL_ANSWER
        ("held", {}),
        ("resumed", {}),
        ("recording", {"ref": RECORDING}),
        ("ended", {"by": "caller"}),
    ]
    assert {d["call_id"] for d in docs} == {CALLER_LEG}
    seqs = [d["seq"] for d in docs]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs) and seqs[0] == 48211  # Event-Sequence
    assert datetime.fromisoformat(docs[0]["occurred_at"]) == datetime(2026, 3, 2, 1, 0, 0, 12000, tzinfo=UTC)
    assert all(d["version"] == "1" for d in docs)
    answered = docs[4]  # bridge-agent-start's time and sequence
    assert (answered["occurred_at"], answered["seq"]) == ("2026-03-02T01:00:36.100000+00:00", 48271)


def test_a_caller_who_gives_up_while_an_agent_rings_is_abandoned_once():
    assert kinds(mapped("abandoned_call")) == [
        ("offered", {"caller": "13800138000", "called": "10000"}),
        ("queued", {"queue": "billing@default"}),
        ("ringing", {"extension": "1002"}),
        ("abandoned", {}),  # the caller's hangup that follows adds no `ended`
    ]


def test_a_call_bridged_straight_to_an_extension_and_the_called_filter():
    hotline = mapped("direct_call", Mapper(called=["10000"]))
    assert kinds(hotline) == [
        ("offered", {"caller": "13700000001", "called": "10000"}),
        ("ivr", {"keys": "0", "verified": True}),
        ("ringing", {"extension": "1003"}),
        ("answered", {"extension": "1003"}),
        ("held", {}),  # held twice: once
        ("resumed", {}),
        ("ended", {"by": "agent"}),  # FreeSWITCH sent the caller the BYE after an agent answered
    ]
    everything = mapped("direct_call")  # without the filter the internal call 1004 → 1005 is followed too
    internal = [d for d in everything if d["call_id"] != hotline[0]["call_id"]]
    assert kinds(internal) == [("offered", {"caller": "1004", "called": "1005"}), ("ringing", {"extension": "1005"}),
                               ("answered", {"extension": "1005"}), ("ended", {"by": "caller"})]


@pytest.mark.parametrize(("disposition", "cause", "answered", "by"), [
    ("recv_bye", "NORMAL_CLEARING", True, "caller"),
    ("recv_cancel", "ORIGINATOR_CANCEL", False, "caller"),
    ("send_bye", "NORMAL_CLEARING", True, "agent"),
    ("send_bye", "NORMAL_CLEARING", False, "system"),  # the IVR or the queue gave up on the caller
    ("send_refuse", "CALL_REJECTED", False, "system"),
    (None, "ORIGINATOR_CANCEL", False, "caller"),
    (None, "NORMAL_CLEARING", True, "system"),
])
def test_who_ended_the_call(disposition, cause, answered, by):
    h = {"Hangup-Cause": cause} | ({"variable_sip_hangup_disposition": disposition} if disposition else {})
    assert freeswitch._ended_by(h, answered) == by


def _queue_end(reason: str, channel_up: bool) -> dict[str, str]:
    h = next(h for h in events("abandoned_call") if h.get("CC-Action") == "member-queue-end")
    h = h | {"CC-Cancel-Reason": reason}
    if channel_up:
        h |= {"Answer-State": "answered", "Channel-Call-State": "ACTIVE"}
    return h


@pytest.mark.parametrize(("reason", "channel_up", "abandoned"), [
    ("BREAK_OUT", False, True),   # the caller hung up (what newer mod_callcenter says)
    ("NONE", True, True),         # the caller hung up (what older ones say)
    ("TIMEOUT", True, False),     # the queue's max wait: the dialplan goes on
    ("NO_AGENT_TIMEOUT", True, False),
    ("EXIT_WITH_KEY", True, False),
])
def test_only_a_caller_leaving_the_queue_is_abandoned(reason, channel_up, abandoned):
    mapper = Mapper()
    mapper.map(events("abandoned_call")[0])
    doc = mapper.map(_queue_end(reason, channel_up))
    assert (doc is not None and doc["type"] == "abandoned") is abandoned


def test_an_event_without_its_time_is_refused_and_changes_nothing():
    mapper, create = Mapper(), events("answered_call")[0]
    with pytest.raises(ValueError):
        mapper.map({k: v for k, v in create.items() if k != "Event-Date-Timestamp"})
    assert mapper.following == 0
    assert mapper.map(create)["type"] == "offered"


def test_calls_going_on_at_start_are_picked_up_from_the_queue():
    """The adapter (re)started after the call's CHANNEL_CREATE: its queue events bring it in."""
    later = events("answered_call")[3:]  # from member-queue-start on
    assert later[0]["CC-Action"] == "member-queue-start"
    mapper = Mapper()
    docs = [d for h in later if (d := mapper.map(h)) is not None]
    assert [d["type"] for d in docs] == ["queued", "ringing", "answered", "held", "resumed", "recording", "ended"]


def test_a_loopback_leg_is_not_a_caller():
    create = events("answered_call")[0]
    loopback = create | {"Channel-Name": "loopback/1001-b", "Unique-ID": "9a9a9a9a-0000-4000-8000-000000000001",
                         "Channel-Call-UUID": "9a9a9a9a-0000-4000-8000-000000000001"}
    assert Mapper().map(loopback) is None


def test_calls_left_alone_stay_alone():
    """A call to another number that goes into a queue is not taken up by its queue events."""
    mapper = Mapper(called=["95555"])
    assert [d for h in events("answered_call") if (d := mapper.map(h)) is not None] == []


def test_the_state_kept_is_bounded():
    mapper = Mapper(max_calls=2, max_done=2)
    creates = [h for name in ("answered_call", "abandoned_call", "direct_call")
               for h in events(name)[:1]]
    for h in creates:
        assert mapper.map(h)["type"] == "offered"
    assert mapper.following == 2  # the oldest call is no longer followed
    hangup = [h for h in events("answered_call") if h["Event-Name"] == "CHANNEL_HANGUP_COMPLETE"][0]
    assert mapper.map(hangup) is None


def test_a_recording_stopping_after_the_hangup_is_kept():
    hs = events("answered_call")
    record = next(h for h in hs if h["Event-Name"] == "RECORD_STOP")
    mapper = Mapper()
    docs = [mapper.map(h) for h in hs if h is not record]
    assert "ended" in [d["type"] for d in docs if d]
    assert mapper.map(record)["data"] == {"ref": RECORDING}


def test_a_post_call_score_from_the_dialplan():
    mapper = Mapper()
    create = events("answered_call")[0]
    mapper.map(create)
    survey = create | {"Event-Name": "CUSTOM", "Event-Subclass": "kefu::survey", "Kefu-Score": "4",
                       "Kefu-Scale": "5", "Event-Sequence": "99999"}
    assert kinds([mapper.map(survey)]) == [("survey", {"score": 4, "scale": 5})]
    assert mapper.map(survey | {"Kefu-Score": "four"}) is None


# --- delivery --------------------------------------------------------------------------------------

class FlakySender:
    """Kefu unreachable, then overloaded, then taking the event."""

    def __init__(self, answers):
        self.answers, self.sent = list(answers), []

    def send(self, doc):
        self.sent.append(doc)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


DOC = {"type": "answered", "seq": 7, "call_id": "c-1"}


def test_delivery_is_retried_until_kefu_takes_the_event(monkeypatch, caplog):
    monkeypatch.setattr(freeswitch, "RETRY_FIRST", 0.001)
    sender = FlakySender([ConnectionRefusedError("refused"), Delivered(503, {}), Delivered(200, {"outcome": "applied"})])
    assert freeswitch.deliver(sender, DOC, threading.Event()) == freeswitch.DELIVERED
    assert len(sender.sent) == 3
    assert "trying again" in caplog.text


def test_a_refused_event_is_logged_not_retried(caplog):
    sender = FlakySender([Delivered(422, {"code": "validation_failed"})])
    assert freeswitch.deliver(sender, DOC, threading.Event()) == freeswitch.REFUSED
    assert "validation_failed" in caplog.text


def test_stopping_gives_up_a_delivery(caplog):
    stop = threading.Event()
    stop.set()
    assert freeswitch.deliver(FlakySender([OSError("down")]), DOC, stop) == freeswitch.LOST


# --- the connection --------------------------------------------------------------------------------

class FakeFreeSwitch:
    """mod_event_socket as the adapter sees it: on each connection ask for the password, check it,
    take one `event plain …` command, play the next of STREAMS in awkward chunks, then AFTER(sock)
    (default: close the connection)."""

    def __init__(self, streams=(), password=PASSWORD, after=None):
        self.streams, self.password, self.after = list(streams), password, after
        self.commands: list[str] = []
        self.connections = 0
        fake = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                fake.connections += 1
                fake.serve(self.request)

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)

    def command(self, sock) -> str:
        data = b""
        while not data.endswith(b"\n\n"):
            more = sock.recv(1)
            if not more:
                return ""
            data += more
        self.commands.append(data.decode().strip())
        return self.commands[-1]

    def serve(self, sock):
        sock.sendall(AUTH_REQUEST)
        if self.command(sock) != f"auth {self.password}":
            sock.sendall(reply("-ERR invalid") + DISCONNECT)
            return
        sock.sendall(reply("+OK accepted"))
        self.command(sock)
        sock.sendall(reply("+OK event listener enabled plain"))
        for chunk in chunked(self.streams.pop(0) if self.streams else b"", [1, 17, 2, 700, 3, 4096] * 1000):
            sock.sendall(chunk)
        if self.after:
            self.after(sock)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fast(monkeypatch):
    monkeypatch.setattr(freeswitch, "POLL_SECONDS", 0.05)
    monkeypatch.setattr(freeswitch, "RETRY_FIRST", 0.01)
    monkeypatch.setenv(freeswitch.PASSWORD_ENV, PASSWORD)


def test_reconnects_after_the_socket_drops_and_keeps_the_calls(fast, caplog):
    raw = stream("answered_call")
    cut = _offset_of_frame(raw, 6)
    mapper, docs, stop = Mapper(), [], threading.Event()

    def on_event(h):
        doc = mapper.map(h)
        if doc:
            docs.append(doc)
            if doc["type"] == "ended":
                stop.set()

    caplog.set_level(logging.WARNING)
    with FakeFreeSwitch([raw[:cut], raw[cut:]]) as fake:  # the first connection drops after 6 events
        freeswitch.follow("127.0.0.1", fake.port, PASSWORD, on_event, stop)
    assert fake.connections == 2
    assert [d["type"] for d in docs] == [d["type"] for d in mapped("answered_call")]
    assert "connecting again" in caplog.text


def _offset_of_frame(raw: bytes, n: int) -> int:
    """Where the N-th frame of RAW starts."""
    offset = 0
    for _ in range(n):
        head_end = raw.index(b"\n\n", offset) + 2
        length = int(raw[offset:head_end].split(b"Content-Length: ")[1].split(b"\n")[0])
        offset = head_end + length
    return offset


# --- the command -----------------------------------------------------------------------------------

@pytest.fixture
def platform(db):
    return make_platform()


def test_the_command_delivers_a_call_to_kefu(fast, platform, make_user):
    agent = make_user(roles.AGENT)
    Extension.objects.create(platform=platform, extension="1001", user=agent)
    with FakeFreeSwitch([stream("answered_call")]) as fake:
        call_command("cti", "freeswitch", "--host", "127.0.0.1", "--port", str(fake.port), "--platform", "pbx1",
                     "--called", "10000", "--once", stdout=(out := _Out()))
    assert fake.commands == [f"auth {PASSWORD}", freeswitch.SUBSCRIPTION]
    assert "CUSTOM callcenter::info" in freeswitch.SUBSCRIPTION
    call = Call.objects.get(platform=platform, call_id=CALLER_LEG)
    assert (call.caller, call.called, call.queue, call.extension) == ("13912345678", "10000", "support@default", "1001")
    assert call.ivr_path == ["2"]
    assert call.agent == agent and call.contact is not None and call.contact.agent == agent
    assert call.state == Call.State.AFTER_CALL_WORK and call.ended_by == Call.EndedBy.CALLER
    assert (call.wait_seconds, call.ring_seconds, call.hold_seconds, call.talk_seconds) == (16, 4, 30, 170)
    assert call.recording_ref == RECORDING and not call.abandoned
    assert CallEvent.objects.filter(call_id=CALLER_LEG, outcome=CallEvent.Outcome.APPLIED).count() == 9
    assert "Connected to FreeSWITCH" in out.text and "9 events delivered, 0 refused" in out.text


def test_the_same_events_again_change_nothing(fast, platform):
    """After a restart of the adapter FreeSWITCH's Event-Sequence makes a repeated event a duplicate."""
    with FakeFreeSwitch([stream("abandoned_call"), stream("abandoned_call")]) as fake:
        for _run in range(2):
            call_command("cti", "freeswitch", "--port", str(fake.port), "--platform", "pbx1", "--once",
                         stdout=_Out())
    call = Call.objects.get()
    assert call.abandoned and call.abandoned_in == Call.AbandonedIn.RINGING and call.wait_seconds == 40
    events = CallEvent.objects.filter(call_id=call.call_id)
    assert events.filter(outcome=CallEvent.Outcome.APPLIED).count() == 4
    assert events.filter(outcome=CallEvent.Outcome.DUPLICATE).count() == 4


def test_a_wrong_password_is_reported_clearly(fast, platform, monkeypatch):
    monkeypatch.setenv(freeswitch.PASSWORD_ENV, "not-the-password")
    with FakeFreeSwitch([stream("answered_call")]) as fake, pytest.raises(CommandError) as refused:
        call_command("cti", "freeswitch", "--port", str(fake.port), "--platform", "pbx1", stdout=_Out())
    message = str(refused.value)
    assert "refused" in message and "-ERR invalid" in message and freeswitch.PASSWORD_ENV in message
    assert fake.connections == 1  # not tried again: it would not help
    assert not Call.objects.exists()


def test_the_password_comes_from_the_environment_only(platform, monkeypatch):
    monkeypatch.delenv(freeswitch.PASSWORD_ENV, raising=False)
    with pytest.raises(CommandError, match=freeswitch.PASSWORD_ENV):
        call_command("cti", "freeswitch", "--platform", "pbx1")
    with pytest.raises(CommandError):
        call_command("cti", "freeswitch", "--platform", "pbx1", "--password", PASSWORD)


def test_an_unknown_platform_or_no_freeswitch(fast, platform):
    with pytest.raises(CommandError, match="pbx9"):
        call_command("cti", "freeswitch", "--platform", "pbx9")
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(CommandError, match="failed"):
        call_command("cti", "freeswitch", "--port", str(port), "--platform", "pbx1", "--once")


def test_sigterm_stops_the_command_cleanly(fast, platform):
    before = signal.getsignal(signal.SIGTERM)
    seen = {}

    def after(sock):  # connected and subscribed: the adapter waits for events; stop it
        deadline = time.monotonic() + 5
        while signal.getsignal(signal.SIGTERM) == before and time.monotonic() < deadline:
            time.sleep(0.01)
        seen["handled"] = signal.getsignal(signal.SIGTERM) != before
        # without the adapter's handler SIGTERM would end the test run: interrupt it instead
        os.kill(os.getpid(), signal.SIGTERM if seen["handled"] else signal.SIGINT)
        sock.recv(1)  # until the adapter hangs up

    with FakeFreeSwitch([b""], after=after) as fake:
        call_command("cti", "freeswitch", "--port", str(fake.port), "--platform", "pbx1", stdout=(out := _Out()))
    assert seen["handled"]
    assert "Stopped: 0 events delivered" in out.text
    assert fake.connections == 1
    assert signal.getsignal(signal.SIGTERM) == before  # put back


class _Out:
    def __init__(self):
        self.text = ""

    def write(self, text):
        self.text += text

    def flush(self):
        pass
