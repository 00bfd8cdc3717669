"""The hotline's indicators (KPIS.md "Hotline and live channels") from the rollups: calls posted
through the CTI interface — answered fast, answered slow, a short and a long abandon, a
transfer, an IVR-only call — counted by the worker's watermark and checked by hand in total, per
queue, per agent, per department and per interval; occupancy from agents' state changes; a
rebuild equal to the increments; the call hook that keeps today's wallboard fresh."""

import datetime as dt
import json
import threading
import time
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kefu.cti import events
from kefu.cti.models import AgentStateChange, AgentStatus, Call, Extension
from kefu.cti.services import receive, sign
from kefu.reports import facts, periods, queries, rollups, services
from kefu.reports import indicators as reg
from kefu.reports.models import CallFact, ReportState, Rollup
from kefu.staff import roles

from ..cti.helpers import SECRET, make_platform

ZONE = ZoneInfo(settings.TIME_ZONE)
DAY = dt.date(2026, 11, 3)  # a month before today's, whose open agent states keep growing
PERIOD = periods.Period(periods.DAY, DAY, DAY)
EVERYTHING = queries.Scope(everything=True)
CODES = list(reg.HOTLINE)


def at(clock: str, day: dt.date = DAY) -> dt.datetime:
    """A local time of DAY (09:05:18)."""
    return dt.datetime.combine(day, dt.time.fromisoformat(clock), ZONE)


def post(call_id: str, *steps) -> None:
    """The events of one call, (local time, type, data) each, signed and received in order."""
    for seq, (clock, kind, data) in enumerate(steps):
        moment = clock if isinstance(clock, dt.datetime) else at(clock)
        body = json.dumps({"version": "1", "type": kind, "call_id": call_id, "seq": seq,
                           "occurred_at": moment.isoformat(), "data": data}).encode()
        ts = str(int(time.time()))
        receive("pbx1", body, sign(SECRET, ts, body), ts)


def hotline_cells() -> Counter:
    """The hotline's cells of DAY's month (the calls' events also set the agents' states now,
    and a state that lasts counts until the moment it is read)."""
    month = periods.month(DAY)
    return Counter({(r.grain, r.period, r.department_id, r.province, r.dim, r.key, r.measure): r.value
                    for r in Rollup.objects.exclude(value=0).filter(period__gte=month.first, period__lte=month.last)
                    if r.measure.startswith(("call_", "agent_"))})


def values(by: str = "", scope=EVERYTHING, period=PERIOD) -> dict:
    return services.compute(CODES, period, scope, by=by)


@pytest.fixture
def people(make_user):
    """Agent A (front office, extension 8001) and agent B (complaints, 8002) on platform pbx1."""
    platform = make_platform()
    a, b = make_user(roles.AGENT, "front-office"), make_user(roles.AGENT, "complaints")
    Extension.objects.create(platform=platform, extension="8001", user=a)
    Extension.objects.create(platform=platform, extension="8002", user=b)
    return a, b


