"""A call record from its events: a pure function of the set of applied events, no Django.

The events are taken in the order they happened (occurred_at, then the platform's sequence),
whatever order they arrived in, so that a late or repeated event gives the same record as if
everything had come in order. Times are whole seconds, derived as follows:

- wait: from entering the queue until answered (ringing included, as ACDs count the speed of
  answer), or until the caller gave up;
- ring: from the last ringing before the answer until the answer;
- hold: the sum of the holds (one still open at the end counts until the end);
- talk: from the answer until the end, holds excluded;
- after-call work: from the end until after-call work ended.

Each self-service the caller used in the IVR (an "ivr" event with a `service`) is one entry of
`self_services`, in the order they happened: {"seq", "keys", "service", "outcome", "at"} and,
for a fault report, "fault". The event's sequence number identifies the use however late the
event came (kefu.cti.ivr records each once); "at" is the event's time in ISO 8601.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

# Values of Call.State, Call.EndedBy and Call.AbandonedIn (models.py), repeated here as plain
# strings so that this module imports no Django.
OFFERED, IVR, QUEUED, RINGING, TALKING, HELD = "offered", "ivr", "queued", "ringing", "talking", "held"
AFTER_CALL_WORK, FINISHED, ABANDONED = "after_call_work", "finished", "abandoned"
IN_QUEUE = "queue"


@dataclass(frozen=True)
class Event:
    type: str
    seq: int
    occurred_at: datetime
    data: dict = field(default_factory=dict)


def _seconds(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return max(0, round((end - start).total_seconds()))


def fold(events: Iterable[Event]) -> dict:
    """The call's fields (Call's names) from EVENTS, in any order."""
    c: dict = {"state": OFFERED, "caller": "", "called": "", "ivr_path": [], "self_service": False,
               "self_services": [], "verified_in_ivr": False, "queue": "", "extension": "", "offered_at": None, "queued_at": None,
               "ringing_at": None, "answered_at": None, "ended_at": None, "acw_ended_at": None, "wait_seconds": None,
               "ring_seconds": None, "talk_seconds": None, "hold_seconds": 0, "acw_seconds": None, "ended_by": "",
               "abandoned": False, "abandoned_in": "", "transfers": 0, "recording_ref": "", "survey_score": None,
               "survey_scale": None}
    hold_since: datetime | None = None
    hold = 0.0
    transferred = False  # to an agent or a queue since the answer: a later ringing or answer is the new agent's
    for e in sorted(events, key=lambda e: (e.occurred_at, e.seq)):
        t, d = e.occurred_at, e.data
        if c["offered_at"] is None:
            c["offered_at"] = t  # the first event the platform saw, whichever it is
        match e.type:
            case "offered":
                c["offered_at"] = min(c["offered_at"], t)
                c["caller"], c["called"] = d.get("caller", c["caller"]), d.get("called", c["called"])
            case "ivr":
                c["ivr_path"] = c["ivr_path"] + [d["keys"]]
                c["self_service"] = c["self_service"] or bool(d.get("self_service")) or "service" in d
                if "service" in d:
                    use = {"seq": e.seq, "keys": d["keys"], "service": d["service"], "outcome": d.get("outcome", ""),
                           "at": t.isoformat()}
                    if "fault" in d:
                        use["fault"] = d["fault"]
                    c["self_services"] = c["self_services"] + [use]
                c["verified_in_ivr"] = c["verified_in_ivr"] or bool(d.get("verified"))
                if c["ended_at"] is None:
                    c["state"] = IVR
            case "queued":
                c["queue"] = d["queue"]
                c["queued_at"] = c["queued_at"] or t
                if c["answered_at"] is None and c["ended_at"] is None:
                    c["state"] = QUEUED
            case "ringing":
                if transferred and c["ended_at"] is None:
                    c["extension"] = d["extension"]
                elif c["answered_at"] is None:
                    c["extension"], c["ringing_at"] = d["extension"], t
                    if c["ended_at"] is None:
                        c["state"] = RINGING
            case "answered":
                if transferred and c["ended_at"] is None:
                    c["extension"], c["state"] = d["extension"], TALKING
                elif c["answered_at"] is None:
                    c["answered_at"], c["extension"] = t, d["extension"]
                    c["ringing_at"] = c["ringing_at"] or t
                    c["state"] = TALKING
            case "held":
                if hold_since is None and c["ended_at"] is None:
                    hold_since, c["state"] = t, HELD
            case "resumed":
                if hold_since is not None:
                    hold += (t - hold_since).total_seconds()
                    hold_since, c["state"] = None, TALKING
            case "transferred":
                c["transfers"] += 1
                transferred = c["answered_at"] is not None and d.get("target_type") in ("agent", "queue")
                if transferred and d.get("target_type") == "agent" and c["ended_at"] is None:
                    c["extension"] = d["target"]  # the agent's extension, until her ringing or answer says
            case "ended" | "abandoned":
                if c["ended_at"] is None:
                    c["ended_at"] = t
                    c["ended_by"] = d.get("by", "caller")
                    if hold_since is not None:
                        hold += (t - hold_since).total_seconds()
                        hold_since = None
                    if c["answered_at"] is None:
                        c["abandoned_in"] = {RINGING: RINGING, QUEUED: IN_QUEUE}.get(c["state"], IVR)
                        c["abandoned"], c["state"] = True, ABANDONED
                    else:
                        c["state"] = AFTER_CALL_WORK
            case "acw_ended":
                if c["acw_ended_at"] is None and c["answered_at"] is not None:
                    c["acw_ended_at"] = t
                    c["state"] = FINISHED
            case "recording":
                c["recording_ref"] = d["ref"]
            case "survey":
                c["survey_score"], c["survey_scale"] = d["score"], d.get("scale", 10)
    c["hold_seconds"] = round(hold)
    answered, ended = c["answered_at"], c["ended_at"]
    c["wait_seconds"] = _seconds(c["queued_at"], answered or ended)
    c["ring_seconds"] = _seconds(c["ringing_at"], answered)
    talk = _seconds(answered, ended)
    c["talk_seconds"] = None if talk is None else max(0, talk - c["hold_seconds"])
    c["acw_seconds"] = _seconds(ended, c["acw_ended_at"])
    return c
