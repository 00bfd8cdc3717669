"""Rules of the customer self-service portal (自助服务).

A customer signs in with a one-time code sent by SMS to their mobile number, then submits,
follows, answers, confirms and rates their own requests. Every function takes the customer
explicitly. The portal acts on work orders through the orders services, as the system user
`portal` (role self_service, which cannot log in): it registers, records answers, withdrawals
and feedback, and handles nothing. Each order belongs to one customer, so an event by that user
is the customer's own doing. Every read and action first checks that the order is the
signed-in customer's: anything else is answered as if it did not exist.
"""

import re
import secrets
from datetime import timedelta

from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.contacts import services as contacts
from kefu.contacts import sms
from kefu.contacts.models import Channel, Contact, SmsMessage
from kefu.core import crypto, text
from kefu.core.errors import Conflict, NotFound, ValidationFailed
from kefu.customers.models import Customer, Subscription
from kefu.customers.validators import mobile_number
from kefu.orders import services as orders
from kefu.orders.models import OPEN_STATUSES, Feedback, Kind, OrderEvent, Status, WorkOrder
from kefu.routing import services as routing

from .models import LoginCode

CODE_MINUTES = 5
CODE_TTL = timedelta(minutes=CODE_MINUTES)
MAX_TRIES = 5
KEEP_CODES = timedelta(days=1)  # requests older than this are deleted
PORTAL_USERNAME = "portal"
PORTAL_DISPLAY_NAME = "自助服务"

# What a customer may ask for here (REQUIREMENTS.md §4), and which must name a service.
KINDS = (Kind.COMPLAINT, Kind.FAULT, Kind.CONSULTATION, Kind.SUGGESTION)
NEEDS_SUBSCRIPTION = {Kind.COMPLAINT, Kind.FAULT}
MAX_TEXT = 4000
MAX_REASON = 500  # an event's reason

# The work order's status as the customer reads it.
CUSTOMER_STATUS: dict[str, Promise] = {
    Status.NEW: gettext_lazy("Received"),
    Status.ACCEPTED: gettext_lazy("Received"),
    Status.ASSIGNED: gettext_lazy("Being handled"),
    Status.IN_PROGRESS: gettext_lazy("Being handled"),
    Status.WAITING_CUSTOMER: gettext_lazy("Waiting for your answer"),
    Status.RESOLVED: gettext_lazy("Resolved: please confirm"),
    Status.CONFIRMED: gettext_lazy("Completed"),
    Status.CLOSED: gettext_lazy("Completed"),
    Status.REJECTED: gettext_lazy("Not accepted"),
    Status.CANCELLED: gettext_lazy("Withdrawn"),
    Status.MERGED: gettext_lazy("Combined with another request"),
}
# Customer-visible events as the customer reads them; the text is the event's reason and note.
CUSTOMER_EVENTS = {
    "create": gettext_lazy("Request received"),
    "wait": gettext_lazy("We need information from you"),
    "resolve": gettext_lazy("Our answer"),
    "reject": gettext_lazy("Not accepted"),
    "cancel": gettext_lazy("Withdrawn"),
    "reopen": gettext_lazy("Handled again"),
    "merge": gettext_lazy("Combined with another request"),
    "comment": gettext_lazy("Message"),
    "answer": gettext_lazy("Your answer"),
}


def customer_status(status: str) -> str:
    return str(CUSTOMER_STATUS.get(status, status))


def shown(order) -> WorkOrder:
    """ORDER with what the customer reads of it (orders.services.customer_text) as
    `customer_title` and `customer_text`, and its status in their words as `customer_status`:
    the portal's pages show these, never the order's internal title or description."""
    order.customer_title, order.customer_text = orders.customer_text(order)
    order.customer_status = customer_status(order.status)
    return order


# --- the system user the portal acts as -----------------------------------------------------

def portal_user():
    """The `portal` system user the portal acts as (staff.services.system_user)."""
    from kefu.staff import services as staff

    return staff.system_user(PORTAL_USERNAME, PORTAL_DISPLAY_NAME)


# --- signing in -------------------------------------------------------------------------------

