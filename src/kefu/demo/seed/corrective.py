"""The demo's corrective actions (整改): a handful in every state, opened through the services as
the quality manager and the inspector would have opened them — from last month's complaint
causes (the complaints behind each linked), from a QA finding, a report and an incident review —
owned by the demo's staff, worked, verified by the service manager after their deadline (one on
time, one found not effective first and done again late), one overdue and escalated, one
cancelled. Their history is dated as it would have happened."""

from __future__ import annotations

import datetime as dt

from kefu.corrective import services as corrective
from kefu.corrective.models import CorrectiveAction, CorrectiveEvent
from kefu.orders import services as orders
from kefu.orders.models import Category
from kefu.quality.models import Inspection
from kefu.staff.models import User

# cause code, owner, days ago opened, working days to the deadline, what happened, root cause, measures
CAUSE_ACTIONS = [
    ("cmp-billing", "billing1", 52, 10, "verified",
     "增值业务订购未经二次确认，计费规则配置存在漏洞，导致部分用户被误扣费。",
     "1. 核查全部增值业务计费规则并修正；2. 增值业务订购增加短信二次确认；3. 对误扣费用户主动退费并致歉。"),
    ("cmp-service", "coordinator", 47, 10, "second_round",
     "部分一线人员服务意识不足，高峰时段催促客户、解释不耐心。",
     "1. 开展服务礼仪与服务用语专项培训；2. 质检对服务态度项加大抽检比例；3. 班组长每周复盘典型录音。"),
    ("cmp-quality", "netops1", 18, 15, "in_progress",
     "城郊部分基站覆盖不足，晚高峰容量紧张。",
     "1. 对投诉集中的小区进行路测；2. 调整天线倾角并扩容；3. 完成后回访投诉客户。"),
    ("cmp-communication", "agent2", 26, 8, "overdue",
     "工单处理进度未及时告知客户，客户多次来电催问。",
     "1. 处理超过24小时的工单须主动外呼告知进度；2. 在知识库补充进度告知话术。"),
]


def _person(username: str):
    return User.objects.filter(username=username, is_active=True).first()


def _last_month(now: dt.datetime) -> tuple[dt.datetime, dt.datetime, str]:
    first_this = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    first_last = (first_this - dt.timedelta(days=1)).replace(day=1)
    return first_last, first_this, f"{first_last:%Y-%m}"


def _complaints(opener, cause: Category, start: dt.datetime, end: dt.datetime) -> list[int]:
    """The complaints of CAUSE (and the categories under it) registered from START to END, as the
    opener sees them."""
    ids = [cause.pk, *Category.objects.filter(parent=cause).values_list("pk", flat=True)]
    found = orders.search_orders(opener, kind="complaint", category=ids, created_from=start, created_to=end)
    return list(found.order_by("-created_at", "-id").values_list("pk", flat=True)[:corrective.MAX_LINKED])


def _dated(action: CorrectiveAction, times: list[dt.datetime]) -> None:
    """Date ACTION's history: its events in order at TIMES, opened at the first, changed at the last."""
    events = list(CorrectiveEvent.objects.filter(corrective_action=action).order_by("pk"))
    for event, at in zip(events, times, strict=False):
        CorrectiveEvent.objects.filter(pk=event.pk).update(at=at)
    CorrectiveAction.objects.filter(pk=action.pk).update(created_at=times[0], updated_at=times[-1])


