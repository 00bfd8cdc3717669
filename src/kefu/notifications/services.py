"""Notifications: who among the staff hears of what happens to a work order, and their inbox.

The order-event hook's transaction phase (orders.events, subscribed in apps.py) brings every
event here: `tell_many` decides who hears of it (首问负责制: the first-contact owner; the person
an order is given to; the complaint coordinators of an order the triage rules flag) and writes
their notifications in the event's transaction. Other apps notify through `notify` (one person)
and `deliver_to` (the people an SLA escalation step names). The inbox: `inbox`, `unread_count`,
`notifications_for`, `mark_read`, `mark_all_read`. A notification may carry a link (a path on
this site, `site_path`) to what it is about when that is not, or not only, a work order.
"""

import unicodedata
from urllib.parse import urlsplit

from django.db.models import BooleanField, ExpressionWrapper, F
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from kefu import scopes
from kefu.core.services import get_or_404
from kefu.orders.models import WorkOrder
from kefu.orders.states import ACTION_LABELS
from kefu.staff.models import Department, User
from kefu.staff.roles import COORDINATOR
from kefu.staff.services import system_user_ids

from .models import Notification

# Events that are nobody's news here: the SLA's own (its policy choice; its escalations tell
# the people their step names, through deliver_to).
NOT_NEWS = frozenset({"sla_policy", "sla_escalation", "followup_call", "followup"})


def on_order_events(pairs) -> None:
    """The hook's transaction phase: tell whoever must hear of these (order, event) PAIRS."""
    news = [(order, event) for order, event in pairs if event.action not in NOT_NEWS]
    if news:
        tell_many(news)


def deliver_to(people, order, message: str, *, at) -> None:
    """One notification of MESSAGE about ORDER for each of PEOPLE, as chosen by the caller (an
    SLA escalation step), in one INSERT."""
    Notification.objects.bulk_create([Notification(recipient=person, order=order, message=message, created_at=at)
                                      for person in people])


LINK_MAX = 300  # Notification.link's max_length


def site_path(link: str) -> str:
    """LINK if it is a path on this site ("/reports/?period=2026-11"), "" for none; ValueError
    for anything else. An inbox link that leads off the site is an open redirect and a phishing
    link, so refused: a scheme ("https:", "javascript:"), a host ("//evil.example"), a backslash
    (browsers read "/\\evil.example" as "//evil.example"), whitespace or control characters
    (browsers drop tabs and newlines: "/<tab>/evil.example"), a relative path, or a link too long to
    store whole (a cut one leads somewhere else)."""
    if link == "":
        return ""
    if not isinstance(link, str):
        raise ValueError("a notification's link must be a string")
    if len(link) > LINK_MAX:
        raise ValueError(f"a notification's link must be at most {LINK_MAX} characters")
    if (not link.startswith("/") or link.startswith("//") or "\\" in link
            or any(unicodedata.category(ch)[0] in "CZ" for ch in link)):
        raise ValueError(f"a notification's link must be a path on this site starting with one '/': {link!r}")
    parts = urlsplit(link)
    if parts.scheme or parts.netloc or not url_has_allowed_host_and_scheme(link, allowed_hosts=None):
        raise ValueError(f"a notification's link must be a path on this site: {link!r}")
    return link


def notify(user, order, message: str, *, link: str = "") -> None:
    """An in-app notification for a person: nobody reads a system user's (the portal's). LINK,
    a path on this site (site_path: ValueError for anything else), is where it takes its reader;
    without one, its order's page."""
    link = site_path(link)
    if user is not None and user.is_active and not system_user_ids({user.pk}):
        Notification.objects.create(recipient=user, order=order, message=message[:300], link=link,
                                    created_at=timezone.now())


def notify_many(notes) -> None:
    """NOTES [(person id, message, link)]: one notification each, in one INSERT, for the active
    people among them (an assessment published to everyone assessed). Links as in `notify`."""
    rows = [(pk, message, site_path(link)) for pk, message, link in notes]
    ids = {pk for pk, _m, _l in rows}
    people = set(User.objects.filter(pk__in=ids, is_active=True).values_list("pk", flat=True)) - system_user_ids(ids) if ids else set()
    now = timezone.now()
    Notification.objects.bulk_create([Notification(recipient_id=pk, message=message[:300], link=link, created_at=now)
                                      for pk, message, link in rows if pk in people], batch_size=1000)