def _holder(phone: str) -> Customer | None:
    """The customer whose live mobile subscription has this number, else the one customer whose
    contact phone it is (matched by its blind index). Several such customers: nobody (we could
    not tell which one is signing in)."""
    sub = (Subscription.objects.filter(service_number=phone, product=Subscription.Product.MOBILE)
           .exclude(status=Subscription.Status.TERMINATED).select_related("customer").first())
    if sub is not None:
        return sub.customer
    # An unidentified caller's file (decision 0023) is no one's account: it never signs in, nor
    # hides the subscriber whose contact phone the same number is.
    found = list(Customer.objects.filter(phone_bidx__in=crypto.lookup_hashes(phone, "phone"))
                 .exclude(status__in=[Customer.Status.PROVISIONAL, Customer.Status.MATCHED])[:2])
    return found[0] if len(found) == 1 else None


def request_code(phone: str) -> LoginCode:
    """Send a sign-in code to PHONE if it is a customer's mobile number. The caller answers the
    same way whether it is or not: a request for any number is recorded and counted against the
    number's limit (contacts.services.take_sms_slot: KEFU_SMS_MAX_PER_HOUR, KEFU_SMS_MIN_INTERVAL_SECONDS,
    shared with codes sent by agents), and the same work is done (the code is hashed) whether
    or not a message goes out."""
    try:
        phone = mobile_number(phone or "")
    except ValueError as exc:
        raise ValidationFailed(_("Enter your mobile number."), fields={"phone": str(exc)}) from None
    hashes = crypto.lookup_hashes(phone, "phone")
    with transaction.atomic():
        # First: parallel requests for one number wait here, each counted after the other.
        contacts.take_sms_slot(phone, too_many=_(
            "%(n)s codes were requested for this number in the last hour. Please try again later."))
        now = timezone.now()
        LoginCode.objects.filter(created_at__lt=now - KEEP_CODES).delete()
        customer = _holder(phone)
        code = f"{secrets.randbelow(10**6):06d}"
        # Earlier codes for this number stop working: only the newest one counts.
        LoginCode.objects.filter(phone_bidx__in=hashes, used_at__isnull=True, expires_at__gt=now).update(expires_at=now)
        login = LoginCode.objects.create(phone_bidx=crypto.blind_index(phone, "phone"), customer=customer,
                                         code_hash=make_password(code), expires_at=now + CODE_TTL)
        if customer is not None:
            sms.send_code(phone, code, purpose=SmsMessage.Purpose.PORTAL_LOGIN,
                          valid_minutes=CODE_MINUTES)
    return login


def verify_code(login_id, code: str) -> Customer:
    """The customer, if CODE is the one sent for sign-in request LOGIN_ID, in time and within
    MAX_TRIES; else ValidationFailed. A code works once."""
    code = re.sub(r"\s+", "", text.nfkc(code))  # full-width digits from a Chinese input method
    with transaction.atomic():
        now = timezone.now()
        login = LoginCode.objects.select_for_update().filter(pk=login_id).first() if login_id else None
        if login is None or login.used_at is not None or login.expires_at <= now or login.tries >= MAX_TRIES:
            outcome = "expired"
        elif check_password(code, login.code_hash) and login.customer_id is not None:
            login.used_at, login.code_hash = now, ""
            login.save(update_fields=["used_at", "code_hash"])
            outcome = "ok"
        else:
            login.tries += 1
            login.save(update_fields=["tries"])
            outcome = "wrong"
    # Raised after the transaction, so that the wrong try stays counted.
    if outcome == "expired" or login is None:
        raise ValidationFailed(_("This code has expired or can no longer be used. Ask for a new one."),
                               fields={"code": _("ask for a new code")})
    if outcome == "wrong" or login.customer is None:  # "ok" is only for a known customer
        left = MAX_TRIES - login.tries
        raise ValidationFailed(_("The code is not right."), fields={"code": (
            _("%(n)s tries left") % {"n": left} if left else _("no tries left: ask for a new code"))})
    return login.customer


def signed_in_customer(customer_id) -> Customer | None:
    """The customer a portal session names, if they still exist."""
    return Customer.objects.filter(pk=customer_id).first() if customer_id else None


# --- the customer's requests -------------------------------------------------------------------

