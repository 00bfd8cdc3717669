"""Quality inspection's rules (models.py). This first part: the automatic checks run on every
contact once it has ended (`check_due`, the worker's turn; `check_contacts` for any contacts,
in batches), their hits kept with the rule and the words that fired (numbers masked), and the
flagged contacts an inspector reads, in their data scope."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu import scopes
from kefu.audit import services as audit
from kefu.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from kefu.core.services import get_or_404, require

from . import checks
from .models import (
    Appeal,
    Calibration,
    CheckHit,
    CheckRule,
    CheckState,
    ContactCheck,
    Inspection,
    InspectionItem,
    Sample,
    SamplingPlan,
    SamplingRun,
    Scorecard,
    ScorecardItem,
)

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
    from django.utils import translation

    now = now or timezone.now()
    rules = active_rules()
    codes = dict(CheckRule.objects.values_list("code", "pk"))
    with translation.override(settings.LANGUAGE_CODE):  # where a hit is, in the installation's language
        return _check(contact_ids, rules, codes, now)


def _check(contact_ids, rules, codes, now) -> int:
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
    """The contacts the checks flagged, the latest contact first, in USER's data scope."""
    from kefu.contacts.models import Contact

    require(user, "quality.view_checkhit")
    visible = scopes.restrict(user, Contact.objects.all()).values("pk")
    return (ContactCheck.objects.filter(hits__gt=0, contact_id__in=visible).select_related("contact", "contact__agent")
            .order_by("-contact__started_at", "-contact_id"))


def hits_of(user, contact_ids) -> dict[int, list[CheckHit]]:
    """The hits of many contacts at once (a page of the flagged list), those in USER's scope, in
    one query: {contact id: [hit, …]}."""
    from kefu.contacts.models import Contact

    require(user, "quality.view_checkhit")
    visible = scopes.restrict(user, Contact.objects.filter(pk__in=list(contact_ids))).values("pk")
    out: dict[int, list[CheckHit]] = defaultdict(list)
    for hit in CheckHit.objects.filter(contact_id__in=visible).select_related("rule").order_by("contact_id", "id"):
        out[hit.contact_id].append(hit)
    return out


def hits(user, contact_id: int) -> list[CheckHit]:
    """The hits of one contact (read through the scopes: out of scope looks like not found)."""
    from kefu.contacts.models import Contact

    require(user, "quality.view_checkhit")
    contact = scopes.get(user, Contact, contact_id)
    return list(CheckHit.objects.filter(contact=contact).select_related("rule").order_by("id"))


# --- scorecards and inspections -----------------------------------------------------------------

def active_scorecard() -> Scorecard | None:
    return Scorecard.objects.filter(status=Scorecard.Status.ACTIVE).first()


def appeal_deadline(published: dt.datetime) -> dt.datetime:
    """The end of the appeal window: KEFU_QUALITY_APPEAL_DAYS working days of
    KEFU_QUALITY_CALENDAR after PUBLISHED (natural days when the calendar is missing)."""
    from kefu.sla.calendars import UnknownCalendar, calculator_for
    from kefu.sla.engine import CalendarError, Duration

    days = settings.KEFU_QUALITY_APPEAL_DAYS
    try:
        return calculator_for(settings.KEFU_QUALITY_CALENDAR).deadline(published, Duration(days, "wd"))
    except (UnknownCalendar, CalendarError):
        return published + dt.timedelta(days=days)


def _contact_in_scope(user, contact_id: int):
    from kefu.contacts.models import Contact

    return scopes.get(user, Contact.objects.select_related("agent"), contact_id)


@transaction.atomic
def start_inspection(user, contact_id: int, *, now: dt.datetime | None = None) -> Inspection:
    """USER begins inspecting a contact (read in USER's scope) on the scorecard in use, with every
    item passed, except those whose automatic check fired on the contact: failed, noted with
    the words, marked pre-filled for the inspector to confirm or override. Nobody inspects their
    own contacts (or their own team's, with KEFU_QUALITY_NOT_OWN_TEAM)."""
    require(user, "quality.add_inspection")
    now = now or timezone.now()
    contact = _contact_in_scope(user, contact_id)
    refusal = _may_not_inspect(user, contact)
    if refusal:
        raise (Conflict if contact.agent_id is None or contact.ended_at is None else Forbidden)(refusal)
    card = active_scorecard()
    if card is None:
        raise Conflict(_("No scorecard is in use: publish one first."))
    if Inspection.objects.filter(contact=contact, inspector=user, calibration__isnull=True).exists():
        raise Conflict(_("You have already inspected this contact."))
    inspection = _begin(contact, card, user, now)
    audit.record(user, "create", inspection, fields=["contact", "scorecard"])
    return inspection


