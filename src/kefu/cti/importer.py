"""kefu cti import FILE: call records that a telephone platform exports afterwards (CSV), for
platforms that post no live events (docs/cti.md, "Importing call records").

Each row is turned into the events of interface version 1 that the platform would have sent,
and these are delivered with client.Sender, in this process or to a Kefu server: the import goes
through the same validation, fold and customer matching as live events. Each kind of event has a
fixed sequence number in its call (SEQ), so importing the same file again changes nothing (its
events are duplicates), and a later export that adds, say, the survey score adds just that.

The file is read twice, streamed: first every row is checked (nothing is imported if one is
invalid, unless --skip-invalid), then the valid rows are delivered."""

import codecs
import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from kefu.core.validators import why_not_past

from . import validation
from .client import Sender, event
from .models import Platform

HELP = gettext_lazy("Import call records from a CSV file that a telephone platform exported.")

ENCODINGS = ("utf-8-sig", "gb18030")
"""Tried in this order: UTF-8 (with or without BOM), else GB18030 (as Chinese platforms export)."""

COLUMNS = ("call_id", "caller", "called", "offered_at", "queue", "queued_at", "extension", "ringing_at",
           "answered_at", "ended_at", "ended_by", "hold_seconds", "acw_ended_at", "acw_seconds", "recording",
           "transfers", "survey_score", "survey_scale", "ivr_keys", "verified_in_ivr")
REQUIRED = ("call_id", "caller", "called", "offered_at", "ended_at")

ALIASES = {
    "呼叫id": "call_id", "通话id": "call_id", "呼叫编号": "call_id", "通话编号": "call_id", "话单编号": "call_id",
    "流水号": "call_id",
    "主叫号码": "caller", "主叫": "caller", "来电号码": "caller",
    "被叫号码": "called", "被叫": "called", "接入号码": "called", "接入号": "called",
    "呼入时间": "offered_at", "来电时间": "offered_at", "开始时间": "offered_at",
    "队列": "queue", "技能组": "queue",
    "排队时间": "queued_at", "入队时间": "queued_at", "进入队列时间": "queued_at",
    "分机号": "extension", "分机": "extension", "坐席分机": "extension",
    "振铃时间": "ringing_at",
    "应答时间": "answered_at", "接通时间": "answered_at",
    "挂机时间": "ended_at", "结束时间": "ended_at",
    "挂机方": "ended_by",
    "保持时长": "hold_seconds",
    "话后处理结束时间": "acw_ended_at", "整理结束时间": "acw_ended_at",
    "话后处理时长": "acw_seconds", "整理时长": "acw_seconds",
    "录音": "recording", "录音文件": "recording", "录音地址": "recording",
    "转接次数": "transfers",
    "满意度评分": "survey_score", "满意度": "survey_score",
    "满意度分制": "survey_scale", "评分分制": "survey_scale",
    "按键": "ivr_keys", "语音导航按键": "ivr_keys", "ivr按键": "ivr_keys",
    "语音导航验证": "verified_in_ivr", "ivr验证": "verified_in_ivr", "服务密码验证": "verified_in_ivr",
}
"""Chinese headers of platforms' exports → our column names (compared without spaces, letter
case or a trailing unit such as （秒）)."""

ENDED_BY = {"caller": "caller", "agent": "agent", "system": "system", "主叫": "caller", "客户": "caller",
            "用户": "caller", "坐席": "agent", "客服": "agent", "被叫": "agent", "系统": "system", "平台": "system"}
FLAGS = {"": False, "0": False, "false": False, "no": False, "n": False, "否": False,
         "1": True, "true": True, "yes": True, "y": True, "是": True}
TRANSFER_TYPES = ("agent", "queue", "external")

SEQ = {"offered": 0, "ivr": 1, "queued": 30, "ringing": 31, "answered": 32, "held": 33, "resumed": 34,
       "transferred": 40, "ended": 60, "abandoned": 60, "acw_ended": 61, "recording": 62, "survey": 63}
"""Each event's fixed sequence number in its call (ivr and transferred: the first of up to MAX_STEPS)."""
MAX_STEPS = 20
UNKNOWN_TRANSFER = ("queue", "unknown")
"""A transfer the export only counts: to a queue (it changes no agent of the call), target unknown."""

