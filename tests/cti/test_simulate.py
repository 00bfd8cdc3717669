"""kefu cti simulate: a backfill puts believable calls through the interface, the same seed gives
the same calls, one call can be put through to an extension, and mistakes are named."""

import io
import random
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from kefu.cti import simulate
from kefu.cti.models import AgentStateChange, AgentStatus, Call, CallEvent, Extension
from kefu.staff import roles

from ..conftest import mobile, resident_id
from .helpers import make_platform

pytestmark = pytest.mark.django_db

# Yesterday at 10:00 local time: the busiest hour, wholly in the past.
START = (timezone.localtime() - timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)


@pytest.fixture
def centre(make_user, agent):
    """A platform with six extensions (8001 … 8006) and three customers who may call."""
    from kefu.customers import services

    platform = make_platform()
    people = [make_user(roles.AGENT) for _ in range(6)]
    for i, person in enumerate(people):
        Extension.objects.create(platform=platform, extension=f"80{i + 1:02d}", user=person)
    for n in range(3):
        services.create_customer(agent, name=f"客户{n}", id_number=resident_id(900 + n), phone=mobile(900 + n),
                                 province="广东", city="广州")
    return platform, people


def simulate_(*args) -> str:
    out = io.StringIO()
    call_command("cti", "simulate", *args, stdout=out)
    return out.getvalue()


BACKFILL = ["--agents", "5", "--rate", "1.5", "--minutes", "20", "--seed", "7", "--start", START.isoformat()]


def _calls(platform):
    return list(Call.objects.filter(platform=platform).order_by("call_id").values_list(
        "call_id", "state", "caller", "ivr_path", "queue", "extension", "offered_at", "answered_at", "ended_at",
        "wait_seconds", "talk_seconds", "hold_seconds", "acw_seconds", "abandoned", "abandoned_in",
        "verified_in_ivr", "transfers", "survey_score", "customer_id"))


def test_backfill_makes_believable_calls(centre):
    platform, people = centre
    text = simulate_(*BACKFILL)
    assert "refused: 0" in text, text
    calls = Call.objects.filter(platform=platform)
    answered = calls.filter(answered_at__isnull=False)
    abandoned = calls.filter(abandoned=True, abandoned_in="queue")
    assert answered.count() >= 10 and abandoned.count() >= 1, text
    # Every call has come to its end: answered ones through the after-call work.
    assert not calls.exclude(state__in=["finished", "abandoned"]).exists()
    for call in answered:
        assert call.wait_seconds is not None and call.talk_seconds and call.acw_seconds is not None
        assert 10 <= call.acw_seconds <= 60 and call.recording_ref.endswith(f"{call.call_id}.wav")
        assert call.agent_id in {p.pk for p in people[:5]} and call.contact is not None
        assert START <= call.offered_at < START + timedelta(minutes=20)
    assert 120 <= sum(c.talk_seconds for c in answered) / answered.count() <= 480  # about 4 minutes
    # Only the first five extensions took calls; some callers were known customers, some verified.
    assert set(answered.values_list("extension", flat=True)) <= {"8001", "8002", "8003", "8004", "8005"}
    assert calls.filter(customer__isnull=False).exists() and calls.filter(customer__isnull=True).exists()
    assert all(c.startswith(("13", "15", "18")) for c in calls.values_list("caller", flat=True))
    assert calls.filter(queued_at__isnull=True, abandoned_in="ivr").exists()  # some ended in the IVR
    # The agents signed in at the start, worked the calls and were signed out at the end.
    assert not AgentStateChange.objects.filter(user=people[5]).exists()
    for person in people[:5]:
        states = list(AgentStateChange.objects.filter(user=person).order_by("pk").values_list("state", flat=True))
        assert states[0] == "ready" and states[-1] == "logged_out" and "on_call" in states
        assert AgentStatus.objects.get(user=person).state == "logged_out"
    first = AgentStateChange.objects.filter(user=people[0]).order_by("pk").first()
    assert first.at == START and first.source == "agent"


