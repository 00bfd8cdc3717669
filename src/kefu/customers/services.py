"""Customer file (客户档案) rules: validation, numbering, identity reads and their audit."""

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from kefu import scopes
from kefu.audit import services as audit
from kefu.core import crypto, text
from kefu.core.errors import Conflict, ValidationFailed
from kefu.core.numbering import assign_number, temporary_number
from kefu.core.services import find, get_or_404, lock_version, page_of, require, unique_write
from kefu.orders.models import Kind

from . import validators
from .models import Account, Customer, RevealReason, Subscription

# What a reveal shows (and its audit entry lists): the real-name identity, and the contact data
# that would give the phone number away (an e-mail address is often the mobile number, and so is a
# mobile subscription's service number).
IDENTITY_FIELDS = ("name", "id_type", "id_number", "phone", "alt_phone", "address", "email", "service_number")
CUSTOMER_FIELDS = {"type", "name", "id_type", "id_number", "phone", "alt_phone", "email", "address",
                   "province", "city", "district", "segment", "status"}
UNIDENTIFIED = {Customer.Status.PROVISIONAL, Customer.Status.MATCHED}
"""The statuses of an unidentified caller's file (decision 0023): set by register_caller and
match_caller only."""
CALLER_KINDS = (Kind.CONSULTATION, Kind.COMPLAINT)
"""What may be registered for an unidentified caller: a question answered or a complaint heard
needs no account; anything that changes or repairs a subscriber's service does."""


def clean_identity(id_type: str, id_number: str) -> str:
    """Resident ID numbers must pass the GB 11643 checksum; other documents are kept as typed."""
    try:
        if id_type == Customer.IdType.RESIDENT_ID:
            return validators.resident_id_number(id_number)
    except ValueError as exc:
        raise ValidationFailed(_("Invalid ID number."), fields={"id_number": str(exc)}) from None
    id_number = (id_number or "").strip().upper()
    if not 5 <= len(id_number) <= 40:
        raise ValidationFailed(_("Invalid ID number."), fields={"id_number": _("must be 5 to 40 characters")})
    return id_number


def customer_number(pk: int) -> str:
    return f"C{pk:010d}"


@transaction.atomic
def create_customer(actor, *, service_password=None, **data) -> Customer:
    require(actor, "customers.add_customer")
    data["id_number"] = clean_identity(data.get("id_type", Customer.IdType.RESIDENT_ID), data["id_number"])
    customer = Customer(customer_no=temporary_number(), **data)
    if service_password:
        customer.set_service_password(service_password)
    customer.save()
    assign_number(customer, "customer_no", customer_number(customer.pk))
    audit.record(actor, "create", customer, fields=data.keys())
    return customer


@transaction.atomic
def update_customer(actor, customer_id: int, *, version: int, changes: dict) -> Customer:
    require(actor, "customers.change_customer")
    customer = lock_version(Customer, customer_id, version, queryset=scopes.restrict(actor, Customer.objects))
    unknown = set(changes) - CUSTOMER_FIELDS - {"service_password"}
    if unknown:
        raise ValidationFailed(_("These fields cannot be changed here."), fields={f: _("cannot be changed") for f in unknown})
    if "status" in changes and changes["status"] != customer.status and {changes["status"], customer.status} & UNIDENTIFIED:
        # A caller's file becomes a subscriber's only by match_caller, which moves what it holds.
        raise ValidationFailed(_("An unidentified caller's file is matched to a customer file, not changed by hand."),
                               fields={"status": _("cannot be changed to or from %(statuses)s") % {
                                   "statuses": ", ".join(str(Customer.Status(s).label) for s in sorted(UNIDENTIFIED))}})
    if "id_number" in changes or "id_type" in changes:
        changes["id_number"] = clean_identity(changes.get("id_type", customer.id_type), changes.get("id_number", customer.id_number))
    changed = []
    if password := changes.pop("service_password", None):
        customer.set_service_password(password)
        changed.append("service_password")
    return _save_changes(actor, customer, changes, changed)


