"""Every action from every state: allowed ones change the order and add one event; the
others raise InvalidTransition and change nothing."""

import pytest

from kefu.core.errors import Forbidden, InvalidTransition, NotFound, ValidationFailed
from kefu.orders import services
from kefu.orders.models import OrderEvent, Status, WorkOrder
from kefu.orders.states import PUBLIC_ACTIONS, TRANSITIONS


def _deescalate(a, o, departments):
    WorkOrder.objects.filter(pk=o).update(tier=3)
    return services.deescalate(a, o, department_id=departments["front-office"].pk, reason="a billing question after all")


def _merge(a, o):
    first = WorkOrder.objects.get(pk=o)
    other = services.create_order(a, kind="fault", title="again", customer_id=first.customer_id, channel="hotline")
    return services.merge(a, o, into_id=other.pk, reason="the same outage")


def _calls(departments, handler, supervisor):
    departments["tech-support"].tier = 2
    departments["tech-support"].save()
    return {
        "accept": lambda a, o: services.accept(a, o),
        "assign": lambda a, o: services.assign(a, o, department_id=departments["tech-support"].pk, handler_id=handler.pk),
        "claim": lambda a, o: services.claim(a, o),
        "release": lambda a, o: services.release(a, o),
        "start": lambda a, o: services.start(a, o),
        "wait": lambda a, o: services.wait_for_customer(a, o, reason="need the bill"),
        "resume": lambda a, o: services.resume(a, o),
        "answer": lambda a, o: services.record_answer(a, o, answer="the bill is attached"),
        "resolve": lambda a, o: services.resolve(a, o, resolution="refunded 20 yuan"),
        "transfer": lambda a, o: services.transfer(a, o, department_id=departments["complaints"].pk, reason="billing dispute"),
        "confirm": lambda a, o: services.confirm(a, o, channel="hotline", customer_confirmed=True),
        "close": lambda a, o: services.close(a, o),
        "reject": lambda a, o: services.reject(a, o, reason="duplicate"),
        "cancel": lambda a, o: services.cancel(a, o, reason="customer withdrew"),
        "reopen": lambda a, o: services.reopen(a, o, reason="not fixed"),
        "handover": lambda a, o: services.handover(a, o, new_owner_id=handler.pk, reason="shift ends"),
        "requeue": lambda a, o: services.requeue(a, o, reason="handler is off sick"),
        "escalate": lambda a, o: services.escalate(a, o, department_id=departments["tech-support"].pk, reason="needs a specialist"),
        "deescalate": lambda a, o: _deescalate(a, o, departments),
        "merge": _merge,
    }


def test_every_public_action_has_a_service_call(departments, handler, supervisor):
    assert set(_calls(departments, handler, supervisor)) == set(PUBLIC_ACTIONS)


@pytest.mark.parametrize("status", [s.value for s in Status])
@pytest.mark.parametrize("action", PUBLIC_ACTIONS)
def test_action_from_state(action, status, order, departments, handler, supervisor):
    # The supervisor may act on any order, so only the state decides here.
    holder = None if action == "claim" else supervisor
    WorkOrder.objects.filter(pk=order.pk).update(status=status, handler=holder)
    if action == "confirm" or action == "reopen":
        services_resolved_event(order, handler)  # resolved by another: the supervisor only relays the confirmation
    before = WorkOrder.objects.get(pk=order.pk)
    events_before = OrderEvent.objects.filter(order=order).count()
    call = _calls(departments, handler, supervisor)[action]
    transition = TRANSITIONS[action]

    if status in transition.sources:
        call(supervisor, order.pk)
        after = WorkOrder.objects.get(pk=order.pk)
        assert after.status == (transition.target or status)
        assert after.version == before.version + 1
        last = OrderEvent.objects.filter(order=order).last()
        assert (last.action, last.from_status, last.to_status, last.actor) == (action, status, after.status, supervisor)
    else:
        with pytest.raises(InvalidTransition) as err:
            call(supervisor, order.pk)
        assert err.value.extra["state"] == status
        assert action not in err.value.extra["allowed_actions"]
        after = WorkOrder.objects.get(pk=order.pk)
        assert (after.status, after.version, after.handler_id) == (before.status, before.version, before.handler_id)
        assert OrderEvent.objects.filter(order=order).count() == events_before


def services_resolved_event(order, actor):
    """A resolve event for reopen/confirm to point at, as a real history would have."""
    from django.utils import timezone

    OrderEvent.objects.create(order=order, at=timezone.now(), actor=actor, action="resolve",
                              from_status="in_progress", to_status="resolved")


