"""The demo's surveys: every score given at resolution stored as the post-resolution
questionnaire's answer (as the services store it live), and the SMS surveys of the last weeks:
each customer texted the questionnaire's link after a resolution at most once per
KEFU_SURVEY_FATIGUE_DAYS, about a third answering within hours — the agent's attitude scored
higher than the result of a complaint, a few comments, the low scores flagged for review and
the older of them reviewed."""

from __future__ import annotations

import datetime as dt
import secrets
from random import Random

from django.conf import settings

SMS_WEEKS = 6  # how far back the SMS surveys reach
ANSWERED = 0.34  # the share of SMS surveys answered
# Overall scores when the order has none to go by.
SCORES = ((10, 34), (9, 28), (8, 21), (7, 7), (6, 4), (5, 3), (4, 1), (3, 1), (2, 1))
PRAISE = ("客服很耐心，讲解得很清楚。", "处理很快，谢谢！", "工作人员态度很好。", "问题当天就解决了，满意。",
          "回访很及时，服务到位。")
COMPLAINTS = ("处理太慢了，等了好几天。", "问题解决了，但是来回打了好几次电话。", "希望以后不要再出现同样的问题。",
              "营业厅说法和热线不一致。", "赔偿方案还可以，但过程太折腾。")
REVIEW_NOTE = "已电话回访致歉，说明了处理经过，客户表示理解。"


def _pick(rng: Random, table) -> int:
    roll, seen = rng.randrange(sum(w for _v, w in table)), 0
    for value, weight in table:
        seen += weight
        if roll < seen:
            return value
    return table[-1][0]


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


def survey_history(ctx) -> tuple[int, int]:
    """(scores at resolution stored as answers, SMS surveys sent) for the orders of this run."""
    from kefu.orders.models import Feedback, WorkOrder
    from kefu.surveys import services as surveys
    from kefu.surveys.models import Answer, Channel, Invitation, Question

    mirrored, last = 0, 0
    scored = (Feedback.objects.filter(order_id__gte=ctx.first_order_id, score__isnull=False).select_related("order")
              .only("id", "order_id", "order__customer_id", "score", "channel", "at"))
    while batch := list(scored.filter(pk__gt=last).order_by("pk")[:5000]):
        last = batch[-1].pk
        mirrored += surveys.mirror_feedback(batch)

    instrument = surveys.active("post_resolution")
    if instrument is None:
        return mirrored, 0
    questions = {(q.type, q.dimension): q for q in instrument.questions.all()}
    text_question = next((q for q in instrument.questions.all() if q.type == Question.Type.TEXT), None)
    end = ctx.horizon.replace(tzinfo=ctx.tz)
    rng = Random(ctx.seed * 7919 + 16)
    fatigue = dt.timedelta(days=settings.KEFU_SURVEY_FATIGUE_DAYS)
    expiry = dt.timedelta(hours=settings.KEFU_SURVEY_EXPIRY_HOURS)
    threshold = settings.KEFU_SATISFIED_THRESHOLD
    resolved = (WorkOrder.objects.filter(pk__gte=ctx.first_order_id, resolved_at__gte=end - dt.timedelta(weeks=SMS_WEEKS),
                                         resolved_at__lte=end - dt.timedelta(minutes=10))
                .order_by("resolved_at", "pk").values_list("pk", "customer_id", "kind", "resolved_at", "satisfaction"))
    asked: dict[int, dt.datetime] = {}
    invitations, answers = [], []
    for order_id, customer_id, kind, resolved_at, satisfaction in resolved:
        if customer_id in asked and resolved_at - asked[customer_id] < fatigue:
            continue
        asked[customer_id] = resolved_at
        sent = resolved_at + dt.timedelta(seconds=rng.randrange(30, 300))
        invitation = Invitation(instrument=instrument, customer_id=customer_id, order_id=order_id, channel=Channel.SMS_LINK,
                                token=secrets.token_urlsafe(32), created_at=sent, expires_at=sent + expiry)
        answered_at = sent + dt.timedelta(minutes=rng.randrange(3, 600))
        local = answered_at.astimezone(ctx.tz)
        if local.hour < 8:  # people answer in the day: the night's texts in the morning
            answered_at += dt.timedelta(hours=8 - local.hour, minutes=rng.randrange(0, 90))
        if rng.random() < ANSWERED and answered_at <= end:
            invitation.status, invitation.answered_at = Invitation.Status.ANSWERED, answered_at
            overall = satisfaction or _pick(rng, SCORES)
            complaint = kind == "complaint"
            scores = {
                ("score", "overall"): overall,
                ("score", "attitude"): _clamp(overall + rng.choice((0, 0, 1, 1)), 1, 10),
                ("score", "result"): _clamp(overall - rng.choice((0, 1, 2, 3) if complaint else (0, 0, 0, 1)), 1, 10),
                ("score", "timeliness"): _clamp(overall - rng.choice((0, 1, 1, 2) if complaint else (0, 0, 1)), 1, 10),
                ("recommend", ""): _clamp(overall + rng.choice((-2, -1, 0, 0, 1)), 0, 10),
            }
            for key, score in scores.items():
                if key in questions:
                    answers.append((invitation, Answer(question=questions[key], score=score)))
            if text_question is not None and rng.random() < 0.3:
                comment = rng.choice(PRAISE if overall >= threshold else COMPLAINTS)
                answers.append((invitation, Answer(question=text_question, text=comment)))
            if min(s for (kind_, _d), s in scores.items() if kind_ == "score") < threshold:
                invitation.flagged_at = answered_at
                if end - answered_at > dt.timedelta(days=3):
                    invitation.reviewed_at, invitation.review_note = answered_at + dt.timedelta(hours=20), REVIEW_NOTE
        elif sent + expiry <= end:
            invitation.status = Invitation.Status.EXPIRED
        invitations.append(invitation)
    Invitation.objects.bulk_create(invitations, batch_size=2000)
    for invitation, answer in answers:
        answer.invitation_id = invitation.pk
    Answer.objects.bulk_create([a for _i, a in answers], batch_size=2000)  # the invitations' ids came back
    return mirrored, len(invitations)