DELIVERY = ("offered", "ivr", "queued", "ended", "abandoned", "acw_ended", "recording", "survey", "held",
            "resumed", "ringing", "answered", "transferred")
"""The order a record's events are delivered in. The call comes out the same in any order (fold),
but on the way each event re-derives it and moves its agent's state (agents.follow_call) and
browser: with the end before the answer, the call is never seen ringing or talking, and an old
record does not put its agent on a call now. The transfers come after the answer, so that the
hotline contact is opened with the agent who answered, as live."""

PROGRESS = 5000
"""Rows between two reports of how far the import has come."""
MOST = 10**7
"""The largest number a column takes (seconds: some 115 days)."""

_UNIT = re.compile(r"\s*[（(][^）)]*[）)]\s*$")
_STEPS = re.compile(r"[;,/>\s-]+")
_WHOLE = re.compile(r"\d+(\.0*)?")


def _limit(kind: str, name: str) -> int:
    """The longest text the interface takes in field NAME of an event of type KIND."""
    return validation.FIELDS[kind][name][2]


@dataclass(frozen=True)
class Record:
    """A valid row: where it is in the file and the events it makes."""

    line: int
    call_id: str
    events: list[dict]


@dataclass(frozen=True)
class Problem:
    """A fault of a row: its line, the column as the file names it ("" for the row as a whole)."""

    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        if self.column:
            return _("Line %(line)s, column %(column)s: %(reason)s") % {
                "line": self.line, "column": self.column, "reason": self.reason}
        return _("Line %(line)s: %(reason)s") % {"line": self.line, "reason": self.reason}


class _Row:
    """One row's values by column name while it is read; each fault is noted by column."""

    def __init__(self, line: int, values: dict[str, str], names: dict[str, str]):
        self.line, self.values, self.names = line, values, names
        self.problems: list[Problem] = []

    def fault(self, column: str, reason: str) -> None:
        self.problems.append(Problem(self.line, self.names.get(column, column), reason))

    def text(self, column: str, longest: int = 0, required: bool = False) -> str:
        value = self.values.get(column, "").strip()
        if required and not value:
            self.fault(column, _("is required"))
        elif longest and len(value) > longest:
            self.fault(column, _("must be at most %(n)s characters") % {"n": longest})
            return ""
        return value

    def moment(self, column: str, required: bool = False) -> datetime | None:
        value = self.text(column, required=required)
        if not value:
            return None
        try:
            moment = datetime.fromisoformat(value) if len(value) > 10 else None  # a date alone is no time
        except ValueError:
            moment = None
        if moment is None:
            self.fault(column, _("is not a date and time such as 2026-03-02 09:00:36 or 2026-03-02T09:00:36+08:00"))
            return None
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment, timezone.get_default_timezone())
        if reason := why_not_past(moment):
            self.fault(column, reason)
            return None
        return moment

    def whole(self, column: str) -> int | None:
        value = self.text(column)
        if not value:
            return None
        if not _WHOLE.fullmatch(value):  # 12 or 12.0 (as a spreadsheet writes it)
            self.fault(column, _("must be a whole number of 0 or more"))
            return None
        if float(value) > MOST:
            self.fault(column, _("must be at most %(n)s") % {"n": MOST})
            return None
        return int(float(value))

    def given(self, column: str) -> bool:
        return bool(self.values.get(column, "").strip())


def _header(row: list[str], out) -> tuple[dict[int, str], dict[str, str]]:
    """The column of each position of the header ROW (unknown columns left out and noted to OUT),
    and each column's name as the file writes it; CommandError when a column is missing or given
    twice."""
    positions: dict[int, str] = {}
    seen: dict[str, str] = {}
    for i, name in enumerate(row):
        key = _UNIT.sub("", name.strip()).lower().replace("-", "_")
        key = re.sub(r"\s+", "_", key)
        column = key if key in COLUMNS else ALIASES.get(key)
        if column is None:
            if name.strip():
                out.write(_("Column %(column)s is not known and is ignored.") % {"column": name.strip()})
            continue
        if column in seen:
            raise CommandError(_("Line 1: the columns %(first)s and %(second)s both give %(column)s.") % {
                "first": seen[column], "second": name.strip(), "column": column})
        positions[i], seen[column] = column, name.strip()
    missing = [c for c in REQUIRED if c not in seen]
    if missing:
        raise CommandError(_("Line 1: the header lacks the columns %(columns)s (see docs/cti.md).") % {
            "columns": ", ".join(missing)})
    return positions, {c: seen.get(c, c) for c in COLUMNS}


