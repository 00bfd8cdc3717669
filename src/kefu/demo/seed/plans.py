"""What happens to a work order: its actions (a legal walk of orders.states.TRANSITIONS), the
time between them, and where it is dispatched."""

import datetime as dt

from kefu.orders.models import Kind, Severity

from .draws import choice, randint, randrange, skewed
from .params import (
    CANCEL_STOPS,
    CONFIRM_WAYS,
    DAY,
    GAPS,
    ON_CALL_STEP_SECONDS,
    ON_TIME_SHARE,
    OPEN_BUDGET_HOURS,
    REJECT_STOPS,
    RESOLVED_WITHIN,
    S,
)


def _reach(rng, status, kind):
    """Actions from `new` to the open STATUS."""
    if status == S.NEW:
        return []
    if status == S.ACCEPTED:
        return ["accept"]
    if status == S.ASSIGNED:
        if kind in (Kind.CONSULTATION, Kind.PRAISE):
            return ["accept", "claim"]
        r = rng.random()
        return ["accept"] + (["assign"] if r < 0.6 else ["assign_dept", "claim"] if r < 0.85 else ["claim"])
    steps = _reach(rng, S.ASSIGNED, kind) + ["start"]
    if kind in (Kind.FAULT, Kind.COMPLAINT, Kind.BUSINESS) and rng.random() < 0.08:
        steps += ["transfer", "start"]
    if rng.random() < 0.12:
        steps += ["wait", "resume"]
    if status == S.WAITING_CUSTOMER:
        steps.append("wait")
    return steps


def plan(ctx, final, kind):
    """The actions, in order, that take a new order to FINAL (a legal walk of TRANSITIONS).
    Orders with a first-response time limit get a reply to the customer first."""
    steps = _walk(ctx, final, kind)
    if steps and kind not in (Kind.SUGGESTION, Kind.PRAISE):
        steps.insert(0, "reply")
    return steps


def _walk(ctx, final, kind):
    rng = ctx.rng
    if final in (S.NEW, S.ACCEPTED, S.ASSIGNED, S.WAITING_CUSTOMER):
        return _reach(rng, final, kind)
    if final == S.REJECTED:
        return _reach(rng, REJECT_STOPS.pick(rng), kind) + ["reject"]
    if final == S.CANCELLED:
        return _reach(rng, CANCEL_STOPS.pick(rng), kind) + ["cancel"]
    steps = _reach(rng, S.IN_PROGRESS, kind)
    if final == S.IN_PROGRESS:
        return steps + (["resolve", choice(rng, ["dispute", "reopen"])] if rng.random() < 0.05 else [])
    steps.append("resolve")
    reopen = rng.random()
    if reopen < 0.06:
        steps += [choice(rng, ["dispute", "reopen"]), "resolve"]
    review = ctx.review_low_scores
    if final == S.RESOLVED:
        return steps + (["feedback_low"] if review and rng.random() < 0.15 else [])
    steps += ["feedback_low", "confirm"] if review and rng.random() < 0.03 else [CONFIRM_WAYS.pick(rng)]
    if final == S.CONFIRMED:
        return steps
    steps.append("close")
    if 0.06 <= reopen < 0.09:  # the customer complains again after the order was archived
        steps += ["reopen_closed", "resolve", choice(rng, ["confirm_fb", "auto_confirm"]), "close"]
    return steps


# An order settled on the call: its first-contact owner replies, accepts, takes and starts it,
# then resolves it; what follows the resolution is as for any order.
ON_CALL_STEPS = ["reply", "accept", "claim", "start"]


def on_call(ctx, plan, gaps):
    """(plan, gaps, steps on the call) of an order settled on the call that raised it: PLAN's
    way to the first resolution replaced by ON_CALL_STEPS, seconds apart (ON_CALL_STEP_SECONDS);
    what follows it, and its GAPS, kept."""
    upto = plan.index("resolve")
    lo, hi = ON_CALL_STEP_SECONDS
    live = len(ON_CALL_STEPS) + 1
    return (ON_CALL_STEPS + plan[upto:], [dt.timedelta(seconds=randint(ctx.rng, lo, hi)) for _n in range(live)]
            + gaps[upto + 1:], live)


