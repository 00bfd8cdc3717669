"""HTTP ↔ contacts.services. No rules here."""

from ninja import Query, Router
from ninja.responses import Status

from kefu.core.api import ERRORS, Id, Page, paginate, versioned_changes

from . import services
from .schemas import (
    ContactFilters,
    ContactIn,
    ContactOut,
    ContactPatch,
    TouchIn,
    VerificationOut,
    VerifyIn,
)

router = Router(tags=["contacts"])


def _with_relations(qs):
    return qs.prefetch_related("verifications", "orders")


@router.get("", response={200: Page[ContactOut], **ERRORS})
def list_contacts(request, filters: Query[ContactFilters]):
    f = filters.dict(exclude={"page", "page_size"})
    return paginate(_with_relations(services.search_contacts(request.user, **f)), filters)


@router.post("", response={201: ContactOut, **ERRORS})
def open_contact(request, payload: ContactIn):
    return Status(201, services.open_contact(request.user, **payload.dict()))


@router.get("/{int:contact_id}", response={200: ContactOut, **ERRORS})
def get_contact(request, contact_id: Id):
    return services.get_contact(request.user, contact_id)


@router.patch("/{int:contact_id}", response={200: ContactOut, **ERRORS})
def update_contact(request, contact_id: Id, payload: ContactPatch):
    version, changes = versioned_changes(payload)
    return services.update_contact(request.user, contact_id, version=version, changes=changes)


@router.post("/{int:contact_id}/sms-code", response={201: VerificationOut, **ERRORS})
def send_sms_code(request, contact_id: Id):
    """Send a one-time code to the customer's registered mobile; then verify with method sms_code."""
    return Status(201, services.send_sms_code(request.user, contact_id))


@router.post("/{int:contact_id}/verifications", response={201: VerificationOut, **ERRORS})
def verify_identity(request, contact_id: Id, payload: VerifyIn):
    return Status(201, services.verify_identity(request.user, contact_id, method=payload.method, secret=payload.secret))


@router.get("/{int:contact_id}/verifications", response={200: list[VerificationOut], **ERRORS})
def list_verifications(request, contact_id: Id):
    return services.get_contact(request.user, contact_id).verifications.all()


@router.post("/{int:contact_id}/orders", response={201: ContactOut, **ERRORS})
def touch_order(request, contact_id: Id, payload: TouchIn):
    services.touch_order(request.user, contact_id, payload.order_id)
    return Status(201, services.get_contact(request.user, contact_id))
