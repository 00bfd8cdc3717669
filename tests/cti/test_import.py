"""kefu cti import FILE: call records from a CSV export, delivered as interface-v1 events."""

import csv
import io
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from kefu.contacts.models import Contact
from kefu.cti.models import AgentStateChange, Call, CallEvent, Extension

from .helpers import T0, make_platform

pytestmark = pytest.mark.django_db

HEADER = ["call_id", "caller", "called", "offered_at", "queue", "queued_at", "extension", "ringing_at",
          "answered_at", "ended_at", "ended_by", "hold_seconds", "acw_seconds", "recording", "transfers",
          "survey_score", "survey_scale", "ivr_keys", "verified_in_ivr"]


def at(second: int) -> str:
    return (T0 + timedelta(seconds=second)).isoformat()


def local(second: int) -> str:
    """The time as a platform writes it without offset: Asia/Shanghai, the settings' zone."""
    return (T0 + timedelta(seconds=second)).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M:%S")


def answered_row(call_id: str, number: str, **change) -> dict:
    """A call answered at 8001 after 16 s in the queue: 200 s on the line, 30 s of it on hold
    (talk 170 s), after-call work 30 s."""
    return {"call_id": call_id, "caller": number, "called": "10000", "offered_at": at(0), "queue": "billing",
            "queued_at": at(20), "extension": "8001", "ringing_at": at(32), "answered_at": at(36),
            "ended_at": at(236), "ended_by": "agent", "hold_seconds": "30", "acw_seconds": "30"} | change


def write(tmp_path, rows: list[dict], *, header=HEADER, encoding="utf-8", name="calls.csv"):
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(column, "") for column in HEADER])
    path = tmp_path / name
    path.write_bytes(buf.getvalue().encode(encoding))
    return str(path)


