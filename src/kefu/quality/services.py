"""Quality inspection's rules (models.py). This first part: the automatic checks run on every
contact once it has ended (`check_due`, the worker's turn; `check_contacts` for any contacts,
in batches), their hits kept with the rule and the words that fired (numbers masked), and the
flagged contacts an inspector reads, in their data scope."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu import scopes
from kefu.core.services import require

from . import checks
from .models import CheckHit, CheckRule, CheckState, ContactCheck

BATCH = 500
# Notes written this long after a contact ended still count as its (the agent finishing the record).
AFTER_CONTACT = dt.timedelta(minutes=30)
WATERMARK = "contacts_ended"
# The audit reason of a reveal on a verified contact (customers.services.reveal_reason).
VERIFIED_REVEAL = "[verified_caller]"


def active_rules() -> list[checks.Rule]:
    return [checks.Rule(r.code, r.kind, tuple(r.words or ())) for r in CheckRule.objects.filter(is_active=True).order_by("code")]


def load_facts(contact_ids) -> dict[int, checks.Facts]:
    """Each contact's facts for the checks (checks.Facts), in six queries whatever their number:
    its summary; the notes and replies its agent wrote on its orders during it (and up to
    AFTER_CONTACT after); identity reveals of its customer by its agent during it without a
    passed verification on it; the orders it raised with a breached time limit."""
    from kefu.audit.models import AuditEntry
    from kefu.contacts.models import Contact, ContactOrder, IdentityVerification
    from kefu.orders.models import OrderEvent
    from kefu.sla.models import OrderClock

    contacts: list = list(Contact.objects.filter(pk__in=contact_ids, ended_at__isnull=False).values_list(
        "pk", "channel", "started_at", "ended_at", "agent_id", "customer_id", "summary", named=True))
    if not contacts:
        return {}
    ids = [c.pk for c in contacts]
    facts = {c.pk: checks.Facts(channel=c.channel) for c in contacts}
    for c in contacts:
        if c.summary:
            facts[c.pk].texts.append(checks.Text(_("Contact summary"), c.summary))
    links: list = list(ContactOrder.objects.filter(contact_id__in=ids).values_list("contact_id", "order_id", "role",
                                                                              "order__number", named=True))
    by_order: dict[int, list] = defaultdict(list)
    for link in links:
        by_order[link.order_id].append(link)
    ended = {c.pk: c.ended_at or c.started_at for c in contacts}  # all ended (the filter above)
    first = min(c.started_at for c in contacts)
    last = max(ended.values()) + AFTER_CONTACT
    span = {c.pk: c for c in contacts}
    events = (OrderEvent.objects.filter(order_id__in=by_order, at__gte=first, at__lte=last).exclude(note="")
              .order_by("at", "id").values_list("order_id", "at", "actor_id", "note", "visibility", named=True))
    for event in events:
        for link in by_order[event.order_id]:
            c = span[link.contact_id]
            if event.actor_id == c.agent_id and c.started_at <= event.at <= ended[c.pk] + AFTER_CONTACT:
                where = _("%(number)s at %(time)s") % {"number": link.order__number,
                                                        "time": timezone.localtime(event.at).strftime("%H:%M")}
                facts[c.pk].texts.append(checks.Text(where, event.note, event.visibility == "customer"))
    verified = set(IdentityVerification.objects.filter(contact_id__in=ids, result="passed").values_list("contact_id", flat=True))
    customers = {str(c.customer_id): c for c in contacts if c.customer_id and c.pk not in verified}
    if customers:
        reveals = (AuditEntry.objects.filter(action="read_identity", object_type="customers.customer",
                                             object_id__in=list(customers), at__gte=first, at__lte=last)
                   .values_list("object_id", "actor_id", "at", "reason", named=True))
        for entry in reveals:
            c = customers[entry.object_id]
            if entry.actor_id == c.agent_id and c.started_at <= entry.at <= ended[c.pk] and not entry.reason.startswith(VERIFIED_REVEAL):
                facts[c.pk].unverified_reveals.append(_("Identity revealed at %(time)s: %(reason)s") % {
                    "time": timezone.localtime(entry.at).strftime("%H:%M"), "reason": entry.reason})
    raised = {link.order_id: link for link in links if link.role == ContactOrder.Role.RAISED}
    for order_id in OrderClock.objects.filter(order_id__in=raised, breached_at__isnull=False).values_list(
            "order_id", flat=True).distinct():
        link = raised[order_id]
        facts[link.contact_id].breached.append(link.order__number)
    return facts


def check_contacts(contact_ids, *, now: dt.datetime | None = None) -> int:
    """Run the active rules on the ended contacts CONTACT_IDS and keep their hits, replacing the
    hits of an earlier run (the same result when run again). Returns the number of hits."""
    now = now or timezone.now()
    rules = active_rules()
    codes = dict(CheckRule.objects.values_list("code", "pk"))
    total = 0
    ids = sorted(set(contact_ids))
    for start in range(0, len(ids), BATCH):
        chunk = ids[start:start + BATCH]
        facts = load_facts(chunk)
        found = {pk: checks.check(f, rules) for pk, f in facts.items()}
        with transaction.atomic():
            CheckHit.objects.filter(contact_id__in=list(found)).delete()
            CheckHit.objects.bulk_create([
                CheckHit(contact_id=pk, rule_id=codes[h.rule], where=h.where[:200], words=h.words[:200], found_at=now)
                for pk, hits in found.items() for h in hits])
            ContactCheck.objects.bulk_create(
                [ContactCheck(contact_id=pk, checked_at=now, hits=len(hits)) for pk, hits in found.items()],
                update_conflicts=True, unique_fields=["contact"], update_fields=["checked_at", "hits"])
        total += sum(len(h) for h in found.values())
    return total


def check_due(now: dt.datetime | None = None) -> int:
    """The worker's turn: the contacts that ended since the last turn, checked (the first turn
    starts from now). Returns the number checked."""
    from kefu.contacts.models import Contact

    now = now or timezone.now()
    with transaction.atomic():
        state, created = CheckState.objects.select_for_update().get_or_create(name=WATERMARK, defaults={"at": now})
        if created:
            return 0
        since, state.at = state.at, now
        state.save(update_fields=["at"])
        ids = list(Contact.objects.filter(started_at__gt=since - dt.timedelta(days=1), started_at__lte=now,
                                          ended_at__gt=since, ended_at__lte=now).values_list("pk", flat=True))
    check_contacts(ids, now=now)
    return len(ids)


# --- reading -----------------------------------------------------------------------------------

def flagged(user) -> QuerySet:
    """The contacts the checks flagged, newest check first, in USER's data scope."""
    from kefu.contacts.models import Contact

    require(user, "quality.view_checkhit")
    visible = scopes.restrict(user, Contact.objects.all()).values("pk")
    return (ContactCheck.objects.filter(hits__gt=0, contact_id__in=visible).select_related("contact", "contact__agent")
            .order_by("-checked_at", "-contact_id"))


def hits(user, contact_id: int) -> list[CheckHit]:
    """The hits of one contact (read through the scopes: out of scope looks like not found)."""
    from kefu.contacts.models import Contact

    require(user, "quality.view_checkhit")
    contact = scopes.get(user, Contact, contact_id)
    return list(CheckHit.objects.filter(contact=contact).select_related("rule").order_by("id"))
