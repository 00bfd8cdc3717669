"""The shape of a call event (interface version 1, docs/cti.md): each field checked, and every
fault named by its field, so that the platform's developers read what to fix."""

import json
import re
from datetime import datetime

from django.utils.translation import gettext as _

from kefu.core.validators import why_not_past

from .fold import Event
from .models import IvrNode

VERSION = "1"
MAX_SEQ = 2**63 - 1
_KEYS = re.compile(r"[0-9*#]{1,40}")
_CHOICES = {
    "transferred.target_type": ("agent", "queue", "external"),
    "ended.by": ("caller", "agent", "system"),
    "ivr.service": tuple(IvrNode.Service.values),
}
SURVEY_SCALES = (5, 10)

# For each event type, its own fields: name → (kind, required, longest text).
TEXT, FLAG, NUMBER, CHOICE, KEYS = "text", "flag", "number", "choice", "keys"
FIELDS: dict[str, dict[str, tuple[str, bool, int]]] = {
    "offered": {"caller": (TEXT, True, 40), "called": (TEXT, True, 40)},
    "ivr": {"keys": (KEYS, True, 40), "self_service": (FLAG, False, 0), "verified": (FLAG, False, 0),
            "service": (CHOICE, False, 0), "outcome": (TEXT, False, 200), "fault": (TEXT, False, 500)},
    "queued": {"queue": (TEXT, True, 64)},
    "ringing": {"extension": (TEXT, True, 40)},
    "answered": {"extension": (TEXT, True, 40)},
    "held": {},
    "resumed": {},
    "transferred": {"target_type": (CHOICE, True, 0), "target": (TEXT, True, 64)},
    "ended": {"by": (CHOICE, True, 0)},
    "abandoned": {},
    "acw_ended": {},
    "recording": {"ref": (TEXT, True, 500)},
    "survey": {"score": (NUMBER, True, 0), "scale": (NUMBER, False, 0)},
}


class Invalid(Exception):
    """The event's faults, {field: reason}; whatever could be read of it in PARTIAL."""

    def __init__(self, fields: dict, partial: dict):
        super().__init__("; ".join(f"{f}: {r}" for f, r in fields.items()))
        self.fields, self.partial = fields, partial


def _no_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" not in value
    if isinstance(value, dict):
        return all(_no_nul(k) and _no_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_no_nul(v) for v in value)
    return True


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parse(body: bytes) -> tuple[Event, str, dict]:
    """(the event, its call id, the payload as stored) from BODY; else Invalid naming each fault."""
    try:
        doc = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise Invalid({"body": _("is not a JSON document in UTF-8")}, {}) from None
    if not isinstance(doc, dict):
        raise Invalid({"body": _("must be a JSON object")}, {})
    if not _no_nul(doc):
        raise Invalid({"body": _("must not contain NUL characters")}, {})
    errors: dict[str, str] = {}
    partial: dict = {}

    if "version" in doc and doc["version"] != VERSION:
        errors["version"] = _("must be \"%(version)s\"") % {"version": VERSION}
    kind = doc.get("type")
    if not isinstance(kind, str) or kind not in FIELDS:
        errors["type"] = _("must be one of: %(types)s") % {"types": ", ".join(FIELDS)}
    else:
        partial["type"] = kind
    call_id = doc.get("call_id")
    if not isinstance(call_id, str) or not call_id.strip():
        errors["call_id"] = _("is required (text)")
    elif len(call_id) > 64:
        errors["call_id"] = _("must be at most %(n)s characters") % {"n": 64}
    else:
        partial["call_id"] = call_id
    seq = doc.get("seq")
    if not _is_int(seq) or not 0 <= seq <= MAX_SEQ:
        errors["seq"] = _("must be a whole number of 0 or more")
    else:
        partial["seq"] = seq
    occurred_at = _moment(doc.get("occurred_at"), errors)
    if occurred_at is not None:
        partial["occurred_at"] = occurred_at

    data = doc.get("data", {})
    if not isinstance(data, dict):
        errors["data"] = _("must be a JSON object")
    elif kind in FIELDS:
        _check_data(kind, data, errors)
    if errors:
        raise Invalid(errors, partial)
    return Event(kind, seq, occurred_at, data), call_id, doc  # type: ignore[arg-type]  # checked above


def _moment(value, errors: dict) -> datetime | None:
    if not isinstance(value, str):
        errors["occurred_at"] = _("is required: an ISO 8601 date and time with its UTC offset")
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        errors["occurred_at"] = _("is not an ISO 8601 date and time")
        return None
    if moment.tzinfo is None:
        errors["occurred_at"] = _("must name its UTC offset (e.g. +08:00 or Z)")
        return None
    if reason := why_not_past(moment):
        errors["occurred_at"] = reason
        return None
    return moment


def _check_data(kind: str, data: dict, errors: dict) -> None:
    for name, (what, required, longest) in FIELDS[kind].items():
        key = f"data.{name}"
        if name not in data:
            if required:
                errors[key] = _("is required for an event of type %(type)s") % {"type": kind}
            continue
        value = data[name]
        if what == TEXT:
            if not isinstance(value, str) or not value.strip():
                errors[key] = _("must be non-empty text")
            elif len(value) > longest:
                errors[key] = _("must be at most %(n)s characters") % {"n": longest}
        elif what == KEYS:
            if not isinstance(value, str) or not _KEYS.fullmatch(value):
                errors[key] = _("must be the keys pressed: 1 to 40 of 0–9, * and #")
        elif what == FLAG:
            if not isinstance(value, bool):
                errors[key] = _("must be true or false")
        elif what == CHOICE:
            allowed = _CHOICES[f"{kind}.{name}"]
            if value not in allowed:
                errors[key] = _("must be one of: %(choices)s") % {"choices": ", ".join(allowed)}
    if kind == "ivr":
        # A self-service's outcome and fault go with the service they are of (kefu.cti.ivr).
        if "outcome" in data and "service" not in data:
            errors["data.outcome"] = _("is allowed only with data.service")
        if "fault" in data and data.get("service") != IvrNode.Service.FAULT_REPORT:
            errors["data.fault"] = _("is allowed only with data.service %(service)s") % {
                "service": IvrNode.Service.FAULT_REPORT.value}
    if kind == "survey":
        scale = data.get("scale", 10)
        if not _is_int(scale) or scale not in SURVEY_SCALES:
            errors["data.scale"] = _("must be 5 or 10")
        elif "score" in data and (not _is_int(data["score"]) or not 1 <= data["score"] <= scale):
            errors["data.score"] = _("must be a whole number from 1 to the scale (%(scale)s)") % {"scale": scale}