@pytest.fixture
def day_of_calls(people):
    """Six calls on DAY, counted by the worker's watermark (started before DAY)."""
    a, b = people
    ReportState.objects.create(name=rollups.DUE_WATERMARK, at=at("00:00"))
    offered = ("offered", {"caller": "13800000000", "called": "10000"})
    # 1. Answered fast by A: wait 8 s; talk 180 s, after-call work 30 s.
    post("c1", ("09:05:00", *offered), ("09:05:10", "queued", {"queue": "billing"}),
         ("09:05:14", "ringing", {"extension": "8001"}), ("09:05:18", "answered", {"extension": "8001"}),
         ("09:08:18", "ended", {"by": "caller"}), ("09:08:48", "acw_ended", {}))
    # 2. Answered slowly by B: wait 45 s; talk 270 s, hold 30 s, after-call work 60 s.
    post("c2", ("09:20:00", *offered), ("09:20:05", "queued", {"queue": "billing"}),
         ("09:20:50", "answered", {"extension": "8002"}), ("09:21:50", "held", {}), ("09:22:20", "resumed", {}),
         ("09:25:50", "ended", {"by": "agent"}), ("09:26:50", "acw_ended", {}))
    # 3. A short abandon: the caller gives up after 3 s in the queue.
    post("c3", ("09:35:00", *offered), ("09:35:04", "queued", {"queue": "broadband"}), ("09:35:07", "abandoned", {}))
    # 4. A long abandon while ringing at A: 120 s after queueing; nobody answered it.
    post("c4", ("09:40:00", *offered), ("09:40:10", "queued", {"queue": "broadband"}),
         ("09:41:00", "ringing", {"extension": "8001"}), ("09:42:10", "ended", {"by": "caller"}))
    # 5. Answered by A after 15 s and transferred once; talk 300 s, after-call work 40 s.
    post("c5", ("10:10:00", *offered), ("10:10:05", "queued", {"queue": "billing"}),
         ("10:10:20", "answered", {"extension": "8001"}),
         ("10:12:00", "transferred", {"target_type": "queue", "target": "broadband"}),
         ("10:15:20", "ended", {"by": "agent"}), ("10:16:00", "acw_ended", {}))
    # 6. Served by the IVR alone: not offered to an agent.
    post("c6", ("10:30:00", *offered), ("10:30:05", "ivr", {"keys": "1", "self_service": True}),
         ("10:31:00", "ended", {"by": "caller"}))
    # A's day: signed in 09:00–10:00, on a break 09:30–09:45, on call 1 and its after-call work.
    for clock, previous, state in [("09:00:00", "logged_out", "ready"), ("09:05:18", "ready", "on_call"),
                                   ("09:08:18", "on_call", "after_call_work"), ("09:08:48", "after_call_work", "ready"),
                                   ("09:30:00", "ready", "not_ready"), ("09:45:00", "not_ready", "ready"),
                                   ("10:00:00", "ready", "logged_out")]:
        AgentStateChange.objects.create(user=a, at=at(clock), previous=previous, state=state, source="platform")
    # B's evening runs past midnight: ready 23:00, on a call 23:50 until 00:10, then signed out.
    for moment, previous, state in [(at("23:00"), "logged_out", "ready"), (at("23:50"), "ready", "on_call"),
                                    (at("00:10", DAY + dt.timedelta(days=1)), "on_call", "logged_out")]:
        AgentStateChange.objects.create(user=b, at=moment, previous=previous, state=state, source="platform")
    assert rollups.refresh_due(now=timezone.now() + dt.timedelta(seconds=1)) >= 6 + 10
    return a, b


def test_every_indicator_by_hand(day_of_calls):
    a, b = day_of_calls
    got = values()[""]
    assert got == pytest.approx({
        "calls_offered": 5, "calls_answered": 3, "calls_abandoned": 1, "transfers": 1,
        "answer_rate": 3 / 5,  # answered / offered
        "abandon_rate": 1 / (5 - 1),  # the long abandon / (offered − the short abandon)
        "service_level": 2 / (5 - 1),  # calls 1 and 5 within 20 s
        "asa": (8 + 45 + 15) / 3, "longest_wait": 120,
        "aht": ((180 + 30) + (270 + 30 + 60) + (300 + 40)) / 3,
        "occupancy": (180 + 30 + 600) / (2700 + 3600),  # A: 210 s of 2,700; B: 600 s of 3,600 before midnight
    })
    # The IVR-only call has no share; the others' record the thresholds they were counted with.
    assert not CallFact.objects.filter(call_id=Call.objects.get(call_id="c6").pk).exists()
    assert {(f.dims["short_abandon_seconds"], f.dims["answer_seconds"]) for f in CallFact.objects.all()} == {(5, 20)}