def _may_not_inspect(inspector, contact) -> str:
    """Why INSPECTOR may not inspect CONTACT ('' when they may)."""
    if contact.ended_at is None or contact.agent_id is None:
        return _("Only a contact that has ended, with an agent, can be inspected.")
    if contact.agent_id == inspector.pk:
        return _("Nobody inspects their own contacts.")
    if settings.KEFU_QUALITY_NOT_OWN_TEAM and inspector.department_id and contact.agent.department_id == inspector.department_id:
        return _("Inspectors do not inspect their own team's contacts.")
    return ""


def _begin(contact, card: Scorecard, inspector, now: dt.datetime, calibration=None) -> Inspection:
    """A draft inspection of CONTACT by INSPECTOR, pre-filled from the contact's hits."""
    inspection = Inspection.objects.create(contact=contact, scorecard=card, inspector=inspector, agent_id=contact.agent_id,
                                           created_at=now, calibration=calibration)
    fired: dict[int, list[str]] = defaultdict(list)
    for rule_id, where, words in CheckHit.objects.filter(contact=contact).values_list("rule_id", "where", "words"):
        fired[rule_id].append(f"{where}：{words}" if words else where)
    rows = []
    for item in card.items.order_by("position"):
        hit = fired.get(item.rule_id) if item.rule_id else None
        rows.append(InspectionItem(inspection=inspection, item=item,
                                   result=InspectionItem.Result.FAIL if hit else InspectionItem.Result.PASS,
                                   points=0 if hit else item.points, prefilled=bool(hit), note="；".join(hit or [])[:300]))
    InspectionItem.objects.bulk_create(rows)
    _tally(inspection)
    return inspection


def _tally(inspection: Inspection) -> None:
    """The inspection's score from its items: 0 when a fatal item failed, else the points
    awarded over the points of the items that apply, in percent; passed against the pass mark."""
    rows = list(inspection.items.select_related("item"))
    fatal = any(r.item.fatal and r.result == InspectionItem.Result.FAIL for r in rows)
    applicable = [r for r in rows if r.result != InspectionItem.Result.NA and not r.item.fatal]
    possible = sum(r.item.points for r in applicable)
    if fatal:
        score = Decimal(0)
    elif possible:
        score = (Decimal(sum(r.points for r in applicable)) * 100 / possible).quantize(Decimal("0.1"))
    else:
        score = Decimal(100)
    inspection.score, inspection.fatal = score, fatal
    inspection.passed = not fatal and score >= inspection.scorecard.pass_mark
    inspection.save(update_fields=["score", "fatal", "passed"])


def _mine(user, inspection_id: int, *, lock: bool = True) -> Inspection:
    """An inspection of a contact in USER's scope (else NotFound)."""
    from kefu.contacts.models import Contact

    visible = scopes.restrict(user, Contact.objects.all()).values("pk")
    return get_or_404(Inspection, inspection_id, lock=lock,
                      queryset=Inspection.objects.filter(contact_id__in=visible).select_related("scorecard"))


@transaction.atomic
def score(user, inspection_id: int, results: dict, *, note: str | None = None) -> Inspection:
    """The inspector's results for items of a draft inspection: RESULTS {item id: {"result":
    pass|fail|partial|na, "points": for partial, "note"}}; all or none, each bad one named
    (items.<id>.<field>)."""
    require(user, "quality.add_inspection")
    inspection = _mine(user, inspection_id)
    if inspection.inspector_id != user.pk:
        raise Forbidden(_("Only its inspector scores an inspection."))
    if not may_score(user, inspection):
        raise Conflict(_("A published inspection is not scored again; its agent may appeal."))
    rows = {r.item_id: r for r in inspection.items.select_related("item")}
    errors: dict[str, str] = {}
    for key, given in (results or {}).items():
        at = f"items.{key}"
        row = rows.get(int(key)) if str(key).isdigit() else None
        if row is None or not isinstance(given, dict):
            errors[at] = _("not an item of this inspection")
            continue
        result = given.get("result")
        if result not in InspectionItem.Result.values:
            errors[f"{at}.result"] = _("must be one of: %(values)s") % {"values": ", ".join(InspectionItem.Result.values)}
            continue
        if result == InspectionItem.Result.NA and not row.item.allow_na:
            errors[f"{at}.result"] = _("this item always applies")
            continue
        if result == InspectionItem.Result.PARTIAL:
            points = given.get("points")
            if row.item.fatal or row.item.kind != ScorecardItem.Kind.POINTS:
                errors[f"{at}.result"] = _("a pass-or-fail item is passed or failed")
                continue
            if isinstance(points, bool) or not isinstance(points, int) or not 0 <= points <= row.item.points:
                errors[f"{at}.points"] = _("must be a whole number from %(low)s to %(high)s") % {"low": 0, "high": row.item.points}
                continue
        else:
            points = row.item.points if result == InspectionItem.Result.PASS else 0
        row.result, row.points, row.prefilled = result, points, False
        row.note = str(given.get("note") or row.note)[:300]
    if errors:
        raise ValidationFailed(_("The scores are invalid."), fields=errors)
    InspectionItem.objects.bulk_update(list(rows.values()), ["result", "points", "prefilled", "note"])
    if note is not None:
        inspection.note = note.strip()
        inspection.save(update_fields=["note"])
    _tally(inspection)
    return inspection


