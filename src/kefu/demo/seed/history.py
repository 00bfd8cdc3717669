"""A work order's history: its events appended step by step, and the order's own fields (status,
handler, department, times, reopen count, satisfaction, version) kept in step with them the way
orders.services would keep them; the milestone times follow orders.states.STAMPS as there."""

import json

from kefu.orders.models import Feedback, OrderEvent
from kefu.orders.states import TRANSITIONS, stamp

from .draws import choice, randint
from .params import CUSTOMER_VISIBLE, FEEDBACK_CHANNELS, S
from .values import fill
from .words import (
    AUTO_CONFIRM_NOTE,
    CANCEL_REASONS,
    DISPUTE_REASON,
    FIRST_REPLIES,
    HAPPY_COMMENTS,
    LOW_SCORE_REASON,
    REJECT_REASONS,
    REOPEN_REASONS,
    TRANSFER_REASONS,
    TRANSFER_TO,
    UNHAPPY_COMMENTS,
    WAIT_REASONS,
)


class Order:
    """The work order row while its history is being written. Its times are copies of its
    events' times, already converted for the database. Its id is provisional and its number
    is not known yet (orders.Parked completes them)."""

    __slots__ = ("pk", "number", "kind", "category_id", "severity", "channel", "status", "customer_id",
                 "subscription_id", "title", "description", "customer_summary", "resolution", "owner_id", "handler_id", "department_id",
                 "reopen_count", "satisfaction", "needs_review", "accepted_at", "resolved_at", "closed_at",
                 "created_at", "updated_at", "version", "tier", "province")

    def __init__(self, **fields):
        self.status, self.resolution, self.handler_id, self.department_id, self.tier = S.NEW, "", None, None, 1
        self.reopen_count, self.satisfaction, self.needs_review, self.version = 0, None, False, 0
        self.accepted_at = self.resolved_at = self.closed_at = None
        for name, value in fields.items():
            setattr(self, name, value)

    def row(self):
        return (self.pk, self.created_at, self.updated_at, self.version, self.number, self.kind,
                self.category_id, self.severity, self.channel, self.status, self.customer_id, self.subscription_id,
                self.title, self.description, self.customer_summary, self.resolution, self.owner_id, self.handler_id, self.department_id,
                None, self.reopen_count, self.satisfaction, self.needs_review, self.accepted_at,
                self.resolved_at, self.closed_at, 0, False, self.tier, self.province)


