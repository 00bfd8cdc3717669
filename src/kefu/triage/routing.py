"""Dispatch (派单): which department an order goes to, by the operator's ordered rules."""

from django.db import transaction
from django.utils.translation import gettext as _

from kefu.core.errors import ValidationFailed
from kefu.core.services import get_or_404, require

from .models import DispatchRule

CRITERIA = ("kind", "severity", "channel", "segment", "province")


def route(order):
    """The first matching active rule, or None."""
    from kefu.orders.models import Category

    facts = {"kind": order.kind, "severity": order.severity, "channel": order.channel,
             "segment": order.customer.segment,
             "province": order.subscription.province if order.subscription_id else order.customer.province}
    line = None
    for rule in DispatchRule.objects.filter(is_active=True).select_related("department").order_by("position", "id"):
        if any(getattr(rule, c) and getattr(rule, c) != facts[c] for c in CRITERIA):
            continue
        if rule.category_id is not None:
            line = Category.lineage(order.category_id) if line is None else line
            if rule.category_id not in line:
                continue
        return rule
    return None


@transaction.atomic
def dispatch(actor, order_id, *, note=""):
    """Assign the order to the department its first matching rule names; the event says which rule."""
    from kefu.orders import services as orders
    from kefu.orders.models import WorkOrder

    require(actor, "orders.dispatch_workorder")
    order = get_or_404(WorkOrder, order_id)
    rule = route(order)
    if rule is None:
        raise ValidationFailed(_("No dispatch rule matches this order; add a catch-all rule."),
                               fields={"department_id": _("no rule matched")})
    return orders.assign(actor, order_id, department_id=rule.department_id, note=note,
                         rule={"id": rule.pk, "name": rule.name})