def test_per_queue_agent_department_and_interval(day_of_calls):
    a, b = day_of_calls
    by_queue = values("queue")
    assert by_queue["billing"] == pytest.approx({
        "calls_offered": 3, "calls_answered": 3, "calls_abandoned": 0, "answer_rate": 1, "abandon_rate": 0,
        "service_level": 2 / 3, "asa": 68 / 3, "longest_wait": 45, "aht": 910 / 3, "transfers": 1})
    assert by_queue["broadband"] == pytest.approx({
        "calls_offered": 2, "calls_answered": 0, "calls_abandoned": 1, "answer_rate": 0, "abandon_rate": 1,
        "service_level": 0, "asa": None, "longest_wait": 120, "aht": None, "transfers": 0})
    by_agent = values("agent")
    assert by_agent[str(a.pk)] == pytest.approx({
        "calls_offered": 2, "calls_answered": 2, "calls_abandoned": 0, "answer_rate": 1, "abandon_rate": 0,
        "service_level": 1, "asa": 11.5, "aht": 275, "transfers": 1, "occupancy": 210 / 2700})
    assert by_agent[str(b.pk)]["service_level"] == 0 and by_agent[str(b.pk)]["aht"] == 360
    assert by_agent[str(b.pk)]["occupancy"] == pytest.approx(600 / 3600)
    by_department = values("department")
    assert {k: v["calls_offered"] for k, v in by_department.items()} == {
        str(a.department_id): 2, str(b.department_id): 1, "0": 2}  # nobody answered calls 3 and 4
    assert by_department["0"]["abandon_rate"] == 1 and by_department["0"]["occupancy"] is None
    # Time of day, by when each call was offered: 09:05, 09:20, 09:35, 09:40, 10:10.
    assert {k: v["calls_offered"] for k, v in values("interval15").items()} == {
        "09:00": 1, "09:15": 1, "09:30": 2, "10:00": 1}
    assert {k: v["calls_offered"] for k, v in values("interval30").items()} == {"09:00": 2, "09:30": 2, "10:00": 1}
    hours = values("hour")
    assert hours["09:00"] == pytest.approx({
        "calls_offered": 4, "calls_answered": 2, "calls_abandoned": 1, "answer_rate": 0.5, "abandon_rate": 1 / 3,
        "service_level": 1 / 3, "asa": 26.5, "longest_wait": 120, "aht": 285, "transfers": 0})
    assert hours["10:00"]["service_level"] == 1 and hours["10:00"]["transfers"] == 1
    # A month reads the same calls from the month rows; B's after-midnight minutes are the next day's.
    assert values(period=periods.month(DAY))[""]["calls_offered"] == 5
    next_day = values(period=periods.Period(periods.DAY, DAY + dt.timedelta(days=1), DAY + dt.timedelta(days=1)))[""]
    assert next_day["occupancy"] == 1 and next_day["calls_offered"] == 0


def test_readers_scopes(day_of_calls, make_user):
    a, b = day_of_calls
    # A department's readers see their agents' calls and those nobody answered, as the calls API does.
    front = values(scope=queries.Scope(department_id=a.department_id))[""]
    assert (front["calls_offered"], front["calls_answered"], front["calls_abandoned"]) == (4, 2, 1)
    assert front["occupancy"] == pytest.approx(210 / 2700)
    # An agent reads their own figures only.
    own = services.compute(CODES, PERIOD, services.scope_for(a))[""]
    assert (own["calls_answered"], own["aht"]) == (2, 275)


def test_rebuild_gives_the_same_numbers_and_applies_new_thresholds(day_of_calls, settings):
    incremental = hotline_cells()
    assert incremental  # the hotline has cells at all
    rollups.rebuild()
    assert hotline_cells() == incremental
    rollups.rebuild(DAY, DAY)  # a rebuild of DAY's month alone
    assert hotline_cells() == incremental
    # A new service-level time counts for what is refreshed after it: a rebuild applies it to the past.
    settings.KEFU_HOTLINE_ANSWER_SECONDS = 45
    assert values()[""]["service_level"] == pytest.approx(2 / 4)
    rollups.rebuild()
    assert values()[""]["service_level"] == pytest.approx(3 / 4)
    assert {f.dims["answer_seconds"] for f in CallFact.objects.all()} == {45}


def test_a_late_event_moves_the_call_through_the_watermark(day_of_calls):
    # Days later the platform sends a transfer of call 2 it had not sent: B passed it on to A, who
    # now has it (Call.agent: the last agent). Its share moves to A on DAY, and the transfer counts.
    a, b = day_of_calls
    since = timezone.now()
    body = json.dumps({"version": "1", "type": "transferred", "call_id": "c2", "seq": 10,
                       "occurred_at": at("09:23:00").isoformat(), "data": {"target_type": "agent", "target": "8001"}}).encode()
    ts = str(int(time.time()))
    receive("pbx1", body, sign(SECRET, ts, body), ts)
    assert values()[""]["transfers"] == 1  # not until the worker's pass (the hook's is not run in a test)
    rollups.refresh_due(now=since + dt.timedelta(seconds=5))
    assert values()[""]["transfers"] == 2 and values()[""]["calls_answered"] == 3
    by_agent = values("agent")
    assert (by_agent[str(a.pk)]["calls_answered"], by_agent[str(a.pk)]["transfers"]) == (3, 2)
    assert by_agent.get(str(b.pk), {}).get("calls_answered", 0) == 0
    assert values("department")[str(a.department_id)]["calls_offered"] == 3