def gap(ctx, action, kind) -> dt.timedelta:
    rng = ctx.rng
    if action == "auto_confirm":
        return ctx.auto_confirm + dt.timedelta(seconds=randint(rng, 60, 3600))  # the job runs now and then
    lo, hi = (5, 150) if action == "resolve" and kind == Kind.CONSULTATION else GAPS[action]
    return dt.timedelta(seconds=int(skewed(rng, lo, hi) * 60))


def in_time(ctx, plan, gaps, budget):
    """GAPS with the way to the first resolution shortened to fit the order's budget for all but
    ON_TIME_SHARE of the orders (the late ones take up to twice it): finished work was mostly on
    time, as the open backlog is."""
    if "resolve" not in plan:
        return gaps
    rng, upto = ctx.rng, plan.index("resolve") + 1
    want = budget * (0.1 + 0.8 * rng.random() if rng.random() < ON_TIME_SHARE else 1 + rng.random())
    taken = sum(gaps[:upto], dt.timedelta())
    if taken <= want:
        return gaps
    scale = want / taken
    return [dt.timedelta(seconds=max(1, int(g.total_seconds() * scale))) for g in gaps[:upto]] + gaps[upto:]


def open_timeline(ctx, created, gaps):
    """(created, event times) of an order still open: its history fits between CREATED and the
    horizon (gaps shortened if need be, no moves by whole days), so its clocks are as young as it."""
    total = sum(gaps, dt.timedelta())
    room = (ctx.horizon - created) * 0.9
    scale = min(1.0, room / total) if total else 1.0
    times, at = [], created
    for gap in gaps:
        at += dt.timedelta(seconds=max(1, int(gap.total_seconds() * scale)))
        times.append(at)
    return created, times


def timeline(ctx, created, final, plan, gaps, live=0):
    """(created, event times). Staff work that would fall at night moves to the next morning
    (the auto-confirm job runs any time), but for the first LIVE steps, done on the call. A history that runs past the horizon, or a resolved
    one old enough to have been auto-confirmed, moves by whole days: hours of day stay put."""
    rng, times, at = ctx.rng, [], created
    for n, (step, gap) in enumerate(zip(plan, gaps, strict=True)):
        at += gap
        if n >= live and step != "auto_confirm" and not 8 <= at.hour < 22:
            morning = at.replace(hour=8, minute=0, second=0) + (DAY if at.hour >= 22 else dt.timedelta())
            at = morning + dt.timedelta(seconds=randrange(rng, 6 * 3600))
        times.append(at)
    room = ctx.horizon - (times[-1] if times else created)
    shift = dt.timedelta()
    if room <= dt.timedelta():
        shift = -((-room) // DAY + 1) * DAY
    elif final == S.RESOLVED and room > RESOLVED_WITHIN:
        shift = randint(rng, -((RESOLVED_WITHIN - room) // DAY), (room - dt.timedelta(seconds=1)) // DAY) * DAY
    return created + shift, [t + shift for t in times]


def route(ctx, kind, category_code, owner):
    """(department code, handler) the order is dispatched to."""
    rng = ctx.rng
    if kind == Kind.CONSULTATION:  # answered by whoever took it
        return ctx.user_dept[owner], owner
    if kind == Kind.PRAISE:  # the team lead passes praise on to the staff it names
        return "front-office", ctx.supervisor
    if kind == Kind.FAULT:
        network = category_code in ("fault-no-signal", "fault-call-quality", "fault-line")
        dept = "network-ops" if network and rng.random() < 0.5 else "tech-support"
    elif kind == Kind.COMPLAINT:
        dept = "billing" if category_code.startswith("cmp-billing") else "complaints"
    elif kind == Kind.SUGGESTION:
        dept = "sales" if category_code == "sug-product" else "complaints"
    else:
        dept = "store" if ctx.user_dept[owner] == "store" else choice(rng, ["front-office", "sales"])
    return dept, choice(rng, ctx.pool[dept])



def budget(kind, severity) -> dt.timedelta:
    key = (kind, severity) if (kind, severity) in OPEN_BUDGET_HOURS else (kind, Severity.GENERAL)
    return dt.timedelta(hours=OPEN_BUDGET_HOURS[key])
