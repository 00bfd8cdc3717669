"""Surveys' rules (models.py): questionnaires drafted and published as versions, who may be
asked (never an anonymised customer, never one who refused, at most once per
KEFU_SURVEY_FATIGUE_DAYS across channels), invitations, and answers checked against their
questions, the same whichever channel brought them."""

import datetime as dt
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.audit import services as audit
from kefu.core.errors import Conflict, ValidationFailed
from kefu.core.services import get_or_404, require

from .models import (
    Answer,
    Channel,
    Instrument,
    Invitation,
    OptOut,
    Purpose,
    Question,
    ShopperVisit,
    SurveyWave,
)

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


def _check_purpose(purpose: str, rows: list[Question]) -> None:
    """What a purpose asks of its questionnaires: after resolution and for a mystery shopper's
    visit, a 1–10 score question of the dimension "overall"."""
    if any(r.dimension == Question.Dimension.OVERALL and r.type == T.SCORE for r in rows):
        return
    if purpose == Purpose.POST_RESOLUTION:
        raise ValidationFailed(_("The questionnaire is invalid."), fields={"questions": _(
            "A questionnaire asked after resolution needs a 1–10 score question of the dimension “overall satisfaction”: "
            "the score a customer gives when confirming a resolution is stored as its answer.")})
    if purpose == Purpose.VISIT:
        raise ValidationFailed(_("The questionnaire is invalid."), fields={"questions": _(
            "A mystery shopper's score sheet needs a 1–10 score question of the dimension “overall satisfaction”: "
            "it is the visit's overall score.")})


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
    _check_purpose(purpose, rows)
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
    made = invite_many([(customer.pk, order)], purpose, channel=channel, now=now, hours=hours)
    return made[0] if made else None