def tell_owner(order, event) -> None:
    """Tell whoever must hear of EVENT on ORDER (see _news and coordinators_for)."""
    tell_many([(order, event)])


def tell_many(pairs) -> None:
    """Tell whoever must hear of each (order, event) of PAIRS, one event per order: one read of
    the complaint coordinators (when an order was flagged), one of the recipients and one
    INSERT for the whole batch, however many orders it holds."""
    flagged = [order for order, event in pairs if _newly_flagged(event)]
    coordinators = coordinators_for(flagged) if flagged else {}
    notes = []
    for order, event in pairs:
        news = _news(order, event)
        if order.pk in coordinators:
            message = _("%(number)s: flagged for a complaint coordinator by the triage rules: %(title)s") % {
                "number": order.number, "title": order.title[:120]}
            news += [(pk, message) for pk in coordinators[order.pk] if pk != event.actor_id]
        told = set()
        for recipient_id, message in news:  # one word per person and event: the first, most specific
            if recipient_id is not None and recipient_id not in told:
                told.add(recipient_id)
                notes.append((recipient_id, order, message))
    _deliver(notes)


def _news(order, event) -> list[tuple[int, str]]:
    """[(recipient id, message)] for EVENT on ORDER.

    首问负责制: the first-contact owner hears of every customer-visible change and of the
    resolution that someone else makes on their order, and of an order handed over to them; the
    handler hears the customer's answer to what they asked, that the customer withdrew the
    request, and of an order given to them (_given)."""
    out = []
    news = {"answer": _("%(number)s: the customer answered."),
            "cancel": _("%(number)s: the customer withdrew the request.")}.get(event.action)
    if news and order.handler_id and event.actor_id != order.handler_id:
        out.append((order.handler_id, news % {"number": order.number}))
    given = _given(order, event)
    if given:
        out.append((order.handler_id, given))
    if event.action == "handover" and event.actor_id != order.owner_id:
        out.append((order.owner_id, _("%(number)s: handed over to you by %(who)s; you are now its first-contact owner.") % {
            "number": order.number, "who": event.actor or _("the system")}))
        return out
    if event.actor_id == order.owner_id or not (event.visibility == "customer" or event.action == "resolve"):
        return out
    what = {"resolve": _("resolved"), "comment": _("a reply to the customer"), "answer": _("the customer's answer")}.get(
        event.action) or str(ACTION_LABELS.get(event.action, event.action))
    out.append((order.owner_id, _("%(number)s: %(what)s by %(who)s.") % {
        "number": order.number, "what": what, "who": event.actor or _("the system")}))
    return out


def _given(order, event) -> str | None:
    """The word for the person an assignment or transfer gives ORDER to, or None.

    They hear of every transfer (转派, with its reason: also when routing chose them in the
    department the order was transferred to), of an assignment a person made to them by name,
    and of any assignment of a major order or one flagged for a complaint coordinator. Routine
    automatic assignments of ordinary orders (routing's strategy chose: `strategy` on the event)
    are not announced: they appear in the person's queue, which is where such work is read."""
    if (event.action not in ("assign", "transfer") or "handler" not in event.data or order.handler_id is None
            or event.actor_id == order.handler_id):
        return None
    transfer_reason = event.reason if event.action == "transfer" else event.data.get("transfer_reason")
    important = order.flagged or order.severity == "major"
    if transfer_reason is None and "strategy" in event.data and not important:
        return None
    what = (_("a major work order flagged for a complaint coordinator") if order.flagged and order.severity == "major"
            else _("a work order flagged for a complaint coordinator") if order.flagged
            else _("a major work order") if order.severity == "major" else _("a work order"))
    facts = {"number": order.number, "what": what, "who": event.actor or _("the system"), "reason": transfer_reason}
    if event.action == "transfer":
        return _("%(number)s: %(what)s was transferred to you by %(who)s (reason: %(reason)s).") % facts
    if transfer_reason is not None:
        return _("%(number)s: %(what)s was transferred to you (reason: %(reason)s).") % facts
    return _("%(number)s: %(what)s was assigned to you by %(who)s.") % facts


