"""The demo's knowledge tests: a Chinese question bank tied to the demo articles, two tests
assigned to the demo staff, most of last month's taken and one expired, this week's waiting for
the demo agent; loaded once."""

from django.utils import timezone

from kefu.demo import org
from kefu.demo.seed import training as seed_training
from kefu.training.models import Exam, ExamAssignment, Question


def test_the_demo_bank_and_tests(db):
    org.ensure_org()
    org.ensure_knowledge()
    counts = seed_training.seed(timezone.now())
    assert 20 <= counts["questions"] <= 30 and counts["exams"] == 2
    assert Question.objects.filter(article__isnull=False).count() >= 10
    assert set(Exam.objects.values_list("status", flat=True)) == {"published"}
    statuses = list(ExamAssignment.objects.values_list("exam__title", "person__username", "status"))
    assert ("业务知识月度测试", "agent3", "expired") in statuses
    assert ("投诉处理与服务规范测试", "agent", "assigned") in statuses
    assert sum(1 for *_x, s in statuses if s == "submitted") == counts["taken"] >= 8
    assert ExamAssignment.objects.filter(status="submitted", score__isnull=True).count() == 0
    assert seed_training.seed(timezone.now()) == {}  # once
