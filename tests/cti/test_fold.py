"""The call record as a pure function of its events: no Django, no database."""

from datetime import UTC, datetime, timedelta

from kefu.cti.fold import Event, fold

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def ev(seq, second, kind, **data):
    return Event(kind, seq, T0 + timedelta(seconds=second), data)


FULL = [
    ev(0, 0, "offered", caller="13912345678", called="10000"),
    ev(1, 5, "ivr", keys="1", self_service=False, verified=True),
    ev(2, 20, "queued", queue="billing"),
    ev(3, 32, "ringing", extension="8001"),
    ev(4, 36, "answered", extension="8001"),
    ev(5, 100, "held"),
    ev(6, 130, "resumed"),
    ev(7, 236, "ended", by="caller"),
    ev(8, 266, "acw_ended"),
]


def test_full_call_times():
    c = fold(FULL)
    assert (c["wait_seconds"], c["ring_seconds"], c["talk_seconds"], c["hold_seconds"], c["acw_seconds"]) == (16, 4, 170, 30, 30)
    assert c["state"] == "finished" and c["ended_by"] == "caller" and not c["abandoned"]
    assert c["ivr_path"] == ["1"] and c["verified_in_ivr"] and c["queue"] == "billing" and c["extension"] == "8001"
    assert c["offered_at"] == T0 and c["answered_at"] == T0 + timedelta(seconds=36)


def test_any_order_and_repeats_give_the_same_record():
    assert fold(reversed(FULL)) == fold(FULL)
    assert fold(FULL[::2] + FULL[1::2] + FULL[3:5]) == fold(FULL)


def test_same_moment_ordered_by_sequence():
    a = [ev(1, 10, "held"), ev(2, 10, "resumed"), ev(0, 0, "answered", extension="1")]
    assert fold(a)["state"] == "talking"


def test_abandoned_in_queue():
    c = fold([ev(0, 0, "offered", caller="1", called="2"), ev(1, 3, "queued", queue="q"), ev(2, 45, "abandoned")])
    assert c["abandoned"] and c["abandoned_in"] == "queue" and c["state"] == "abandoned"
    assert c["wait_seconds"] == 42 and c["talk_seconds"] is None and c["ended_by"] == "caller"


def test_abandoned_in_ivr_and_while_ringing():
    assert fold([ev(0, 0, "offered", caller="1", called="2"), ev(1, 9, "ended", by="caller")])["abandoned_in"] == "ivr"
    ringing = [ev(0, 0, "queued", queue="q"), ev(1, 5, "ringing", extension="8"), ev(2, 9, "ended", by="caller")]
    assert fold(ringing)["abandoned_in"] == "ringing"


def test_hold_open_at_the_end_counts_until_the_end():
    c = fold([ev(0, 0, "answered", extension="1"), ev(1, 10, "held"), ev(2, 70, "ended", by="agent")])
    assert (c["hold_seconds"], c["talk_seconds"], c["state"]) == (60, 10, "after_call_work")


def test_transfers_recording_and_survey():
    c = fold([ev(0, 0, "answered", extension="1"), ev(1, 5, "transferred", target_type="queue", target="vip"),
              ev(2, 9, "recording", ref="rec/1.wav"), ev(3, 20, "survey", score=4, scale=5)])
    assert (c["transfers"], c["recording_ref"], c["survey_score"], c["survey_scale"]) == (1, "rec/1.wav", 4, 5)