def my_orders(customer):
    """The customer's work orders, newest first."""
    return orders.search_orders(portal_user(), customer=customer.pk, sort="-created_at")


def my_order(customer, order_id) -> WorkOrder:
    """One of the customer's own work orders; NotFound for any other, as for one that does not exist."""
    order = orders.get_order(portal_user(), order_id)
    if order.customer_id != customer.pk:
        raise NotFound(_("%(what)s %(id)s does not exist.") % {"what": _("Work order"), "id": order_id})
    return order


def live_subscriptions(customer):
    return (Subscription.objects.filter(customer=customer).exclude(status=Subscription.Status.TERMINATED)
            .order_by("product", "service_number"))


def _record_contact(actor, customer, summary, *, order=None, outcome=Contact.Outcome.FOLLOW_UP) -> Contact:
    """Every contact is recorded, whatever the channel (REQUIREMENTS.md §2): one per action."""
    contact = contacts.open_contact(actor, channel=Channel.SELF_SERVICE, customer_id=customer.pk, summary=summary[:500])
    if order is not None:
        contacts.touch_order(actor, contact.pk, order.pk)
    return contacts.update_contact(actor, contact.pk, version=contact.version,
                                   changes={"outcome": outcome, "ended_at": timezone.now()})


@transaction.atomic
def submit(customer, *, kind, title, description="", subscription_id=None) -> WorkOrder:
    """Register the customer's request as a work order on the self-service channel, routed on
    arrival when KEFU_AUTO_ROUTE is on. Its first-contact owner is the first person to accept
    or take it. What the customer wrote is also what they read of it (its customer-visible
    summary): the staff may rewrite the title and description, never the customer's words."""
    title, description = (title or "").strip(), (description or "").strip()
    errors = {}
    if kind not in KINDS:
        errors["kind"] = _("choose one of the kinds offered")
    if not title:
        errors["title"] = _("is required")
    if len(description) > MAX_TEXT:
        errors["description"] = _("at most %(n)s characters") % {"n": MAX_TEXT}
    if subscription_id is not None and not live_subscriptions(customer).filter(pk=subscription_id).exists():
        errors["subscription_id"] = _("choose one of your services")
    elif subscription_id is None and kind in NEEDS_SUBSCRIPTION and live_subscriptions(customer).exists():
        errors["subscription_id"] = _("choose the service this is about")
    if errors:
        raise ValidationFailed(_("Please check the form."), fields=errors)
    actor = portal_user()
    contact = contacts.open_contact(actor, channel=Channel.SELF_SERVICE, customer_id=customer.pk, summary=title)
    # Routed as any order is (KEFU_AUTO_ROUTE), by the routing itself: the portal takes nothing on.
    order = routing.register(actor, by_system=True, kind=kind, title=title, description=description, customer_id=customer.pk,
                             customer_summary="\n".join(t for t in (title, description) if t), channel=Channel.SELF_SERVICE,
                             subscription_id=subscription_id, contact_id=contact.pk)
    contacts.update_contact(actor, contact.pk, version=contact.version,
                            changes={"outcome": Contact.Outcome.ORDER_CREATED, "ended_at": timezone.now()})
    return order


@transaction.atomic
def answer(customer, order_id, *, text) -> WorkOrder:
    """The customer's answer to the question the handler asked: the order goes on, and the
    handler is told (orders.services.record_answer)."""
    order = my_order(customer, order_id)
    if order.status != Status.WAITING_CUSTOMER:
        raise Conflict(_("This request is not waiting for your answer."))
    text = (text or "").strip()
    if not text or len(text) > MAX_TEXT:
        raise ValidationFailed(_("Please write your answer."),
                               fields={"text": _("is required") if not text else _("at most %(n)s characters") % {"n": MAX_TEXT}})
    actor = portal_user()
    order = orders.record_answer(actor, order.pk, answer=text, channel=Channel.SELF_SERVICE)
    _record_contact(actor, customer, text, order=order)
    return order