def run(path, *args, platform="pbx1"):
    out = io.StringIO()
    call_command("cti", "import", path, "--platform", platform, *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def platform(db):
    return make_platform()


@pytest.fixture
def seated(platform, agent):
    Extension.objects.create(platform=platform, extension="8001", user=agent)
    return agent


def _record(call):
    skip = {"id", "updated_at", "key_id"}
    return {f.attname: getattr(call, f.attname) for f in Call._meta.concrete_fields if f.name not in skip}


def test_a_good_file_makes_the_calls_and_reimporting_it_changes_nothing(tmp_path, seated, customer):
    path = write(tmp_path, [
        answered_row("a-1", customer.phone, recording="rec/a-1.wav", survey_score="4", survey_scale="5",
                     transfers="1", ivr_keys="1;3", verified_in_ivr="是"),
        {"call_id": "q-1", "caller": "13700000001", "called": "10000", "offered_at": at(0), "queue": "billing",
         "queued_at": at(4), "ended_at": at(50)},
    ])
    out = run(path)
    assert "Rows read: 2; calls created: 2; calls updated: 0; duplicates: 0; skipped: 0; failed: 0." in out

    a = Call.objects.get(call_id="a-1")
    assert (a.wait_seconds, a.ring_seconds, a.talk_seconds, a.hold_seconds, a.acw_seconds) == (16, 4, 170, 30, 30)
    assert a.state == "finished" and a.agent == seated and a.customer == customer and a.ended_by == "agent"
    assert a.offered_at == T0 and a.queue == "billing" and a.extension == "8001" and not a.abandoned
    assert a.ivr_path == ["1", "3"] and a.verified_in_ivr and a.transfers == 1
    assert a.recording_ref == "rec/a-1.wav" and (a.survey_score, a.survey_scale) == (4, 5)
    contact = a.contact
    assert contact.channel == "hotline" and contact.agent == seated and contact.customer == customer
    assert contact.started_at == a.answered_at and contact.ended_at == a.ended_at
    assert contact.verifications.get().method == "ivr_password"
    q = Call.objects.get(call_id="q-1")
    assert q.abandoned and q.abandoned_in == "queue" and q.wait_seconds == 46 and q.contact is None
    # The answer delivered last: the old call never stood ringing or talking, nor moved its agent's state.
    assert not AgentStateChange.objects.exists()

    before = {c.call_id: _record(c) for c in Call.objects.all()}
    applied = CallEvent.objects.filter(outcome="applied").count()
    out = run(path)
    assert "calls created: 0; calls updated: 0; duplicates: 2; skipped: 0; failed: 0." in out
    assert {c.call_id: _record(c) for c in Call.objects.all()} == before
    assert CallEvent.objects.filter(outcome="applied").count() == applied
    assert not CallEvent.objects.filter(outcome="duplicate").exclude(error="").exists()  # the same content
    assert Contact.objects.count() == 1


def test_a_later_export_adds_what_it_adds(tmp_path, seated):
    run(write(tmp_path, [answered_row("a-1", "13700000002")]))
    out = run(write(tmp_path, [answered_row("a-1", "13700000002", survey_score="9")], name="later.csv"))
    assert "calls created: 0; calls updated: 1; duplicates: 0" in out
    call = Call.objects.get()
    assert (call.survey_score, call.survey_scale, call.talk_seconds) == (9, 10, 170)


def test_transfers_listed_by_target(tmp_path, seated, make_user):
    from kefu.staff import roles

    other = make_user(roles.AGENT)
    Extension.objects.create(platform=Extension.objects.get().platform,
                             extension="8002", user=other)
    run(write(tmp_path, [answered_row("a-1", "13700000002", transfers="queue:billing;agent:8002")]))
    call = Call.objects.get()
    assert call.transfers == 2 and call.extension == "8002" and call.agent == other
    assert call.contact.agent == seated  # the contact stays with the agent who answered


def test_times_without_offset_are_in_the_settings_time_zone(tmp_path, seated):
    run(write(tmp_path, [answered_row("a-1", "13700000003", offered_at=local(0), queued_at=local(20),
                                      ringing_at=local(32), answered_at=local(36), ended_at=local(236))]))
    call = Call.objects.get()
    assert call.offered_at == T0 and call.wait_seconds == 16 and call.talk_seconds == 170


@pytest.mark.parametrize(("change", "column", "reason"), [
    ({"answered_at": "yesterday"}, "answered_at", "is not a date and time"),
    ({"answered_at": "2026-03-02"}, "answered_at", "is not a date and time"),
    ({"ended_at": at(10)}, "ended_at", "must not be before answered_at"),
    ({"ended_at": (T0 + timedelta(days=2)).isoformat()}, "ended_at", "must not be in the future"),
    ({"caller": ""}, "caller", "is required"),
    ({"caller": "1" * 41}, "caller", "at most 40 characters"),
    ({"extension": ""}, "extension", "is required"),
    ({"queued_at": ""}, "queued_at", "is required when queue is given"),
    ({"hold_seconds": "-3"}, "hold_seconds", "whole number"),
    ({"hold_seconds": "500"}, "hold_seconds", "longer than the call"),
    ({"ended_by": "moon"}, "ended_by", "must be one of"),
    ({"survey_score": "6", "survey_scale": "5"}, "survey_score", "from 1 to the scale (5)"),
    ({"survey_score": "3", "survey_scale": "7"}, "survey_scale", "must be 5 or 10"),
    ({"ivr_keys": "1;x"}, "ivr_keys", "keys pressed"),
    ({"verified_in_ivr": "yes"}, "ivr_keys", "is required when the caller was verified"),
    ({"transfers": "agent"}, "transfers", "must be a count"),
])
def test_a_bad_row_names_its_line_and_column_and_nothing_is_imported(tmp_path, platform, change, column, reason):
    path = write(tmp_path, [answered_row("a-1", "13700000004"), answered_row("a-2", "13700000005", **change)])
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 row is invalid; nothing was imported"):
        call_command("cti", "import", path, "--platform", "pbx1", stdout=out)
    assert f"Line 3, column {column}: " in out.getvalue() and reason in out.getvalue()
    assert not Call.objects.exists() and not CallEvent.objects.exists()


def test_skip_invalid_imports_the_others_and_reports_the_skipped(tmp_path, platform):
    path = write(tmp_path, [answered_row("a-1", "13700000004", ended_at="soon"), answered_row("a-2", "13700000005"),
                            answered_row("a-2", "13700000006")])
    out = run(path, "--skip-invalid")
    assert "Line 2, column ended_at: " in out and "Line 2 skipped." in out
    assert "Line 4, column call_id: is also on line 3" in out and "Line 4 skipped." in out
    assert "Rows read: 3; calls created: 1; calls updated: 0; duplicates: 0; skipped: 2; failed: 0." in out
    assert list(Call.objects.values_list("call_id", flat=True)) == ["a-2"]


def test_a_row_longer_than_the_header_and_a_field_over_two_lines(tmp_path, platform):
    good = answered_row("a-1", "13700000004", recording="第一行\n第二行")
    path = write(tmp_path, [good, answered_row("a-2", "13700000005")])
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(",".join(answered_row("a-3", "1").get(c, "") for c in HEADER) + ",extra\n")
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 row is invalid"):
        call_command("cti", "import", path, "--platform", "pbx1", stdout=out)
    assert out.getvalue().strip() == "Line 5: has more fields than the header"  # line 2 spans two lines


def test_a_header_without_a_required_column_is_refused(tmp_path, platform):
    header = [c for c in HEADER if c != "ended_at"] + ["remarks"]
    with pytest.raises(CommandError, match="Line 1: the header lacks the columns ended_at"):
        run(write(tmp_path, [answered_row("a-1", "13700000004")], header=header))
    assert not CallEvent.objects.exists()


GB_HEADER = ["通话编号", "主叫号码", "被叫号码", "呼入时间", "技能组", "排队时间", "分机号", "振铃时间", "应答时间",
             "挂机时间", "挂机方", "保持时长（秒）", "整理时长(秒)", "录音文件", "转接次数", "满意度评分", "满意度分制",
             "按键", "语音导航验证"]


def test_a_gb18030_file_with_chinese_headers(tmp_path, seated, customer):
    row = answered_row("号-1", customer.phone, ended_by="坐席", queue="话费查询", ivr_keys="2", verified_in_ivr="否")
    path = write(tmp_path, [row], header=GB_HEADER, encoding="gb18030")
    with pytest.raises(UnicodeDecodeError):
        open(path, encoding="utf-8").read()  # the test means a file that is not UTF-8
    out = run(path)
    assert "calls created: 1" in out and "not known" not in out
    call = Call.objects.get()
    assert call.call_id == "号-1" and call.queue == "话费查询" and call.ended_by == "agent"
    assert (call.wait_seconds, call.talk_seconds, call.hold_seconds, call.acw_seconds) == (16, 170, 30, 30)
    assert call.contact.customer == customer and not call.verified_in_ivr


def test_a_utf8_file_with_bom_and_an_unknown_column(tmp_path, platform):
    path = write(tmp_path, [answered_row("a-1", "13700000004")], header=[*HEADER[:-1], "备注"], encoding="utf-8-sig")
    out = run(path)
    assert "Column 备注 is not known and is ignored." in out and "calls created: 1" in out


@pytest.mark.parametrize(("row", "state", "abandoned_in", "ended_by", "wait"), [
    ({"queued_at": at(4), "queue": "billing", "ended_at": at(50)}, "abandoned", "queue", "caller", 46),
    ({"ivr_keys": "1", "ended_at": at(12)}, "abandoned", "ivr", "caller", None),
    ({"queued_at": at(4), "queue": "billing", "extension": "8001", "ringing_at": at(30), "ended_at": at(45),
      "ended_by": "caller"}, "abandoned", "ringing", "caller", 41),
    ({"queued_at": at(4), "queue": "billing", "ended_at": at(300), "ended_by": "system"}, "abandoned", "queue",
     "system", 296),
])
def test_abandoned_rows(tmp_path, platform, row, state, abandoned_in, ended_by, wait):
    base = {"call_id": "x-1", "caller": "13700000001", "called": "10000", "offered_at": at(0)}
    assert "calls created: 1" in run(write(tmp_path, [base | row]))
    call = Call.objects.get()
    assert call.abandoned and call.state == state and call.abandoned_in == abandoned_in
    assert call.ended_by == ended_by and call.wait_seconds == wait
    assert call.answered_at is None and call.contact is None and call.talk_seconds is None


def test_after_call_work_of_an_unanswered_call_is_refused(tmp_path, platform):
    row = {"call_id": "x-1", "caller": "13700000001", "called": "10000", "offered_at": at(0), "ended_at": at(9),
           "acw_seconds": "20"}
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("cti", "import", write(tmp_path, [row]), "--platform", "pbx1", stdout=out)
    assert "Line 2, column acw_seconds: after-call work needs an answered call" in out.getvalue()


def test_dry_run_writes_nothing(tmp_path, seated):
    path = write(tmp_path, [answered_row("a-1", "13700000004"), answered_row("a-2", "13700000005", caller="")])
    out = run(path, "--dry-run", "--skip-invalid")
    assert "Line 3, column caller: is required" in out
    assert "Dry run: rows read: 2; valid: 1; invalid: 1; nothing was imported." in out
    with pytest.raises(CommandError, match="1 row is invalid"):  # a dry run tells a script the file is bad
        run(path, "--dry-run")
    assert "Dry run: rows read: 1; valid: 1; invalid: 0;" in run(write(tmp_path, [answered_row("a-1", "1")]), "--dry-run")
    assert not Call.objects.exists() and not CallEvent.objects.exists() and not Contact.objects.exists()


def test_unknown_platform_and_unreachable_server(tmp_path, platform):
    path = write(tmp_path, [answered_row("a-1", "13700000004")])
    with pytest.raises(CommandError, match="No active telephone platform has the code pbx9"):
        run(path, platform="pbx9")
    with pytest.raises(CommandError, match="Line 2: the server could not be reached"):
        run(path, "--url", "http://127.0.0.1:9")  # the discard port: nobody listens
    assert not CallEvent.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_delivered_to_a_server_over_http(tmp_path, live_server):
    make_platform()
    path = write(tmp_path, [answered_row("a-1", "13700000004")])
    assert "calls created: 1" in run(path, "--url", live_server.url)
    assert "duplicates: 1" in run(path, "--url", live_server.url)
    call = Call.objects.get()
    assert call.talk_seconds == 170 and call.acw_seconds == 30