# The follow-up calls of the weeks before: the complaints (and a tenth of the rest) resolved
# before the live queue's time limit, called by the front office, mostly reached on the first or
# second try, some unreachable after three.
FOLLOWUP_SAMPLE = 0.1
CALL_NOTES = ("客户表示问题已解决，对处理结果满意。", "客户确认费用已退回。", "客户表示网络已恢复正常。",
              "客户对处理速度表示满意，建议加强营业厅培训。")


def followup_history(ctx) -> int:
    """Follow-up tasks with their calls and outcomes for the orders of this run resolved in the
    SMS_WEEKS weeks before the live queue's (`kefu demo` fills that one through the rules)."""
    from django.contrib.auth.models import Group

    from kefu.followup.models import Attempt, FollowUpTask
    from kefu.followup.services import calling_time
    from kefu.orders.models import WorkOrder
    from kefu.staff import roles
    from kefu.staff.models import User

    callers = list(User.objects.filter(groups__in=Group.objects.filter(name__in=[roles.AGENT, roles.COORDINATOR]))
                   .order_by("pk").values_list("pk", flat=True).distinct())
    if not callers:
        return 0
    end = ctx.horizon.replace(tzinfo=ctx.tz)
    live = end - dt.timedelta(hours=settings.KEFU_FOLLOWUP_DUE_HOURS)
    rng = Random(ctx.seed * 7919 + 17)
    resolved = (WorkOrder.objects.filter(pk__gte=ctx.first_order_id, resolved_at__gte=end - dt.timedelta(weeks=SMS_WEEKS),
                                         resolved_at__lt=live)
                .order_by("resolved_at", "pk").values_list("pk", "kind", "resolved_at"))
    tasks, calls = [], []
    for order_id, kind, resolved_at in resolved:
        if kind != "complaint" and rng.random() >= FOLLOWUP_SAMPLE:
            continue
        caller = rng.choice(callers)
        due = resolved_at + dt.timedelta(hours=settings.KEFU_FOLLOWUP_DUE_HOURS)
        unreachable = rng.random() < 0.1
        tries = settings.KEFU_FOLLOWUP_ATTEMPTS if unreachable else rng.choice((1, 1, 1, 2))
        at = resolved_at.astimezone(ctx.tz).replace(hour=10, minute=0, second=0) + dt.timedelta(
            days=1, minutes=rng.randrange(0, 420))
        task = FollowUpTask(order_id=order_id, reason="complaint" if kind == "complaint" else "sample", status="done",
                            created_at=resolved_at, due_at=due, assignee_id=caller, assigned_at=resolved_at,
                            attempts=tries, outcome="unreachable" if unreachable else "satisfied",
                            note="" if unreachable else rng.choice(CALL_NOTES))
        for n in range(tries):
            at = calling_time(at)  # within calling hours, never on a rest day
            reached = not unreachable and n == tries - 1
            calls.append((task, Attempt(at=at, result="reached" if reached else rng.choice(("no_answer", "busy")),
                                        by_id=caller, note=task.note if reached else "")))
            task.outcome_at = at
            at += dt.timedelta(minutes=settings.KEFU_FOLLOWUP_RETRY_MINUTES + rng.randrange(0, 30))
        tasks.append(task)
    FollowUpTask.objects.bulk_create(tasks, batch_size=2000)
    for task, call in calls:
        call.task_id = task.pk
    Attempt.objects.bulk_create([c for _t, c in calls], batch_size=2000)
    return len(tasks)


