"""Dispatch (派单): which department an order goes to, by the operator's ordered rules."""

from django.db import transaction
from django.utils.translation import gettext as _

from kefu.core.errors import ValidationFailed
from kefu.core.services import get_or_404, require
from kefu.orders.matching import matched_criteria, order_facts

from .models import DispatchRule


def route(order):
    """The first matching active rule, or None."""
    facts = order_facts(order)
    rules = DispatchRule.objects.filter(is_active=True).select_related("department").order_by("position", "id")
    return next((rule for rule in rules if matched_criteria(rule, facts) is not None), None)


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