def _steps(row: _Row) -> list[str]:
    """The keys of each IVR menu the caller went through (one ivr event each)."""
    value = row.text("ivr_keys")
    steps = [s for s in _STEPS.split(value) if s] if value else []
    if len(steps) > MAX_STEPS or not all(validation._KEYS.fullmatch(s) for s in steps):
        row.fault("ivr_keys", _("must be the keys pressed (0–9, * and #), each menu's separated by ;, "
                                "at most %(n)s menus") % {"n": MAX_STEPS})
        return []
    return steps


def _transfers(row: _Row) -> list[tuple[str, str]]:
    """The transfers as (target type, target): a count (targets unknown) or a list like
    `agent:8002;external:95588`."""
    value = row.text("transfers")
    if _WHOLE.fullmatch(value):
        count = int(float(value))
        if count <= MAX_STEPS:
            return [UNKNOWN_TRANSFER] * count
    elif value:
        items = [i.partition(":") for i in value.split(";") if i.strip()]
        longest = _limit("transferred", "target")
        if len(items) <= MAX_STEPS and all(t.strip() in TRANSFER_TYPES and sep and 0 < len(x.strip()) <= longest
                                           for t, sep, x in items):
            return [(t.strip(), x.strip()) for t, _sep, x in items]
    else:
        return []
    row.fault("transfers", _("must be a count of at most %(n)s or a list such as agent:8002;external:95588") % {
        "n": MAX_STEPS})
    return []


def _events(row: _Row) -> list[dict]:
    """The events of interface v1 that the row's call record stands for, in the order of DELIVERY
    (none if the row has faults)."""
    call_id = row.text("call_id", 64, required=True)
    caller = row.text("caller", _limit("offered", "caller"), required=True)
    called = row.text("called", _limit("offered", "called"), required=True)
    queue = row.text("queue", _limit("queued", "queue"))
    extension = row.text("extension", _limit("answered", "extension"))
    recording = row.text("recording", _limit("recording", "ref"))
    times = {c: row.moment(c, required=c in REQUIRED)
             for c in ("offered_at", "queued_at", "ringing_at", "answered_at", "ended_at", "acw_ended_at")}
    hold, acw = row.whole("hold_seconds"), row.whole("acw_seconds")
    score, scale = row.whole("survey_score"), row.whole("survey_scale")
    steps, transfers = _steps(row), _transfers(row)
    by = row.text("ended_by").lower()
    if by not in ENDED_BY and by:
        row.fault("ended_by", _("must be one of: %(choices)s") % {"choices": "caller, agent, system"})
    verified = row.text("verified_in_ivr").lower()
    if verified not in FLAGS:
        row.fault("verified_in_ivr", _("must be yes or no (1 or 0)"))
    elif FLAGS[verified] and not steps:
        row.fault("ivr_keys", _("is required when the caller was verified in the IVR"))

    offered, queued, ringing = times["offered_at"], times["queued_at"], times["ringing_at"]
    answered, ended, acw_ended = times["answered_at"], times["ended_at"], times["acw_ended_at"]
    if row.given("queue") != row.given("queued_at"):
        missing, given = ("queued_at", "queue") if row.given("queue") else ("queue", "queued_at")
        row.fault(missing, _("is required when %(column)s is given") % {"column": row.names[given]})
    if (row.given("ringing_at") or row.given("answered_at")) and not row.given("extension"):
        row.fault("extension", _("is required when the call rang or was answered"))
    earlier = None
    for column, moment in times.items():
        if moment is not None and earlier is not None and moment < times[earlier]:
            row.fault(column, _("must not be before %(column)s") % {"column": row.names[earlier]})
        earlier = column if moment is not None else earlier
    if acw is not None and ended is not None:
        if acw_ended is not None and abs((acw_ended - ended).total_seconds() - acw) > 1:
            row.fault("acw_seconds", _("does not match %(column)s") % {"column": row.names["acw_ended_at"]})
        if acw_ended is None and (reason := why_not_past(ended + timedelta(seconds=acw))):
            row.fault("acw_seconds", reason)
        acw_ended = acw_ended or ended + timedelta(seconds=acw)
    if acw_ended is not None and answered is None:
        row.fault("acw_ended_at" if row.given("acw_ended_at") else "acw_seconds",
                  _("after-call work needs an answered call (answered_at)"))
    if hold:
        if answered is None:
            row.fault("hold_seconds", _("a hold needs an answered call (answered_at)"))
        elif ended is not None and hold > (ended - answered).total_seconds():
            row.fault("hold_seconds", _("is longer than the call from its answer to its end"))
    if scale is not None and scale not in validation.SURVEY_SCALES:
        row.fault("survey_scale", _("must be 5 or 10"))
    elif score is not None and not 1 <= score <= (scale or 10):
        row.fault("survey_score", _("must be a whole number from 1 to the scale (%(scale)s)") % {
            "scale": scale or 10})
    if any("\x00" in v for v in row.values.values()):
        row.fault("", _("must not contain NUL characters"))
    if row.problems or offered is None or ended is None:
        return []

    def ev(kind: str, at: datetime, n: int = 0, **data) -> dict:
        return event(call_id, SEQ[kind] + n, kind, at, **data)

    events = [ev("offered", offered, caller=caller, called=called)]
    events += [ev("ivr", offered, i, keys=keys, **({"verified": FLAGS[verified]} if i == len(steps) - 1 else {}))
               for i, keys in enumerate(steps)]
    if queued is not None:
        events.append(ev("queued", queued, queue=queue))
    if ringing is not None:
        events.append(ev("ringing", ringing, extension=extension))
    if answered is not None:
        events.append(ev("answered", answered, extension=extension))
        if hold:  # the holds' sum as one hold from the answer: only the sum is known
            events += [ev("held", answered), ev("resumed", answered + timedelta(seconds=hold))]
    events += [ev("transferred", ended, i, target_type=t, target=x) for i, (t, x) in enumerate(transfers)]
    by = ENDED_BY.get(by, "caller")
    if answered is None and by == "caller":
        events.append(ev("abandoned", ended))
    else:
        events.append(ev("ended", ended, by=by))
    if acw_ended is not None:
        events.append(ev("acw_ended", acw_ended))
    if recording:
        events.append(ev("recording", ended, ref=recording))
    if score is not None:
        events.append(ev("survey", ended, score=score, scale=scale or 10))
    return sorted(events, key=lambda e: DELIVERY.index(e["type"]))


