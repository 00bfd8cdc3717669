"""kefu cti simulate: a call centre that drives realistic calls through the event interface
(docs/cti.md, "Simulating a call centre"), for the demo, the tests and load.

A discrete-event simulation, deterministic for a given --seed and --start. Calls arrive as a
Poisson process whose rate follows a telecom hotline's day (quiet at night, peaks about 10:00
and 15:00; --rate is the busiest hour's calls per minute). Each caller goes through the IVR
(语音导航: 1 self-service, some of whom end there; 3 fault report, 5 complaints, 0 a human), some
verify with their service password, wait in a queue for the longest-idle ready agent and give up
if that takes longer than their patience (exponential, mean 60 s). Answered calls ring for
3–10 s, talk for a lognormal time (mean about 4 min), are sometimes put on hold or passed to an
outside number, and end with the agent's after-call work (10–60 s), the recording's reference
and, for about a third of callers, a post-call score.

Everything reaches Kefu as a platform's signed events (client.Sender: in this process, or over
HTTP to --url); the agents' own choices (signing in, breaks, signing out) go through
agents.set_state, as if each agent clicked them.

- A backfill (the default) simulates the --minutes before now, or from --start, and sends
  everything as fast as it can. All --agents are signed in (ready) at the start, take a break
  of 10–15 minutes about every two hours, and are signed out at the end.
- --live runs the simulation on the clock (--speed to compress it) beside a browser: a call
  goes only to an agent whose state is ready when it is routed, so a person who sets herself
  ready takes calls and one on a break does not (--sign-in makes the agents ready at the start).
- --one-call puts one call through to an extension now, for a demonstration or a smoke test.
"""

import heapq
import itertools
import math
import random
import time
import urllib.error
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.core.errors import ServiceError
from kefu.customers.models import Customer
from kefu.staff.models import User

from . import agents as agent_states
from .client import Sender, event
from .models import AgentState, AgentStatus, Extension, IvrNode, NotReadyReason, Platform

HELP = gettext_lazy("Simulate a call centre: calls through the IVR and queues to agents, as events.")

# --- the call centre's figures ------------------------------------------------------------------

HOURLY = (0.10, 0.06, 0.04, 0.03, 0.03, 0.05, 0.10, 0.25, 0.55, 0.85, 1.00, 0.92,
          0.65, 0.70, 0.88, 0.97, 0.90, 0.75, 0.60, 0.55, 0.50, 0.40, 0.25, 0.15)
"""The arrival rate at each local hour (on the hour, linear in between) relative to --rate."""

DEFAULT_QUEUES = "general:6,fault:3,complaints:1"
QUEUE_KEYS = {"general": "0", "fault": "3", "complaints": "5"}
"""The IVR key that leads to each default queue (0 人工服务, 3 故障报修, 5 投诉建议) unless the
platform's IVR menu (IvrNode) names another; other queues get the free digits in turn."""
SELF_SERVICE_KEY, HUMAN_KEY = "1", "0"  # 1 话费查询 (self-service); 0 from there to a human
SPARE_KEYS = "246789"

HANG_UP_IN_GREETING = 0.03  # callers who hang up while the welcome plays
SELF_SERVICE = 0.25  # callers who choose the self-service balance enquiry …
SELF_SERVICE_ENOUGH = 0.60  # … and of them, those who need nothing more
VERIFY_IN_IVR = 0.45  # known customers who key in their service password
PATIENCE_MEAN = 60.0  # seconds; exponential: about 8 % give up within 5 s
TALK_MEAN, TALK_SIGMA = 240.0, 0.7  # lognormal talk time
HOLD, TRANSFER, SURVEY = 0.15, 0.05, 0.30
ENDED_BY_CALLER = 0.65
SURVEY_SCORES = ((5, 50), (4, 27), (3, 12), (2, 6), (1, 5))  # on a 5-point scale
KNOWN_CALLERS = 0.60  # callers whose number is a customer's contact number
CALLER_POOL = 1000  # customers' numbers read (the first by id)
MOBILE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
                   "153", "155", "156", "157", "158", "159", "180", "181", "182", "183", "185", "186",
                   "187", "188", "189")