def test_the_call_hook_refreshes_today_at_once(people, make_user, django_capture_on_commit_callbacks, monkeypatch):
    monkeypatch.setattr(rollups, "HOOK_SECONDS", 0)  # in this thread: the test's transaction is not committed
    manager = make_user(roles.MANAGER, None)
    start = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=5)
    steps = [(start, "offered", {"caller": "13800000000", "called": "10000"}),
             (start + dt.timedelta(seconds=5), "queued", {"queue": "billing"}),
             (start + dt.timedelta(seconds=12), "answered", {"extension": "8001"})]
    post("now-1", *steps)  # in the test's transaction: no hook has run, the worker has not either
    board = services.hotline_today(manager, now=start + dt.timedelta(minutes=1))
    assert board["values"]["calls_offered"] == 0 and board["values"]["service_level"] is None
    call = Call.objects.get(call_id="now-1")
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            events.publish([call.pk])
    board = services.hotline_today(manager, now=start + dt.timedelta(minutes=1))
    assert board["day"] == start.astimezone(ZONE).date()
    assert board["values"] == {"calls_offered": 1, "calls_answered": 1, "calls_abandoned": 0, "service_level": 1.0,
                               "abandon_rate": 0.0, "asa": 7.0, "longest_wait": 7.0}
    assert board["targets"] == {"calls_offered": None, "calls_answered": None, "calls_abandoned": None,
                                "service_level": 0.8, "abandon_rate": 0.05, "asa": 30.0, "longest_wait": None}
    assert board["met"]["service_level"] is True and board["met"]["asa"] is True and board["met"]["calls_offered"] is None


def test_the_hook_gathers_a_burst_of_calls_into_one_refresh(monkeypatch):
    done: list[list[int]] = []
    finished = threading.Event()

    def refresh(ids):
        done.append(sorted(ids))
        finished.set()

    monkeypatch.setattr(rollups, "HOOK_SECONDS", 0.2)
    monkeypatch.setattr(rollups, "refresh_calls", refresh)
    monkeypatch.setattr(rollups.connection, "vendor", "postgresql")  # on SQLite it refreshes at once
    rollups.on_calls([3, 1])
    rollups.on_calls([2, 3])
    assert done == []  # not in the platform's request
    assert finished.wait(5)
    time.sleep(0.1)
    assert done == [[1, 2, 3]]
    finished.clear()
    rollups.on_calls([4])  # the next burst gets a timer of its own
    assert finished.wait(5) and done == [[1, 2, 3], [4]]


def test_a_lasting_state_counts_until_now(people):
    a, _b = people
    ReportState.objects.create(name=rollups.DUE_WATERMARK, at=at("08:00"))
    AgentStateChange.objects.create(user=a, at=at("09:00"), previous="logged_out", state="ready", source="agent")
    AgentStateChange.objects.create(user=a, at=at("09:30"), previous="ready", state="on_call", source="platform")
    AgentStatus.objects.create(user=a, state="on_call", since=at("09:30"))
    rollups.refresh_due(now=at("09:40"))
    assert values()[""]["occupancy"] == pytest.approx(600 / 2400)
    rollups.refresh_due(now=at("10:00"))  # still on the call: its time grows with each pass
    assert values()[""]["occupancy"] == pytest.approx(1800 / 3600)


def test_the_report_page_shows_the_hotline(day_of_calls, client, make_user):
    manager = make_user(roles.MANAGER, None)
    client.force_login(manager)
    page = client.get(f"/reports/?period={DAY.isoformat()}&by=queue").content.decode()
    assert 'scope="rowgroup" colspan="8">Hotline</th>' in page
    assert 'data-indicator="service_level"' in page and "broadband" in page
    page = client.get(f"/reports/?period={DAY.isoformat()}&by=interval15").content.decode()
    assert "09:30–09:45" in page
    report = services.report(manager, PERIOD)
    dims = [b["dim"] for b in report["breakdowns"]]
    assert {"queue", "hour", "interval30", "interval15"} <= set(dims)
    department = next(b for b in report["breakdowns"] if b["dim"] == "department")
    assert "service_level" in department["codes"] and "aht" in report["league"]["codes"]
    assert services.format_figure(68 / 3, reg.SECONDS) == "22.7 s"
    # A period without calls keeps the report as it was.
    quiet = services.report(manager, periods.Period(periods.DAY, dt.date(2026, 10, 1), dt.date(2026, 10, 1)))
    assert "queue" not in [b["dim"] for b in quiet["breakdowns"]] and "aht" not in quiet["league"]["codes"]


def test_wait_buckets():
    assert [facts.wait_bucket(s) for s in (0, 59, 61, 299, 301, 1799, 1801, 10**6)] == [0, 59, 60, 295, 300, 1770, 1800, 7200]
    assert facts.intervals(at("09:44:59")) == {"interval15": "09:30", "interval30": "09:30", "hour": "09:00"}