def test_allowed_actions_follow_the_table(order, agent):
    assert services.allowed_actions(order, agent) == ["accept", "reject", "cancel", "merge", "handover"]


def test_reason_is_required_and_nothing_changes(order, agent):
    with pytest.raises(ValidationFailed) as err:
        services.reject(agent, order.pk, reason="  ")
    assert "reason" in err.value.fields
    assert WorkOrder.objects.get(pk=order.pk).status == Status.NEW


def test_resolution_is_required(order, agent, handler, departments):
    services.accept(agent, order.pk)
    services.assign(agent, order.pk, handler_id=handler.pk)
    services.start(handler, order.pk)
    with pytest.raises(ValidationFailed) as err:
        services.resolve(handler, order.pk, resolution="")
    assert "resolution" in err.value.fields
    assert WorkOrder.objects.get(pk=order.pk).status == Status.IN_PROGRESS


def test_the_whole_loop_with_a_low_score(order, agent, handler):
    """create → accept → assign → wait → resume → resolve → 3/10 → reopened → resolved → confirmed → closed."""
    services.accept(agent, order.pk)
    services.assign(agent, order.pk, handler_id=handler.pk)
    services.start(handler, order.pk)
    services.wait_for_customer(handler, order.pk, reason="need the itemised bill")
    services.resume(handler, order.pk)
    services.resolve(handler, order.pk, resolution="VAS charge refunded")
    services.record_feedback(agent, order.pk, confirmed=True, score=3, comment="too slow")
    o = WorkOrder.objects.get(pk=order.pk)
    assert (o.status, o.reopen_count, o.satisfaction, o.handler) == (Status.IN_PROGRESS, 1, 3, handler)
    reopen = o.events.get(action="reopen")
    assert reopen.disputes == o.events.get(action="resolve")
    services.resolve(handler, order.pk, resolution="refunded and apologised")
    services.record_feedback(agent, order.pk, confirmed=True, score=9)
    services.close(agent, order.pk)
    o = WorkOrder.objects.get(pk=order.pk)
    assert o.status == Status.CLOSED and o.closed_at is not None and o.satisfaction == 9
    assert [e.action for e in o.events.order_by("at", "id")] == [
        "create", "sla_policy", "accept", "assign", "start", "wait", "resume", "resolve", "reopen", "resolve", "confirm", "close"]
    assert [f.score for f in o.feedback.all()] == [3, 9]


def test_dispute_reopens_even_with_a_high_score(order, agent, handler):
    _to_resolved(order, agent, handler)
    services.record_feedback(agent, order.pk, confirmed=False, score=9)
    assert WorkOrder.objects.get(pk=order.pk).status == Status.IN_PROGRESS


def test_low_score_can_go_to_review_instead(order, agent, handler, supervisor, settings):
    settings.KEFU_LOW_SCORE_ACTION = "review"
    _to_resolved(order, agent, handler)
    services.record_feedback(agent, order.pk, confirmed=True, score=2)
    o = WorkOrder.objects.get(pk=order.pk)
    assert (o.status, o.needs_review) == (Status.RESOLVED, True)
    # Orders under review are not auto-confirmed; a supervisor decides.
    assert services.auto_confirm_due(now=o.resolved_at + _hours(1000)) == 0
    services.confirm(supervisor, order.pk, channel="hotline", customer_confirmed=True)
    assert WorkOrder.objects.get(pk=order.pk).needs_review is False


def test_satisfaction_threshold_is_configurable(order, agent, handler, settings):
    settings.KEFU_SATISFIED_THRESHOLD = 6
    _to_resolved(order, agent, handler)
    fb = services.record_feedback(agent, order.pk, confirmed=True, score=6)
    assert fb.satisfied is True
    assert WorkOrder.objects.get(pk=order.pk).status == Status.CONFIRMED


def test_auto_confirm_after_silence(order, agent, handler, settings):
    settings.KEFU_AUTO_CONFIRM_HOURS = 48
    _to_resolved(order, agent, handler)
    resolved_at = WorkOrder.objects.get(pk=order.pk).resolved_at
    assert services.auto_confirm_due(now=resolved_at + _hours(47)) == 0
    assert services.auto_confirm_due(now=resolved_at + _hours(49)) == 1
    o = WorkOrder.objects.get(pk=order.pk)
    assert o.status == Status.CONFIRMED
    last = o.events.last()
    assert (last.action, last.actor) == ("auto_confirm", None)


