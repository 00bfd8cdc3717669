"""Corrective actions, step by step: opened with a deadline on the working calendar; the owner
starts and completes with evidence; verification by someone else once the deadline has passed
(effective closes it, not effective sends it back for another round); cancelling with a reason;
who may do what; every step in the history and the audit log; overdue escalation once per level."""

import datetime as dt

import pytest
from django.utils import timezone

from kefu.audit.models import AuditEntry
from kefu.core.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed
from kefu.corrective import services
from kefu.corrective.models import CorrectiveAction, CorrectiveEvent
from kefu.notifications.models import Notification
from kefu.orders.models import Category
from kefu.sla.calendars import calculator_for
from kefu.sla.engine import Duration
from kefu.staff import roles
from kefu.staff.models import User

from .conftest import after, past_deadline


def _history(action):
    return list(CorrectiveEvent.objects.filter(corrective_action=action).values_list("action", "from_status", "to_status"))


def test_opening_numbers_it_sets_the_deadline_on_the_calendar_and_tells_the_owner(opened, supervisor, agent):
    assert opened.number == f"ZG{timezone.localtime(opened.created_at):%Y%m%d}{opened.pk:04d}"
    assert (opened.status, opened.rounds, opened.owner, opened.department) == ("open", 1, agent, agent.department)
    assert opened.calendar == "cn-office" and opened.created_by == supervisor
    assert opened.deadline == calculator_for("cn-office").deadline(opened.created_at, Duration(5, "wd"))
    assert timezone.localtime(opened.deadline).strftime("%H:%M") == "18:00"  # the close of a working day
    assert _history(opened) == [("open", "", "open")]
    assert AuditEntry.objects.filter(action="create", object_type="corrective.correctiveaction",
                                     object_id=str(opened.pk), actor=supervisor).exists()
    told = Notification.objects.get(recipient=agent)
    assert opened.number in told.message and told.link == f"/quality/actions/{opened.pk}/"


def test_a_date_deadline_is_the_close_of_that_day_or_the_next_working_day(supervisor, agent):
    saturday = timezone.localdate() + dt.timedelta(days=(5 - timezone.localdate().weekday()) % 7 + 7)
    action = services.open_action(supervisor, title="话术培训", problem="服务态度类投诉上升", source="report",
                                  owner_id=agent.pk, deadline=saturday)
    local = timezone.localtime(action.deadline)
    assert local.date() > saturday and local.strftime("%H:%M") == "18:00"


def test_opening_names_every_bad_field_at_once(supervisor, billing_cause):
    sub_category = Category.objects.get(code="cmp-billing-wrong")
    with pytest.raises(ValidationFailed) as bad:
        services.open_action(supervisor, title=" ", problem="", source="rumour", owner_id=987654, cause_id=sub_category.pk,
                             working_days=3, deadline=timezone.localdate() + dt.timedelta(days=3), order_ids=[987654])
    assert set(bad.value.fields) == {"title", "problem", "source", "owner_id", "cause_id", "deadline", "order_ids"}
    with pytest.raises(ValidationFailed) as bad:
        services.open_action(supervisor, title="整改", problem="问题", source="complaint_cause", owner_id=supervisor.pk,
                             deadline=timezone.now() - dt.timedelta(hours=1))
    assert set(bad.value.fields) == {"cause_id", "deadline"}
    assert not CorrectiveAction.objects.exists()


def test_opening_needs_the_add_permission(agent, inspector, manager):
    for person in (agent, manager):
        with pytest.raises(Forbidden):
            services.open_action(person, title="整改", problem="问题", source="other", owner_id=agent.pk, working_days=3)
    services.open_action(inspector, title="整改", problem="问题", source="qa_finding", owner_id=agent.pk, working_days=3,
                         source_ref="inspection:1")