def _work(action, owner, checker, story: str, opened: dt.datetime, now: dt.datetime) -> list[dt.datetime]:
    """Take ACTION through STORY; the times of its steps."""
    times = [opened]
    deadline = action.deadline
    if story in ("open",):
        return times
    corrective.start(owner, action.pk, note="已制定整改计划，开始实施。")
    times.append(opened + dt.timedelta(days=1, hours=2))
    if story in ("in_progress", "overdue"):
        return times
    if story == "cancelled":
        return times
    done_at = deadline - dt.timedelta(days=2) if story != "awaiting" else min(deadline - dt.timedelta(hours=20), now)
    corrective.complete(owner, action.pk, evidence="整改措施已全部落实：规则修正记录、培训签到表及抽查结果已归档。", now=done_at)
    times.append(done_at)
    if story == "awaiting":
        return times
    checked = deadline + dt.timedelta(days=2, hours=3)
    if story == "second_round":
        corrective.verify(checker, action.pk, effective=False, note="抽查整改后两周同类投诉未明显下降，需进一步整改。", now=checked)
        times.append(checked)
        redone = checked + dt.timedelta(days=6)
        corrective.complete(owner, action.pk, evidence="第二轮：增加每周录音复盘，重点班组专项辅导，同类投诉环比下降四成。",
                            now=redone)
        times.append(redone)
        checked = redone + dt.timedelta(days=3)
    corrective.verify(checker, action.pk, effective=True, note="抽查近期同类投诉明显下降，整改有效。", now=checked)
    times.append(checked)
    return times


def seed(now: dt.datetime) -> dict:
    """The demo's corrective actions as of NOW; {what: how many}."""
    lead, manager, inspector = _person("supervisor"), _person("manager"), _person("inspector")
    if lead is None or manager is None or CorrectiveAction.objects.exists():
        return {}
    start, end, period = _last_month(now)
    counts = {"actions": 0, "linked orders": 0, "escalated": 0}

    def opened_by(opener, *, days_ago, working_days, **fields):
        at = now - dt.timedelta(days=days_ago)
        action = corrective.open_action(opener, working_days=working_days, now=at, **fields)
        counts["actions"] += 1
        counts["linked orders"] += len(fields.get("order_ids", ()))
        return action, at

    for code, username, days_ago, days, story, root_cause, measures in CAUSE_ACTIONS:
        cause, owner = Category.objects.filter(code=code).first(), _person(username)
        if cause is None or owner is None:
            continue
        linked = _complaints(lead, cause, start, end)
        action, at = opened_by(
            lead, days_ago=days_ago, working_days=days, title=f"{cause.name}类投诉整改", source="complaint_cause",
            problem=f"{start:%Y年%m月}{cause.name}类投诉共{len(linked)}件，居投诉原因前列，需查明根因并整改。",
            cause_id=cause.pk, owner_id=owner.pk, root_cause=root_cause, measures=measures, source_ref=f"period:{period}",
            order_ids=linked)
        _dated(action, _work(action, owner, manager, story, at, now))

    finding = (Inspection.objects.filter(status__in=["published", "final"], score__lt=80).select_related("agent", "contact")
               .order_by("-published_at").first())
    coordinator = _person("coordinator")
    if finding is not None and inspector is not None and coordinator is not None:
        action, at = opened_by(
            inspector, days_ago=12, working_days=5, title=f"质检发现：{finding.agent}服务规范问题整改", source="qa_finding",
            problem=f"质检（{finding.contact.get_channel_display()}，{finding.score:g}分）发现未按标准用语服务、"
                    f"个人信息记录不规范。", source_ref=f"inspection:{finding.pk}", owner_id=coordinator.pk,
            root_cause="新员工对服务规范掌握不牢。", measures="组织服务规范复训并对该员工一个月内加抽质检。")
        _dated(action, _work(action, coordinator, manager, "awaiting", at, now))

    handler, store = _person("handler"), _person("store1")
    if handler is not None:
        action, at = opened_by(
            lead, days_ago=3, working_days=10, title="宽带故障修复时长超时整改", source="report",
            problem="报表显示本月宽带故障类工单修复超时率上升，集中在夜间派单。", owner_id=handler.pk)
        _dated(action, _work(action, handler, manager, "open", at, now))
    if store is not None:
        action, at = opened_by(
            lead, days_ago=30, working_days=10, title="营业厅客户信息泄露事件复盘整改", source="incident_review",
            problem="事件复盘：营业厅打印的业务单据未及时销毁。", owner_id=store.pk)
        times = _work(action, store, manager, "cancelled", at, now)
        corrective.cancel(lead, action.pk, reason="已并入信息安全专项整改统一跟踪。")
        _dated(action, [*times, at + dt.timedelta(days=3)])

    counts["escalated"] = len(corrective.escalate_overdue(now))
    return counts
