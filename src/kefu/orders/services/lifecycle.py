"""The closed loop's steps, one function per action: 受理 (`accept`), `start`, waiting for the
customer and back (`wait_for_customer`, `resume`, `record_answer`), `resolve`, `confirm` (as
relayed from the customer), 归档 (`close`), `reject`, `cancel` and 再次投诉 (`reopen`). Each
checks and locks the order (transitions._begin) and records one event (transitions._finish)."""

from django.db import transaction
from django.utils.translation import gettext as _

from kefu.core.errors import InvalidTransition, ValidationFailed

from .. import extensions
from .feedback import _feedback
from .ownership import _adopt
from .transitions import _begin, _finish, _reopen, allowed_actions, channel_problem


@transaction.atomic
def accept(actor, order_id, *, note=""):
    """受理: the request is registered and taken on."""
    order = _begin(actor, order_id, "accept")
    return _finish(order, actor, "accept", note=note, data=_adopt(order, actor, {}))


@transaction.atomic
def start(actor, order_id, *, note=""):
    order = _begin(actor, order_id, "start")
    return _finish(order, actor, "start", note=note)


@transaction.atomic
def wait_for_customer(actor, order_id, *, reason, note="", visibility="customer"):
    """Pause: the handler needs something from the customer."""
    order = _begin(actor, order_id, "wait", reason=reason)
    return _finish(order, actor, "wait", reason=reason, note=note, visibility=visibility)


@transaction.atomic
def resume(actor, order_id, *, note=""):
    order = _begin(actor, order_id, "resume")
    return _finish(order, actor, "resume", note=note)


@transaction.atomic
def record_answer(actor, order_id, *, answer, channel="hotline"):
    """The customer's answer to what the handler asked while the order waited for them, from
    the portal or taken on a call: the work goes on (the paused clocks resume). It is the
    customer's word, shown to them as theirs, and no reply by the provider (sla.CUSTOMER_WORDS)."""
    order = _begin(actor, order_id, "answer")
    errors = {}
    if not (answer or "").strip():
        errors["answer"] = _("is required")
    if problem := channel_problem(channel):
        errors["channel"] = problem
    if errors:
        raise ValidationFailed(_("The input is invalid."), fields=errors)
    return _finish(order, actor, "answer", note=answer.strip(), visibility="customer", data={"channel": channel})


@transaction.atomic
def resolve(actor, order_id, *, resolution, note=""):
    """Record the solution and feed it back to the customer (反馈)."""
    order = _begin(actor, order_id, "resolve")
    if not (resolution or "").strip():
        raise ValidationFailed(_("A resolution is required."), fields={"resolution": _("is required")})
    order.resolution = resolution.strip()
    order.needs_review = False
    return _finish(order, actor, "resolve", note=note or order.resolution, visibility="customer")


@transaction.atomic
def confirm(actor, order_id, *, channel, customer_confirmed: bool, note=""):
    """The customer's word that the problem is solved, relayed by whoever heard it: the CHANNEL
    it came by, CUSTOMER_CONFIRMED stated explicitly, and NOTE the customer's own words. It is
    recorded as record_feedback records a confirmation (a Feedback row, here without a score)
    and the event says it was relayed. Never by the person who resolved the order (_refusal):
    that is the customer's to say. The customer on the portal confirms by record_feedback."""
    order = _begin(actor, order_id, "confirm")
    errors = {}
    if not customer_confirmed:
        errors["customer_confirmed"] = _("record a confirmation only when the customer said the problem is solved")
    if problem := channel_problem(channel):
        errors["channel"] = problem
    if errors:
        raise ValidationFailed(_("The input is invalid."), fields=errors)
    note = (note or "").strip()
    feedback = _feedback(order, actor, confirmed=True, score=None, comment=note, channel=channel)
    order.needs_review = False
    data = {"feedback": feedback.pk, "score": None, "confirmed": True, "channel": channel, "relayed": True}
    return _finish(order, actor, "confirm", note=note, data=data)


@transaction.atomic
def close(actor, order_id, *, note=""):
    """归档: the first-contact owner closes the loop, once nothing other apps guard the close
    with is missing (orders.extensions.guards_close, e.g. a complaint's follow-up call): else
    InvalidTransition naming what is missing. The system (ACTOR None) is held back alike."""
    order = _begin(actor, order_id, "close")
    if missing := extensions.close_refusals(order):
        raise InvalidTransition(" ".join(missing), state=order.status, missing=missing,
                                allowed_actions=[a for a in allowed_actions(order, actor) if a != "close"])
    return _finish(order, actor, "close", note=note)


@transaction.atomic
def reject(actor, order_id, *, reason, note=""):
    order = _begin(actor, order_id, "reject", reason=reason)
    return _finish(order, actor, "reject", reason=reason, note=note, visibility="customer")


@transaction.atomic
def cancel(actor, order_id, *, reason, note=""):
    """The customer withdrew the request."""
    order = _begin(actor, order_id, "cancel", reason=reason)
    return _finish(order, actor, "cancel", reason=reason, note=note, visibility="customer")


@transaction.atomic
def reopen(actor, order_id, *, reason, note="", to_owner=False, data=None):
    """再次投诉: the customer disputes the resolution; the order goes back to its handler, or,
    TO_OWNER, to its first-contact owner (首问负责制: a follow-up call found the problem back, and
    the owner takes it up again). DATA goes on the reopen event (e.g. the follow-up's record)."""
    from .assignment import _move

    order = _begin(actor, order_id, "reopen", reason=reason)
    moved = {}
    if to_owner and order.owner_id is not None:
        owner = order.owner
        moved = _move(order, owner.department, owner)
    return _reopen(order, actor, reason, note, data=(data or {}) | moved)
