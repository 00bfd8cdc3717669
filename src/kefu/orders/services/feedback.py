"""The customer's answer to a resolution (回访): `record_feedback` (confirmed and satisfied:
confirmed; disputed or below the satisfaction threshold: reopened or flagged for review),
`_feedback` (the Feedback row, also written by lifecycle.confirm) and `auto_confirm_due`
(resolved orders the customer left unanswered). Who resolved an order (`resolver_id`) is read
by the checks, so it lives in transitions."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core.errors import Forbidden, ValidationFailed
from kefu.core.services import require

from ..models import Feedback, Status, WorkOrder
from .transitions import (
    RESOLVER_CANNOT_CONFIRM,
    _event,
    _finish,
    _invalid,
    _locked,
    _reopen,
    channel_problem,
    resolver_id,
)


@transaction.atomic
def record_feedback(actor, order_id, *, confirmed: bool, score: int | None = None, comment="", channel="hotline"):
    """The customer's answer to the resolution, usually taken on the follow-up call (回访).

    Confirmed and satisfied → confirmed. Disputed → reopened. Confirmed but below the
    satisfaction threshold → reopened or flagged for review (KEFU_LOW_SCORE_ACTION).
    """
    require(actor, "orders.record_feedback")
    order = _locked(order_id, actor)
    if order.status != Status.RESOLVED:
        raise _invalid(order, actor)
    if confirmed and resolver_id(order) == actor.pk:
        raise Forbidden(RESOLVER_CANNOT_CONFIRM)
    if score is not None and not 1 <= score <= 10:
        raise ValidationFailed(_("Invalid score."), fields={"score": _("must be between 1 and 10")})
    if problem := channel_problem(channel):
        raise ValidationFailed(_("The input is invalid."), fields={"channel": problem})
    feedback = _feedback(order, actor, confirmed=confirmed, score=score, comment=comment, channel=channel)
    satisfied = feedback.satisfied
    if score is not None:
        order.satisfaction = score
    data = {"feedback": feedback.pk, "score": score, "confirmed": confirmed, "channel": channel}
    if not confirmed:
        _reopen(order, actor, _("The customer disputes the resolution."), comment, data=data)
    elif satisfied is False and settings.KEFU_LOW_SCORE_ACTION == "reopen":
        _reopen(order, actor, _("Satisfaction score %(score)s is below %(min)s.") % {"score": score, "min": settings.KEFU_SATISFIED_THRESHOLD}, comment, data=data)
    elif satisfied is False:
        order.needs_review = True
        order.version += 1
        order.save()
        _event(order, actor, "feedback", order.status, order.status, note=comment, data=data | {"review": True})
    else:
        order.needs_review = False
        _finish(order, actor, "confirm", note=comment, data=data)
    return feedback


def _feedback(order, actor, *, confirmed, score, comment, channel) -> Feedback:
    """The customer's answer to ORDER's latest resolution, as a Feedback row."""
    resolution_event = order.events.filter(action="resolve").order_by("-at", "-id").first()
    satisfied = None if score is None else score >= settings.KEFU_SATISFIED_THRESHOLD
    return Feedback.objects.create(order=order, resolution_event=resolution_event, confirmed=confirmed, score=score,
                                   satisfied=satisfied, comment=comment, channel=channel, recorded_by=actor, at=timezone.now())


def auto_confirm_due(*, now=None, batch_size=500) -> int:
    """Confirm resolved orders the customer has not answered within KEFU_AUTO_CONFIRM_HOURS.

    Walks the (status, resolved_at) index in batches; each order is its own transaction so
    one failure does not hold back the rest. Orders flagged for review wait for a person.
    """
    cutoff = (now or timezone.now()) - timedelta(hours=settings.KEFU_AUTO_CONFIRM_HOURS)
    done = 0
    while True:
        ids = list(WorkOrder.objects.filter(status=Status.RESOLVED, resolved_at__lt=cutoff, needs_review=False)
                   .order_by("resolved_at").values_list("pk", flat=True)[:batch_size])
        if not ids:
            return done
        for order_id in ids:
            with transaction.atomic():
                order = _locked(order_id)
                if order.status != Status.RESOLVED or order.needs_review:
                    continue
                _finish(order, None, "auto_confirm", note=_("No answer from the customer within %(h)s hours.") % {"h": settings.KEFU_AUTO_CONFIRM_HOURS})
                done += 1