@transaction.atomic
def publish(user, inspection_id: int, *, now: dt.datetime | None = None) -> Inspection:
    """Publish a draft to its agent, who may appeal until `appeal_deadline`; the agent is told."""
    from kefu.notifications import services as notifications

    require(user, "quality.add_inspection")
    now = now or timezone.now()
    inspection = _mine(user, inspection_id)
    if inspection.inspector_id != user.pk or inspection.status != Inspection.Status.DRAFT:
        raise Conflict(_("Only its inspector publishes a draft inspection."))
    inspection.status, inspection.published_at = Inspection.Status.PUBLISHED, now
    if inspection.calibration_id:  # a calibration's score is handed in, not shown to the agent
        inspection.save(update_fields=["status", "published_at"])
        audit.record(user, "update", inspection, fields=["status", "score"])
        return inspection
    inspection.appeal_until = appeal_deadline(now)
    inspection.save(update_fields=["status", "published_at", "appeal_until"])
    audit.record(user, "update", inspection, fields=["status", "score"])
    notifications.notify(inspection.agent, None, _("A contact of yours was inspected: %(score)s points. You may appeal until %(until)s.")
                         % {"score": inspection.score, "until": timezone.localtime(inspection.appeal_until).strftime("%Y-%m-%d %H:%M")})
    return inspection


def appeal_open(inspection: Inspection, now: dt.datetime | None = None) -> bool:
    """Whether INSPECTION's appeal window is still open at NOW (it has none before publishing)."""
    return inspection.appeal_until is None or (now or timezone.now()) <= inspection.appeal_until


def may_score(user, inspection: Inspection) -> bool:
    """Whether USER may still score INSPECTION: its inspector, while it is a draft."""
    return inspection.status == Inspection.Status.DRAFT and inspection.inspector_id == user.pk


@transaction.atomic
def appeal(user, inspection_id: int, reason: str, *, now: dt.datetime | None = None) -> Appeal:
    """The inspected agent's appeal (申诉) of a published inspection, with a reason, before its
    appeal window ends."""
    now = now or timezone.now()
    inspection = get_or_404(Inspection, inspection_id, lock=True,
                            queryset=Inspection.objects.filter(agent=user, calibration__isnull=True))  # one's own: others' look absent
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("The appeal is invalid."), fields={"reason": _("is required")})
    if inspection.status != Inspection.Status.PUBLISHED:
        raise Conflict(_("Only a published inspection can be appealed, once."))
    if not appeal_open(inspection, now):
        raise Conflict(_("The time to appeal ended at %(until)s.")
                       % {"until": timezone.localtime(inspection.appeal_until).strftime("%Y-%m-%d %H:%M")})
    filed = Appeal.objects.create(inspection=inspection, reason=reason, filed_at=now, score_before=inspection.score)
    inspection.status = Inspection.Status.APPEALED
    inspection.save(update_fields=["status"])
    audit.record(user, "create", filed, fields=["reason"])
    return filed


