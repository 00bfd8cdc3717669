"""Surveys' rules (models.py): questionnaires drafted and published as versions, who may be
asked (never an anonymised customer, never one who refused, at most once per
KEFU_SURVEY_FATIGUE_DAYS across channels), invitations, and answers checked against their
questions, the same whichever channel brought them."""

import datetime as dt
import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.audit import services as audit
from kefu.core.errors import Conflict, ValidationFailed
from kefu.core.services import get_or_404, require

from .models import Answer, Channel, Instrument, Invitation, OptOut, Purpose, Question

T = Question.Type
CHOICE_TYPES = (T.SINGLE, T.MULTIPLE)
SCORE_RANGE: dict[str, tuple[int, int]] = {T.SCORE: (1, 10), T.RECOMMEND: (0, 10)}


# --- questionnaires ------------------------------------------------------------------------

def _clean_questions(questions: list[dict]) -> list[Question]:
    """QUESTIONS (dicts: type, text, dimension, options, required) as unsaved Question rows, or a
    ValidationFailed naming each bad field (questions.N.field)."""
    errors: dict[str, str] = {}
    rows = []
    if not questions:
        errors["questions"] = _("A questionnaire needs at least one question.")
    for n, q in enumerate(questions or [], start=1):
        at = f"questions.{n}"
        kind, text = str(q.get("type") or ""), (q.get("text") or "").strip()
        options = [str(o).strip() for o in q.get("options") or []]
        dimension = q.get("dimension") or ""
        if kind not in T.values:
            errors[f"{at}.type"] = _("must be one of: %(values)s") % {"values": ", ".join(T.values)}
        if not text:
            errors[f"{at}.text"] = _("is required")
        elif len(text) > 300:
            errors[f"{at}.text"] = _("may be at most %(n)s characters") % {"n": 300}
        if dimension not in Question.Dimension.values:
            errors[f"{at}.dimension"] = _("must be one of: %(values)s") % {
                "values": ", ".join(v for v in Question.Dimension.values if v)}
        if kind in CHOICE_TYPES and (len(options) < 2 or any(not o for o in options) or len(set(options)) < len(options)):
            errors[f"{at}.options"] = _("a choice question needs two or more different options")
        elif kind not in CHOICE_TYPES and options:
            errors[f"{at}.options"] = _("only choice questions have options")
        if dimension and kind not in SCORE_RANGE:
            errors[f"{at}.dimension"] = _("only score questions are tied to a dimension")
        rows.append(Question(position=n, type=kind, text=text, dimension=dimension, options=options,
                             required=bool(q.get("required", True))))
    if errors:
        raise ValidationFailed(_("The questionnaire is invalid."), fields=errors)
    return rows


@transaction.atomic
def create_draft(user, purpose: str, title: str, questions: list[dict], *, intro: str = "") -> Instrument:
    """A new version (draft) of PURPOSE's questionnaire, numbered after the last one."""
    require(user, "surveys.add_instrument")
    if purpose not in Purpose.values:
        raise ValidationFailed(_("The questionnaire is invalid."), fields={
            "purpose": _("must be one of: %(values)s") % {"values": ", ".join(Purpose.values)}})
    title = (title or "").strip()
    if not title:
        raise ValidationFailed(_("The questionnaire is invalid."), fields={"title": _("is required")})
    rows = _clean_questions(questions)
    # The purpose's rows locked: two drafts at once get different version numbers.
    list(Instrument.objects.select_for_update().filter(purpose=purpose).values_list("pk"))
    version = (Instrument.objects.filter(purpose=purpose).aggregate(v=Max("version"))["v"] or 0) + 1
    instrument = Instrument.objects.create(purpose=purpose, version=version, title=title[:100], intro=intro,
                                           created_at=timezone.now(), created_by=user)
    for row in rows:
        row.instrument = instrument
    Question.objects.bulk_create(rows)
    audit.record(user, "create", instrument, fields=["purpose", "version", "title"])
    return instrument


