"""Data scopes: which customers, contacts and work orders a member of staff may see at all.

Permissions say what someone may do (view a work order, close it); the data scope says to
which rows: their own, their department's, their region's, or all. Scopes nest: a wider one
includes the narrower ones. Every read of customer data in the services, the admin and the
exports passes through `restrict`, so this module is the one place the rules live. A row out
of scope is answered as if it did not exist (404), so that its existence does not leak either.

Every id a caller hands a service is read through `get` (one row, or NotFound), `find` (one row
or None, for an id named in a form field) or `visible` (the rows among many ids): the same
answer, with the same message, whether the row is absent or out of scope. System callers
(USER None: workers, migrations) see everything.

A user's scope is `User.data_scope` when set, else the widest `staff.data_scope_*`
permission their roles grant (roles.py), else `own`. The region is `User.region`, else
KEFU_REGION; an installation that sets neither serves one region, and `region` covers it all.
"""

from functools import cache

from django.conf import settings
from django.db import models
from django.db.models import Q

from kefu.core.services import find as _find
from kefu.core.services import get_or_404
from kefu.staff.models import DataScope

# Widest first: the first permission held decides.
_SCOPE_PERMISSIONS = [
    (DataScope.ALL, "staff.data_scope_all"),
    (DataScope.REGION, "staff.data_scope_region"),
    (DataScope.DEPARTMENT, "staff.data_scope_department"),
]


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
    from kefu.orders.models import WorkOrder

    q = Q(pk__in=WorkOrder.objects.filter(_order_q(user, scope, region)).values("customer_id"))
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


def _via(path, model, rule):
    """Rows that belong to a customer, an order or a contact are in scope when it is."""
    return lambda user, scope, region: Q(**{f"{path}__in": model.objects.filter(rule(user, scope, region))})


@cache
def _rules() -> dict:
    """{model: rule(user, scope, region) -> Q}, built once: restrict() runs on every read."""
    from kefu.contacts.models import Contact, IdentityVerification
    from kefu.customers.models import Account, Customer, Subscription
    from kefu.orders.models import Feedback, OrderEvent, WorkOrder
    from kefu.privacy.models import PrivacyRequest

    of_customer = _via("customer", Customer, _customer_q)
    of_order = _via("order", WorkOrder, _order_q)

    def subscription_q(user, scope, region):
        q = of_customer(user, scope, region)
        return q | Q(province=region) if scope == DataScope.REGION and region else q

    return {
        WorkOrder: _order_q,
        Customer: _customer_q,
        Contact: _contact_q,
        Account: of_customer,
        Subscription: subscription_q,
        PrivacyRequest: of_customer,
        OrderEvent: of_order,
        Feedback: of_order,
        IdentityVerification: _via("contact", Contact, _contact_q),
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


def _rows(model_or_qs: type[models.Model] | models.QuerySet) -> models.QuerySet:
    return model_or_qs._default_manager.all() if isinstance(model_or_qs, type) else model_or_qs.all()


def get(user, model_or_qs, pk, *, lock=False):
    """Row PK of MODEL_OR_QS (a model, or a queryset with its relations joined) as USER may
    see it, locked FOR UPDATE if LOCK; else NotFound. Read it before any check of its state or
    of who may act on it, so that no answer tells an object out of scope from a missing one."""
    qs = _rows(model_or_qs)
    return get_or_404(qs.model, pk, lock=lock, queryset=restrict(user, qs))


def find(user, model_or_qs, pk):
    """Row PK as USER may see it, or None alike when it is absent or out of scope: for an id
    named in an input field, which the caller refuses with a ValidationFailed naming it."""
    return _find(restrict(user, _rows(model_or_qs)), pk=pk)


def visible(user, model_or_qs, ids):
    """The rows among IDS that USER may see (a queryset): the others are to be answered as
    ids that do not exist."""
    return restrict(user, _rows(model_or_qs)).filter(pk__in=ids)


class ScopedAdminMixin:
    """The admin lists and opens only rows in the user's scope, as the API does."""

    def get_queryset(self, request):
        return restrict(request.user, super().get_queryset(request))  # type: ignore[misc]  # mixed into ModelAdmin