# The quarterly relationship surveys (季度满意度调查) of the year before the demo's day: a wave
# three weeks into each quarter, about a quarter of those asked answering, satisfaction a
# little better each quarter.
WAVE_SIZE = 240
WAVE_QUARTERS_BACK = (4, 2, 1, 0)  # the same quarter last year, then the last three
WAVE_ANSWERED = 0.27


def _quarter_start(day: dt.date, back: int) -> dt.date:
    n = day.year * 4 + (day.month - 1) // 3 - back
    return dt.date(n // 4, (n % 4) * 3 + 1, 1)


def relationship_history(ctx) -> int:
    """Relationship survey waves of the quarters WAVE_QUARTERS_BACK before the demo's day, sent
    and answered through the surveys services as of their days; returns the answers made."""
    from kefu.surveys import services as surveys
    from kefu.surveys.models import Invitation

    instrument = surveys.active("relationship")
    if instrument is None:
        return 0
    questions = list(instrument.questions.all())
    end = ctx.horizon.replace(tzinfo=ctx.tz)
    rng = Random(ctx.seed * 7919 + 18)
    answered = 0
    for back in WAVE_QUARTERS_BACK:
        first = _quarter_start(ctx.anchor, back)
        sent = dt.datetime.combine(first + dt.timedelta(days=20), dt.time(10), ctx.tz)
        if sent >= end:
            continue
        quarter = f"{first.year}Q{(first.month - 1) // 3 + 1}"
        try:
            wave = surveys.create_wave(None, quarter, WAVE_SIZE, ctx.seed * 100 + back, now=sent)
        except Exception:  # noqa: BLE001 - nobody to ask (a tiny seed), or this quarter's wave exists (a second run)
            continue
        surveys.send_wave(wave.pk, now=sent)
        lift = (4 - back) * 0.15  # better each quarter
        for invitation in Invitation.objects.filter(wave=wave).order_by("pk"):
            at = sent + dt.timedelta(hours=rng.randrange(1, 24 * 10))
            if rng.random() >= WAVE_ANSWERED or at >= end:
                continue
            overall = _clamp(round(_pick(rng, SCORES) + lift - 0.4), 1, 10)
            values: dict = {}
            for q in questions:
                if q.type == "score":
                    values[q.pk] = overall if q.dimension == "overall" else _clamp(overall + rng.choice((-2, -1, 0, 0, 1)), 1, 10)
                elif q.type == "recommend":
                    values[q.pk] = _clamp(overall + rng.choice((-2, -1, 0, 0, 1)), 0, 10)
                elif q.type == "text" and rng.random() < 0.15:
                    values[q.pk] = rng.choice(("信号很好，资费希望再优惠些。", "营业厅排队时间长。", "宽带很稳定，满意。",
                                               "希望农村地区的信号再加强。", "客服热线接通快，服务好。"))
            surveys.answer(invitation.pk, values, now=at)
            answered += 1
    return answered
