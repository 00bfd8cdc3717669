"""Two tabs submitting one test at once, on PostgreSQL through the HTTP API: the assignment's row
lock lets one through; the other is refused (409) and writes no second set of answers."""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from kefu.staff.models import ApiToken
from kefu.training import services
from kefu.training.models import ExamAnswer

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_two_tabs_submit_once(supervisor, agent):
    q = services.create_question(supervisor, text="携号转网前号码须已实名登记。", kind="true_false", correct=[0])
    exam = services.create_exam(supervisor, title="携号转网", questions=[{"question_id": q.pk}])
    exam = services.publish_exam(supervisor, exam.pk, exam.version)
    a = services.assign(supervisor, exam.pk, person_ids=[agent.pk], due_at=timezone.now() + dt.timedelta(days=1)).created[0]
    _token, secret = ApiToken.issue(agent)
    barrier, statuses = threading.Barrier(4), []

    def tab():
        try:
            barrier.wait()
            statuses.append(Client().post(f"/api/v1/training/assignments/{a.pk}/submit", {"answers": {str(q.pk): [0]}},
                                          content_type="application/json",
                                          headers={"Authorization": f"Bearer {secret}"}).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=tab) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 409, 409, 409]
    assert ExamAnswer.objects.filter(assignment=a).count() == 1