@transaction.atomic
def publish(user, instrument_id: int) -> Instrument:
    """Make a draft its purpose's active version; the one active before is retired (its
    invitations and answers stay tied to it)."""
    require(user, "surveys.change_instrument")
    instrument = get_or_404(Instrument, instrument_id, lock=True)
    if instrument.status != Instrument.Status.DRAFT:
        raise Conflict(_("Only a draft can be published; this version is %(status)s.")
                       % {"status": instrument.get_status_display()})
    now = timezone.now()
    Instrument.objects.select_for_update().filter(purpose=instrument.purpose, status=Instrument.Status.ACTIVE).update(
        status=Instrument.Status.RETIRED)
    instrument.status, instrument.published_at = Instrument.Status.ACTIVE, now
    instrument.save(update_fields=["status", "published_at"])
    audit.record(user, "update", instrument, fields=["status", "published_at"])
    return instrument


def active(purpose: str) -> Instrument | None:
    return Instrument.objects.filter(purpose=purpose, status=Instrument.Status.ACTIVE).first()


# --- who may be asked ----------------------------------------------------------------------

ANONYMISED, REFUSED, RECENTLY_ASKED = "anonymised", "refused", "recently_asked"
REASONS = {
    ANONYMISED: lambda: _("The customer's personal data has been anonymised."),
    REFUSED: lambda: _("The customer refused surveys and follow-up."),
    RECENTLY_ASKED: lambda: _("The customer was asked for a survey less than %(days)s days ago.")
    % {"days": settings.KEFU_SURVEY_FATIGUE_DAYS},
}


def refusal(customer_id: int, now: dt.datetime | None = None) -> str | None:
    """Why the customer may not be asked now (ANONYMISED, REFUSED, RECENTLY_ASKED), or None."""
    from kefu.privacy.models import Anonymisation

    now = now or timezone.now()
    if Anonymisation.objects.filter(customer_id=customer_id).exists():
        return ANONYMISED
    if OptOut.objects.filter(customer_id=customer_id, withdrawn_at__isnull=True).exists():
        return REFUSED
    since = now - dt.timedelta(days=settings.KEFU_SURVEY_FATIGUE_DAYS)
    if Invitation.objects.filter(customer_id=customer_id, created_at__gt=since).exclude(
            status=Invitation.Status.WITHDRAWN).exists():
        return RECENTLY_ASKED
    return None


def refusing(customer_ids) -> set[int]:
    """Those of CUSTOMER_IDS who may never be asked (anonymised, or refused), in two queries:
    for rules that pick many customers at once (follow-up calls)."""
    from kefu.privacy.models import Anonymisation

    ids = {i for i in customer_ids if i is not None}
    if not ids:
        return set()
    anonymised = set(Anonymisation.objects.filter(customer_id__in=ids).values_list("customer_id", flat=True))
    refused = set(OptOut.objects.filter(customer_id__in=ids, withdrawn_at__isnull=True).values_list("customer_id", flat=True))
    return anonymised | refused


@transaction.atomic
def invite(customer, purpose: str, *, channel: str, order=None, now: dt.datetime | None = None,
           hours: int | None = None) -> Invitation | None:
    """An invitation of CUSTOMER to PURPOSE's active questionnaire on CHANNEL, valid for HOURS
    (default KEFU_SURVEY_EXPIRY_HOURS); None when the customer may not be asked (refusal) or the
    purpose has no active questionnaire. The customer's row is locked: two rules asking at once
    make one invitation."""
    from kefu.customers.models import Customer

    now = now or timezone.now()
    instrument = active(purpose)
    if instrument is None:
        return None
    Customer.objects.select_for_update().filter(pk=customer.pk).exists()
    if refusal(customer.pk, now) is not None:
        return None
    expires = now + dt.timedelta(hours=hours or settings.KEFU_SURVEY_EXPIRY_HOURS)
    return Invitation.objects.create(instrument=instrument, customer=customer, order=order, channel=channel,
                                     token=secrets.token_urlsafe(32), created_at=now, expires_at=expires)