def detect_encoding(path: str) -> str:
    """The first of ENCODINGS the whole file decodes in (read in chunks, not kept)."""
    for encoding in ENCODINGS:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with open(path, "rb") as fh:
                while chunk := fh.read(1 << 20):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        except OSError as exc:
            raise CommandError(_("Cannot read %(file)s: %(reason)s") % {"file": path, "reason": exc.strerror}) from None
        return encoding
    raise CommandError(_("%(file)s is neither UTF-8 nor GB18030 text.") % {"file": path})


def read(path: str, encoding: str, out) -> Iterator[Record | list[Problem]]:
    """Each row of the file in turn: its Record, or its problems. A call id given on an earlier
    line is a problem (one row per call)."""
    with open(path, encoding=encoding, newline="") as fh:
        reader = csv.reader(fh)
        try:
            header = next(reader, [])
            positions, names = _header(header, out)
            seen: dict[str, int] = {}
            last = reader.line_num
            for fields in reader:
                line, last = last + 1, reader.line_num  # a quoted field may span lines: name the first
                if not any(f.strip() for f in fields):
                    continue
                row = _Row(line, {positions[i]: v for i, v in enumerate(fields) if i in positions}, names)
                if any(f.strip() for f in fields[len(header):]):
                    row.fault("", _("has more fields than the header"))
                events = _events(row)
                if not row.problems:
                    call_id = events[0]["call_id"]
                    if call_id in seen:
                        row.fault("call_id", _("is also on line %(line)s: one row per call") % {"line": seen[call_id]})
                    else:
                        seen[call_id] = line
                yield row.problems or Record(line, events[0]["call_id"], events)
        except csv.Error as exc:
            raise CommandError(_("Line %(line)s: not CSV (%(reason)s)") % {"line": reader.line_num, "reason": exc}) from None