@transaction.atomic
def arbitrate(user, inspection_id: int, decision: str, reason: str, *, score: Decimal | None = None,
              now: dt.datetime | None = None) -> Inspection:
    """The QA lead's decision on an appeal: upheld (the score stands) or changed (to SCORE), with
    a reason; the inspection is then final."""
    require(user, "quality.arbitrate_appeal")
    now = now or timezone.now()
    inspection = _mine(user, inspection_id)
    errors: dict[str, str] = {}
    if decision not in Appeal.Decision.values:
        errors["decision"] = _("must be one of: %(values)s") % {"values": ", ".join(Appeal.Decision.values)}
    if not (reason or "").strip():
        errors["reason"] = _("is required")
    if decision == Appeal.Decision.CHANGED and (score is None or not Decimal(0) <= Decimal(score) <= Decimal(100)):
        errors["score"] = _("must be a number from %(low)s to %(high)s") % {"low": 0, "high": 100}
    if errors:
        raise ValidationFailed(_("The decision is invalid."), fields=errors)
    if inspection.status != Inspection.Status.APPEALED:
        raise Conflict(_("Only an appealed inspection is decided."))
    filed = Appeal.objects.select_for_update().get(inspection=inspection)
    filed.decision, filed.decision_reason, filed.decided_by, filed.decided_at = decision, reason.strip(), user, now
    filed.save(update_fields=["decision", "decision_reason", "decided_by", "decided_at"])
    if decision == Appeal.Decision.CHANGED:
        inspection.score = Decimal(score).quantize(Decimal("0.1"))  # type: ignore[arg-type]
        inspection.fatal = False
        inspection.passed = inspection.score >= inspection.scorecard.pass_mark
    inspection.status, inspection.final_at = Inspection.Status.FINAL, now
    inspection.save(update_fields=["score", "fatal", "passed", "status", "final_at"])
    audit.record(user, "update", inspection, fields=["status", "score"], reason=f"{decision}: {reason.strip()}"[:200])
    return inspection


def inspection(user, inspection_id: int) -> Inspection:
    """An inspection as its inspector, the QA lead (in scope) or its agent reads it."""
    require(user, "quality.view_inspection")
    if not user.has_perm("quality.add_inspection"):  # an inspected agent: their own only, others' look absent
        return get_or_404(Inspection, inspection_id, queryset=Inspection.objects.filter(
            agent=user, calibration__isnull=True).exclude(status=Inspection.Status.DRAFT).select_related("scorecard"))
    found = _mine(user, inspection_id, lock=False)
    if (found.calibration_id and found.inspector_id != user.pk and not user.has_perm("quality.arbitrate_appeal")
            and Calibration.objects.filter(pk=found.calibration_id, status=Calibration.Status.OPEN).exists()):
        # Calibrating inspectors do not see each other's scores until it is closed.
        raise NotFound(_("%(what)s %(id)s does not exist.") % {"what": str(Inspection._meta.verbose_name).capitalize(),
                                                               "id": inspection_id})
    return found


def my_inspections(user) -> QuerySet:
    """The published inspections of USER's own contacts (my quality), newest first."""
    require(user, "quality.view_inspection")
    return (Inspection.objects.filter(agent=user, calibration__isnull=True).exclude(status=Inspection.Status.DRAFT)
            .select_related("contact", "scorecard", "appeal").order_by("-published_at", "-pk"))


def of_contact(user, contact) -> list[Inspection]:
    """The inspections of CONTACT (already read in USER's scope) in its history: all but
    calibrations' for those who inspect, the published ones for the agent inspected, none for
    anyone else."""
    rows = Inspection.objects.filter(contact=contact, calibration__isnull=True).select_related("inspector", "appeal")
    if user.has_perm("quality.add_inspection") or user.has_perm("quality.arbitrate_appeal"):
        return list(rows.order_by("created_at", "pk"))
    if user.pk == contact.agent_id and user.has_perm("quality.view_inspection"):
        return list(rows.exclude(status=Inspection.Status.DRAFT).order_by("created_at", "pk"))
    return []


def drafts(user) -> QuerySet:
    """USER's inspections still being scored, oldest first."""
    require(user, "quality.add_inspection")
    return (Inspection.objects.filter(inspector=user, status=Inspection.Status.DRAFT)
            .select_related("contact", "agent", "calibration").order_by("created_at", "pk"))


def close_due(now: dt.datetime | None = None) -> int:
    """Published inspections whose appeal window ended unappealed become final (their score
    counts in the QA indicators from now): one UPDATE, run by the worker."""
    now = now or timezone.now()
    return Inspection.objects.filter(status=Inspection.Status.PUBLISHED, calibration__isnull=True,
                                     appeal_until__lte=now).update(status=Inspection.Status.FINAL, final_at=now)


