"""Two leads at once on PostgreSQL through the HTTP API: computing the same period twice leaves
one set of sheets; publishing twice publishes once (one 200, one 409) and tells each person once."""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.test import Client

from kefu.assessment.models import Result, Run, Scheme
from kefu.notifications.models import Notification
from kefu.reports import rollups
from kefu.reports.models import Grain
from kefu.staff import roles
from kefu.staff.models import ApiToken

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _together(calls):
    barrier, statuses = threading.Barrier(len(calls)), []

    def run(call):
        try:
            barrier.wait()
            statuses.append(call())
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(statuses)


def test_two_leads_compute_and_publish_at_once(make_user, agent):
    lead, other = make_user(roles.SUPERVISOR, "front-office"), make_user(roles.MANAGER, None)
    rollups._add({(Grain.MONTH, dt.date(2026, 10, 1), agent.department_id, "", "agent", str(agent.pk), "score:9"): 5})
    scheme = Scheme.objects.get(role="agent")
    secrets = [ApiToken.issue(u)[1] for u in (lead, other)]

    def post(secret, path, body=None):
        return lambda: Client().post(f"/api/v1/assessment{path}", body or {}, content_type="application/json",
                                     headers={"Authorization": f"Bearer {secret}"}).status_code

    assert _together([post(s, "/runs", {"scheme_id": scheme.pk, "period": "2026-10"}) for s in secrets]) == [201, 201]
    run = Run.objects.get()
    assert Result.objects.filter(run=run).count() == run.people == 1
    assert _together([post(s, f"/runs/{run.pk}/publish") for s in secrets]) == [200, 409]
    assert Notification.objects.filter(recipient=agent, link__startswith=f"/assessment/runs/{run.pk}/").count() == 1
