"""HTTP ↔ customers.services. No rules here."""

from ninja import Query, Router
from ninja.responses import Status

from kefu.core.api import ERRORS, Id, Page, Text, page, paginate, versioned_changes

from . import services
from .schemas import (
    AccountIn,
    AccountOut,
    CallerIn,
    CustomerFilters,
    CustomerIn,
    CustomerOut,
    CustomerPatch,
    IdentityOut,
    MatchIn,
    RevealReasonOut,
    SubscriptionFilters,
    SubscriptionIn,
    SubscriptionOut,
    SubscriptionPatch,
)

router = Router(tags=["customers"])
subscriptions = Router(tags=["subscriptions"])
accounts = Router(tags=["accounts"])


@router.get("", response={200: Page[CustomerOut], **ERRORS})
def list_customers(request, filters: Query[CustomerFilters]):
    """Masked; every customer listed is recorded in the access log."""
    count, rows = services.customer_page(request.user, **filters.dict())
    return page(count, rows, filters)


@router.post("", response={201: CustomerOut, **ERRORS})
def create_customer(request, payload: CustomerIn):
    return Status(201, services.create_customer(request.user, **payload.dict()))


@router.post("/callers", response={201: CustomerOut, **ERRORS})
def register_caller(request, payload: CallerIn):
    """An unidentified caller on contact `contact_id` (not a subscriber, or not verified): a
    provisional file (status `provisional`) with the name and number they give, attached to the
    contact, for which a consultation or complaint can be registered. Nothing is looked up by
    the number."""
    return Status(201, services.register_caller(request.user, **payload.dict()))


@router.post("/{int:provisional_id}/match", response={200: CustomerOut, **ERRORS})
def match_caller(request, provisional_id: Id, payload: MatchIn):
    """The unidentified caller of provisional file `provisional_id` is customer `customer_id`:
    their work orders and contacts move to that file and the provisional file is retired
    (status `matched`). Returns the customer's file."""
    return services.match_caller(request.user, provisional_id, payload.customer_id)


@router.get("/{int:customer_id}", response={200: CustomerOut, **ERRORS})
def get_customer(request, customer_id: Id):
    return services.get_customer(request.user, customer_id)


@router.patch("/{int:customer_id}", response={200: CustomerOut, **ERRORS})
def update_customer(request, customer_id: Id, payload: CustomerPatch):
    version, changes = versioned_changes(payload)
    return services.update_customer(request.user, customer_id, version=version, changes=changes)


@router.get("/reveal-reasons", response={200: list[RevealReasonOut], **ERRORS})
def list_reveal_reasons(request):
    """The reasons to choose from (`reason_code`) when revealing identity data."""
    return services.reveal_reasons()


@router.get("/{int:customer_id}/identity", response={200: IdentityOut, **ERRORS})
def reveal_identity(request, customer_id: Id, contact_id: Id | None = None, reason_code: Text = "", reason: Text = ""):
    """Unmasked real-name data, e-mail address and service numbers. Needs the view_identity
    permission and either `contact_id` of the contact in progress on which the caller's
    identity was verified, or a `reason_code` of GET /customers/reveal-reasons (plus `reason`,
    in your own words, where the code needs one: other). Every call is audited with the code."""
    return services.reveal_identity(request.user, customer_id, contact_id=contact_id, reason_code=reason_code, reason=reason)


@accounts.get("", response={200: list[AccountOut], **ERRORS})
def list_accounts(request, customer: Id):
    return services.list_accounts(request.user, customer)


@accounts.post("", response={201: AccountOut, **ERRORS})
def create_account(request, payload: AccountIn):
    return Status(201, services.create_account(request.user, **payload.dict()))


@subscriptions.get("", response={200: Page[SubscriptionOut], **ERRORS})
def list_subscriptions(request, filters: Query[SubscriptionFilters]):
    f = filters.dict(exclude={"page", "page_size"})
    return paginate(services.search_subscriptions(request.user, **f), filters)


@subscriptions.post("", response={201: SubscriptionOut, **ERRORS})
def create_subscription(request, payload: SubscriptionIn):
    data = {k: v for k, v in payload.dict().items() if v is not None or k == "account_id"}
    return Status(201, services.create_subscription(request.user, **data))


@subscriptions.get("/{int:subscription_id}", response={200: SubscriptionOut, **ERRORS})
def get_subscription(request, subscription_id: Id):
    return services.get_subscription(request.user, subscription_id)


@subscriptions.patch("/{int:subscription_id}", response={200: SubscriptionOut, **ERRORS})
def update_subscription(request, subscription_id: Id, payload: SubscriptionPatch):
    version, changes = versioned_changes(payload)
    return services.update_subscription(request.user, subscription_id, version=version, changes=changes)