def _save_changes(actor, obj, changes: dict, changed: list):
    """Apply the CHANGES that differ, bump the version and audit which fields changed."""
    changed = changed + [f for f, v in changes.items() if getattr(obj, f) != v]
    for field in changed:
        if field in changes:
            setattr(obj, field, changes[field])
    if changed:
        obj.version += 1
        obj.save()
        audit.record(actor, "update", obj, fields=changed)
    return obj


def get_customer(user, customer_id: int) -> Customer:
    """One customer file, masked by the caller; the view is audited."""
    customer = get_customer_quietly(user, customer_id)
    audit.record(user, "read", customer)
    return customer


def get_customer_quietly(user, customer_id: int) -> Customer:
    """The same checks without the audit entry, for services that audit the read themselves."""
    require(user, "customers.view_customer")
    return _in_scope(user, Customer, customer_id)


def customer_page(user, *, page: int, page_size: int, **filters) -> tuple[int, list]:
    """(count, rows) of one page of the search; every customer listed is audited as read."""
    count, rows = page_of(search_customers(user, **filters), page, page_size)
    audit.record_many(user, "read", rows)
    return count, rows


def _in_scope(user, model, pk, *, lock=False):
    return get_or_404(model, pk, lock=lock, queryset=scopes.restrict(user, model.objects))


def search_customers(user, *, q=None, phone=None, id_number=None, customer_no=None, segment=None, province=None, city=None,
                     also_ids=()):
    """Exact lookups by phone, ID number or customer number use their indexes; q matches
    any of those exactly (a phone number also as a subscription's service number), a name by
    prefix, or part of an enterprise's name. Every term is read as people type it
    (kefu.core.text: full-width digits, +86, spaces, dashes, punctuation around a name).
    ALSO_IDS: customers q finds whatever else it matches (the workbench's lookup adds the
    customer of a work order number). Unidentified callers' files are found too (their status
    says so); those already matched to a customer file are not: they hold nothing any more."""
    require(user, "customers.view_customer")
    qs = scopes.restrict(user, Customer.objects.exclude(status=Customer.Status.MATCHED))
    if phone:
        qs = qs.filter(_by_phone(phone) | Q(pk__in=_holders(phone)))
    if id_number:
        qs = qs.filter(_by_id_number(id_number))
    if customer_no:
        qs = qs.filter(customer_no=text.lookup_term(customer_no).upper())
    for field, value in (("segment", segment), ("province", province), ("city", city)):
        if value:
            qs = qs.filter(**{field: value})
    if q and (term := text.lookup_term(q)):
        qs = qs.filter(Q(customer_no=term.upper()) | by_identity_number(term) | _by_name(term)
                       | Q(pk__in=_holders(term) + list(also_ids)))
    elif q and also_ids:
        qs = qs.filter(pk__in=list(also_ids))
    elif q:
        qs = qs.none()
    return qs.order_by("-id")


MIN_NAME_PART = 2
"""The shortest part of an enterprise's name looked up inside it (one character matches too many)."""


def _by_name(term: str) -> Q:
    """A person by the start of the name (surname first); an enterprise also by a part of it
    ("恒通" finds 广州恒通物流有限公司), as agents say a company's short name."""
    by_prefix = Q(name__startswith=term)
    if len(term) < MIN_NAME_PART:
        return by_prefix
    return by_prefix | Q(type=Customer.Type.ENTERPRISE, name__contains=term)


def _holders(service_number: str) -> list[int]:
    """The customers holding a service with this number (as typed: text.phone_digits). Read
    first, as ids, so that the OR they join stays a combination of indexed lookups: an IN
    (subquery) inside the OR makes PostgreSQL scan every customer instead."""
    numbers = {service_number.strip(), text.phone_digits(service_number)} - {""}
    return list(Subscription.objects.filter(service_number__in=numbers).values_list("customer_id", flat=True)[:100])


def _by_phone(number: str) -> Q:
    """Phone and other phone are encrypted: match their blind indexes (kefu.core.crypto) of the
    number as stored (text.phone_digits)."""
    hashes = crypto.lookup_hashes(text.phone_digits(number), "phone")
    return Q(phone_bidx__in=hashes) | Q(alt_phone_bidx__in=hashes)


def _by_id_number(id_number: str) -> Q:
    return Q(id_number_bidx__in=crypto.lookup_hashes(text.nfkc(id_number), "id_number"))