def test_linked_orders_are_read_in_the_openers_scope(inspector, supervisor, agent, order):
    User.objects.filter(pk=inspector.pk).update(data_scope="own")
    inspector = User.objects.get(pk=inspector.pk)
    with pytest.raises(ValidationFailed) as bad:  # out of scope: refused like an id that does not exist
        services.open_action(inspector, title="整改", problem="问题", source="qa_finding", owner_id=agent.pk,
                             working_days=3, order_ids=[order.pk])
    assert bad.value.fields == {"order_ids": f"no work order with id [{order.pk}]"}
    action = services.open_action(supervisor, title="整改", problem="问题", source="other", owner_id=agent.pk,
                                  working_days=3, order_ids=[order.pk, order.pk])
    assert list(services.linked_orders(supervisor, action.pk)) == [order]
    assert list(services.linked_orders(inspector, action.pk)) == []  # the action is theirs to read, the order not


def test_the_owner_starts_and_completes_with_evidence_then_someone_else_verifies_after_the_deadline(opened, agent, manager,
                                                                                                 supervisor):
    with pytest.raises(InvalidTransition):
        services.complete(agent, opened.pk, evidence="已培训")  # not started
    services.start(agent, opened.pk)
    with pytest.raises(ValidationFailed) as bad:
        services.complete(agent, opened.pk, evidence="  ")
    assert set(bad.value.fields) == {"evidence"}
    done = services.complete(agent, opened.pk, evidence="已完成计费规则核查并组织全员培训，培训记录见附件。")
    assert done.status == "done" and done.done_at is not None
    with pytest.raises(InvalidTransition) as early:
        services.verify(manager, opened.pk, effective=True)  # before the deadline
    assert "after its deadline" in early.value.message
    with pytest.raises(Forbidden):
        services.verify(agent, opened.pk, effective=True, now=after(opened))  # not the owner (no permission either)
    verified = services.verify(manager, opened.pk, effective=True, note="抽查11月后投诉下降", now=after(opened))
    assert (verified.status, verified.verified_by, verified.rounds) == ("verified", manager, 1)
    assert _history(opened) == [("open", "", "open"), ("start", "open", "in_progress"), ("done", "in_progress", "done"),
                                ("verify", "done", "verified")]
    assert AuditEntry.objects.filter(action="transition", object_id=str(opened.pk)).count() == 3
    with pytest.raises(InvalidTransition):
        services.cancel(supervisor, opened.pk, reason="…")  # closed


def test_not_effective_goes_back_to_work_for_another_round(opened, agent, manager):
    services.start(agent, opened.pk)
    services.complete(agent, opened.pk, evidence="第一轮整改")
    with pytest.raises(ValidationFailed) as bad:
        services.verify(manager, opened.pk, effective=False, now=after(opened))
    assert set(bad.value.fields) == {"note"}
    back = services.verify(manager, opened.pk, effective=False, note="12月同类投诉未下降", now=after(opened))
    assert (back.status, back.rounds, back.verified_at) == ("in_progress", 2, None)
    assert Notification.objects.filter(recipient=agent, message__contains="12月同类投诉未下降").exists()
    services.complete(agent, opened.pk, evidence="第二轮整改")
    assert services.verify(manager, opened.pk, effective=True, now=after(opened)).status == "verified"
    assert [a for a, _f, _t in _history(opened)] == ["open", "start", "done", "reject", "done", "verify"]


def test_the_owner_may_not_verify_even_with_the_permission(supervisor, make_user):
    other = make_user(roles.SUPERVISOR, "front-office")
    action = services.open_action(other, title="整改", problem="问题", source="other", owner_id=supervisor.pk, working_days=1)
    services.start(supervisor, action.pk)
    services.complete(supervisor, action.pk, evidence="已完成")
    with pytest.raises(Forbidden):
        services.verify(supervisor, action.pk, effective=True, now=after(action))
    assert services.allowed(supervisor, CorrectiveAction.objects.get(pk=action.pk), after(action)) == []
    assert services.allowed(other, CorrectiveAction.objects.get(pk=action.pk), after(action)) == ["verify", "reject"]


def test_only_the_owner_or_a_manager_of_actions_works_it_and_others_do_not_see_it(opened, agent, make_user, supervisor):
    colleague = make_user(roles.AGENT, "front-office")
    with pytest.raises(NotFound):  # no view permission, not theirs: as if absent
        services.start(colleague, opened.pk)
    with pytest.raises(NotFound):
        services.get_action(colleague, opened.pk)
    assert list(services.actions(colleague)) == [] and list(services.actions(agent)) == [opened]
    inspector = make_user(roles.QA_INSPECTOR, "complaints")
    with pytest.raises(Forbidden):  # sees it, but neither owns nor manages it
        services.start(inspector, opened.pk)
    assert services.start(supervisor, opened.pk).status == "in_progress"  # the change permission