class History:
    """Applies a plan to one order: appends events and keeps the order's fields in step,
    the way orders.services would."""

    def __init__(self, ctx, order, route, values, resolutions, budget):
        self.ctx, self.order, self.values, self.resolutions = ctx, order, values, resolutions
        self.dept, self.handler = route
        self.events = ctx.rows(OrderEvent)
        self.last_resolve = None
        self.resolver = None
        self.budget = budget  # how long the order may take before it is late (OPEN_BUDGET_HOURS)
        self.late = False  # the last resolution came after the budget
        self.last_at = None  # the last event's time as stored

    def event(self, action, at, actor, *, reason="", note="", data=None, disputes=None, visibility=None, dump=True):
        order = self.order
        from_status = order.status
        if action in TRANSITIONS:
            t = TRANSITIONS[action]
            assert from_status in t.sources, (action, from_status)  # a bug in plans.plan, not bad input
            order.status = t.target or from_status
        order.version += 1
        order.updated_at = self.last_at = self.ctx.ts(at)
        stamp(order, action, self.last_at)
        pk = self.ctx.take_id(OrderEvent)
        self.events.append((pk, order.pk, self.last_at, actor, action, "" if action == "create" else from_status,
                            order.status, reason, note,
                            visibility or ("customer" if action in CUSTOMER_VISIBLE else "internal"),
                            (json.dumps(data) if data else "{}") if dump else data, disputes))
        return pk

    def create(self, at):
        self.created = at
        o = self.order
        # The data names the order's number, known once its id is: left as a dict, its number
        # filled in and dumped by orders.Parked.
        self.event("create", at, o.owner_id, data={"number": None, "kind": o.kind, "severity": o.severity,
                                                    "channel": o.channel, "category": o.category_id}, dump=False)
        o.created_at = self.last_at

    def apply(self, step, at):
        getattr(self, "_" + step)(at)

    def _move(self, dept_code, handler):
        o = self.order
        dept = self.ctx.dept_ids[dept_code]
        data = {}
        if dept != o.department_id:
            data["department"] = [o.department_id, dept]
        if handler != o.handler_id:
            data["handler"] = [o.handler_id, handler]
        tier = self.ctx.dept_tiers[dept]
        if tier != o.tier:
            data["tier"] = [o.tier, tier]
            o.tier = tier
        o.department_id, o.handler_id = dept, handler
        return data

    def _dispatcher(self):
        return self.ctx.supervisor if self.ctx.rng.random() < 0.2 else self.order.owner_id

    def _reply(self, at):  # the first response: a comment the customer reads
        self.event("comment", at, self.order.owner_id, note=choice(self.ctx.rng, FIRST_REPLIES), visibility="customer")

    def _accept(self, at):
        self.event("accept", at, self.order.owner_id)

    def _assign(self, at):
        self.event("assign", at, self._dispatcher(), data=self._move(self.dept, self.handler))

    def _assign_dept(self, at):  # to the department's queue; someone there claims it
        self.event("assign", at, self._dispatcher(), data=self._move(self.dept, None))

    def _claim(self, at):
        self.event("claim", at, self.handler, data=self._move(self.dept, self.handler))

    def _start(self, at):
        self.event("start", at, self.order.handler_id)

    def _wait(self, at):
        self.event("wait", at, self.order.handler_id, reason=choice(self.ctx.rng, WAIT_REASONS))

    def _resume(self, at):
        self.event("resume", at, self.order.handler_id)

    def _transfer(self, at):
        actor = self.order.handler_id
        self.dept = TRANSFER_TO[self.dept]
        self.handler = choice(self.ctx.rng, self.ctx.pool[self.dept])
        self.event("transfer", at, actor, reason=TRANSFER_REASONS[self.dept], data=self._move(self.dept, self.handler))

    def _resolve(self, at):
        o = self.order
        o.resolution = fill(self.resolutions.pop(0) if len(self.resolutions) > 1 else self.resolutions[0], self.values)
        o.needs_review = False
        self.last_resolve = self.event("resolve", at, o.handler_id, note=o.resolution)
        self.resolver = o.handler_id
        self.late = at - self.created > self.budget

    def _feedback(self, at, *, confirmed, score):
        """A Feedback row as record_feedback writes it; returns (comment, event data)."""
        rng, threshold = self.ctx.rng, self.ctx.threshold
        satisfied = None if score is None else score >= threshold
        comment = choice(rng, HAPPY_COMMENTS if confirmed and satisfied is not False else UNHAPPY_COMMENTS)
        pk, channel = self.ctx.take_id(Feedback), FEEDBACK_CHANNELS.pick(rng)
        self.ctx.rows(Feedback).append((pk, self.order.pk, self.last_resolve, confirmed, score, satisfied, comment,
                                        channel, self._relayer(), self.ctx.ts(at)))
        if score is not None:
            self.order.satisfaction = score
        return comment, {"feedback": pk, "score": score, "confirmed": confirmed, "channel": channel}

    def _relayer(self):
        """Who records the customer's answer to a resolution: the first-contact owner, or when the
        owner resolved it themselves, a colleague on the follow-up call (回访): the person who
        resolved an order never confirms it for the customer (orders.services.confirm). The
        colleague is chosen by the order's id, not known yet: minus the resolver's id stands for
        them until orders.Parked calls colleague()."""
        resolver, owner = self.resolver, self.order.owner_id
        return owner if owner != resolver else -resolver


    def _confirm_fb(self, at):
        scores = self.ctx.late_scores if self.late else self.ctx.happy_scores
        comment, data = self._feedback(at, confirmed=True, score=scores.pick(self.ctx.rng))
        self.order.needs_review = False
        self.event("confirm", at, self._relayer(), note=comment, data=data)

    def _confirm(self, at):  # relayed by the owner, as orders.services.confirm records it: no score
        comment, data = self._feedback(at, confirmed=True, score=None)
        self.order.needs_review = False
        self.event("confirm", at, self._relayer(), note=comment, data=data | {"relayed": True})

    def _auto_confirm(self, at):
        hours = int(self.ctx.auto_confirm.total_seconds() // 3600)
        self.event("auto_confirm", at, None, note=AUTO_CONFIRM_NOTE.format(hours=hours))

    def _low_score(self):
        return randint(self.ctx.rng, 1, max(1, self.ctx.threshold - 1))

    def _feedback_low(self, at):  # KEFU_LOW_SCORE_ACTION=review: flagged, status unchanged
        comment, data = self._feedback(at, confirmed=True, score=self._low_score())
        self.order.needs_review = True
        self.event("feedback", at, self._relayer(), note=comment, data=data | {"review": True})

    def _dispute(self, at):
        """The customer's answer reopens the order: disputed, or (reopen mode) scored too low."""
        if not self.ctx.review_low_scores and self.ctx.rng.random() < 0.4:
            comment, data = self._feedback(at, confirmed=True, score=self._low_score())
            reason = LOW_SCORE_REASON.format(score=data["score"], min=self.ctx.threshold)
        else:
            score = None if self.ctx.rng.random() < 0.4 else self._low_score()
            comment, data = self._feedback(at, confirmed=False, score=score)
            reason = DISPUTE_REASON
        self._reopen_event(at, reason, comment, data)

    def _reopen(self, at):
        self._reopen_event(at, choice(self.ctx.rng, REOPEN_REASONS), "", {})

    _reopen_closed = _reopen

    def _reopen_event(self, at, reason, note, data):
        o = self.order
        o.reopen_count += 1
        o.needs_review = False
        self.event("reopen", at, o.owner_id, reason=reason, note=note,
                   data=data | {"reopen_count": o.reopen_count}, disputes=self.last_resolve)

    def _close(self, at):
        self.event("close", at, self.order.owner_id)

    def _reject(self, at):
        actor = self.ctx.supervisor if self.ctx.rng.random() < 0.3 else self.order.owner_id
        self.event("reject", at, actor, reason=choice(self.ctx.rng, REJECT_REASONS))

    def _cancel(self, at):
        self.event("cancel", at, self.order.owner_id, reason=choice(self.ctx.rng, CANCEL_REASONS))


def colleague(ctx, resolver, order_id):
    """The colleague of RESOLVER who relays the customer's answer on the order ORDER_ID."""
    colleagues = [u for u in ctx.owners if u != resolver]
    return colleagues[order_id % len(colleagues)]