def by_token(token: str) -> Invitation | None:
    """The invitation a survey link names, or None (an unknown token looks like none)."""
    if not token or len(token) > 64:
        return None
    return Invitation.objects.select_related("instrument").filter(token=token).first()


# --- answers -------------------------------------------------------------------------------

def _clean_answer(question: Question, value, field: str, errors: dict) -> Answer | None:
    if value is None or value == "" or value == []:
        if question.required:
            errors[field] = _("is required")
        return None
    if question.type in SCORE_RANGE:
        low, high = SCORE_RANGE[question.type]
        if isinstance(value, bool) or not isinstance(value, int) and not (isinstance(value, str) and value.isdigit()):
            errors[field] = _("must be a whole number from %(low)s to %(high)s") % {"low": low, "high": high}
            return None
        score = int(value)
        if not low <= score <= high:
            errors[field] = _("must be a whole number from %(low)s to %(high)s") % {"low": low, "high": high}
            return None
        return Answer(question=question, score=score)
    if question.type in CHOICE_TYPES:
        picked = value if isinstance(value, list) else [value]
        if question.type == T.SINGLE and len(picked) != 1:
            errors[field] = _("choose one option")
            return None
        if any(p not in question.options for p in picked) or len(set(picked)) < len(picked):
            errors[field] = _("choose among the question's options")
            return None
        return Answer(question=question, choices=picked)
    text = str(value).strip()
    if len(text) > 2000:
        errors[field] = _("may be at most %(n)s characters") % {"n": 2000}
        return None
    return Answer(question=question, text=text)


@transaction.atomic
def answer(invitation_id: int, values: dict, *, now: dt.datetime | None = None) -> Invitation:
    """Store the answers VALUES ({question id: score, option(s) or text}) of an invitation,
    whichever channel brought them: all of them or none. An invitation is answered once, before
    it expires, unless withdrawn (the customer refused since)."""
    now = now or timezone.now()
    invitation = get_or_404(Invitation, invitation_id, lock=True)
    if invitation.status == Invitation.Status.ANSWERED:
        raise Conflict(_("This survey has already been answered. Thank you."))
    if invitation.status == Invitation.Status.WITHDRAWN:
        raise Conflict(_("This survey has been withdrawn."))
    if invitation.status == Invitation.Status.EXPIRED or invitation.expires_at <= now:
        raise Conflict(_("This survey has expired."))
    questions = list(invitation.instrument.questions.all())
    known = {q.pk for q in questions}
    errors: dict[str, str] = {}
    for key in values:
        if not str(key).isdigit() or int(key) not in known:
            errors[f"answers.{key}"] = _("not a question of this survey")
    given = {int(k): v for k, v in values.items() if str(k).isdigit()}
    rows = []
    for q in questions:
        row = _clean_answer(q, given.get(q.pk), f"answers.{q.pk}", errors)
        if row is not None:
            row.invitation = invitation
            rows.append(row)
    if errors:
        raise ValidationFailed(_("The answers are invalid."), fields=errors)
    try:
        Answer.objects.bulk_create(rows)
    except IntegrityError:  # pragma: no cover - the row lock above makes this a second answer
        raise Conflict(_("This survey has already been answered. Thank you.")) from None
    invitation.status, invitation.answered_at = Invitation.Status.ANSWERED, now
    invitation.save(update_fields=["status", "answered_at"])
    return invitation


def dimension_scores(invitation: Invitation) -> dict[str, int]:
    """{dimension: score} of an answered invitation's dimension-tied questions."""
    rows = Answer.objects.filter(invitation=invitation, score__isnull=False).exclude(question__dimension="")
    return {dimension: score for dimension, score in rows.values_list("question__dimension", "score") if score is not None}


# --- asking after resolution -----------------------------------------------------------------

CONSUMER = "surveys"


def survey_link(invitation: Invitation) -> str:
    """The survey page of INVITATION, for the customer's phone (KEFU_BASE_URL before the path)."""
    from django.urls import reverse

    return settings.KEFU_BASE_URL.rstrip("/") + reverse("portal:survey", args=[invitation.token])