def by_identity_number(term: str) -> Q:
    """Customers whose phone, other phone or ID number is exactly TERM."""
    return _by_phone(term) | _by_id_number(term)


MIN_REASON_LENGTH = 4
VERIFIED_CALLER = "caller_verified"
"""The reason recorded for a reveal on a contact whose caller passed verification."""


def reveal_reasons():
    """The reasons one may choose from to unmask identity data (administrators keep the list)."""
    return RevealReason.objects.filter(is_active=True).order_by("sort_order", "code")


def reveal_reason(code: str, text: str = "", *, verified_on: int | None = None, via: str = "") -> str:
    """The audit entry's reason for a reveal: the stable code in brackets, then what was said
    ("[complaint] GD2026…"), so that reveals are reportable by reason. CODE must be an active
    reason of the list, and TEXT of a few characters is needed where the reason says so; a
    reveal on a verified contact (VERIFIED_ON) may leave CODE out. VIA names the place (admin)."""
    code, text = (code or "").strip(), (text or "").strip()
    if code == VERIFIED_CALLER and verified_on is None:
        # Claimed, not shown: the verification itself must be named (the contact it passed on).
        raise ValidationFailed(_("The caller's identity is not verified on this contact."),
                               fields={"contact_id": _("needs a passed identity verification on a contact in progress with this customer")})
    if verified_on is None or code not in ("", VERIFIED_CALLER):
        _check_reason(code, text)
    said = "; ".join(filter(None, [_("verified on contact %(id)s") % {"id": verified_on} if verified_on is not None else "", text]))
    said = f"{via}: {said}" if via and said else via or said
    return f"[{code or VERIFIED_CALLER}] {said}".rstrip()


def _check_reason(code: str, text: str) -> None:
    reason = reveal_reasons().filter(code=code).first() if code else None
    if reason is None:
        codes = ", ".join(reveal_reasons().values_list("code", flat=True))
        raise ValidationFailed(_("Choose why you need the unmasked data, or verify the caller first."),
                               fields={"reason_code": _("one of: %(codes)s; or pass contact_id of a verified contact") % {"codes": codes}})
    if reason.needs_text and len(text) < MIN_REASON_LENGTH:
        raise ValidationFailed(_("Say why you need the unmasked data."),
                               fields={"reason": _("at least %(n)s characters with this reason") % {"n": MIN_REASON_LENGTH}})


def reveal_identity(user, customer_id: int, *, contact_id: int | None = None, reason_code: str = "", reason: str = "") -> Customer:
    """The unmasked real-name data, e-mail and service numbers. Needs customers.view_identity
    and either a passed identity verification on the contact in progress with this customer,
    or a reason from the list (reveal_reason). Every reveal is audited with the one or the
    other; the customer comes back with `revealed_subscriptions` (those in USER's scope)."""
    from kefu.contacts.services import current_verification

    require(user, "customers.view_identity")
    customer = get_customer_quietly(user, customer_id)
    if contact_id is not None and current_verification(user, contact_id, customer.pk) is None:
        raise ValidationFailed(_("The caller's identity is not verified on this contact."),
                               fields={"contact_id": _("needs a passed identity verification on a contact in progress with this customer")})
    why = reveal_reason(reason_code, reason, verified_on=contact_id)
    audit.record(user, "read_identity", customer, fields=IDENTITY_FIELDS, reason=why)
    customer.revealed_subscriptions = list(  # type: ignore[attr-defined]  # for the caller, not a column
        scopes.restrict(user, customer.subscriptions.order_by("id")))
    return customer


def identity_on_contact(user, customer: Customer, contact_id: int) -> tuple[bool, Customer | None]:
    """For the contact screen: whether the caller passed verification on this contact in
    progress, and if so and USER may see identity, the file to show unmasked (audited as a
    reveal, as reveal_identity does). One read of the verification."""
    from kefu.contacts.services import current_verification

    if current_verification(user, contact_id, customer.pk) is None:
        return False, None
    if not user.has_perm("customers.view_identity"):
        return True, None
    audit.record(user, "read_identity", customer, fields=IDENTITY_FIELDS, reason=reveal_reason("", verified_on=contact_id))
    return True, customer