def test_cancel_needs_a_reason_and_the_change_permission(opened, agent, supervisor):
    with pytest.raises(Forbidden):
        services.cancel(agent, opened.pk, reason="不需要")
    with pytest.raises(ValidationFailed):
        services.cancel(supervisor, opened.pk, reason=" ")
    gone = services.cancel(supervisor, opened.pk, reason="与ZG另一整改重复")
    assert gone.status == "cancelled" and _history(opened)[-1] == ("cancel", "open", "cancelled")
    assert CorrectiveEvent.objects.get(corrective_action=opened, action="cancel").note == "与ZG另一整改重复"


def test_a_stale_version_is_refused_with_the_current_one(opened, agent, supervisor):
    services.update(agent, opened.pk, version=opened.version, root_cause="计费规则配置错误", measures="核查并修正规则")
    with pytest.raises(Conflict) as stale:
        services.update(agent, opened.pk, version=opened.version, measures="别的措施")
    assert stale.value.extra["current_version"] == opened.version + 1
    with pytest.raises(Forbidden):  # the owner does not move the deadline
        services.update(agent, opened.pk, version=opened.version + 1, working_days=30)
    moved = services.update(supervisor, opened.pk, version=opened.version + 1, working_days=20)
    assert moved.deadline > opened.deadline and moved.measures == "核查并修正规则"


def test_overdue_actions_escalate_once_per_level(opened, agent, supervisor, manager, make_user, settings):
    settings.KEFU_CORRECTIVE_ESCALATE_DAYS = 2
    other_supervisor = make_user(roles.SUPERVISOR, "billing")
    now = after(opened)
    assert services.escalate_overdue(opened.deadline - dt.timedelta(minutes=1)) == []
    assert services.escalate_overdue(now) == [(opened.number, 1)]
    assert services.escalate_overdue(now) == []  # once
    told = set(Notification.objects.filter(message__contains="escalation level 1").values_list("recipient__username", flat=True))
    assert told == {agent.username, supervisor.username}  # the owner and their department's supervisors
    assert other_supervisor.username not in told
    second = services.second_level_at(CorrectiveAction.objects.get(pk=opened.pk))
    assert second == calculator_for("cn-office").deadline(opened.deadline, Duration(2, "wd"))
    assert services.escalate_overdue(second - dt.timedelta(minutes=1)) == []
    assert services.escalate_overdue(second) == [(opened.number, 2)]
    assert services.escalate_overdue(second + dt.timedelta(days=9)) == []
    assert set(Notification.objects.filter(message__contains="escalation level 2").values_list("recipient", flat=True)) == {manager.pk}
    opened.refresh_from_db()
    assert (opened.escalation_level, opened.escalated_at) == (2, second)
    assert [e.data["level"] for e in CorrectiveEvent.objects.filter(corrective_action=opened, action="escalate")] == [1, 2]


def test_done_actions_do_not_escalate(opened, agent):
    services.start(agent, opened.pk)
    services.complete(agent, opened.pk, evidence="已完成")
    assert services.escalate_overdue(after(opened, days=30)) == []
    assert not services.is_overdue(CorrectiveAction.objects.get(pk=opened.pk), after(opened))


def test_the_list_filters_and_counts(opened, agent, supervisor, billing_cause):
    other = services.open_action(supervisor, title="宽带质量整改", problem="宽带投诉", source="report", owner_id=supervisor.pk,
                                 working_days=10)
    past_deadline(opened)
    assert list(services.actions(supervisor, overdue=True)) == [opened]
    assert list(services.actions(supervisor, cause=billing_cause.pk)) == [opened]
    assert list(services.actions(supervisor, source="report")) == [other]
    assert list(services.actions(supervisor, mine=True)) == [other]
    assert list(services.actions(supervisor, department=agent.department_id)) == [opened, other]
    counts = services.status_counts(services.actions(supervisor))
    assert (counts["open"], counts["overdue"], counts["done"]) == (2, 1, 0)