def appeals_to_decide(user) -> QuerySet:
    """The appealed inspections of contacts in USER's scope, for the QA lead, oldest appeal first."""
    from kefu.contacts.models import Contact

    require(user, "quality.arbitrate_appeal")
    visible = scopes.restrict(user, Contact.objects.all()).values("pk")
    return (Inspection.objects.filter(status=Inspection.Status.APPEALED, contact_id__in=visible)
            .select_related("contact", "agent", "inspector", "appeal").order_by("appeal__filed_at", "pk"))


# --- sampling plans (抽检) ----------------------------------------------------------------------

def period_of(plan: SamplingPlan, day: dt.date) -> tuple[dt.date, dt.date]:
    """The plan's period containing DAY: its Monday to Sunday, or its month."""
    if plan.period == SamplingPlan.Period.WEEK:
        first = day - dt.timedelta(days=day.weekday())
        return first, first + dt.timedelta(days=6)
    first = day.replace(day=1)
    return first, (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


def _rank(seed: int, contact_id: int) -> bytes:
    import hashlib

    return hashlib.blake2b(f"{seed}:{contact_id}".encode(), digest_size=8).digest()


def _allocate(strata: dict, quota: int) -> dict:
    """QUOTA spread over STRATA ({key: candidates}) in proportion to their sizes, by largest remainder."""
    total = sum(len(v) for v in strata.values())
    if total <= quota:
        return {k: len(v) for k, v in strata.items()}
    shares = {k: quota * len(v) / total for k, v in strata.items()}
    out = {k: int(s) for k, s in shares.items()}
    for k in sorted(shares, key=lambda k: (-(shares[k] - out[k]), str(k)))[:quota - sum(out.values())]:
        out[k] += 1
    return out


@transaction.atomic
def draw(user, plan_id: int, day: dt.date, *, seed: int | None = None, now: dt.datetime | None = None) -> SamplingRun:
    """The plan's draw for the period containing DAY: every contact behind a low score, a repeat
    complaint or a regulator transfer (as the plan says), then PER_AGENT more of each agent's,
    spread over channel × kind in proportion, chosen by SEED (the same seed, the same sample);
    never a contact picked before; each sample given to an inspector in turn, never the agent
    (nor the agent's team, with KEFU_QUALITY_NOT_OWN_TEAM). One draw per plan and period."""
    require(user, "quality.add_samplingrun")
    return _draw(user, get_or_404(SamplingPlan, plan_id, lock=True), day, seed=seed, now=now)


def plans(user) -> list[dict]:
    """The active sampling plans for the QA lead, each with its latest draw and whether the
    current period has been drawn."""
    require(user, "quality.add_samplingrun")
    today = timezone.localdate()
    out = []
    for plan in SamplingPlan.objects.filter(is_active=True).order_by("pk"):
        latest = plan.runs.order_by("-first_day").first()
        first, last = period_of(plan, today)
        out.append({"plan": plan, "latest": latest, "current": (first, last),
                    "drawn": latest is not None and latest.first_day == first})
    return out


def draw_due(now: dt.datetime | None = None) -> list[SamplingRun]:
    """The worker's turn: each active plan drawn for its last complete period, once (the seed
    made from the period, so a rerun would pick the same)."""
    now = now or timezone.now()
    made = []
    for plan in SamplingPlan.objects.filter(is_active=True).order_by("pk"):
        first, _last = period_of(plan, timezone.localtime(now).date())
        previous, _end = period_of(plan, first - dt.timedelta(days=1))
        if SamplingRun.objects.filter(plan=plan, first_day=previous).exists():
            continue
        with transaction.atomic():
            locked = SamplingPlan.objects.select_for_update().get(pk=plan.pk)
            if not SamplingRun.objects.filter(plan=locked, first_day=previous).exists():
                made.append(_draw(None, locked, previous, seed=int(previous.strftime("%Y%m%d")) * 1000 + plan.pk, now=now))
    return made


def _draw(user, plan: SamplingPlan, day: dt.date, *, seed: int | None, now: dt.datetime | None) -> SamplingRun:
    from django.contrib.auth.models import Group

    from kefu.contacts.models import Contact, ContactOrder
    from kefu.orders.models import WorkOrder
    from kefu.staff import roles
    from kefu.staff.models import User
    from kefu.surveys.models import Answer

    now = now or timezone.now()
    first, last = period_of(plan, day)
    if SamplingRun.objects.filter(plan=plan, first_day=first).exists():
        raise Conflict(_("This plan has been drawn for the period from %(day)s already.") % {"day": first.isoformat()})
    seed = seed if seed is not None else int(now.timestamp())
    zone = timezone.get_current_timezone()
    start = dt.datetime.combine(first, dt.time(), zone)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), zone)
    contacts = Contact.objects.filter(ended_at__gte=start, ended_at__lt=end, agent__isnull=False,
                                      direction=Contact.Direction.INBOUND).exclude(outcome=Contact.Outcome.ABANDONED)
    if plan.channels:
        contacts = contacts.filter(channel__in=plan.channels)
    candidates = {pk: (agent, channel) for pk, agent, channel in contacts.exclude(
        pk__in=Sample.objects.values("contact_id")).values_list("pk", "agent_id", "channel")}
    raised = dict(ContactOrder.objects.filter(contact_id__in=list(candidates), role=ContactOrder.Role.RAISED)
                  .values_list("contact_id", "order_id"))
    orders = {o.pk: o for o in WorkOrder.objects.filter(pk__in=set(raised.values())).only("kind", "channel", "repeat_count")}
    low = set(Answer.objects.filter(invitation__order_id__in=list(orders), score__lt=settings.KEFU_SATISFIED_THRESHOLD,
                                    question__type="score", question__dimension="overall").values_list("invitation__order_id", flat=True)) if plan.low_score else set()
    picked: dict[int, str] = {}
    for pk in sorted(candidates):
        order = orders.get(raised.get(pk, 0))
        if order is None:
            continue
        if plan.regulator and order.channel == "regulator":
            picked[pk] = Sample.Reason.REGULATOR
        elif plan.repeat and order.repeat_count:
            picked[pk] = Sample.Reason.REPEAT
        elif order.pk in low:
            picked[pk] = Sample.Reason.LOW_SCORE
    by_agent: dict[int, dict] = defaultdict(lambda: defaultdict(list))
    for pk, (agent, channel) in candidates.items():
        if pk not in picked:
            order = orders.get(raised.get(pk, 0))
            by_agent[agent][(channel, order.kind if order else "")].append(pk)
    for agent in sorted(by_agent):
        strata = by_agent[agent]
        for key, n in _allocate(strata, plan.per_agent).items():
            for pk in sorted(strata[key], key=lambda pk: _rank(seed, pk))[:n]:
                picked[pk] = Sample.Reason.SAMPLED
    inspectors = list(User.objects.filter(is_active=True, groups__in=Group.objects.filter(name=roles.QA_INSPECTOR))
                      .order_by("pk").distinct().only("pk", "department_id"))
    teams = dict(User.objects.filter(pk__in={a for a, _c in candidates.values()}).values_list("pk", "department_id"))
    run = SamplingRun.objects.create(plan=plan, first_day=first, last_day=last, seed=seed, picked=len(picked),
                                     created_at=now, created_by=user)
    rows, turn = [], 0
    for pk in sorted(picked, key=lambda pk: _rank(seed, pk)):
        agent = candidates[pk][0]
        chosen = None
        for step in range(len(inspectors)):
            person = inspectors[(turn + step) % len(inspectors)]
            if person.pk != agent and not (settings.KEFU_QUALITY_NOT_OWN_TEAM and person.department_id
                                           and person.department_id == teams.get(agent)):
                chosen, turn = person, turn + step + 1
                break
        rows.append(Sample(run=run, contact_id=pk, reason=picked[pk], inspector=chosen))
    Sample.objects.bulk_create(rows)
    audit.record(user, "create", run, fields=["plan", "first_day", "seed", "picked"])
    return run


