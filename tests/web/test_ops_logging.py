"""What the worker writes to the log: routine periodic runs only at DEBUG; escalations,
failures and slow tasks at INFO and above (a log read every 30 s must say something)."""

import logging
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from kefu.orders import services
from kefu.sla.models import OrderClock
from kefu.web import worker

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _loud(caplog):
    return [r for r in caplog.records if r.levelno >= logging.INFO]


def test_routine_periodic_runs_stay_below_info_and_escalations_show(caplog, agent, customer):
    order = services.create_order(agent, kind="consultation", title="流量包咨询", customer_id=customer.pk, channel="wechat")
    past = timezone.now() - timedelta(minutes=30)
    OrderClock.objects.filter(order=order).update(warn_at=past, due_at=past, next_check_at=past)
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="kefu.worker")
    call_command("worker", "--once", verbosity=0)
    loud = _loud(caplog)
    assert not [r.getMessage() for r in loud if r.name.startswith("django.tasks")]
    assert any(r.name == "kefu.sla" and "escalated" in r.getMessage() for r in loud)
    routine = [r for r in caplog.records if r.name == "kefu.worker" and r.levelno == logging.DEBUG]
    assert {r.args[1] for r in routine} >= {t.module_path for t, _s in worker.PERIODIC}


def test_failures_and_slow_tasks_are_logged(caplog, monkeypatch, db):
    from kefu.sla import escalation

    def broken(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(escalation, "scan", broken)
    monkeypatch.setattr(worker, "SLOW_TASK_SECONDS", 0.0)
    caplog.set_level(logging.INFO)
    call_command("worker", "--once", verbosity=0)
    loud = _loud(caplog)
    failed = [r for r in loud if r.levelno >= logging.ERROR and "scan_sla" in r.getMessage()]
    assert failed and failed[0].exc_info is not None
    slow = {r.args[1] for r in loud if r.name == "kefu.worker" and r.levelno == logging.WARNING and "took" in r.msg}
    assert slow >= {t.module_path for t, _s in worker.PERIODIC}