def test_feedback_only_when_resolved(order, agent):
    with pytest.raises(InvalidTransition):
        services.record_feedback(agent, order.pk, confirmed=True, score=10)
    assert not order.feedback.exists()


def test_only_the_handler_works_the_order(order, agent, handler, handler2):
    services.accept(agent, order.pk)
    services.assign(agent, order.pk, handler_id=handler.pk)
    with pytest.raises(Forbidden):
        services.start(handler2, order.pk)
    services.start(handler, order.pk)


def test_only_the_owner_or_a_supervisor_closes(order, agent, handler, supervisor, make_user):
    _to_resolved(order, agent, handler)
    services.confirm(agent, order.pk, channel="hotline", customer_confirmed=True)
    other_agent = make_user("agent")
    with pytest.raises(Forbidden):
        services.close(other_agent, order.pk)
    services.close(supervisor, order.pk)


def test_roles_without_the_permission_are_refused(order, handler, auditor):
    with pytest.raises(NotFound):
        services.accept(handler, order.pk)  # a new order is outside tech support's department scope
    handler.data_scope = "region"
    with pytest.raises(Forbidden):
        services.accept(handler, order.pk)  # and in scope, tech support does not accept (受理) new orders
    with pytest.raises(Forbidden):
        services.cancel(auditor, order.pk, reason="x")
    assert WorkOrder.objects.get(pk=order.pk).status == Status.NEW


def test_first_contact_owner_changes_only_by_handover(order, agent, handler):
    services.accept(agent, order.pk)
    services.assign(agent, order.pk, handler_id=handler.pk)
    services.start(handler, order.pk)
    assert WorkOrder.objects.get(pk=order.pk).owner == agent
    with pytest.raises(Forbidden):
        services.handover(handler, order.pk, new_owner_id=handler.pk, reason="mine now")
    services.handover(agent, order.pk, new_owner_id=handler.pk, reason="agent leaves the team")
    ev = WorkOrder.objects.get(pk=order.pk).events.last()
    assert (ev.action, ev.data["owner"], ev.reason) == ("handover", [agent.pk, handler.pk], "agent leaves the team")


def test_claim_needs_an_unclaimed_order_in_my_department(order, agent, handler, handler2, departments, make_user):
    services.accept(agent, order.pk)
    services.assign(agent, order.pk, department_id=departments["tech-support"].pk)
    outsider = make_user("tech_support", "complaints")
    with pytest.raises(NotFound):
        services.claim(outsider, order.pk)  # another department's order is out of their scope
    outsider.data_scope = "region"
    with pytest.raises(Forbidden):
        services.claim(outsider, order.pk)
    services.claim(handler, order.pk)
    with pytest.raises(InvalidTransition):
        services.claim(handler2, order.pk)
    assert WorkOrder.objects.get(pk=order.pk).handler == handler


def test_assignment_validates_the_target(order, agent, handler, departments, auditor):
    services.accept(agent, order.pk)
    with pytest.raises(ValidationFailed) as err:
        services.assign(agent, order.pk, department_id=departments["complaints"].pk, handler_id=handler.pk)
    assert "handler_id" in err.value.fields
    with pytest.raises(ValidationFailed) as err:
        services.assign(agent, order.pk, handler_id=auditor.pk)
    assert "handler_id" in err.value.fields
    assert WorkOrder.objects.get(pk=order.pk).status == Status.ACCEPTED


def test_transfer_moves_department_and_clears_handler(order, agent, handler, departments):
    services.accept(agent, order.pk)
    services.assign(agent, order.pk, handler_id=handler.pk)
    services.transfer(handler, order.pk, department_id=departments["complaints"].pk, reason="it is a billing dispute")
    o = WorkOrder.objects.get(pk=order.pk)
    assert (o.status, o.department, o.handler) == (Status.ASSIGNED, departments["complaints"], None)
    assert o.events.last().data == {"department": [departments["tech-support"].pk, departments["complaints"].pk],
                                    "handler": [handler.pk, None]}


def _hours(n):
    from datetime import timedelta

    return timedelta(hours=n)


def _to_resolved(order, agent, handler):
    services.accept(agent, order.pk)
    services.assign(agent, order.pk, handler_id=handler.pk)
    services.start(handler, order.pk)
    services.resolve(handler, order.pk, resolution="fixed")