def my_samples(user) -> QuerySet:
    """The sampled contacts given to USER and not inspected by them yet, oldest draw first."""
    require(user, "quality.add_inspection")
    done = Inspection.objects.filter(inspector=user).values("contact_id")
    return (Sample.objects.filter(inspector=user).exclude(contact_id__in=done)
            .select_related("contact", "contact__agent", "run").order_by("run__first_day", "contact__started_at", "contact_id"))


# --- calibration (校准) -------------------------------------------------------------------------

MAX_CALIBRATION_CONTACTS = 20


@transaction.atomic
def create_calibration(user, title: str, contact_ids, inspector_ids, *, now: dt.datetime | None = None) -> Calibration:
    """The QA lead sets several inspectors to score the same contacts (read in the lead's scope)
    on the scorecard in use: a draft inspection for each inspector and contact, pre-filled from
    the automatic checks as any inspection is."""
    from kefu.contacts.models import Contact
    from kefu.staff.models import User

    require(user, "quality.arbitrate_appeal")
    now = now or timezone.now()
    errors: dict[str, str] = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = _("is required")
    contact_ids = sorted({int(i) for i in contact_ids or [] if str(i).strip().isdigit()})
    inspector_ids = sorted({int(i) for i in inspector_ids or [] if str(i).strip().isdigit()})
    contacts = list(scopes.visible(user, Contact.objects.select_related("agent"), contact_ids)) if contact_ids else []
    if not contacts:
        errors["contact_ids"] = _("name at least one contact")
    elif len(contacts) != len(contact_ids):
        missing = sorted(set(contact_ids) - {c.pk for c in contacts})
        errors["contact_ids"] = _("no such contacts: %(ids)s") % {"ids": "、".join(map(str, missing))}
    elif len(contacts) > MAX_CALIBRATION_CONTACTS:
        errors["contact_ids"] = _("at most %(n)s contacts") % {"n": MAX_CALIBRATION_CONTACTS}
    inspectors = [u for u in User.objects.filter(pk__in=inspector_ids, is_active=True) if u.has_perm("quality.add_inspection")]
    if len(inspectors) < 2:
        errors["inspector_ids"] = _("name at least two inspectors")
    if not errors:
        for contact in contacts:
            for inspector in inspectors:
                refusal = _may_not_inspect(inspector, contact)
                if refusal:
                    errors["inspector_ids"] = _("%(inspector)s may not score contact %(contact)s: %(why)s") % {
                        "inspector": inspector, "contact": contact.pk, "why": refusal}
    card = active_scorecard()
    if card is None:
        raise Conflict(_("No scorecard is in use: publish one first."))
    if errors:
        raise ValidationFailed(_("The calibration is invalid."), fields=errors)
    calibration = Calibration.objects.create(title=title[:100], scorecard=card, created_by=user, created_at=now)
    calibration.contacts.set(contacts)
    calibration.inspectors.set(inspectors)
    for contact in contacts:
        for inspector in inspectors:
            _begin(contact, card, inspector, now, calibration)
    audit.record(user, "create", calibration, fields=["title", "contacts", "inspectors"])
    return calibration