def test_same_seed_same_calls(centre):
    platform, people = centre
    short = ["--agents", "3", "--rate", "1.5", "--minutes", "8", "--seed", "11", "--start", START.isoformat()]
    simulate_(*short, "--platform", platform.code)
    again = make_platform("pbx2")
    for e in Extension.objects.filter(platform=platform):
        Extension.objects.create(platform=again, extension=e.extension, user=e.user)
    text = simulate_(*short, "--platform", "pbx2")
    assert "duplicates: 0" in text
    assert _calls(platform) == _calls(again) and len(_calls(platform)) > 5
    assert "duplicates: 0" in simulate_(*short[:-3], "12", *short[-2:], "--platform", "pbx2")  # another seed
    assert _calls(again) != _calls(platform)
    # Run again on the same platform: every event is a repeat and changes nothing.
    events = CallEvent.objects.filter(platform=platform).count()
    text = simulate_(*short, "--platform", platform.code)
    assert f"duplicates: {events}" in text and "refused: 0" in text, text
    assert CallEvent.objects.filter(platform=platform, outcome="applied").count() == events


def test_default_start_ends_before_now(centre):
    rate = 4 / simulate.hourly_rate(timezone.now())  # about 12 calls in 3 minutes, whatever the hour
    text = simulate_("--agents", "2", "--rate", f"{rate:.2f}", "--minutes", "3", "--seed", "1")
    assert "refused: 0" in text, text
    calls = Call.objects.all()
    assert calls.exists() and not calls.exclude(state__in=["finished", "abandoned"]).exists()
    last = CallEvent.objects.order_by("-occurred_at").first()
    assert last.occurred_at <= timezone.now() and last.occurred_at > timezone.now() - timedelta(minutes=5)


def test_one_call_is_talking_at_the_extension(centre):
    platform, people = centre
    text = simulate_("--one-call", "--caller", mobile(900), "--extension", "8003", "--ring-seconds", "0")
    call = Call.objects.get()
    assert call.state == "talking" and call.extension == "8003" and call.agent == people[2], text
    assert call.customer is not None and call.queue == "general" and call.ivr_path == ["0"]
    assert AgentStatus.objects.get(user=people[2]).state == "on_call"
    assert call.call_id in text


def test_one_call_ended_after_talk_seconds(centre):
    simulate_("--one-call", "--caller", "13800000000", "--extension", "8001", "--ring-seconds", "0",
              "--talk-seconds", "0")
    call = Call.objects.get()
    assert call.state == "after_call_work" and call.answered_at is not None and call.recording_ref


@pytest.mark.parametrize(("args", "message"), [
    (["--agents", "7"], "has 6 extensions; 7 agents need as many"),
    (["--platform", "nope"], "No active telephone platform has the code nope"),
    (["--start", "yesterday"], "--start is not an ISO 8601 date and time"),
    (["--start", "2999-01-01T00:00:00+08:00"], "--start must lie in the past"),
    (["--live", "--start", "2026-01-01T00:00:00+08:00"], "--live starts now"),
    (["--speed", "10"], "--speed is for --live"),
    (["--queue", "general:x"], "--queue: general:x is not NAME or NAME:WEIGHT"),
    (["--rate", "0"], "--rate and --minutes must be more than 0"),
    (["--one-call", "--caller", "13800000000"], "--one-call needs --caller and --extension"),
    (["--one-call", "--caller", "13800000000", "--extension", "9999"], "The extension 9999 of the platform pbx1 is not mapped"),
])
def test_mistakes_are_named(centre, args, message):
    with pytest.raises(CommandError, match=message):
        simulate_(*args)
    assert not CallEvent.objects.exists()


