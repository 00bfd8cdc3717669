"""Data scopes: which customers, contacts and work orders a member of staff may see at all.

Permissions say what someone may do (view a work order, close it); the data scope says to
which rows: their own, their department's, their region's, or all. Scopes nest: a wider one
includes the narrower ones. Every read of customer data in the services, the admin and the
exports passes through `restrict` (lists) or `visible` (one row), so this module is the one
place the rules live. A row out of scope is answered as if it did not exist (404), so that
its existence does not leak either.

A user's scope is `User.data_scope` when set, else the widest `staff.data_scope_*`
permission their roles grant (roles.py), else `own`. The region is `User.region`, else
KEFU_REGION; an installation that sets neither serves one region, and `region` covers it all.
"""

from django.conf import settings
from django.db.models import Q

from kefu.staff.models import DataScope

# Widest first: the first permission held decides.
_SCOPE_PERMISSIONS = [
    (DataScope.ALL, "staff.data_scope_all"),
    (DataScope.REGION, "staff.data_scope_region"),
    (DataScope.DEPARTMENT, "staff.data_scope_department"),
]
_WIDTH = {DataScope.OWN: 0, DataScope.DEPARTMENT: 1, DataScope.REGION: 2, DataScope.ALL: 3}


def scope_of(user) -> str:
    if user is None or user.is_superuser:  # None: the system itself (workers, migrations)
        return DataScope.ALL
    if user.data_scope:
        return user.data_scope
    cached = getattr(user, "_kefu_scope", None)  # has_perm is cached too, but walks the set
    if cached is None:
        cached = next((s for s, perm in _SCOPE_PERMISSIONS if user.has_perm(perm)), DataScope.OWN)
        user._kefu_scope = cached
    return cached


def region_of(user) -> str:
    return user.region or settings.KEFU_REGION


def covers(user, scope: str) -> bool:
    """Whether USER's scope is at least SCOPE."""
    return _WIDTH[scope_of(user)] >= _WIDTH[scope]


def _orders():
    from kefu.orders.models import WorkOrder

    return WorkOrder.objects


def _order_q(user, scope, region):
    q = Q(handler=user) | Q(owner=user)
    if scope != DataScope.OWN and user.department_id:
        q |= Q(department_id=user.department_id)
    if scope == DataScope.REGION and region:
        q |= Q(province=region)
    return q


def _customer_q(user, scope, region):
    # The customers of the orders in scope, and those the user took contacts from.
    from kefu.contacts.models import Contact

    q = Q(pk__in=_orders().filter(_order_q(user, scope, region)).values("customer_id"))
    q |= Q(pk__in=Contact.objects.filter(agent=user, customer__isnull=False).values("customer_id"))
    if scope == DataScope.REGION and region:
        q |= Q(province=region)
    return q


def _contact_q(user, scope, region):
    # Subqueries rather than joins: a join on the nullable side cannot be locked FOR UPDATE.
    from kefu.customers.models import Customer
    from kefu.staff.models import User

    q = Q(agent=user)
    if scope != DataScope.OWN and user.department_id:
        q |= Q(agent__in=User.objects.filter(department_id=user.department_id))
    if scope == DataScope.REGION and region:
        q |= Q(customer__in=Customer.objects.filter(province=region))
    return q


def _via(path):
    """A rule for rows that belong to a customer or an order: in scope when it is."""
    def q(user, scope, region):
        target = {"customer": _customer_q, "order": _order_q}[path]
        return Q(**{f"{path}__in": _model(path).objects.filter(target(user, scope, region))})
    return q


def _model(path):
    from kefu.customers.models import Customer
    from kefu.orders.models import WorkOrder

    return {"customer": Customer, "order": WorkOrder}[path]


def _rules():
    from kefu.contacts.models import Contact, IdentityVerification
    from kefu.customers.models import Account, Customer, Subscription
    from kefu.orders.models import Feedback, OrderEvent, WorkOrder

    return {
        WorkOrder: _order_q,
        Customer: _customer_q,
        Contact: _contact_q,
        Account: _via("customer"),
        Subscription: lambda user, scope, region: (
            _via("customer")(user, scope, region) | (Q(province=region) if scope == DataScope.REGION and region else Q(pk__in=[]))),
        OrderEvent: _via("order"),
        Feedback: _via("order"),
        IdentityVerification: lambda user, scope, region: Q(contact__in=Contact.objects.filter(_contact_q(user, scope, region))),
    }


def condition(user, model) -> Q | None:
    """The filter that keeps MODEL's rows in USER's scope; None when nothing is filtered out."""
    scope = scope_of(user)
    if scope == DataScope.ALL:
        return None
    region = region_of(user)
    if scope == DataScope.REGION and not region:
        return None
    return _rules()[model](user, scope, region)


def restrict(user, qs):
    """QS narrowed to USER's data scope."""
    q = condition(user, qs.model)
    return qs if q is None else qs.filter(q)


def visible(user, obj) -> bool:
    q = condition(user, type(obj))
    return q is None or type(obj).objects.filter(q, pk=obj.pk).exists()


class ScopedAdminMixin:
    """The admin lists and opens only rows in the user's scope, as the API does."""

    def get_queryset(self, request):
        return restrict(request.user, super().get_queryset(request))