def add_arguments(parser) -> None:
    parser.add_argument("file", help=gettext_lazy("the CSV file (UTF-8 or GB18030, with a header row)"))
    parser.add_argument("--platform", required=True, metavar="CODE",
                        help=gettext_lazy("the code of the telephone platform the records come from"))
    parser.add_argument("--url", default="", help=gettext_lazy(
        "deliver to the Kefu server at this address (e.g. http://127.0.0.1:8000) instead of in this process"))
    parser.add_argument("--skip-invalid", action="store_true",
                        help=gettext_lazy("import the valid rows even if some are invalid (each one is reported)"))
    parser.add_argument("--dry-run", action="store_true", help=gettext_lazy("check the file only; import nothing"))


@dataclass
class Tally:
    rows: int = 0
    created: int = 0
    updated: int = 0
    duplicates: int = 0
    skipped: int = 0
    failed: int = 0

    def __str__(self) -> str:
        return _("Rows read: %(rows)s; calls created: %(created)s; calls updated: %(updated)s; "
                 "duplicates: %(duplicates)s; skipped: %(skipped)s; failed: %(failed)s.") % vars(self)


def run(options: dict, out) -> None:
    """Check the whole file, then (unless a dry run) deliver its valid rows; CommandError when
    rows are invalid and not to be skipped, even in a dry run, so that a script can tell."""
    path = options["file"]
    platform = Platform.objects.filter(code=options["platform"], is_active=True).first()
    if platform is None:
        raise CommandError(_("No active telephone platform has the code %(code)s.") % {"code": options["platform"]})
    encoding = detect_encoding(path)
    rows = invalid = 0
    for item in read(path, encoding, out):
        rows += 1
        if isinstance(item, list):
            invalid += 1
            for problem in item:
                out.write(str(problem))
    if options["dry_run"]:
        out.write(_("Dry run: rows read: %(rows)s; valid: %(valid)s; invalid: %(invalid)s; nothing was imported.") % {
            "rows": rows, "valid": rows - invalid, "invalid": invalid})
    if invalid and not options["skip_invalid"]:
        raise CommandError(ngettext(
            "%(n)s row is invalid; nothing was imported. Correct it, or import the other rows with --skip-invalid.",
            "%(n)s rows are invalid; nothing was imported. Correct them, or import the other rows with --skip-invalid.",
            invalid) % {"n": invalid})
    if options["dry_run"]:
        return
    tally = _deliver(Sender(platform, options["url"] or ""), read(path, encoding, _Silent()), out)
    out.write(str(tally))


class _Silent:
    """An output that says nothing: the second reading's notes were given by the first."""

    def write(self, _text: str) -> None:
        pass


def _deliver(sender: Sender, items: Iterator[Record | list[Problem]], out) -> Tally:
    """Send each record's events in order and count what became of the calls."""
    tally = Tally()
    for item in items:
        if tally.rows and tally.rows % PROGRESS == 0:
            out.write(str(tally))
        tally.rows += 1
        if isinstance(item, list):
            tally.skipped += 1
            out.write(_("Line %(line)s skipped.") % {"line": item[0].line})
            continue
        outcomes = []
        for doc in item.events:
            try:
                delivered = sender.send(doc)
            except OSError as exc:
                out.write(str(tally))
                raise CommandError(_("Line %(line)s: the server could not be reached (%(reason)s); the rows "
                                     "before it were imported, import the file again to go on.") % {
                    "line": item.line, "reason": getattr(exc, "reason", exc)}) from None
            if delivered.status == 401:
                out.write(str(tally))
                raise CommandError(_("The server refused the platform's signature: check --platform, the "
                                     "platform's secret and this computer's clock."))
            if delivered.status != 200:
                out.write(_("Line %(line)s: the %(type)s event was refused: %(reason)s") % {
                    "line": item.line, "type": doc["type"], "reason": _reason(delivered.body)})
                outcomes.append("failed")
                break
            outcomes.append(delivered.body.get("outcome"))
        if "failed" in outcomes:
            tally.failed += 1
        elif outcomes[0] == "applied":
            tally.created += 1
        elif all(o == "duplicate" for o in outcomes):
            tally.duplicates += 1
        else:
            tally.updated += 1
    return tally


def _reason(body: dict) -> str:
    fields = "; ".join(f"{f.get('field')}: {f.get('message')}" for f in body.get("fields") or [])
    return fields or str(body.get("message") or json.dumps(body, ensure_ascii=False))