def inspectors(user) -> list:
    """Whom the QA lead may set to calibrate: active people who inspect contacts."""
    from kefu.staff import services as staff

    require(user, "quality.arbitrate_appeal")
    return list(staff.holders("quality.add_inspection").order_by("username"))


def recently_inspected(user, limit: int = 30) -> list:
    """The contacts in USER's scope inspected lately, newest first: what a calibration is made of."""
    from kefu.contacts.models import Contact

    visible = scopes.restrict(user, Contact.objects.all()).values("pk")
    ids = list(Inspection.objects.filter(calibration__isnull=True, contact_id__in=visible).exclude(status=Inspection.Status.DRAFT)
               .order_by("-published_at").values_list("contact_id", flat=True)[:limit * 3])
    seen = list(dict.fromkeys(ids))[:limit]
    found = {c.pk: c for c in Contact.objects.filter(pk__in=seen).select_related("agent")}
    return [found[pk] for pk in seen if pk in found]


def calibrations(user) -> QuerySet:
    """The calibrations USER leads (all, for a QA lead) or takes part in, newest first."""
    require(user, "quality.add_inspection")
    rows = Calibration.objects.all() if user.has_perm("quality.arbitrate_appeal") else Calibration.objects.filter(inspectors=user)
    return rows.select_related("created_by").order_by("-created_at", "-pk")


def _calibration(user, calibration_id: int) -> Calibration:
    return get_or_404(Calibration, calibration_id, queryset=calibrations(user))


@transaction.atomic
def close_calibration(user, calibration_id: int, *, now: dt.datetime | None = None) -> Calibration:
    """The QA lead closes a calibration: its scores are then shown to every inspector in it;
    scores still in draft are left out."""
    require(user, "quality.arbitrate_appeal")
    calibration = get_or_404(Calibration, calibration_id, lock=True)
    if calibration.status != Calibration.Status.OPEN:
        raise Conflict(_("This calibration is already closed."))
    calibration.status, calibration.closed_at = Calibration.Status.CLOSED, now or timezone.now()
    calibration.save(update_fields=["status", "closed_at"])
    audit.record(user, "update", calibration, fields=["status"])
    return calibration


