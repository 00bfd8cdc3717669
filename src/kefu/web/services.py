"""The web front's own state (saved queue views), and the workbench's customer lookup."""

from urllib.parse import parse_qsl, urlencode

from django.utils.translation import gettext as _

from kefu.core.errors import NotFound, ValidationFailed
from kefu.customers import services as customers
from kefu.orders import services as orders
from kefu.orders.services import QUEUES

from .models import SavedView

MAX_VIEWS = 20
FILTERS = {"q", "status", "kind", "severity", "channel", "sla"}


def saved_views(user):
    return list(SavedView.objects.filter(user=user))


def save_view(user, *, name: str, queue: str, query: str) -> SavedView:
    """Save (or replace) the named view. Only known filters are kept: a saved view is never
    a way to smuggle other parameters into a link."""
    name = (name or "").strip()
    errors = {}
    if not name:
        errors["name"] = _("is required")
    if queue not in QUEUES:
        errors["queue"] = _("must be one of %(keys)s") % {"keys": ", ".join(QUEUES)}
    if errors:
        raise ValidationFailed(_("The input is invalid."), fields=errors)
    kept = urlencode([(k, v) for k, v in parse_qsl(query or "") if k in FILTERS and v])
    if not SavedView.objects.filter(user=user, name=name).exists() and SavedView.objects.filter(user=user).count() >= MAX_VIEWS:
        raise ValidationFailed(_("Too many saved views."), fields={"name": _("delete one of your %(n)s views first") % {"n": MAX_VIEWS}})
    view, _created = SavedView.objects.update_or_create(user=user, name=name, defaults={"queue": queue, "query": kept})
    return view


def delete_view(user, view_id: int) -> None:
    deleted, _rows = SavedView.objects.filter(user=user, pk=view_id).delete()
    if not deleted:
        raise NotFound(_("No such saved view."))


def lookup_customers(user, q: str, *, limit=20) -> list:
    """The workbench's lookup: by phone or service number, ID number, customer number or name
    (customers.search_customers), or by a work order's number (its customer). Audited reads."""
    customer_id = orders.customer_of_number(user, q)
    return customers.customer_page(user, page=1, page_size=limit, q=q, also_ids=[customer_id] if customer_id else [])[1]