@transaction.atomic
def invite_many(asks: Sequence[tuple[int, Any]], purpose: str, *, channel: str, now: dt.datetime | None = None,
                hours: int | None = None, instrument: Instrument | None = None,
                wave: SurveyWave | None = None) -> list[Invitation]:
    """Invitations of many customers at once (ASKS: (customer id, order or None) pairs) to
    PURPOSE's active questionnaire on CHANNEL, in a few statements whatever their number: those
    who may not be asked (anonymised, refused, asked within KEFU_SURVEY_FATIGUE_DAYS — `refusal`'s
    rules) and the second ask of a customer are left out. The customers' rows are locked, in
    order: concurrent rules asking the same customer make one invitation. INSTRUMENT (default the
    purpose's active one) and WAVE: a relationship survey wave's own."""
    from kefu.customers.models import Customer

    now = now or timezone.now()
    instrument = instrument or active(purpose)
    ids = sorted({customer_id for customer_id, _order in asks})
    if instrument is None or not ids:
        return []
    list(Customer.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk"))
    since = now - dt.timedelta(days=settings.KEFU_SURVEY_FATIGUE_DAYS)
    skip = refusing(ids) | set(Invitation.objects.filter(customer_id__in=ids, created_at__gt=since).exclude(
        status=Invitation.Status.WITHDRAWN).values_list("customer_id", flat=True))
    expires = now + dt.timedelta(hours=hours or settings.KEFU_SURVEY_EXPIRY_HOURS)
    made = []
    for customer_id, order in asks:
        if customer_id in skip:
            continue
        skip.add(customer_id)
        made.append(Invitation(instrument=instrument, customer_id=customer_id, order=order, wave=wave, channel=channel,
                               token=secrets.token_urlsafe(32), created_at=now, expires_at=expires))
    return Invitation.objects.bulk_create(made)


def _waiting(order_id: int, now: dt.datetime) -> Invitation | None:
    """ORDER_ID's post-resolution invitation still waiting for its answer (the SMS link the
    customer has not answered yet), or None."""
    return (Invitation.objects.filter(order_id=order_id, instrument__purpose=Purpose.POST_RESOLUTION,
                                      status=Invitation.Status.PENDING, expires_at__gt=now)
            .order_by("-created_at", "-pk").first())


def call_refusal(customer_id: int | None, order_id: int, now: dt.datetime | None = None) -> str | None:
    """Why a follow-up call about ORDER_ID may not ask its customer the questionnaire (`refusal`),
    or None. The order's own survey still waiting is no reason: the call answers it."""
    now = now or timezone.now()
    if customer_id is None:
        return ANONYMISED
    code = refusal(customer_id, now)
    if code == RECENTLY_ASKED and _waiting(order_id, now) is not None:
        return None
    return code


@transaction.atomic
def invite_for_call(customer, order, *, now: dt.datetime | None = None) -> Invitation | None:
    """The invitation a follow-up call's answers about ORDER go to: the order's own survey still
    waiting (now answered on the phone), else a new one on the phone; None when the customer may
    not be asked (call_refusal)."""
    now = now or timezone.now()
    if call_refusal(customer.pk, order.pk, now) is not None:
        return None
    waiting = _waiting(order.pk, now)
    if waiting is None:
        return invite(customer, Purpose.POST_RESOLUTION, channel=Channel.PHONE, order=order, now=now)
    Invitation.objects.filter(pk=waiting.pk).update(channel=Channel.PHONE)
    return waiting


def by_token(token: str) -> Invitation | None:
    """The invitation a survey link names, or None (an unknown token looks like none)."""
    if not token or len(token) > 64:
        return None
    return Invitation.objects.select_related("instrument").filter(token=token).first()


# --- answers -------------------------------------------------------------------------------

# One-question channels: the customer gives a single score there (an SMS reply's digit, the
# hotline IVR's keypress), which answers the questionnaire's overall satisfaction question. Its
# other questions are not asked on them, so there only the overall one is required.
ONE_QUESTION_CHANNELS = frozenset({Channel.SMS_REPLY, Channel.IVR})


def is_overall(question: Question) -> bool:
    return question.dimension == Question.Dimension.OVERALL and question.type == T.SCORE


def required(question: Question, channel: str) -> bool:
    """Whether QUESTION must be answered on CHANNEL: as the questionnaire says, but on a
    one-question channel (ONE_QUESTION_CHANNELS) the overall question alone."""
    return is_overall(question) if channel in ONE_QUESTION_CHANNELS else question.required


def _clean_answer(question: Question, value, field: str, errors: dict, *, needed: bool | None = None) -> Answer | None:
    if value is None or value == "" or value == []:
        if question.required if needed is None else needed:
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
    it expires, unless withdrawn (the customer refused since). On the one-question channels (an
    SMS reply, the IVR) only the overall question is required (`required`). A low score then
    does what KEFU_SURVEY_LOW_SCORE_ACTIONS says (`act_on_low_score`)."""
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
        row = _clean_answer(q, given.get(q.pk), f"answers.{q.pk}", errors, needed=required(q, invitation.channel))
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
    act_on_low_score(invitation, now=now)
    return invitation


def dimension_scores(invitation: Invitation) -> dict[str, int]:
    """{dimension: score} of an answered invitation's dimension-tied questions."""
    rows = Answer.objects.filter(invitation=invitation, score__isnull=False).exclude(question__dimension="")
    return {dimension: score for dimension, score in rows.values_list("question__dimension", "score") if score is not None}


# --- the score at resolution (orders' Feedback) as an answer -------------------------------

# Feedback given through a member of staff (a call, the counter, a letter) or online.
STAFF_CHANNELS = frozenset({"hotline", "store", "letter", "account_manager", "regulator"})


def overall_question() -> Question | None:
    """The overall satisfaction question that scores at resolution answer: the active
    post-resolution questionnaire's, else the latest version's that has one."""
    rows = Question.objects.select_related("instrument").filter(
        instrument__purpose=Purpose.POST_RESOLUTION, dimension=Question.Dimension.OVERALL, type=T.SCORE)
    return rows.filter(instrument__status=Instrument.Status.ACTIVE).first() or rows.order_by("-instrument__version").first()


def mirror_feedback(feedback_rows) -> int:
    """Store each scored FEEDBACK_ROWS (orders' Feedback, with order_id, order.customer_id, score,
    channel, at) as the answer to the overall question, in an answered invitation of its own (one
    per feedback: the database refuses a second; those already stored are skipped). In three
    statements per call, for the demo's and imports' batches too. Returns the number stored."""
    question = overall_question()
    rows = [f for f in feedback_rows if f.score is not None]
    if question is None or not rows:
        return 0
    done = set(Invitation.objects.filter(feedback__in=[f.pk for f in rows]).values_list("feedback_id", flat=True))
    rows = [f for f in rows if f.pk not in done]
    Invitation.objects.bulk_create([Invitation(
        instrument_id=question.instrument_id, customer_id=f.order.customer_id, order_id=f.order_id,
        channel=Channel.PHONE if f.channel in STAFF_CHANNELS else Channel.PORTAL, token=secrets.token_urlsafe(32),
        status=Invitation.Status.ANSWERED, created_at=f.at, expires_at=f.at, answered_at=f.at, feedback_id=f.pk)
        for f in rows])
    ids = dict(Invitation.objects.filter(feedback__in=[f.pk for f in rows]).values_list("feedback_id", "pk"))
    Answer.objects.bulk_create([Answer(invitation_id=ids[f.pk], question=question, score=f.score) for f in rows])
    return len(rows)


def on_order_transaction(pairs) -> None:
    """The "transaction" phase: a score given at resolution (an event carrying a feedback) is
    stored as an answer in the same transaction, so the order and its answer commit together."""
    from kefu.orders.models import Feedback

    ids = [event.data["feedback"] for _order, event in pairs
           if isinstance(event.data, dict) and event.data.get("feedback") and event.data.get("score") is not None]
    if ids:
        mirror_feedback(Feedback.objects.select_related("order").filter(pk__in=ids))


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
    post-resolution questionnaire by an SMS (not those who refused, were anonymised or were asked
    within KEFU_SURVEY_FATIGUE_DAYS; invite decides): with the survey's link, or, with
    KEFU_SURVEY_SMS_MODE "reply", as one question answered by replying a digit (`receive_reply`)
    when the active questionnaire has an overall satisfaction question (else the link)."""
    from kefu.contacts import sms
    from kefu.orders.models import WorkOrder

    resolved = {e.order_id for e in events if e.action == "resolve"}
    if not resolved:
        return
    # Only what the SMS needs: a customer's encrypted fields cost a decryption each to load.
    orders = WorkOrder.objects.select_related("customer").only("number", "customer__phone").in_bulk(resolved)
    channel = Channel.SMS_REPLY if settings.KEFU_SURVEY_SMS_MODE == "reply" and _asks_overall() else Channel.SMS_LINK
    asks = [(orders[pk].customer_id, orders[pk]) for pk in sorted(orders) if orders[pk].customer.phone]
    made = invite_many(asks, Purpose.POST_RESOLUTION, channel=channel)
    sms.send_texts([(orders[i.order_id].customer.phone, sms_text(orders[i.order_id], i)) for i in made if i.order_id],
                   purpose="survey")


def sms_text(order, invitation: Invitation) -> str:
    """The SMS that asks the customer of ORDER: the survey's link, or the one-question reply menu."""
    if invitation.channel == Channel.SMS_REPLY:
        return _("Your request %(number)s has been handled. Please rate our service by replying with a digit: "
                 "1 very satisfied, 2 satisfied, 3 neutral, 4 dissatisfied, 5 very dissatisfied. "
                 "Reply TD to receive no more surveys.") % {"number": order.number}
    return _("Your request %(number)s has been handled. Please tell us how we did, it takes a minute: %(link)s "
             "Reply TD to receive no more surveys.") % {"number": order.number, "link": survey_link(invitation)}


# --- SMS replies (the gateway's inbound messages) -------------------------------------------

# Replies that refuse surveys and follow-up (退订), after NFKC (full-width letters), the
# punctuation and spaces around them dropped, and upper case.
STOP_WORDS = frozenset({"TD", "T", "退订", "拒绝回访", "不要回访"})
# The one-question SMS (KEFU_SURVEY_SMS_MODE "reply") is a menu, best first, as operators word
# it: "1 非常满意，2 满意，3 一般，4 不满意，5 非常不满意". Its digit answers the overall
# satisfaction question (1–10) at the middle of each band, so that 1 and 2 count as satisfied
# and 3 to 5 as not (KEFU_SATISFIED_THRESHOLD 8), as a 1–10 answer would (decision 0030).
REPLY_SCORES = {"1": 10, "2": 8, "3": 6, "4": 4, "5": 2}


def _holders(phone: str) -> list:
    """The customers whose phone number is PHONE (as typed: +86, spaces, full-width digits), by
    its blind index."""
    from kefu.core import crypto
    from kefu.core.text import phone_digits
    from kefu.customers.models import Customer

    hashes = crypto.lookup_hashes(phone_digits(phone or ""), "phone")
    return list(Customer.objects.filter(phone_bidx__in=hashes).order_by("pk")) if hashes else []


def _asks_overall(instrument: Instrument | None = None) -> bool:
    """Whether INSTRUMENT (default: the active post-resolution questionnaire) has the overall
    question a one-question channel answers."""
    instrument = instrument or active(Purpose.POST_RESOLUTION)
    return instrument is not None and any(is_overall(q) for q in instrument.questions.all())


@transaction.atomic
def receive_reply(user, phone: str, text: str, *, received_at: dt.datetime | None = None,
                  message_id: str = "", now: dt.datetime | None = None) -> str:
    """An SMS a customer sent back, as the SMS gateway posts it (its inbound messages: the
    number it came from, the text as typed, when the gateway received it, the gateway's message
    id; `POST /api/v1/surveys/sms-replies`, a token with surveys.add_optout).

    - A stop word (TD, 退订, 拒绝回访) records the refusal of everyone holding that number, by
      SMS reply, honoured on every channel: "refused".
    - A digit 1–5 (full-width, circled or with punctuation around it alike) answers the overall
      question of the latest one-question SMS survey (channel sms_reply) texted to a holder of
      that number before the reply came, mapped by REPLY_SCORES: "answered"; "ignored" when that
      survey is answered already (a second reply, or the same message delivered again, changes
      nothing) or withdrawn (its customer refused since); "expired" when it has expired or no
      such survey was texted.
    - "unknown": no customer has that number; "ignored": anything else, kept out of the records
      (a reply is not a contact).

    RECEIVED_AT (default: now; never later than now) is when the customer's reply arrived: the
    survey's expiry is measured against it. MESSAGE_ID is not stored (no table holds inbound
    messages): a message delivered twice is harmless because every effect above happens once
    (decision 0030)."""
    from kefu.core.text import lookup_term

    require(user, "surveys.add_optout")
    now = now or timezone.now()
    at = min(received_at, now) if received_at is not None else now
    word = lookup_term(text).upper()
    if word not in STOP_WORDS and word not in REPLY_SCORES:
        return "ignored"
    holders = _holders(phone)
    if not holders:
        return "unknown"
    if word in STOP_WORDS:
        for customer in holders:
            opt_out(customer, Channel.SMS_REPLY, now=at)
        return "refused"
    latest = (Invitation.objects.select_related("instrument")
              .filter(customer__in=holders, channel=Channel.SMS_REPLY, created_at__lte=at)
              .order_by("-created_at", "-pk").first())
    if latest is None:
        return "expired"
    if latest.status in (Invitation.Status.ANSWERED, Invitation.Status.WITHDRAWN):
        return "ignored"
    if state(latest, at) == Invitation.Status.EXPIRED:
        return "expired"
    overall = next((q for q in latest.instrument.questions.all() if is_overall(q)), None)
    if overall is None:  # pragma: no cover - the SMS asks only a questionnaire that has one
        return "ignored"
    try:
        answer(latest.pk, {overall.pk: REPLY_SCORES[word]}, now=at)
    except Conflict:  # answered or withdrawn in between
        return "ignored"
    return "answered"


# --- the hotline's post-call IVR score ----------------------------------------------------------

# The IVR's score on a 1–5 scale is a score, 5 best (not the SMS menu): doubled onto 1–10.
IVR_SCALES = (5, 10)


@transaction.atomic
def receive_ivr_score(user, phone: str, score: int, *, scale: int = 10, called_at: dt.datetime,
                      order_number: str | None = None, call_id: str = "",
                      now: dt.datetime | None = None) -> tuple[str, Invitation | None]:
    """The score a caller keyed in after a hotline call, as the hotline posts it
    (`POST /api/v1/surveys/ivr-scores`, a token with surveys.add_optout). It is stored as the
    answer to the overall satisfaction question of an IVR invitation of its own (SCALE 5: score
    × 2): about ORDER_NUMBER when given (read in USER's data scope: the hotline's user has scope
    "all"), else the latest order of PHONE's holders resolved within KEFU_SURVEY_IVR_ORDER_DAYS
    before the call (found as the customers are, by the number, like `receive_reply`), else no
    order. The customer is the order's, else the latest customer file holding PHONE.

    Returns ("answered", the invitation), ("refused", None) for a customer who refused surveys
    or was anonymised (nothing is stored), ("unknown", None) when no customer has that number,
    or ("duplicate", the first one) for the same customer's score of the same call time (a
    retried post; CALL_ID is not stored). The customer keyed the score in unasked by Kefu, so
    the fatigue rule does not hold it back; it counts as their latest survey afterwards."""
    from kefu.customers.models import Customer
    from kefu.orders import services as orders
    from kefu.orders.models import Status, WorkOrder

    require(user, "surveys.add_optout")
    now = now or timezone.now()
    errors = {}
    if scale not in IVR_SCALES:
        errors["scale"] = _("must be one of: %(values)s") % {"values": ", ".join(map(str, IVR_SCALES))}
    elif isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= scale:
        errors["score"] = _("must be a whole number from %(low)s to %(high)s") % {"low": 1, "high": scale}
    if called_at > now + dt.timedelta(minutes=5):
        errors["called_at"] = _("must not be in the future")
    order = None
    if order_number is not None and order_number.strip():
        order = orders.find_order(user, order_number, queryset=WorkOrder.objects.select_related("customer"))
        if order is None:
            errors["order_number"] = _("no work order has this number")
    if errors:
        raise ValidationFailed(_("The input is invalid."), fields=errors)
    question = overall_question()
    if question is None:
        raise Conflict(_("No questionnaire asked after resolution has an overall satisfaction question."))
    customer: Customer | None
    if order is not None:
        customer = order.customer
    else:
        holders = _holders(phone)
        since = called_at - dt.timedelta(days=settings.KEFU_SURVEY_IVR_ORDER_DAYS)
        order = (WorkOrder.objects.select_related("customer")
                 .filter(customer__in=holders, status__in=(Status.RESOLVED, Status.CONFIRMED, Status.CLOSED),
                         resolved_at__gte=since, resolved_at__lte=called_at)
                 .order_by("-resolved_at", "-pk").first()) if holders else None
        customer = order.customer if order is not None else (holders[-1] if holders else None)
    if customer is None:
        return "unknown", None
    Customer.objects.select_for_update().filter(pk=customer.pk).exists()
    if refusal(customer.pk, called_at) in (ANONYMISED, REFUSED):
        return "refused", None
    earlier = Invitation.objects.filter(customer=customer, channel=Channel.IVR, created_at=called_at).first()
    if earlier is not None:
        return "duplicate", earlier
    invitation = Invitation.objects.create(
        instrument=question.instrument, customer=customer, order=order, channel=Channel.IVR,
        token=secrets.token_urlsafe(32), created_at=called_at,
        expires_at=called_at + dt.timedelta(hours=settings.KEFU_SURVEY_EXPIRY_HOURS))
    return "answered", answer(invitation.pk, {question.pk: score * 10 // scale}, now=called_at)


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


# --- low scores ---------------------------------------------------------------------------

LOW_SCORE_ACTIONS = ("reopen", "followup", "review")


def low_scores(invitation: Invitation) -> dict[str, int]:
    """{dimension: score} of INVITATION's overall and dimension scores below
    KEFU_SATISFIED_THRESHOLD: what makes its answer a low score."""
    return {d: s for d, s in dimension_scores(invitation).items() if s < settings.KEFU_SATISFIED_THRESHOLD}


def _scores_text(scores: dict[str, int]) -> str:
    labels = dict(Question.Dimension.choices)
    return _(", ").join(_("%(dimension)s %(score)s") % {"dimension": labels[d], "score": scores[d]}
                        for d in Question.Dimension.values if d in scores)


def act_on_low_score(invitation: Invitation, *, now: dt.datetime | None = None) -> list[str]:
    """What a low score (`low_scores`) on a survey about an order does, as the operator
    configures it (KEFU_SURVEY_LOW_SCORE_ACTIONS), in the answer's transaction; the actions
    taken, in this order:

    - "review": the invitation is flagged for a supervisor's review (`flagged`, `review`);
    - "reopen": a resolved, confirmed or closed order is reopened to its first-contact owner as
      a re-complaint (再次投诉) carrying the survey's record;
    - "followup": the signal `signals.low_score` is sent; the follow-up app makes a follow-up
      task of it (one open task per order, never for a customer who refused).

    Not for the scores given at resolution and mirrored as answers (Invitation.feedback): the
    orders app acts on those itself (KEFU_LOW_SCORE_ACTION)."""
    if invitation.order_id is None or invitation.feedback_id is not None:
        return []
    low = low_scores(invitation)
    if not low:
        return []
    from kefu.orders.models import Status, WorkOrder

    now = now or timezone.now()
    wanted = settings.KEFU_SURVEY_LOW_SCORE_ACTIONS
    done = []
    if "review" in wanted:
        invitation.flagged_at = now
        invitation.save(update_fields=["flagged_at"])
        done.append("review")
    if "reopen" in wanted and WorkOrder.objects.filter(
            pk=invitation.order_id, status__in=(Status.RESOLVED, Status.CONFIRMED, Status.CLOSED)).exists():
        from kefu.orders import services as orders

        orders.reopen(None, invitation.order_id, to_owner=True, reason=_(
            "Satisfaction survey (%(channel)s): %(scores)s, below %(min)s.") % {
                "channel": invitation.get_channel_display(), "scores": _scores_text(low),
                "min": settings.KEFU_SATISFIED_THRESHOLD},
            data={"survey_invitation": invitation.pk, "survey_channel": invitation.channel, "survey_scores": low})
        done.append("reopen")
    if "followup" in wanted:
        from . import signals

        signals.low_score.send(sender=Invitation, invitation=invitation, scores=low, at=now)
        done.append("followup")
    return done


def _invitations_in_scope(user):
    """The invitations about an order in USER's data scope (the others look like none)."""
    from kefu import scopes
    from kefu.orders.models import WorkOrder

    return Invitation.objects.filter(order__in=scopes.restrict(user, WorkOrder.objects.all()).values("pk"))


def flagged(user, *, limit: int = 50) -> list[Invitation]:
    """The low scores flagged for review and not yet reviewed, of the orders in USER's data
    scope, the latest flagged first, at most LIMIT (capped at KEFU_API_MAX_PAGE_SIZE). Each
    comes with its order and customer, `scores` ({dimension: score}, all of them) and `comments`
    (its free-text answers: the low-score verbatims)."""
    require(user, "surveys.view_answer")
    rows = list(_invitations_in_scope(user).filter(flagged_at__isnull=False, reviewed_at__isnull=True)
                .select_related("order", "customer", "instrument").order_by("-flagged_at", "-pk")
                [:max(1, min(limit, settings.KEFU_API_MAX_PAGE_SIZE))])
    by_id = {i.pk: i for i in rows}
    for i in rows:
        i.scores, i.comments = {}, []
    answers = (Answer.objects.filter(invitation__in=by_id).order_by("question__position")
               .values_list("invitation_id", "question__dimension", "score", "text"))
    for invitation_id, dimension, score, text in answers:
        if dimension and score is not None:
            by_id[invitation_id].scores[dimension] = score
        elif text:
            by_id[invitation_id].comments.append(text)
    return rows


@transaction.atomic
def review(user, invitation_id: int, note: str = "") -> Invitation:
    """A supervisor has looked into a flagged low score: when and what they noted (audited).
    Only a flagged invitation about an order in USER's scope, and once."""
    require(user, "surveys.change_invitation")
    invitation = get_or_404(Invitation, invitation_id, lock=True, queryset=_invitations_in_scope(user))
    if invitation.flagged_at is None:
        raise Conflict(_("This survey was not flagged for review."))
    if invitation.reviewed_at is not None:
        raise Conflict(_("This survey has already been reviewed."))
    note = (note or "").strip()
    if len(note) > 2000:
        raise ValidationFailed(_("The input is invalid."), fields={"note": _("may be at most %(n)s characters") % {"n": 2000}})
    invitation.reviewed_at, invitation.review_note = timezone.now(), note
    invitation.save(update_fields=["reviewed_at", "review_note"])
    audit.record(user, "update", invitation, fields=["reviewed_at", "review_note"])
    return invitation


# --- questionnaire administration ---------------------------------------------------------

@dataclass
class Version:
    """One version of a questionnaire as the survey builder lists it, with its counts."""

    instrument: Instrument
    questions: int = 0
    invited: int = 0
    answered: int = 0

    @property
    def response_rate(self) -> float | None:
        return self.answered / self.invited if self.invited else None


def versions(user, purpose: str | None = None) -> list[Version]:
    """Every version of every questionnaire (of PURPOSE), by purpose and newest first, each with
    its number of questions, invitations and answered invitations: three queries whatever the
    number of versions, the invitations counted by an index (questionnaire, status)."""
    require(user, "surveys.view_instrument")
    rows = Instrument.objects.select_related("created_by").order_by("purpose", "-version")
    if purpose:
        rows = rows.filter(purpose=purpose)
    found = {i.pk: Version(i) for i in rows}
    if not found:
        return []
    for pk, n in Question.objects.filter(instrument__in=found).order_by().values_list("instrument").annotate(n=Count("*")):
        found[pk].questions = n
    # The scores given at resolution, stored as answers (mirror_feedback), are no invitations sent:
    # the response rate is the registry's (response_rate).
    counts = (Invitation.objects.filter(instrument__in=found, feedback__isnull=True).order_by()
              .values_list("instrument", "status").annotate(n=Count("*")))
    for pk, status, n in counts:
        found[pk].invited += n
        if status == Invitation.Status.ANSWERED:
            found[pk].answered += n
    return list(found.values())


def instrument(user, instrument_id: int) -> Instrument:
    """One version with its questions (in order)."""
    require(user, "surveys.view_instrument")
    return get_or_404(Instrument, instrument_id, queryset=Instrument.objects.select_related("created_by")
                      .prefetch_related("questions"))


def question_values(source: Instrument) -> list[dict]:
    """SOURCE's questions as create_draft and update_draft take them: a new version's starting point."""
    return [{"type": q.type, "text": q.text, "dimension": q.dimension, "options": list(q.options), "required": q.required}
            for q in source.questions.all()]


@transaction.atomic
def update_draft(user, instrument_id: int, title: str, questions: list[dict], *, intro: str = "") -> Instrument:
    """Replace a draft's title, introduction and questions, checked as create_draft checks a new
    one. A published version is never changed: its answers are read against its questions."""
    require(user, "surveys.change_instrument")
    draft = get_or_404(Instrument, instrument_id, lock=True)
    if draft.status != Instrument.Status.DRAFT:
        raise Conflict(_("Only a draft can be changed; this version is %(status)s. Make a new version instead.")
                       % {"status": draft.get_status_display()})
    title = (title or "").strip()
    if not title:
        raise ValidationFailed(_("The questionnaire is invalid."), fields={"title": _("is required")})
    rows = _clean_questions(questions)
    _check_purpose(draft.purpose, rows)
    draft.title, draft.intro = title[:100], intro or ""
    draft.save(update_fields=["title", "intro"])
    draft.questions.all().delete()
    for row in rows:
        row.instrument = draft
    Question.objects.bulk_create(rows)
    audit.record(user, "update", draft, fields=["title", "intro", "questions"])
    return draft


def version_source(user, purpose: str, source_id: int | None = None) -> Instrument | None:
    """What a new version of PURPOSE starts from: the version SOURCE_ID (of that purpose), else
    the active one (None: nothing yet, the editor starts empty)."""
    require(user, "surveys.add_instrument")
    if source_id is None:
        return active(purpose)
    return get_or_404(Instrument, source_id, queryset=Instrument.objects.filter(purpose=purpose).prefetch_related("questions"))


def draft(user, instrument_id: int) -> Instrument:
    """A draft, to be changed (a published version is a Conflict: make a new version)."""
    require(user, "surveys.change_instrument")
    found = get_or_404(Instrument, instrument_id, queryset=Instrument.objects.prefetch_related("questions"))
    if found.status != Instrument.Status.DRAFT:
        raise Conflict(_("Only a draft can be changed; this version is %(status)s. Make a new version instead.")
                       % {"status": found.get_status_display()})
    return found


# --- what customers said (the satisfaction page) ----------------------------------------------

def comments(user, first: dt.datetime, last: dt.datetime, *, low_only: bool = True, limit: int = 20) -> list[dict]:
    """The latest LIMIT invitations answered in [FIRST, LAST) with a comment, about orders in
    USER's data scope (LOW_ONLY: those with a score below KEFU_SATISFIED_THRESHOLD), each with its
    order, channel, scores by dimension and the customer's words: the satisfaction page's
    verbatims. Three queries, through the answered_at index."""
    from django.db.models import Exists, OuterRef

    from kefu import scopes
    from kefu.orders.models import WorkOrder

    require(user, "reports.view_report")
    rows = Invitation.objects.filter(answered_at__gte=first, answered_at__lt=last, order__isnull=False,
                                     order__in=scopes.restrict(user, WorkOrder.objects.all()))
    of_it = Answer.objects.filter(invitation=OuterRef("pk"))
    rows = rows.filter(Exists(of_it.filter(question__type=T.TEXT).exclude(text="")))
    if low_only:
        rows = rows.filter(Exists(of_it.filter(question__type=T.SCORE, score__lt=settings.KEFU_SATISFIED_THRESHOLD)))
    picked = list(rows.select_related("order").only("pk", "answered_at", "channel", "flagged_at", "reviewed_at", "order_id",
                                                     "order__number").order_by("-answered_at", "-pk")[:limit])
    answers: dict[int, list[Answer]] = {}
    for a in Answer.objects.filter(invitation__in=picked).select_related("question").order_by("question__position"):
        answers.setdefault(a.invitation_id, []).append(a)
    out = []
    for invitation in picked:
        mine = answers.get(invitation.pk, [])
        out.append({
            "at": invitation.answered_at, "order_id": invitation.order_id, "order_number": invitation.order.number if invitation.order else "",
            "channel": invitation.get_channel_display(),
            "scores": [{"label": a.question.get_dimension_display(), "score": a.score, "low": a.score < settings.KEFU_SATISFIED_THRESHOLD}
                       for a in mine if a.score is not None and a.question.type == T.SCORE and a.question.dimension],
            "text": " ".join(a.text for a in mine if a.text),
            "flagged": invitation.flagged_at is not None and invitation.reviewed_at is None,
        })
    return out


# --- relationship surveys ------------------------------------------------------------------

QUARTER_RE = re.compile(r"^(20\d\d)Q([1-4])$")
WAVE_BATCH = 500  # invitations (and SMS) per committed batch
WAVE_MAX_SIZE = 200_000
WAVE_DAYS = 14  # default time to answer a relationship survey


@dataclass
class Stratum:
    """One cell of a wave's sampling frame: province × customer segment × product."""

    province: str
    segment: str
    product: str
    population: int
    sample: int


def _askable_subscriptions(now: dt.datetime):
    """(customer, province, segment, product) of every active subscription of an active customer
    who may be asked now (`refusal`'s rules in bulk, as NOT EXISTS on indexed columns: never
    anonymised, no refusal standing, not asked within KEFU_SURVEY_FATIGUE_DAYS), by customer
    then subscription."""
    from django.db.models import Exists, OuterRef

    from kefu.customers.models import Customer, Subscription
    from kefu.privacy.models import Anonymisation

    since = now - dt.timedelta(days=settings.KEFU_SURVEY_FATIGUE_DAYS)
    customer = OuterRef("customer_id")
    return (Subscription.objects
            .filter(status=Subscription.Status.ACTIVE, customer__status=Customer.Status.ACTIVE)
            .filter(~Exists(Anonymisation.objects.filter(customer_id=customer)))
            .filter(~Exists(OptOut.objects.filter(customer_id=customer, withdrawn_at__isnull=True)))
            .filter(~Exists(Invitation.objects.filter(customer_id=customer, created_at__gt=since)
                            .exclude(status=Invitation.Status.WITHDRAWN)))
            .order_by("customer_id", "pk")
            .values_list("customer_id", "province", "customer__segment", "product"))


def _allocate(sizes: dict[tuple, int], size: int) -> dict[tuple, int]:
    """SIZE shared among the strata in proportion to their SIZES (largest remainders, ties to
    the first stratum in order), never more than a stratum holds."""
    total = sum(sizes.values())
    if size >= total:
        return dict(sizes)
    shares = {key: divmod(size * n, total) for key, n in sizes.items()}
    allocated = {key: whole for key, (whole, _rest) in shares.items()}
    left = size - sum(allocated.values())
    for key in sorted(shares, key=lambda k: (-shares[k][1], k))[:left]:
        allocated[key] += 1
    return allocated


def draw(size: int, seed: int, *, now: dt.datetime | None = None) -> tuple[int, list[Stratum], list[int]]:
    """A stratified sample of SIZE subscribers who may be asked now: (the population, the strata,
    the sampled customer ids in the strata's order). Each customer counts once, in the stratum of
    their first active subscription (province of the service, the customer's segment, the
    product); SIZE is allocated to the strata in proportion to their population and drawn in
    each by a generator seeded with SEED and the stratum, so the same seed over the same
    subscribers draws the same sample."""
    import random

    now = now or timezone.now()
    frame: dict[tuple, list[int]] = {}
    last = None
    for customer_id, province, segment, product in _askable_subscriptions(now).iterator(chunk_size=5000):
        if customer_id == last:
            continue
        last = customer_id
        frame.setdefault((province, segment, product), []).append(customer_id)
    allocated = _allocate({key: len(ids) for key, ids in frame.items()}, size)
    strata, sample = [], []
    for key in sorted(frame):
        n = allocated[key]
        picked = sorted(random.Random(f"{seed}|{'|'.join(key)}").sample(frame[key], n)) if n else []
        province, segment, product = key
        strata.append(Stratum(province, segment, product, population=len(frame[key]), sample=n))
        sample.extend(picked)
    return sum(len(ids) for ids in frame.values()), strata, sample


def _check_wave(quarter: str, size, seed, days) -> dict[str, str]:
    errors = {}
    if not QUARTER_RE.match(quarter or ""):
        errors["quarter"] = _("must be a year and a quarter, e.g. 2026Q4")
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= WAVE_MAX_SIZE:
        errors["size"] = _("must be a whole number from %(low)s to %(high)s") % {"low": 1, "high": WAVE_MAX_SIZE}
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        errors["seed"] = _("must be a whole number from %(low)s to %(high)s") % {"low": 0, "high": 2**63 - 1}
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 90:
        errors["days"] = _("must be a whole number from %(low)s to %(high)s") % {"low": 1, "high": 90}
    return errors


@transaction.atomic
def create_wave(user, quarter: str, size: int, seed: int, *, supplement: bool = False, days: int = WAVE_DAYS,
                now: dt.datetime | None = None) -> SurveyWave:
    """The QUARTER's relationship survey wave: a stratified sample (`draw`) of SIZE subscribers,
    kept with its strata, to be sent by `send_wave`. A quarter has one wave unless SUPPLEMENT
    (a second sample, drawn among those the first did not ask). USER None: the system (the
    `kefu surveys wave` command run without --user)."""
    if user is not None:
        require(user, "surveys.add_surveywave")
    quarter = (quarter or "").strip().upper()
    errors = _check_wave(quarter, size, seed, days)
    if errors:
        raise ValidationFailed(_("The survey wave is invalid."), fields=errors)
    instrument = active(Purpose.RELATIONSHIP)
    if instrument is None:
        raise Conflict(_("The quarterly relationship survey has no published questionnaire: publish one first."))
    # One wave per quarter at a time: the first of two at once waits here and the second sees it.
    list(Instrument.objects.select_for_update().filter(pk=instrument.pk).values_list("pk"))
    earlier = SurveyWave.objects.filter(quarter=quarter).order_by("pk").first()
    if earlier is not None and not supplement:
        raise Conflict(_("%(quarter)s already has a survey wave (number %(id)s). To ask more subscribers, "
                         "make a supplementary wave.") % {"quarter": quarter, "id": earlier.pk})
    now = now or timezone.now()
    population, strata, sample = draw(size, seed, now=now)
    if not sample:
        raise Conflict(_("No subscriber may be asked now: none is active, or all refused or were asked recently."))
    wave = SurveyWave.objects.create(
        quarter=quarter, instrument=instrument, size=size, seed=seed, population=population,
        strata=[vars(s) for s in strata], sample=sample, expiry_days=days,
        created_at=now, created_by=user)
    audit.record(user, "create", wave, fields=["quarter", "size", "seed", "population"])
    return wave


def wave_sms_text(invitation: Invitation) -> str:
    """The relationship survey's SMS, in the installation's language (the customers')."""
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        return _("We would like to know how satisfied you are with our network, tariffs and service. The survey "
                 "takes two minutes: %(link)s Reply TD to receive no more surveys.") % {"link": survey_link(invitation)}


def send_wave(wave_id: int, *, batch: int = WAVE_BATCH, now: dt.datetime | None = None, progress=None) -> SurveyWave:
    """Invite the wave's sampled customers by an SMS with the survey's link, BATCH at a time,
    each batch committed with its SMS in the outbox; a customer who refused, was asked since the
    draw or has no phone is left out. Resumes where an interrupted sending stopped (the sampled
    customers this wave has not invited yet). PROGRESS(wave) after each batch."""
    from kefu.contacts import sms
    from kefu.customers.models import Customer

    now = now or timezone.now()
    wave = get_or_404(SurveyWave, wave_id)
    done = set(Invitation.objects.filter(wave=wave).values_list("customer_id", flat=True))
    pending = [pk for pk in wave.sample if pk not in done]
    for start in range(0, len(pending), max(batch, 1)):
        chunk = pending[start:start + max(batch, 1)]
        with transaction.atomic():
            SurveyWave.objects.select_for_update().filter(pk=wave.pk).exists()  # one sender at a time
            customers = Customer.objects.only("phone").in_bulk(chunk)  # one decryption each, not every field
            # Who may be asked, decided (and their rows locked) as for every other survey.
            made = invite_many([(pk, None) for pk in chunk if pk in customers and customers[pk].phone],
                               Purpose.RELATIONSHIP, channel=Channel.SMS_LINK, now=now, hours=wave.expiry_days * 24,
                               instrument=wave.instrument, wave=wave)
            sms.send_texts([(customers[i.customer_id].phone, wave_sms_text(i)) for i in made], purpose="survey")
            SurveyWave.objects.filter(pk=wave.pk).update(invited=F("invited") + len(made))
        wave.refresh_from_db()
        if progress is not None:
            progress(wave)
    wave.refresh_from_db()
    wave.skipped = len(wave.sample) - wave.invited
    wave.sent_at = wave.sent_at or now
    wave.save(update_fields=["skipped", "sent_at"])
    return wave


@dataclass
class WaveRow:
    """A wave as its page lists it: the invitations it sent and those answered."""

    wave: SurveyWave
    sent: int = 0
    answered: int = 0

    @property
    def response_rate(self) -> float | None:
        return self.answered / self.sent if self.sent else None


def waves(user, *, limit: int = 40) -> list[WaveRow]:
    """The latest LIMIT waves, newest first, with their invitations sent and answered: two
    queries, the invitations counted by an index (wave, status). USER None: the system."""
    if user is not None:
        require(user, "surveys.view_surveywave")
    rows = {w.pk: WaveRow(w) for w in SurveyWave.objects.select_related("instrument", "created_by")
            .defer("sample")[:max(1, min(limit, 200))]}
    counts = (Invitation.objects.filter(wave__in=list(rows)).order_by().values_list("wave", "status")
              .annotate(n=Count("*")))
    for pk, status, n in counts:
        rows[pk].sent += n
        if status == Invitation.Status.ANSWERED:
            rows[pk].answered += n
    return list(rows.values())


def wave_detail(user, wave_id: int) -> tuple[WaveRow, list[dict]]:
    """One wave with its counts, and its strata each with the customers sampled, invited and
    answering in it (two queries)."""
    require(user, "surveys.view_surveywave")
    found = get_or_404(SurveyWave, wave_id, queryset=SurveyWave.objects.select_related("instrument", "created_by"))
    status_of = dict(Invitation.objects.filter(wave=found).values_list("customer_id", "status"))
    row = WaveRow(found, sent=len(status_of),
                  answered=sum(1 for s in status_of.values() if s == Invitation.Status.ANSWERED))
    strata, at = [], 0
    for stratum in found.strata:
        ids = found.sample[at:at + stratum["sample"]]
        at += stratum["sample"]
        sent = [status_of[pk] for pk in ids if pk in status_of]
        answered = sum(1 for s in sent if s == Invitation.Status.ANSWERED)
        strata.append(stratum | {"sent": len(sent), "answered": answered,
                                 "response_rate": answered / len(sent) if sent else None})
    return row, strata


# --- mystery shopper ------------------------------------------------------------------------

VISIT_SHEET_HOURS = 1  # a score sheet is filled in as it is recorded


def _visit_target(target_kind: str, target_name: str, agent_id, errors: dict):
    """(the target's name, the agent) of a visit, or errors named target_kind, target_name,
    agent_id. An agent is named for a visit to an agent, and may be for a store or hotline
    visit (who served the evaluator)."""
    from django.contrib.auth import get_user_model

    Target = ShopperVisit.Target
    if target_kind not in Target.values:
        errors["target_kind"] = _("must be one of: %(values)s") % {"values": ", ".join(Target.values)}
    name = (target_name or "").strip()
    if target_kind == Target.STORE and not name:
        errors["target_name"] = _("is required for a store visit (the store's name)")
    elif len(name) > 100:
        errors["target_name"] = _("may be at most %(n)s characters") % {"n": 100}
    agent = None
    if agent_id is not None:
        agent = get_user_model().objects.filter(pk=agent_id, is_active=True).first()
        if agent is None:
            errors["agent_id"] = _("no active member of staff has this id")
    elif target_kind == Target.AGENT:
        errors["agent_id"] = _("is required for a visit to an agent")
    return name, agent


@transaction.atomic
def record_visit(user, target_kind: str, *, visited_at: dt.datetime | None, answers: dict, target_name: str = "",
                 agent_id: int | None = None, note: str = "", now: dt.datetime | None = None) -> ShopperVisit:
    """A mystery shopper's (神秘顾客) visit to a store or call to the hotline or an agent, scored
    by USER, the evaluator, on the active visit questionnaire: ANSWERS ({question id: value})
    are stored as an invitation's of channel "shopper" (no customer) through `answer`, checked
    as every channel's are. Every refusal at once: the target's fields and answers.<question id>."""
    from kefu.core.validators import why_not_past

    require(user, "surveys.add_shoppervisit")
    now = now or timezone.now()
    errors: dict[str, str] = {}
    name, agent = _visit_target(target_kind, target_name, agent_id, errors)
    if visited_at is None:
        errors["visited_at"] = _("is required")
    elif reason := why_not_past(visited_at):
        errors["visited_at"] = reason
    elif timezone.is_naive(visited_at):
        visited_at = timezone.make_aware(visited_at)
    if len(note or "") > 2000:
        errors["note"] = _("may be at most %(n)s characters") % {"n": 2000}
    instrument = active(Purpose.VISIT)
    if instrument is None:
        raise Conflict(_("The mystery shopper has no published score sheet: publish a store or hotline visit "
                         "questionnaire first."))
    sheet = Invitation.objects.create(instrument=instrument, customer=None, channel=Channel.SHOPPER,
                                      token=secrets.token_urlsafe(32), created_at=now,
                                      expires_at=now + dt.timedelta(hours=VISIT_SHEET_HOURS))
    try:
        sheet = answer(sheet.pk, answers, now=now)
    except ValidationFailed as exc:
        errors |= exc.fields
    if errors:
        raise ValidationFailed(_("The visit's record is invalid."), fields=errors)
    assert visited_at is not None
    visit = ShopperVisit.objects.create(target_kind=target_kind, target_name=name, agent=agent, visited_at=visited_at,
                                        evaluator=user, invitation=sheet, note=(note or "").strip(), created_at=now)
    audit.record(user, "create", visit, fields=["target_kind", "target_name", "agent", "visited_at"])
    return visit


def _with_overall(rows):
    from django.db.models import OuterRef, Subquery

    overall = Answer.objects.filter(invitation=OuterRef("invitation"), question__dimension=Question.Dimension.OVERALL,
                                    question__type=T.SCORE).values("score")[:1]
    return rows.select_related("agent", "evaluator", "invitation__instrument").annotate(overall=Subquery(overall))


def visits(user, *, target_kind: str | None = None, agent_id: int | None = None, limit: int = 50) -> list[ShopperVisit]:
    """The latest LIMIT visits (of a kind, of an agent), newest first, each with `overall`: its
    overall score (the score sheet's overall question; None if it has none)."""
    require(user, "surveys.view_shoppervisit")
    rows = ShopperVisit.objects.order_by("-visited_at", "-pk")
    if target_kind:
        rows = rows.filter(target_kind=target_kind)
    if agent_id is not None:
        rows = rows.filter(agent_id=agent_id)
    return list(_with_overall(rows)[:max(1, min(limit, settings.KEFU_API_MAX_PAGE_SIZE))])


def visit(user, visit_id: int) -> tuple[ShopperVisit, list[tuple[Question, Answer | None]]]:
    """One visit, with its score sheet's questions each with its answer (None: not answered)."""
    require(user, "surveys.view_shoppervisit")
    found = get_or_404(ShopperVisit, visit_id, queryset=_with_overall(ShopperVisit.objects.all()))
    given = {a.question_id: a for a in Answer.objects.filter(invitation_id=found.invitation_id)}
    return found, [(q, given.get(q.pk)) for q in found.invitation.instrument.questions.all()]


def score_sheet(user) -> Instrument | None:
    """The active visit questionnaire an evaluator fills in (None: none is published)."""
    require(user, "surveys.add_shoppervisit")
    found = active(Purpose.VISIT)
    return get_or_404(Instrument, found.pk, queryset=Instrument.objects.prefetch_related("questions")) if found else None


# --- relationship survey results, as the reports' measures ------------------------------------

def answer_measure(qtype: str, dimension: str, score: int) -> str | None:
    """The reports' measure a scored answer adds to, whatever the survey (an order's share in
    reports.facts, a wave's results here): `rec:N` the recommendation (NPS), `score:N` the overall
    satisfaction, `sdim:D:N` a dimension's score; None for a score tied to no dimension."""
    if qtype == T.RECOMMEND:
        return f"rec:{score}"
    if dimension == Question.Dimension.OVERALL:
        return f"score:{score}"
    if dimension:
        return f"sdim:{dimension}:{score}"
    return None


def wave_figures(wave: SurveyWave) -> dict[str, int]:
    """WAVE's results as sums of the reports' measures (survey_sent, survey_answered and each
    scored answer's `answer_measure`), in two grouped queries over its invitations."""
    sums: dict[str, int] = {}
    for status, n in Invitation.objects.filter(wave=wave).order_by().values_list("status").annotate(n=Count("*")):
        sums["survey_sent"] = sums.get("survey_sent", 0) + n
        if status == Invitation.Status.ANSWERED:
            sums["survey_answered"] = sums.get("survey_answered", 0) + n
    scored = (Answer.objects.filter(invitation__wave=wave, score__isnull=False).order_by()
              .values_list("question__type", "question__dimension", "score").annotate(n=Count("*")))
    for qtype, dimension, score, n in scored:
        if measure := answer_measure(qtype, dimension, score):
            sums[measure] = sums.get(measure, 0) + n
    return sums


def quarter_figures(quarter: str, *, now: dt.datetime | None = None) -> dict[str, int] | None:
    """The summed results of QUARTER's relationship survey waves (2026Q4), None without a wave.
    A wave whose time to answer is over has its results computed once and kept (figures_at,
    under the wave's row lock: once, however many readers); a wave still open counts as it stands."""
    now = now or timezone.now()
    waves = list(SurveyWave.objects.filter(quarter=quarter).order_by("pk"))
    if not waves:
        return None
    total: dict[str, int] = {}
    for wave in waves:
        over = wave.sent_at is not None and wave.sent_at + dt.timedelta(days=wave.expiry_days) <= now
        if wave.figures_at is None and over:
            with transaction.atomic():
                wave = SurveyWave.objects.select_for_update().get(pk=wave.pk)
                if wave.figures_at is None:
                    wave.figures, wave.figures_at = wave_figures(wave), now
                    wave.save(update_fields=["figures", "figures_at"])
        for measure, n in (wave.figures if wave.figures_at else wave_figures(wave)).items():
            total[measure] = total.get(measure, 0) + n
    return total