def list_accounts(user, customer_id: int):
    get_customer_quietly(user, customer_id)
    require(user, "customers.view_account")
    return Account.objects.filter(customer_id=customer_id).select_related("customer").order_by("id")


@transaction.atomic
def create_account(actor, *, customer_id: int, **data) -> Account:
    require(actor, "customers.add_account")
    customer = _in_scope(actor, Customer, customer_id)
    account = Account(customer=customer, account_no=temporary_number(), **data)
    account.save()
    assign_number(account, "account_no", f"A{account.pk:010d}")
    audit.record(actor, "create", account, fields=data.keys())
    return account


def _clean_service_number(product: str, number: str) -> str:
    try:
        if product == Subscription.Product.MOBILE:
            return validators.mobile_number(number)
        if product == Subscription.Product.FIXED_LINE:
            return validators.phone_number(number)
    except ValueError as exc:
        raise ValidationFailed(_("Invalid service number."), fields={"service_number": str(exc)}) from None
    return number.strip()


@transaction.atomic
def create_subscription(actor, *, customer_id: int, account_id=None, **data) -> Subscription:
    require(actor, "customers.add_subscription")
    customer = _in_scope(actor, Customer, customer_id)
    account = None
    if account_id is not None:
        account = find(Account.objects, pk=account_id)
        if account is None or account.customer_id != customer.pk:
            raise ValidationFailed(_("Invalid account."), fields={"account_id": _("no account of this customer with this id")})
    data["service_number"] = _clean_service_number(data["product"], data["service_number"])

    def number_free():
        if Subscription.objects.filter(service_number=data["service_number"]).exclude(status=Subscription.Status.TERMINATED).exists():
            raise ValidationFailed(_("The service number is in use."), fields={"service_number": _("already belongs to a live subscription")})

    data.setdefault("province", customer.province)
    data.setdefault("city", customer.city)
    sub = unique_write(number_free, lambda: Subscription.objects.create(customer=customer, account=account, **data))
    audit.record(actor, "create", sub, fields=data.keys())
    return sub


@transaction.atomic
def update_subscription(actor, subscription_id: int, *, version: int, changes: dict) -> Subscription:
    require(actor, "customers.change_subscription")
    sub = lock_version(Subscription, subscription_id, version, queryset=scopes.restrict(actor, Subscription.objects))
    if sub.status == Subscription.Status.TERMINATED:
        raise Conflict(_("A terminated subscription cannot be changed."))
    if changes.get("status") == Subscription.Status.TERMINATED and not changes.get("terminated_on"):
        changes["terminated_on"] = timezone.localdate()
    return _save_changes(actor, sub, changes, [])


def get_subscription(user, subscription_id: int) -> Subscription:
    require(user, "customers.view_subscription")
    return _in_scope(user, Subscription, subscription_id)


def search_subscriptions(user, *, customer=None, service_number=None, product=None, status=None):
    require(user, "customers.view_subscription")
    qs = scopes.restrict(user, Subscription.objects.all())
    if service_number:
        qs = qs.filter(service_number__in={service_number.strip(), text.phone_digits(service_number)})
    for field, value in (("customer_id", customer), ("product", product), ("status", status)):
        if value:
            qs = qs.filter(**{field: value})
    return qs.order_by("-id")


# --- unidentified callers (decision 0023) ----------------------------------------------------

