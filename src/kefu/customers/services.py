"""Customer file (客户档案) rules: validation, numbering, identity reads and their audit."""

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from kefu.audit import services as audit
from kefu.core.errors import Conflict, ValidationFailed
from kefu.core.numbering import assign_number, temporary_number
from kefu.core.services import find, get_or_404, lock_version, require

from . import validators
from .models import Account, Customer, Subscription

IDENTITY_FIELDS = ("name", "id_type", "id_number", "phone", "alt_phone", "address")
CUSTOMER_FIELDS = {"type", "name", "id_type", "id_number", "phone", "alt_phone", "email", "address",
                   "province", "city", "district", "segment", "status"}


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
    customer = lock_version(Customer, customer_id, version)
    unknown = set(changes) - CUSTOMER_FIELDS - {"service_password"}
    if unknown:
        raise ValidationFailed(_("These fields cannot be changed here."), fields={f: _("cannot be changed") for f in unknown})
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
    require(user, "customers.view_customer")
    return get_or_404(Customer, customer_id)


def search_customers(user, *, q=None, phone=None, id_number=None, customer_no=None, segment=None, province=None, city=None):
    """Exact lookups by phone, ID number or customer number use their indexes; q matches
    any of those exactly, or the name by prefix."""
    require(user, "customers.view_customer")
    qs = Customer.objects.all()
    if phone:
        # Three indexed lookups; a join with DISTINCT would scan as subscriptions grow.
        holders = Subscription.objects.filter(service_number=phone).values("customer_id")
        qs = qs.filter(Q(phone=phone) | Q(alt_phone=phone) | Q(pk__in=holders))
    if id_number:
        qs = qs.filter(id_number=id_number.strip().upper())
    if customer_no:
        qs = qs.filter(customer_no=customer_no)
    for field, value in (("segment", segment), ("province", province), ("city", city)):
        if value:
            qs = qs.filter(**{field: value})
    if q:
        q = q.strip()
        qs = qs.filter(Q(customer_no=q) | Q(phone=q) | Q(id_number=q.upper()) | Q(name__startswith=q))
    return qs.order_by("-id")


def reveal_identity(user, customer_id: int, *, reason: str = "") -> Customer:
    """The unmasked real-name data. Needs customers.view_identity; every reveal is audited."""
    require(user, "customers.view_identity")
    customer = get_or_404(Customer, customer_id)
    audit.record(user, "read_identity", customer, fields=IDENTITY_FIELDS, reason=reason)
    return customer


def list_accounts(user, customer_id: int):
    get_customer(user, customer_id)
    require(user, "customers.view_account")
    return Account.objects.filter(customer_id=customer_id).order_by("id")


@transaction.atomic
def create_account(actor, *, customer_id: int, **data) -> Account:
    require(actor, "customers.add_account")
    customer = get_or_404(Customer, customer_id)
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
    customer = get_or_404(Customer, customer_id)
    account = None
    if account_id is not None:
        account = find(Account.objects, pk=account_id)
        if account is None or account.customer_id != customer.pk:
            raise ValidationFailed(_("Invalid account."), fields={"account_id": _("no account of this customer with this id")})
    data["service_number"] = _clean_service_number(data["product"], data["service_number"])
    if Subscription.objects.filter(service_number=data["service_number"]).exclude(status=Subscription.Status.TERMINATED).exists():
        raise ValidationFailed(_("The service number is in use."), fields={"service_number": _("already belongs to a live subscription")})
    data.setdefault("province", customer.province)
    data.setdefault("city", customer.city)
    sub = Subscription.objects.create(customer=customer, account=account, **data)
    audit.record(actor, "create", sub, fields=data.keys())
    return sub


@transaction.atomic
def update_subscription(actor, subscription_id: int, *, version: int, changes: dict) -> Subscription:
    require(actor, "customers.change_subscription")
    sub = lock_version(Subscription, subscription_id, version)
    if sub.status == Subscription.Status.TERMINATED:
        raise Conflict(_("A terminated subscription cannot be changed."))
    if changes.get("status") == Subscription.Status.TERMINATED and not changes.get("terminated_on"):
        from django.utils import timezone

        changes["terminated_on"] = timezone.localdate()
    return _save_changes(actor, sub, changes, [])


def get_subscription(user, subscription_id: int) -> Subscription:
    require(user, "customers.view_subscription")
    return get_or_404(Subscription, subscription_id)


def search_subscriptions(user, *, customer=None, service_number=None, product=None, status=None):
    require(user, "customers.view_subscription")
    qs = Subscription.objects.all()
    for field, value in (("customer_id", customer), ("service_number", service_number), ("product", product), ("status", status)):
        if value:
            qs = qs.filter(**{field: value})
    return qs.order_by("-id")
