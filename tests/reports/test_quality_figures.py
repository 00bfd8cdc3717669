"""The quality indicators from the rollups: final inspections (质检平均分, 致命差错率, 质检合格率),
corrective actions (整改按期完成率) and knowledge tests (培训考试平均分), each counted for its
person on its day by the worker's watermark, and a rebuild equal to the increments."""

import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest
from django.utils import timezone

from kefu.contacts.models import Contact
from kefu.corrective.models import CorrectiveAction
from kefu.quality.models import Inspection, Scorecard
from kefu.reports import indicators as reg
from kefu.reports import periods, queries, rollups
from kefu.reports.models import Rollup
from kefu.training.models import Exam, ExamAssignment

EVERYTHING = queries.Scope(everything=True)


def table() -> Counter:
    """The rollups' quality cells (the contacts behind the inspections have shares of their own)."""
    return Counter({(r.grain, r.period, r.department_id, r.province, r.dim, r.key, r.measure): r.value
                    for r in Rollup.objects.exclude(value=0) if r.measure.split("_")[0] in ("qa", "action", "exam")})


def figures(person, codes, day):
    names, prefixes = reg.measures_of(codes)
    sums = queries.sums(periods.month(day), EVERYTHING, names, prefixes, by="agent")
    f = reg.Figures(sums.get(str(person.pk), {}))
    return {code: reg.REGISTRY[code].compute(f) for code in codes}


@pytest.fixture
def world(agent, supervisor, make_user, customer):
    now = timezone.now()
    inspector = make_user("quality_inspector", "complaints", "qa")
    card = Scorecard.objects.get(status="active")
    made = []
    for n, (score, fatal, passed) in enumerate([(Decimal("92.5"), False, True), (Decimal(0), True, False),
                                                (Decimal("70"), False, False)]):
        contact = Contact.objects.create(channel="hotline", started_at=now - dt.timedelta(hours=n + 2),
                                         ended_at=now - dt.timedelta(hours=n + 1), agent=agent, customer=customer,
                                         outcome="answered", summary="咨询")
        made.append(Inspection.objects.create(contact=contact, scorecard=card, inspector=inspector, agent=agent,
                                              created_at=now, status="published", score=score, fatal=fatal, passed=passed,
                                              published_at=now, appeal_until=now + dt.timedelta(days=3)))
    exam = Exam.objects.create(title="资费知识", created_by=supervisor, created_at=now, status="published")
    assignment = ExamAssignment.objects.create(exam=exam, person=agent, assigned_by=supervisor, assigned_at=now,
                                               due_at=now + dt.timedelta(days=3))
    action = CorrectiveAction.objects.create(number="ZG1", title="账单解释不清", problem="投诉集中", source="complaint_cause",
                                             owner=supervisor, department=supervisor.department, calendar="standard",
                                             deadline=now + dt.timedelta(days=5), created_by=supervisor)
    return {"now": now, "inspections": made, "exam": assignment, "action": action}


def test_quality_records_reach_the_rollups_through_the_worker(world, agent, supervisor):
    now = world["now"]
    assert rollups.refresh_due(now=now) == 0  # the watermark starts
    codes = ["qa_avg_score", "qa_fatal_rate", "qa_pass_rate", "qa_fatal_count", "knowledge_score"]
    assert figures(agent, codes, now.date()) == dict.fromkeys(codes, None) | {"qa_fatal_count": 0}
    # The appeal windows end: the worker's closing makes them final, its refresh counts them.
    from kefu.quality import services as quality

    later = now + dt.timedelta(days=3, minutes=1)
    assert quality.close_due(later) == 3
    ExamAssignment.objects.filter(pk=world["exam"].pk).update(status="submitted", submitted_at=later, score=Decimal("85.0"),
                                                               passed=True, updated_at=later)
    assert rollups.refresh_due(now=later + dt.timedelta(seconds=1)) >= 4
    got = figures(agent, codes, later.date())
    assert got["qa_avg_score"] == pytest.approx((92.5 + 0 + 70) / 3)
    assert got["qa_fatal_rate"] == pytest.approx(1 / 3) and got["qa_fatal_count"] == 1
    assert got["qa_pass_rate"] == pytest.approx(1 / 3) and got["knowledge_score"] == 85
    # A corrective action counts on its deadline's day: due, not on time until verified.
    action = world["action"]
    deadline = action.deadline
    assert rollups.refresh_due(now=deadline + dt.timedelta(minutes=1)) >= 1
    assert figures(supervisor, ["corrective_on_time_rate"], deadline.date()) == {"corrective_on_time_rate": 0.0}
    CorrectiveAction.objects.filter(pk=action.pk).update(status="verified", done_at=deadline - dt.timedelta(hours=1),
                                                         verified_at=deadline + dt.timedelta(hours=1),
                                                         updated_at=deadline + dt.timedelta(hours=1))
    assert rollups.refresh_due(now=deadline + dt.timedelta(hours=2)) >= 1
    assert figures(supervisor, ["corrective_on_time_rate"], deadline.date()) == {"corrective_on_time_rate": 1.0}
    incremental = table()
    rollups.rebuild()
    assert table() == incremental