def calibration_page(user, calibration_id: int) -> dict:
    """One calibration as its page shows it: USER's own scores; for the QA lead who has handed
    in (per contact, each inspector in turn); the spread when USER may see it (the lead always,
    the inspectors once it is closed), else None."""
    found = _calibration(user, calibration_id)
    lead = user.has_perm("quality.arbitrate_appeal")
    inspectors = sorted(found.inspectors.all(), key=lambda u: u.pk)
    progress = []
    if lead:
        handed = {(c, i): st for c, i, st in found.inspections.values_list("contact_id", "inspector_id", "status")}
        progress = [{"contact": c, "cells": [handed.get((c.pk, u.pk)) not in (None, Inspection.Status.DRAFT) for u in inspectors]}
                    for c in found.contacts.select_related("agent").order_by("pk")]
    shown = lead or found.status == Calibration.Status.CLOSED
    return {"calibration": found, "lead": lead, "inspectors": inspectors, "progress": progress,
            "mine": list(found.inspections.filter(inspector=user).select_related("contact").order_by("contact_id")),
            "spread": calibration_spread(user, calibration_id) if shown else None}


def calibration_spread(user, calibration_id: int) -> dict:
    """A calibration's scores side by side, once handed in: for each contact and item every
    inspector's points (a fatal item 1 passed, 0 failed), their mean and spread (highest − lowest); for each inspector their mean
    total and how far it lies from the group's (mean absolute difference from the median total
    of each contact, in points: one inspector out of line does not drag the others with them),
    flagged beyond KEFU_QUALITY_CALIBRATION_TOLERANCE. Inspectors see it once the
    calibration is closed; the QA lead as the scores come in."""
    calibration = _calibration(user, calibration_id)
    lead = user.has_perm("quality.arbitrate_appeal")
    if not lead and calibration.status == Calibration.Status.OPEN:
        raise Conflict(_("The scores are shown to the inspectors once the QA lead closes the calibration."))
    inspectors = sorted(calibration.inspectors.all(), key=lambda u: u.pk)
    handed = list(calibration.inspections.exclude(status=Inspection.Status.DRAFT)
                  .values_list("pk", "contact_id", "inspector_id", "score"))
    totals = {(c, i): float(s) for _pk, c, i, s in handed if s is not None}
    # (item, inspection) → points; a fatal item 1 passed, 0 failed; None: not applicable.
    points: dict[tuple[int, int], int | None] = {}
    for inspection_id, item_id, fatal, result, pts in InspectionItem.objects.filter(
            inspection_id__in=[h[0] for h in handed]).values_list("inspection_id", "item_id", "item__fatal", "result", "points"):
        if result == InspectionItem.Result.NA:
            points[(item_id, inspection_id)] = None
        else:
            points[(item_id, inspection_id)] = int(result != InspectionItem.Result.FAIL) if fatal else pts
    by_inspection = {pk: (c, i) for pk, c, i, _s in handed}
    items = list(calibration.scorecard.items.order_by("position"))
    described = {c.pk: c for c in calibration.contacts.select_related("agent")}
    contacts = sorted(described)
    rows = []
    for contact_id in contacts:
        for item in items:
            scores = {i: points[(item.pk, pk)] for pk, (c, i) in by_inspection.items()
                      if c == contact_id and (item.pk, pk) in points}
            given = [v for v in scores.values() if v is not None]
            rows.append({"contact_id": contact_id, "contact": described[contact_id], "item": item,
                         "scores": [scores.get(u.pk) for u in inspectors],
                         "mean": sum(given) / len(given) if given else None,
                         "spread": (max(given) - min(given)) if len(given) > 1 else None})
    tolerance = settings.KEFU_QUALITY_CALIBRATION_TOLERANCE
    people = []
    for u in inspectors:
        diffs: list[float] = []
        for contact_id in contacts:
            mine = totals.get((contact_id, u.pk))
            everyone = [totals[(contact_id, o.pk)] for o in inspectors if (contact_id, o.pk) in totals]
            if mine is not None and len(everyone) > 1:
                diffs.append(mine - statistics.median(everyone))
        own = [totals[(c, u.pk)] for c in contacts if (c, u.pk) in totals]
        deviation = sum(abs(d) for d in diffs) / len(diffs) if diffs else None
        people.append({"inspector": u, "handed_in": len(own), "mean": sum(own) / len(own) if own else None,
                       "deviation": deviation, "bias": sum(diffs) / len(diffs) if diffs else None,
                       "out_of_line": deviation is not None and deviation > tolerance})
    matrix = [{"contact_id": c, "scores": [totals.get((c, u.pk)) for u in inspectors]} for c in contacts]
    return {"calibration": calibration, "inspectors": inspectors, "items": rows, "people": people, "totals": matrix,
            "tolerance": tolerance}