@transaction.atomic
def register_caller(actor, *, name: str, phone: str, contact_id: int) -> Customer:
    """A provisional file for the caller of contact CONTACT_ID, who is not a subscriber or did
    not pass verification: the name and number they gave, the agent's region, no identity
    document. It is attached to the contact, so that a consultation or complaint can be
    registered for it (CALLER_KINDS); match_caller moves it to the real file later. Nothing
    is looked up by the number: whether it is a subscriber's stays unsaid, and no subscriber's
    data is shown or linked."""
    from kefu.contacts.models import Contact

    require(actor, "customers.add_customer")
    require(actor, "contacts.change_contact")
    contact = scopes.get(actor, Contact, contact_id, lock=True)
    errors = {}
    name = text.lookup_term(name)
    most = Customer._meta.get_field("name").max_length or 0
    if not name:
        errors["name"] = _("is required")
    elif len(name) > most:
        errors["name"] = _("at most %(n)s characters") % {"n": most}
    try:
        phone = validators.phone_number(phone or "")
    except ValueError as exc:
        errors["phone"] = str(exc)
    if errors:
        raise ValidationFailed(_("The input is invalid."), fields=errors)
    if contact.customer_id is not None:
        raise Conflict(_("The contact is already attached to a customer."))
    region = scopes.region_of(actor)
    customer = Customer(customer_no=temporary_number(), name=name, phone=phone, id_number="", province=region, city="",
                        status=Customer.Status.PROVISIONAL)
    customer.save()
    assign_number(customer, "customer_no", customer_number(customer.pk))
    audit.record(actor, "create", customer, fields=["name", "phone", "province", "status"], reason=f"caller on contact {contact.pk}")
    contact.customer = customer
    contact.version += 1
    contact.save(update_fields=["customer", "version", "updated_at"])
    return customer


def check_order_customer(customer: Customer, kind: str) -> None:
    """Refuse a work order of KIND for CUSTOMER that an unidentified caller's file cannot hold:
    other kinds than CALLER_KINDS, or any order on a file already matched (it is retired)."""
    if customer.status == Customer.Status.MATCHED:
        raise ValidationFailed(_("This unidentified caller's file was matched to a customer file; use that file."),
                               fields={"customer_id": _("was matched to another customer file")})
    if customer.is_provisional and kind not in CALLER_KINDS:
        raise ValidationFailed(_("An unidentified caller can register a consultation or a complaint only."),
                               fields={"kind": _("must be one of: %(kinds)s") % {
                                   "kinds": pgettext("list separator", "; ").join(str(Kind(k).label) for k in CALLER_KINDS)}})


def order_kinds(customer: Customer) -> list | None:
    """The kinds a work order for CUSTOMER may have, when not every kind: for the new-order form."""
    return [(k.value, k.label) for k in CALLER_KINDS] if customer.is_provisional else None


@transaction.atomic
def match_caller(actor, provisional_id: int, customer_id: int | None = None, *, customer_no: str = "") -> Customer:
    """The unidentified caller of file PROVISIONAL_ID turned out to be customer CUSTOMER_ID:
    their work orders (each with an event) and contacts move to that file, and the provisional
    file is retired (status matched, no longer found by lookups). The customer's file is named by
    its id or, as an agent reads it to the caller, its CUSTOMER_NO. Both files are read in ACTOR's
    scope; both are audited. Returns the customer's file."""
    from kefu.contacts.models import Contact
    from kefu.orders import services as orders

    require(actor, "customers.change_customer")
    require(actor, "orders.change_workorder")
    provisional = scopes.get(actor, Customer, provisional_id, lock=True)
    if not provisional.is_provisional:
        raise Conflict(_("This file is not an unidentified caller's, or it was matched already."))
    if customer_no:
        customer = search_customers(actor, customer_no=customer_no).first()
        if customer is None:
            raise ValidationFailed(_("Unknown customer."), fields={"customer_no": _("no customer with this id")})
    else:
        customer = scopes.find(actor, Customer, customer_id)
        if customer is None:
            raise ValidationFailed(_("Unknown customer."), fields={"customer_id": _("no customer with this id")})
    if customer.status in UNIDENTIFIED:
        raise ValidationFailed(_("Match the caller to a customer file, not to another unidentified caller's."),
                               fields={"customer_id": _("is not a customer file")})
    moved = orders.move_to_customer(actor, provisional, customer)
    contacts = Contact.objects.filter(customer=provisional).update(customer=customer, version=F("version") + 1,
                                                                   updated_at=timezone.now())
    provisional.status = Customer.Status.MATCHED
    provisional.version += 1
    provisional.save(update_fields=["status", "version", "updated_at"])
    audit.record(actor, "update", provisional, fields=["status"], reason=f"matched to {customer.customer_no}")
    audit.record(actor, "update", customer, fields=["orders", "contacts"],
                 reason=f"caller {provisional.customer_no} matched: {len(moved)} orders, {contacts} contacts")
    return customer