@transaction.atomic
def withdraw(customer, order_id, *, reason="") -> WorkOrder:
    """The customer withdraws a request that is still open (撤销): it is cancelled with their
    reason, and its handler is told."""
    order = my_order(customer, order_id)
    if order.status not in OPEN_STATUSES:
        raise Conflict(_("This request can no longer be withdrawn."))
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON:
        raise ValidationFailed(_("Please check the form."), fields={"reason": _("at most %(n)s characters") % {"n": MAX_REASON}})
    actor = portal_user()
    order = orders.cancel(actor, order.pk, reason=reason or _("Withdrawn by the customer through self-service."))
    summary = _("Withdrew the request.")
    _record_contact(actor, customer, f"{summary} {reason}".strip(), order=order)
    return order


@transaction.atomic
def give_feedback(customer, order_id, *, confirmed: bool, score, comment="") -> Feedback:
    """The customer confirms the resolution or disputes it, with a score of 1–10. A dispute (or a
    low score, per KEFU_LOW_SCORE_ACTION) reopens the order: see orders.services.record_feedback."""
    order = my_order(customer, order_id)
    if order.status != Status.RESOLVED:
        raise Conflict(_("This request is not waiting for your confirmation."))
    comment = (comment or "").strip()
    errors = {}
    if not isinstance(score, int) or not 1 <= score <= 10:
        errors["score"] = _("choose a score from 1 to 10")
    if not confirmed and not comment:
        errors["comment"] = _("tell us what is still wrong")
    if len(comment) > MAX_TEXT:
        errors["comment"] = _("at most %(n)s characters") % {"n": MAX_TEXT}
    if errors:
        raise ValidationFailed(_("Please check the form."), fields=errors)
    actor = portal_user()
    feedback = orders.record_feedback(actor, order.pk, confirmed=confirmed, score=score, comment=comment,
                                      channel=Channel.SELF_SERVICE)
    summary = (_("Confirmed the resolution, score %(score)s.") if confirmed else _("Disputed the resolution, score %(score)s.")) % {"score": score}
    _record_contact(actor, customer, f"{summary} {comment}".strip(), order=order)
    return feedback


# --- what the customer sees of an order ------------------------------------------------------

def progress(customer, order) -> list[dict]:
    """The order's history as the customer may read it, oldest first: the events meant for the
    customer (with their text) and the changes of status in the customer's words; never an
    internal note, nor who on the staff did what. ORDER must be the customer's (my_order)."""
    if order.customer_id != customer.pk:
        raise NotFound(_("%(what)s %(id)s does not exist.") % {"what": _("Work order"), "id": order.pk})
    portal = portal_user()
    items = []
    for e in orders.order_events(portal, order.pk):
        own = e.order_id == order.pk
        mine = e.actor_id == portal.pk
        if e.visibility == OrderEvent.Visibility.CUSTOMER:
            text = "\n".join(t for t in (e.reason, e.note) if t)
            title = str(CUSTOMER_EVENTS.get(e.action, _("Update")))
            if e.action == "answer":  # the customer's words, typed here or taken on a call
                title, text, mine = str(CUSTOMER_EVENTS["answer"]), e.note, True
            elif mine and e.action == "comment":
                title, text = _("Your message"), e.note
            elif mine and e.action == "cancel":
                title = _("You withdrew this request")
            elif mine and e.action == "reopen":
                title = (_("You told us the problem is not solved") if e.data.get("confirmed") is False
                         else _("Handled again after your rating"))
                text = e.note
            items.append({"at": e.at, "title": title, "text": text, "yours": mine})
        elif own and e.action == "create":
            items.append({"at": e.at, "title": str(CUSTOMER_EVENTS["create"]), "text": "", "yours": mine})
        elif own and e.to_status and customer_status(e.from_status) != customer_status(e.to_status):
            items.append({"at": e.at, "title": customer_status(e.to_status), "text": "", "yours": mine})
    return items


def question(order) -> str:
    """What the handler asked the customer for, while the order waits for them."""
    if order.status != Status.WAITING_CUSTOMER:
        return ""
    wait = order.events.filter(action="wait").order_by("-at", "-id").first()
    return wait.reason if wait is not None and wait.visibility == OrderEvent.Visibility.CUSTOMER else ""


def feedback_of(customer, order) -> list[Feedback]:
    """The customer's answers to the resolutions of ORDER, newest first."""
    if order.customer_id != customer.pk:
        return []
    return list(Feedback.objects.filter(order=order).order_by("-at", "-id"))
