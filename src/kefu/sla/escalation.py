"""The escalation scan: find clocks whose next check is due through the partial index on
`next_check_at`, record breaches, carry out each escalation step once, and tell people.

Several workers may scan at once: on PostgreSQL each claims its batch with
SELECT … FOR UPDATE SKIP LOCKED; on SQLite writers are serialised anyway. The unique
(clock, step) pair is the last word on "once". Each batch is one transaction, so a worker that
dies mid-batch leaves nothing of that batch behind, and a scan run again after a crash skips the
steps already recorded: every due step is done, and done once (tests/web/test_worker_faults.py).
"""

import logging
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.notifications import services as notifications
from kefu.orders import events

from .labels import metric_label
from .models import Escalation, EscalationStep, OrderClock

log = logging.getLogger("kefu.sla")
BATCH = 500  # the default limit; scan_sla passes KEFU_SLA_SCAN_BATCH


def due_clocks(now, limit=BATCH):
    """The claimable clocks whose next check has come, oldest first (index range scan)."""
    return (OrderClock.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("order", "order__department", "order__handler", "order__owner")
            .filter(next_check_at__lte=now).order_by("next_check_at")[:limit])


def oldest_due_check(now):
    """When the longest-waiting due check fell due (None if none is due): how late the scans run,
    whatever happened to the workers. The first entry of the partial index."""
    return (OrderClock.objects.filter(next_check_at__lte=now).order_by("next_check_at")
            .values_list("next_check_at", flat=True).first())


def scan(now=None, *, limit=BATCH) -> int:
    """One pass: handle up to LIMIT due clocks. Returns how many were handled."""
    now = now or timezone.now()
    steps = list(EscalationStep.objects.filter(is_active=True).order_by("level"))
    with transaction.atomic():
        clocks = list(due_clocks(now, limit))
        done = {}
        for clock_id, step_id in Escalation.objects.filter(clock__in=clocks).values_list("clock_id", "step_id"):
            done.setdefault(clock_id, set()).add(step_id)
        noted = []
        for clock in clocks:
            noted += _handle(clock, steps, done.get(clock.pk, set()), now)
        events.record_many(noted)  # the batch's sla_escalation events, in one INSERT
    return len(clocks)


def _moment(clock, step):
    base = clock.warn_at if step.trigger == EscalationStep.Trigger.WARNING else clock.due_at
    return base + timedelta(minutes=step.delay_minutes)


def _handle(clock, steps, done, now) -> list[dict]:
    """Carry out CLOCK's due steps; returns the order events to record for them."""
    if clock.state != OrderClock.State.RUNNING:
        clock.next_check_at = None
        clock.save(update_fields=["next_check_at"])
        return []
    if clock.due_at <= now and clock.breached_at is None:
        clock.breached_at = clock.due_at
    if clock.warn_at <= now and clock.warned_at is None:
        clock.warned_at = now
    pending = [s for s in steps if s.pk not in done]
    noted = []
    for step in (s for s in pending if _moment(clock, s) <= now):
        recipients = _recipients(clock.order, step)
        try:
            with transaction.atomic():  # a savepoint: a lost race leaves the rest intact
                Escalation.objects.create(clock=clock, step=step, at=now, recipients=[u.pk for u in recipients])
        except IntegrityError:
            continue  # another worker did this step
        message = _message(clock, step)
        notifications.deliver_to(recipients, clock.order, message, at=now)
        noted.append({"order": clock.order, "actor": None, "action": "sla_escalation", "from_status": clock.order.status,
                      "to_status": clock.order.status, "note": message, "at": now,
                      "data": {"metric": clock.metric, "level": step.level, "trigger": step.trigger,
                               "due_at": clock.due_at.isoformat(), "notified": [u.username for u in recipients]}})
        log.info("escalated %s", message)
    later = [_moment(clock, s) for s in pending if _moment(clock, s) > now]
    clock.next_check_at = min(later) if later else None
    clock.save(update_fields=["breached_at", "warned_at", "next_check_at"])
    return noted


def _recipients(order, step):
    from kefu.staff import roles
    from kefu.staff.models import User

    if step.notify == EscalationStep.Notify.HANDLER:
        people = [order.handler or order.owner]
    elif step.notify == EscalationStep.Notify.DEPARTMENT_LEAD and order.department_id and order.department.lead_id:
        people = [order.department.lead]
    else:  # the supervisors; also for a department-lead step when there is no lead to tell
        supervisors = User.objects.filter(groups__name=roles.SUPERVISOR, is_active=True)
        in_department = list(supervisors.filter(department_id=order.department_id)) if order.department_id else []
        people = in_department or list(supervisors)
    return [p for p in people if p is not None and p.is_active]


def _message(clock, step):
    what = metric_label(clock.metric, clock.round)  # one name per target: as the order page shows it
    if step.trigger == EscalationStep.Trigger.WARNING:
        return _("%(number)s: %(what)s is due at %(due)s.") % {
            "number": clock.order.number, "what": what, "due": timezone.localtime(clock.due_at).strftime("%Y-%m-%d %H:%M")}
    return _("%(number)s: %(what)s is overdue since %(due)s (escalation level %(level)s).") % {
        "number": clock.order.number, "what": what, "due": timezone.localtime(clock.due_at).strftime("%Y-%m-%d %H:%M"),
        "level": step.level}