def _newly_flagged(event) -> bool:
    """Whether EVENT put its order before a complaint coordinator: registered flagged by the
    triage rules (intake), or flagged by them when a batch routed it (route_many)."""
    if event.action == "create":
        return event.data.get("flagged") is True
    return event.data.get("changes", {}).get("flagged") == [False, True]


def coordinators_for(orders) -> dict[int, list[int]]:
    """{order id: ids of the complaint coordinators to tell} for ORDERS flagged for one.

    Of the active coordinators who may see the order (kefu.scopes): those of the order's
    department when it has any there (a flagged order is dispatched to a complaints desk, or a
    desk with its own coordinator, such as billing); else those of the complaint-handling
    departments (投诉处理中心: where a flagged order not yet dispatched is headed); else every
    one of them. Two queries for the whole batch: the coordinators, and which orders each sees."""
    people = list(User.objects.filter(groups__name=COORDINATOR, is_active=True).select_related("department").order_by("pk"))
    if not people or not orders:
        return {}
    seen = _seen_by(people, [o.pk for o in orders])
    out = {}
    for order in orders:
        visible = [p for p in people if order.pk in seen[p.pk]]
        chosen = ([p for p in visible if order.department_id and p.department_id == order.department_id]
                  or [p for p in visible if p.department is not None and p.department.kind == Department.Kind.COMPLAINTS]
                  or visible)
        if chosen:
            out[order.pk] = [p.pk for p in chosen]
    return out


def _seen_by(people, order_ids) -> dict[int, set[int]]:
    """{person id: those of ORDER_IDS in their data scope}, in one query: a column per person
    restricted by a scope, each their scope's condition (kefu.scopes.condition)."""
    conditions = {p.pk: scopes.condition(p, WorkOrder) for p in people}
    everyone = set(order_ids)
    seen = {pk: set(everyone) for pk, q in conditions.items() if q is None}
    narrowed = {pk: q for pk, q in conditions.items() if q is not None}
    if narrowed:
        columns = {f"sees_{pk}": ExpressionWrapper(q, output_field=BooleanField()) for pk, q in narrowed.items()}
        rows = WorkOrder.objects.filter(pk__in=everyone).annotate(**columns).values("pk", *columns)
        for pk in narrowed:
            seen[pk] = set()
        for row in rows:
            for pk in narrowed:
                if row[f"sees_{pk}"]:
                    seen[pk].add(row["pk"])
    return seen


def _deliver(notes) -> None:
    """Write NOTES [(recipient id, order, message)] for the active people among them: one read
    of who they are, one INSERT. Nobody reads a system user's (the portal's)."""
    if not notes:
        return
    ids = {pk for pk, _order, _message in notes}
    people = set(User.objects.filter(pk__in=ids, is_active=True).values_list("pk", flat=True)) - system_user_ids(ids)
    now = timezone.now()
    Notification.objects.bulk_create([Notification(recipient_id=pk, order=order, message=message[:300], created_at=now)
                                      for pk, order, message in notes if pk in people])


def inbox(user, *, unread=False):
    """USER's notifications, newest first, with the number of each one's order (no join of the
    whole order): the inbox index (recipient, read_at, created_at) serves both views."""
    qs = Notification.objects.filter(recipient=user)
    if unread:
        qs = qs.filter(read_at__isnull=True)
    return qs.annotate(order_number=F("order__number")).order_by("-created_at", "-id")


def unread_count(user, *, cap=None) -> int:
    """How many of USER's notifications are unread; with CAP, counting stops there (a badge
    shows "99+"): an index range on (recipient, read_at), bounded however full the inbox."""
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    return qs[:cap].count() if cap else qs.count()


def notifications_for(user, *, unread=True, limit=50):
    qs = Notification.objects.filter(recipient=user)
    if unread:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-id")[: max(1, min(limit, 200))]


def mark_read(user, notification_id):
    # Someone else's inbox looks like nothing at all: the same 404 as an id that does not exist.
    note = get_or_404(Notification, notification_id, queryset=Notification.objects.filter(recipient=user))
    if note.read_at is None:
        note.read_at = timezone.now()
        note.save(update_fields=["read_at"])
    return note


def mark_all_read(user) -> int:
    """Mark every unread notification of USER read, in one UPDATE; returns how many."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())