EXTERNAL_TARGET = "4008100000"  # a transfer leaves the platform for a second-line number
BREAK_EVERY = (90 * 60, 150 * 60)  # seconds between an agent's breaks (backfill)
BREAK_LENGTH = (10 * 60, 15 * 60)
FIRST_BREAK = (30 * 60, 120 * 60)
POLL = 2.0  # live: seconds between looks for a newly ready agent while callers wait
SHORT_ABANDON, SERVICE_LEVEL = 5, 20  # seconds (KPIS.md defaults), for the summary


def hourly_rate(moment: datetime) -> float:
    """The share of the peak arrival rate at MOMENT (local time)."""
    local = timezone.localtime(moment)
    x = local.hour + local.minute / 60 + local.second / 3600
    h = int(x)
    return HOURLY[h] + (HOURLY[(h + 1) % 24] - HOURLY[h]) * (x - h)


# --- the simulation -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Step:
    """One thing the call centre did at AT: an event of a call (CALL_ID, SEQ, KIND, DATA), or an
    agent's own state change (AGENT, a user id; STATE; REASON)."""

    at: datetime
    call_id: str = ""
    seq: int = 0
    kind: str = ""
    data: dict = field(default_factory=dict)
    agent: int | None = None
    state: str = ""
    reason: str = ""


@dataclass
class Agent:
    extension: str
    user_id: int
    busy: bool = False  # ringing, talking or in after-call work here, or on a break
    free_since: float = 0.0
    next_break: float = math.inf
    call_since: float = 0.0
    on_calls: float = 0.0  # seconds ringing, talking and in after-call work
    on_breaks: float = 0.0


@dataclass
class SimCall:
    call_id: str
    caller: str
    known: bool
    queue: str = ""
    seq: int = 0
    state: str = "ivr"  # ivr → waiting → ringing → talking → wrap-up → done, or gone (gave up)
    queued_at: float = 0.0
    agent: Agent | None = None
    transferred: bool = False


@dataclass
class Tally:
    calls: int = 0
    ivr_only: int = 0
    queued: int = 0
    answered: int = 0
    within_service_level: int = 0
    abandoned: int = 0
    short_abandoned: int = 0
    transferred: int = 0
    surveys: int = 0
    breaks: int = 0
    occupancy: float = 0.0

    def __str__(self) -> str:
        return _("Calls: %(calls)s; ended in the IVR: %(ivr_only)s; queued: %(queued)s; answered: %(answered)s "
                 "(within %(sl)s s: %(within_service_level)s); abandoned in the queue or ringing: %(abandoned)s "
                 "(within %(short)s s: %(short_abandoned)s); transferred: %(transferred)s; "
                 "survey scores: %(surveys)s; agents' breaks: %(breaks)s; occupancy: %(percent).0f%%.") % {
            **vars(self), "sl": SERVICE_LEVEL, "short": SHORT_ABANDON, "percent": self.occupancy * 100}