def test_a_server_out_of_reach_is_a_clear_error(centre):
    with pytest.raises(CommandError, match="The server could not be reached"):
        simulate_(*BACKFILL, "--url", "http://127.0.0.1:9")  # the discard port: nobody listens


def test_no_platform_is_a_clear_error(db):
    with pytest.raises(CommandError, match="There is no active telephone platform"):
        simulate_()


# --- the simulation alone (no database) ---------------------------------------------------------

def _run(hours, agents=4, rate=1.0, ready=None, seed=3):
    steps: list[simulate.Step] = []
    team = [simulate.Agent(f"80{i:02d}", 100 + i) for i in range(agents)]
    centre = simulate.CallCentre(
        rng=random.Random(seed), agents=team, origin=START, minutes=hours * 60, rate=rate,
        queues=simulate._queues(simulate.DEFAULT_QUEUES), keys=dict(simulate.QUEUE_KEYS), self_service_key="1",
        callers=["13900000001"], called="10000", tag="t", emit=steps.append, ready=ready)
    return centre.run(), steps


def test_arrivals_follow_the_hour_of_day():
    assert simulate.hourly_rate(START) == 1.0
    assert simulate.hourly_rate(START.replace(hour=3)) < 0.1 < simulate.hourly_rate(START.replace(hour=15)) > 0.9
    day = START.replace(hour=0)
    arrivals = [s.at for s in _run_from(day, 24)[1] if s.kind == "offered"]
    by_hour = [sum(1 for a in arrivals if timezone.localtime(a).hour == h) for h in range(24)]
    assert sum(by_hour[9:12]) > 5 * sum(by_hour[1:5]) and by_hour[15] > 2 * by_hour[3]


def _run_from(origin, hours):
    steps: list[simulate.Step] = []
    centre = simulate.CallCentre(
        rng=random.Random(5), agents=[simulate.Agent("8001", 1)], origin=origin, minutes=hours * 60, rate=0.5,
        queues=[("general", 1.0)], keys={"general": "0"}, self_service_key="1", callers=[], called="10000",
        tag="d", emit=steps.append)
    return centre.run(), steps


def test_each_call_s_events_are_in_order_and_agents_take_breaks():
    tally, steps = _run(hours=5, agents=3, rate=0.6)
    assert tally.breaks >= 3 and tally.answered > 50 and 0.3 < tally.occupancy < 0.95
    assert [s.at for s in steps] == sorted(s.at for s in steps)
    by_call: dict[str, list[simulate.Step]] = {}
    for s in steps:
        if s.call_id:
            by_call.setdefault(s.call_id, []).append(s)
    for events in by_call.values():
        assert [e.seq for e in events] == list(range(len(events)))
        assert events[0].kind == "offered" and events[-1].kind in ("ended", "abandoned", "acw_ended", "survey",
                                                                    "recording")
    # No agent is rung while on a break.
    on_break: set[int] = set()
    ext_user = {f"80{i:02d}": 100 + i for i in range(3)}
    for s in steps:
        if s.agent is not None:
            (on_break.add if s.state == "not_ready" else on_break.discard)(s.agent)
        elif s.kind == "ringing":
            assert ext_user[s.data["extension"]] not in on_break


def test_occupancy_follows_the_load():
    quiet, _steps = _run(hours=2, agents=6, rate=0.3)
    busy, _steps = _run(hours=2, agents=2, rate=2.0)
    assert quiet.occupancy < 0.4 < 0.85 < busy.occupancy <= 1.0
    assert busy.abandoned > busy.answered / 4 and quiet.abandoned - quiet.short_abandoned <= quiet.answered / 10


def test_live_routing_asks_who_is_ready():
    # Only 8001 is ready (as the database would say): nobody else is rung.
    tally, steps = _run(hours=1, agents=3, rate=1.0, ready=lambda free: {a.extension for a in free} & {"8000"})
    rung = {s.data["extension"] for s in steps if s.kind == "ringing"}
    assert rung == {"8000"} and tally.answered > 0
