"""首问负责: the first-contact owner changes only by `handover` (one order) or
`hand_over_shift` (交接班: every order a person still answers for), each explicit and logged;
and `_adopt`, by which the first person to take an order a system user registered (the portal)
becomes its owner (accept, assign, claim)."""

from django.db import transaction
from django.utils.translation import gettext as _

from kefu import scopes
from kefu.core.errors import Forbidden, ValidationFailed
from kefu.core.services import find, require
from kefu.staff import services as staff

from ..models import WorkOrder
from ..states import TRANSITIONS
from .transitions import _begin, _finish


@transaction.atomic
def handover(actor, order_id, *, new_owner_id, reason, note=""):
    """Hand first-contact ownership (首问负责) to another person: explicit and logged."""
    order = _begin(actor, order_id, "handover", reason=reason)
    from kefu.staff.models import User

    new_owner = find(User.objects, pk=new_owner_id, is_active=True)
    if new_owner is None:
        raise ValidationFailed(_("Unknown new owner."), fields={"new_owner_id": _("no active user with this id")})
    if new_owner.pk == order.owner_id:
        raise ValidationFailed(_("That person already owns the order."), fields={"new_owner_id": _("is already the owner")})
    data = {"owner": [order.owner_id, new_owner.pk]}
    order.owner = new_owner
    return _finish(order, actor, "handover", reason=reason, note=note, data=data)


SHIFT_HANDOVER_BATCH = 500


@transaction.atomic
def hand_over_shift(actor, *, new_owner_id, reason, from_owner_id=None, note="") -> tuple[list[WorkOrder], int]:
    """交接班: hand first-contact ownership of the orders FROM_OWNER (default: the actor) still
    answers for — open, resolved or confirmed — to NEW_OWNER, each as a `handover` with its own
    event, in one transaction: all of them or (refused) none. At most SHIFT_HANDOVER_BATCH at a
    time, oldest first; returns (the orders handed over, how many remain). Someone else's
    orders need manage_any_workorder, as for one order. Handling is not handed over: handlers'
    work moves by requeue or transfer."""
    require(actor, "orders.handover_workorder")
    from_owner_id = from_owner_id or actor.pk
    if from_owner_id != actor.pk and not actor.has_perm("orders.manage_any_workorder"):
        raise Forbidden(_("Only the first-contact owner may do this."))
    if not (reason or "").strip():
        raise ValidationFailed(_("A reason is required."), fields={"reason": _("is required for this action")})
    owned = scopes.restrict(actor, WorkOrder.objects).filter(owner_id=from_owner_id, status__in=TRANSITIONS["handover"].sources)
    ids = list(owned.order_by("pk").values_list("pk", flat=True)[:SHIFT_HANDOVER_BATCH])
    done = [handover(actor, pk, new_owner_id=new_owner_id, reason=reason, note=note) for pk in ids]
    return done, owned.count()


def _adopt(order, person, data: dict, system_owners=None) -> dict:
    """首问负责 for what a system user (the portal) registered: the first person to accept or
    take such an order becomes its first-contact owner, recorded on the event (DATA).
    SYSTEM_OWNERS: the system users among the owners, when a batch has read them already."""
    if person is None or order.owner_id == person.pk:
        return data
    if system_owners is None:
        system_owners = staff.system_user_ids({order.owner_id})
    if order.owner_id in system_owners:
        data["owner"], order.owner = [order.owner_id, person.pk], person
    return data