class CallCentre:
    """The simulation. Actions wait in a heap by simulated second; each one emits the Steps it
    causes (EMIT) and schedules the next. Simulated second T happens at ORIGIN + T / SPEED
    (compressed by SPEED in live mode); before each action WAIT(that moment) is called (live:
    sleep until then). READY(agents) gives the extensions of those among AGENTS whose own state
    lets them take a call now (live: read from the database); without it every agent is ready.
    SIGN_IN and BREAKS make the agents' own state changes part of the run (Steps with AGENT)."""

    def __init__(self, *, rng: random.Random, agents: list[Agent], origin: datetime, minutes: float, rate: float,
                 queues: list[tuple[str, float]], keys: dict[str, str], self_service_key: str, callers: list[str],
                 called: str, tag: str, emit: Callable[[Step], None], speed: float = 1.0,
                 wait: Callable[[datetime], None] | None = None,
                 ready: Callable[[list[Agent]], set[str]] | None = None, sign_in: bool = True, breaks: bool = True):
        self.rng, self.agents, self.origin, self.speed = rng, agents, origin, speed
        self.span, self.rate = minutes * 60.0, rate
        self.queue_names, self.queue_weights = [q for q, _w in queues], [w for _q, w in queues]
        self.keys, self.self_service_key, self.callers, self.called = keys, self_service_key, callers, called
        self.tag, self.emit, self.wait, self.ready = tag, emit, wait, ready
        self.sign_in, self.breaks = sign_in, breaks
        self.tally = Tally()
        self.now = 0.0
        self.heap: list[tuple[float, int, Callable, tuple]] = []
        self.order = itertools.count()
        self.waiting: list[SimCall] = []
        self.active: dict[str, SimCall] = {}
        self.polling = False

    # the clock and the heap

    def at(self, t: float) -> datetime:
        moment = self.origin + timedelta(seconds=t / self.speed)
        return moment.replace(microsecond=moment.microsecond // 1000 * 1000)

    def later(self, delay: float, action: Callable, *args) -> None:
        heapq.heappush(self.heap, (self.now + delay, next(self.order), action, args))

    def run(self) -> Tally:
        """Run until the last call's after-call work is over; the tally of what happened."""
        if self.sign_in:
            for a in self.agents:
                self.emit(Step(self.at(0), agent=a.user_id, state=AgentState.READY))
        if self.breaks:
            for a in self.agents:
                a.next_break = self.rng.uniform(*FIRST_BREAK)
        self._arrivals()
        while self.heap:
            self.now, _n, action, args = heapq.heappop(self.heap)
            if self.wait is not None:
                self.wait(self.at(self.now))
            action(*args)
        if self.sign_in:
            for a in self.agents:
                self.emit(Step(self.at(self.now + 1), agent=a.user_id, state=AgentState.LOGGED_OUT))
        self._occupancy()
        return self.tally

    def _occupancy(self) -> None:
        """占用率 as KPIS.md defines it: the agents' time on calls and after-call work over their
        time signed in and not on a break (here: the whole run for each)."""
        available = len(self.agents) * self.now - sum(a.on_breaks for a in self.agents)
        self.tally.occupancy = sum(a.on_calls for a in self.agents) / available if available > 0 else 0.0

    def wind_up(self, moment: datetime) -> None:
        """End every call still going at MOMENT (by the system): live mode, interrupted."""
        self.now = max(self.now, (moment - self.origin).total_seconds() * self.speed)
        for c in self.active.values():
            if c.agent is not None and c.state in ("ringing", "talking", "wrap-up"):
                c.agent.on_calls += self.now - c.agent.call_since
        self._occupancy()
        for c in list(self.active.values()):
            if c.state in ("ivr", "waiting", "ringing"):
                self._send(c, "ended", by="system")
            elif c.state == "talking":
                self._send(c, "ended", by="system")
                self._send(c, "acw_ended")
            elif c.state == "wrap-up":
                self._send(c, "acw_ended")
        self.active.clear()
        self.heap.clear()

    def _arrivals(self) -> None:
        """Arrival times by thinning: candidates at the peak rate, each kept with the hour's share."""
        t, n, peak = 0.0, 0, self.rate / 60.0
        while True:
            t += self.rng.expovariate(peak)
            if t >= self.span:
                return
            if self.rng.random() < hourly_rate(self.origin + timedelta(seconds=t)):
                n += 1
                heapq.heappush(self.heap, (t, next(self.order), self._arrive, (f"{self.tag}-{n:05d}",)))

    def _send(self, c: SimCall, kind: str, **data) -> None:
        self.emit(Step(self.at(self.now), call_id=c.call_id, seq=c.seq, kind=kind, data=data))
        c.seq += 1

    # a call's way through

    def _arrive(self, call_id: str) -> None:
        rng = self.rng
        known = bool(self.callers) and rng.random() < KNOWN_CALLERS
        caller = rng.choice(self.callers) if known else rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
        c = SimCall(call_id, caller, known)
        self.active[call_id] = c
        self.tally.calls += 1
        self._send(c, "offered", caller=caller, called=self.called)
        welcome, r = rng.uniform(6, 15), rng.random()
        if r < HANG_UP_IN_GREETING:
            self.later(rng.uniform(1, welcome), self._hang_up_in_ivr, c)
        elif r < HANG_UP_IN_GREETING + SELF_SERVICE:
            self.later(welcome, self._self_service, c)
        else:
            self.later(welcome, self._choose_queue, c, "")

    def _hang_up_in_ivr(self, c: SimCall) -> None:
        self._send(c, "ended", by="caller")
        self.tally.ivr_only += 1
        self._gone(c)

    def _self_service(self, c: SimCall) -> None:
        self._send(c, "ivr", keys=self.self_service_key, self_service=True)
        if self.rng.random() < SELF_SERVICE_ENOUGH:
            self.later(self.rng.uniform(25, 90), self._hang_up_in_ivr, c)
        else:
            self.later(self.rng.uniform(20, 60), self._choose_queue, c, self.queue_names[0])

    def _choose_queue(self, c: SimCall, queue: str) -> None:
        """The caller presses the key of a queue (HUMAN_KEY after self-service), verifying first
        with the service password if she is a known customer who does."""
        rng = self.rng
        keys = HUMAN_KEY if queue else ""
        c.queue = queue or rng.choices(self.queue_names, self.queue_weights)[0]
        verified = c.known and rng.random() < VERIFY_IN_IVR
        self._send(c, "ivr", keys=keys or self.keys[c.queue], verified=verified)
        self.later(rng.uniform(8, 15) if verified else rng.uniform(1, 3), self._enqueue, c)

    def _enqueue(self, c: SimCall) -> None:
        self._send(c, "queued", queue=c.queue)
        c.state, c.queued_at = "waiting", self.now
        self.tally.queued += 1
        self.waiting.append(c)
        self.later(self.rng.expovariate(1 / PATIENCE_MEAN), self._give_up, c)
        self._dispatch()

    def _dispatch(self) -> None:
        """Route waiting callers, longest waiting first, to the longest idle ready agents."""
        if not self.waiting:
            return
        free = [a for a in self.agents if not a.busy]
        if free and self.ready is not None:
            ready = self.ready(free)
            free = [a for a in free if a.extension in ready]
        free.sort(key=lambda a: (a.free_since, a.extension))
        for agent in free:
            if not self.waiting:
                break
            self._ring(self.waiting.pop(0), agent)
        if self.waiting and self.ready is not None and not self.polling:
            self.polling = True  # someone may set herself ready in her browser meanwhile
            self.later(POLL * self.speed, self._poll)

    def _poll(self) -> None:
        self.polling = False
        self._dispatch()

    def _ring(self, c: SimCall, agent: Agent) -> None:
        agent.busy, agent.call_since, c.agent, c.state = True, self.now, agent, "ringing"
        self._send(c, "ringing", extension=agent.extension)
        self.later(self.rng.uniform(3, 10), self._answer, c)

    def _give_up(self, c: SimCall) -> None:
        if c.state not in ("waiting", "ringing"):
            return
        self._send(c, "abandoned")
        self.tally.abandoned += 1
        self.tally.short_abandoned += self.now - c.queued_at < SHORT_ABANDON
        if c.state == "waiting":
            self.waiting.remove(c)
        else:
            self._free(c.agent)
        self._gone(c)
        self._dispatch()

    def _gone(self, c: SimCall) -> None:
        c.state = "gone"
        self.active.pop(c.call_id, None)

    def _answer(self, c: SimCall) -> None:
        if c.state != "ringing":
            return
        rng, agent = self.rng, c.agent
        assert agent is not None  # ringing
        self._send(c, "answered", extension=agent.extension)
        c.state = "talking"
        self.tally.answered += 1
        self.tally.within_service_level += self.now - c.queued_at <= SERVICE_LEVEL
        mu = math.log(TALK_MEAN) - TALK_SIGMA**2 / 2
        talk = min(max(rng.lognormvariate(mu, TALK_SIGMA), 15.0), 1800.0)
        hold = 0.0
        if rng.random() < HOLD:
            hold = rng.uniform(15, 90)
            start = talk * rng.uniform(0.2, 0.7)
            self.later(start, self._send, c, "held")
            self.later(start + hold, self._send, c, "resumed")
        if rng.random() < TRANSFER:
            self.later(talk + hold, self._transfer, c)
        else:
            self.later(talk + hold, self._end, c, "caller" if rng.random() < ENDED_BY_CALLER else "agent")

    def _transfer(self, c: SimCall) -> None:
        self._send(c, "transferred", target_type="external", target=EXTERNAL_TARGET)
        c.transferred = True
        self.tally.transferred += 1
        self.later(self.rng.uniform(1, 3), self._end, c, "system")

    def _end(self, c: SimCall, by: str) -> None:
        rng = self.rng
        self._send(c, "ended", by=by)
        c.state = "wrap-up"
        self.later(rng.uniform(1, 3), self._recording, c)
        if not c.transferred and rng.random() < SURVEY:
            score = rng.choices([s for s, _w in SURVEY_SCORES], [w for _s, w in SURVEY_SCORES])[0]
            self.later(rng.uniform(10, 25), self._survey, c, score)
        self.later(rng.uniform(10, 60), self._acw_end, c)

    def _recording(self, c: SimCall) -> None:
        self._send(c, "recording", ref=f"recordings/{self.at(self.now):%Y%m%d}/{c.call_id}.wav")

    def _survey(self, c: SimCall, score: int) -> None:
        self._send(c, "survey", score=score, scale=5)
        self.tally.surveys += 1

    def _acw_end(self, c: SimCall) -> None:
        self._send(c, "acw_ended")
        c.state = "done"
        self.active.pop(c.call_id, None)
        agent = c.agent
        assert agent is not None  # answered
        if self.breaks and self.now >= agent.next_break and self.now < self.span:
            self.emit(Step(self.at(self.now), agent=agent.user_id, state=AgentState.NOT_READY,
                           reason=NotReadyReason.BREAK))
            self.tally.breaks += 1
            length = self.rng.uniform(*BREAK_LENGTH)
            agent.on_calls += self.now - agent.call_since
            agent.on_breaks += length
            agent.next_break = self.now + length + self.rng.uniform(*BREAK_EVERY)
            self.later(length, self._back_from_break, agent)
        else:
            self._free(agent)
        self._dispatch()

    def _back_from_break(self, agent: Agent) -> None:
        self.emit(Step(self.at(self.now), agent=agent.user_id, state=AgentState.READY))
        self._free(agent, from_call=False)
        self._dispatch()

    def _free(self, agent: Agent | None, *, from_call: bool = True) -> None:
        if agent is not None:
            if from_call:
                agent.on_calls += self.now - agent.call_since
            agent.busy, agent.free_since = False, self.now


# --- delivery -----------------------------------------------------------------------------------

class Delivery:
    """Delivers Steps: call events through SENDER, agents' own states through agents.set_state
    (as the agent herself; USERS by id), at the step's time or, LIVE, at the moment of delivery
    as the platform's changes are. Counts what was sent, repeats and refusals, and keeps the
    first few refusals to show."""

    SHOWN = 5

    def __init__(self, sender: Sender, users: dict[int, User], live: bool = False):
        self.sender, self.users, self.live = sender, users, live
        self.sent = self.duplicates = self.refused = self.states = 0
        self.seconds = 0.0
        self.problems: list[str] = []

    def __call__(self, step: Step) -> None:
        began = time.perf_counter()
        if step.agent is not None:
            self._state(step)
        else:
            self._event(step)
        self.seconds += time.perf_counter() - began

    def _event(self, step: Step) -> None:
        try:
            delivered = self.sender.send(event(step.call_id, step.seq, step.kind, step.at, **step.data))
        except (urllib.error.URLError, OSError) as exc:
            raise CommandError(_("The server could not be reached (%(reason)s); %(sent)s events were sent.") % {
                "reason": getattr(exc, "reason", exc), "sent": self.sent}) from None
        self.sent += 1
        if delivered.status != 200:
            self._refused(_("%(call)s #%(seq)s %(type)s: %(status)s %(body)s") % {
                "call": step.call_id, "seq": step.seq, "type": step.kind, "status": delivered.status,
                "body": delivered.body})
        elif delivered.body.get("outcome") == "duplicate":
            self.duplicates += 1

    def _state(self, step: Step) -> None:
        assert step.agent is not None
        user = self.users[step.agent]
        try:
            agent_states.set_state(user, step.state, reason=step.reason, now=None if self.live else step.at)
            self.states += 1
        except ServiceError as exc:
            self._refused(_("%(agent)s → %(state)s: %(reason)s") % {
                "agent": user.username, "state": step.state, "reason": exc.message})

    def _refused(self, text: str) -> None:
        self.refused += 1
        if len(self.problems) < self.SHOWN:
            self.problems.append(text)

    def report(self, out) -> None:
        rate = self.sent / self.seconds if self.seconds else 0.0
        out.write(_("Events sent: %(sent)s in %(seconds).1f s (%(rate).0f events/s); duplicates: %(duplicates)s; "
                    "agents' state changes: %(states)s; refused: %(refused)s.") % {
            "sent": self.sent, "seconds": self.seconds, "rate": rate, "duplicates": self.duplicates,
            "states": self.states, "refused": self.refused})
        for problem in self.problems:
            out.write(_("Refused: %(what)s") % {"what": problem})


def _sleep_until(moment: datetime) -> None:
    delay = (moment - timezone.now()).total_seconds()
    if delay > 0:
        time.sleep(delay)


# --- the command --------------------------------------------------------------------------------

def add_arguments(parser) -> None:
    parser.add_argument("--platform", metavar="CODE", default="",
                        help=gettext_lazy("the telephone platform's code (default: the first active one)"))
    parser.add_argument("--url", default="", help=gettext_lazy(
        "deliver to the Kefu server at this address (e.g. http://127.0.0.1:8000) instead of in this process"))
    parser.add_argument("--agents", type=int, default=5, metavar="N",
                        help=gettext_lazy("the agents: the first N extensions of the platform (default 5)"))
    parser.add_argument("--rate", type=float, default=1.0, metavar="R",
                        help=gettext_lazy("calls per minute at the busiest hour (default 1)"))
    parser.add_argument("--minutes", type=float, default=60.0, metavar="M",
                        help=gettext_lazy("simulated minutes of arrivals (default 60)"))
    parser.add_argument("--start", default="", metavar="ISO", help=gettext_lazy(
        "when the simulation starts (ISO 8601; default: so that it ends just before now)"))
    parser.add_argument("--live", action="store_true",
                        help=gettext_lazy("run on the clock: events are sent when they happen"))
    parser.add_argument("--speed", type=float, default=1.0, metavar="F",
                        help=gettext_lazy("live: the simulated seconds per second (default 1)"))
    parser.add_argument("--sign-in", action="store_true",
                        help=gettext_lazy("live: make the agents ready at the start and sign them out at the end"))
    parser.add_argument("--seed", type=int, default=None, metavar="S",
                        help=gettext_lazy("the random seed (default: a new one, printed)"))
    parser.add_argument("--queue", default=DEFAULT_QUEUES, metavar="NAME[:WEIGHT],…",
                        help=gettext_lazy("the queues and their shares of the callers (default %(default)s)"))
    parser.add_argument("--called", default="10000", metavar="NUMBER", help=gettext_lazy("the hotline's number (default 10000)"))
    parser.add_argument("--one-call", action="store_true",
                        help=gettext_lazy("put one call through to --extension now, from --caller"))
    parser.add_argument("--caller", default="", metavar="NUMBER", help=gettext_lazy("one call: the caller's number"))
    parser.add_argument("--extension", default="", metavar="EXT", help=gettext_lazy("one call: the extension that answers"))
    parser.add_argument("--talk-seconds", type=float, default=None, metavar="S",
                        help=gettext_lazy("one call: end it after this many seconds (default: it goes on)"))
    parser.add_argument("--ring-seconds", type=float, default=3.0, metavar="S",
                        help=gettext_lazy("one call: how long it rings before the answer (default 3)"))


def run(options: dict, out) -> None:
    platform = _platform(options.get("platform") or "")
    sender = Sender(platform, options.get("url") or "")
    if options.get("one_call"):
        _one_call(platform, sender, options, out)
        return
    _check(options)
    extensions = list(Extension.objects.filter(platform=platform).select_related("user")
                      .order_by("extension")[:options["agents"]])
    if len(extensions) < options["agents"]:
        raise CommandError(_("The platform %(platform)s has %(found)s extensions; %(wanted)s agents need as many.") % {
            "platform": platform.code, "found": len(extensions), "wanted": options["agents"]})
    agents = [Agent(e.extension, e.user_id) for e in extensions]
    queues = _queues(options["queue"])
    keys, self_service_key = _ivr_keys(platform, [q for q, _w in queues])
    seed = options["seed"] if options["seed"] is not None else random.SystemRandom().randrange(10**6)
    live, now = options["live"], timezone.now().replace(microsecond=0)
    origin = now if live else _start(options["start"], now, options["minutes"])
    delivery = Delivery(sender, {e.user_id: e.user for e in extensions}, live=live)
    steps: list[Step] = []
    centre = CallCentre(
        rng=random.Random(seed), agents=agents, origin=origin, minutes=options["minutes"], rate=options["rate"],
        queues=queues, keys=keys, self_service_key=self_service_key, callers=_callers(), called=options["called"],
        tag=f"sim-{seed}-{timezone.localtime(origin):%y%m%d%H%M%S}", speed=options["speed"] if live else 1.0,
        emit=delivery if live else steps.append, wait=_sleep_until if live else None,
        ready=_ready_now if live else None, sign_in=options["sign_in"] or not live, breaks=not live)
    if live:
        out.write(_("Live from %(start)s for %(minutes)s simulated minutes at %(speed)s× (seed %(seed)s); "
                    "Ctrl+C stops.") % {"start": _local(origin), "minutes": options["minutes"],
                                          "speed": options["speed"], "seed": seed})
        try:
            tally = centre.run()
        except KeyboardInterrupt:
            centre.wind_up(timezone.now())
            tally = centre.tally
    else:
        tally = centre.run()
        if not options["start"] and steps and steps[-1].at > now:
            # The last calls' tails reach past now: start earlier, so that everything lies in the past.
            shift = steps[-1].at - now
            steps = [replace(s, at=s.at - shift) for s in steps]
            origin -= shift
        out.write(_("Simulating %(start)s to %(end)s (seed %(seed)s) …") % {
            "start": _local(origin), "end": _local(steps[-1].at if steps else origin), "seed": seed})
        for step in steps:
            _sleep_until(step.at)  # only those of an explicit --start that reach past now wait
            delivery(step)
    out.write(str(tally))
    delivery.report(out)


def _local(moment: datetime) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds")


def _platform(code: str) -> Platform:
    active = Platform.objects.filter(is_active=True)
    platform = active.filter(code=code).first() if code else active.order_by("pk").first()
    if platform is None:
        if code:
            raise CommandError(_("No active telephone platform has the code %(code)s.") % {"code": code})
        raise CommandError(_("There is no active telephone platform: add one in the admin (telephone platforms) "
                             "and map its extensions to agents first."))
    return platform


def _check(options: dict) -> None:
    if options["agents"] < 1:
        raise CommandError(_("--agents must be at least 1."))
    if not options["rate"] > 0 or not options["minutes"] > 0:
        raise CommandError(_("--rate and --minutes must be more than 0."))
    if options["live"] and options["start"]:
        raise CommandError(_("--live starts now: leave out --start."))
    if not options["speed"] > 0 or (options["speed"] != 1.0 and not options["live"]):
        raise CommandError(_("--speed is for --live, and more than 0."))


def _start(text: str, now: datetime, minutes: float) -> datetime:
    if not text:
        return now - timedelta(minutes=minutes)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(_("--start is not an ISO 8601 date and time: %(value)s") % {"value": text}) from None
    moment = timezone.make_aware(moment) if timezone.is_naive(moment) else moment
    if moment > now or moment.year < 2000:
        raise CommandError(_("--start must lie in the past (and not before 2000)."))
    return moment


def _queues(text: str) -> list[tuple[str, float]]:
    """"general:6,fault:3" → [("general", 6.0), ("fault", 3.0)]; a queue without a weight has 1."""
    queues = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _sep, weight = part.partition(":")
        try:
            share = float(weight) if weight else 1.0
        except ValueError:
            share = -1.0
        if not name.strip() or len(name.strip()) > 64 or not share > 0:
            raise CommandError(_("--queue: %(part)s is not NAME or NAME:WEIGHT (a weight more than 0).") % {
                "part": part})
        queues.append((name.strip(), share))
    if not queues:
        raise CommandError(_("--queue names no queue."))
    return queues


def _ivr_keys(platform: Platform, queues: list[str]) -> tuple[dict[str, str], str]:
    """The IVR keys that lead to each queue, and to the self-service, from the platform's IVR
    menu where it has them, else the default menu."""
    nodes = IvrNode.objects.filter(platform=platform).order_by("path")
    by_queue: dict[str, str] = {}
    for queue, path in nodes.filter(target=IvrNode.Target.QUEUE).values_list("queue", "path"):
        by_queue.setdefault(queue, path)
    self_service = nodes.filter(target=IvrNode.Target.SELF_SERVICE).values_list("path", flat=True).first()
    spare = iter(k for k in SPARE_KEYS if k not in QUEUE_KEYS.values())
    keys = {q: by_queue.get(q) or QUEUE_KEYS.get(q) or next(spare, "9") for q in queues}
    return keys, self_service or SELF_SERVICE_KEY


def _callers() -> list[str]:
    """Known customers' contact numbers: those of the first CALLER_POOL active customers."""
    numbers = (Customer.objects.filter(status=Customer.Status.ACTIVE).order_by("pk")
               .values_list("phone", flat=True)[:CALLER_POOL])
    return [n for n in numbers if n]


def _ready_now(candidates: list[Agent]) -> set[str]:
    """The extensions of CANDIDATES whose agent's state is ready now."""
    ready = set(AgentStatus.objects.filter(user_id__in=[a.user_id for a in candidates], state=AgentState.READY)
                .values_list("user_id", flat=True))
    return {a.extension for a in candidates if a.user_id in ready}


def _one_call(platform: Platform, sender: Sender, options: dict, out) -> None:
    """Offer, queue, ring and answer one call at --extension now; end it after --talk-seconds."""
    caller, extension = (options.get("caller") or "").strip(), (options.get("extension") or "").strip()
    if not caller or not extension:
        raise CommandError(_("--one-call needs --caller and --extension."))
    if not Extension.objects.filter(platform=platform, extension=extension).exists():
        raise CommandError(_("The extension %(extension)s of the platform %(platform)s is not mapped to an agent.") % {
            "extension": extension, "platform": platform.code})
    queue = _queues(options.get("queue") or DEFAULT_QUEUES)[0][0]
    keys, _self = _ivr_keys(platform, [queue])
    delivery = Delivery(sender, {})
    call = SimCall(f"sim-{uuid.uuid4().hex[:20]}", caller, known=False, queue=queue)

    def send(kind: str, at: datetime, **data) -> None:
        delivery(Step(at, call_id=call.call_id, seq=call.seq, kind=kind, data=data))
        call.seq += 1

    now = timezone.now()
    send("offered", now - timedelta(seconds=14), caller=caller, called=options.get("called") or "10000")
    send("ivr", now - timedelta(seconds=6), keys=keys[queue])
    send("queued", now - timedelta(seconds=4), queue=queue)
    send("ringing", now, extension=extension)
    time.sleep(max(0.0, options.get("ring_seconds") or 0.0))
    send("answered", timezone.now(), extension=extension)
    talk = options.get("talk_seconds")
    if talk is None:
        out.write(_("Call %(call)s is talking at extension %(extension)s.") % {"call": call.call_id,
                                                                               "extension": extension})
    else:
        time.sleep(max(0.0, talk))
        send("ended", timezone.now(), by="caller")
        send("recording", timezone.now(), ref=f"recordings/{timezone.now():%Y%m%d}/{call.call_id}.wav")
        out.write(_("Call %(call)s was answered at extension %(extension)s and ended after %(seconds)s s.") % {
            "call": call.call_id, "extension": extension, "seconds": talk})
    delivery.report(out)
    if delivery.refused:
        raise CommandError(_("The call's events were refused."))