def state(invitation: Invitation, now: dt.datetime | None = None) -> str:
    """What the survey page shows: the invitation's status, "expired" once its time is up."""
    now = now or timezone.now()
    if invitation.status == Invitation.Status.PENDING and invitation.expires_at <= now:
        return Invitation.Status.EXPIRED
    return invitation.status


def on_order_events(events) -> None:
    """The consumer "surveys": each customer whose order was resolved is invited to the
    post-resolution questionnaire by an SMS with the survey's link (not those who refused, were
    anonymised or were asked within KEFU_SURVEY_FATIGUE_DAYS; invite decides)."""
    from kefu.contacts import sms
    from kefu.orders.models import WorkOrder

    resolved = {e.order_id for e in events if e.action == "resolve"}
    if not resolved:
        return
    orders = WorkOrder.objects.select_related("customer").in_bulk(resolved)
    skip = refusing({o.customer_id for o in orders.values()})
    for pk in sorted(orders):
        order = orders[pk]
        customer = order.customer
        if customer is None or customer.pk in skip or not customer.phone:
            continue
        invitation = invite(customer, Purpose.POST_RESOLUTION, channel=Channel.SMS_LINK, order=order)
        if invitation is not None:
            sms.send_text(customer.phone, _(
                "Your request %(number)s has been handled. Please tell us how we did, it takes a minute: %(link)s "
                "Reply TD to receive no more surveys.") % {"number": order.number, "link": survey_link(invitation)},
                purpose="survey")


# --- SMS replies (the gateway's inbound messages) -------------------------------------------

# Replies that refuse surveys and follow-up (退订), after NFKC (full-width letters) and upper case.
STOP_WORDS = frozenset({"TD", "T", "退订", "拒绝回访", "不要回访"})


@transaction.atomic
def receive_reply(user, phone: str, text: str, *, now: dt.datetime | None = None) -> str:
    """An SMS a customer sent back, as the SMS gateway posts it (its inbound messages). A stop
    word records the refusal of everyone holding that number, by SMS reply, honoured on every
    channel. Returns "refused", "unknown" (no customer has that number) or "ignored" (anything
    else, kept out of the records: a reply is not a contact)."""
    import unicodedata

    from kefu.core import crypto
    from kefu.core.text import phone_digits
    from kefu.customers.models import Customer

    require(user, "surveys.add_optout")
    word = unicodedata.normalize("NFKC", text or "").strip().upper()
    if word not in STOP_WORDS:
        return "ignored"
    hashes = crypto.lookup_hashes(phone_digits(phone or ""), "phone")
    holders = list(Customer.objects.filter(phone_bidx__in=hashes).order_by("pk")) if hashes else []
    for customer in holders:
        opt_out(customer, Channel.SMS_REPLY, now=now)
    return "refused" if holders else "unknown"


# --- refusals -------------------------------------------------------------------------------

@transaction.atomic
def opt_out(customer, channel: str, *, actor=None, now: dt.datetime | None = None) -> OptOut:
    """Record CUSTOMER's refusal of surveys and follow-up, by CHANNEL (and ACTOR, a member of
    staff, when one recorded it), honoured on every channel at once: the invitations waiting for
    an answer are withdrawn. Refusing again changes nothing."""
    from kefu.customers.models import Customer

    now = now or timezone.now()
    Customer.objects.select_for_update().filter(pk=customer.pk).exists()
    current = OptOut.objects.filter(customer=customer, withdrawn_at__isnull=True).first()
    if current is not None:
        return current
    refusal_row = OptOut.objects.create(customer=customer, channel=channel, at=now, recorded_by=actor)
    Invitation.objects.filter(customer=customer, status=Invitation.Status.PENDING).update(
        status=Invitation.Status.WITHDRAWN)
    audit.record(actor, "create", refusal_row, fields=["channel", "at"])
    return refusal_row
