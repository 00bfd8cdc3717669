"""HTTP ↔ surveys: the SMS gateway's inbound replies, the hotline's IVR scores, low scores flagged
for review; the survey builder's questionnaires."""

from datetime import datetime

from ninja import Field, Router, Schema
from ninja.responses import Status

from kefu.core.api import ERRORS, Id, InputSchema, Past

from . import services

router = Router(tags=["surveys"])


class ReplyIn(Schema):
    phone: str = Field(max_length=30, description="The number the reply came from, as the gateway has it (+86 … alike)")
    text: str = Field(max_length=500, description="The reply as the customer typed it")
    received_at: datetime | None = Field(None, description="When the gateway received it (default: now); a "
                                                           "survey's expiry is measured against it")
    message_id: str | None = Field(None, max_length=100, description="The gateway's id of the message. Not stored: "
                                   "a message delivered twice changes nothing, as each effect happens once")


class ReplyOut(Schema):
    result: str = Field(description="refused (TD / 退订 / 拒绝回访: no more surveys or follow-up on any channel), "
                                    "answered (a digit 1–5 answered the latest one-question SMS survey texted to "
                                    "that number: 1→10, 2→8, 3→6, 4→4, 5→2 on the overall 1–10 question), "
                                    "expired (a digit, but that survey has expired or none was texted), "
                                    "unknown (no customer has that number) or ignored (anything else, or a "
                                    "second reply to an answered survey)")


@router.post("/sms-replies", response={200: ReplyOut, **ERRORS})
def sms_reply(request, payload: ReplyIn):
    """The SMS gateway's inbound messages: each SMS a customer sent back, posted by the gateway
    with a token of a user holding surveys.add_optout. TD / 退订 refuses surveys and follow-up on
    every channel; a digit 1–5 answers the one-question SMS survey (KEFU_SURVEY_SMS_MODE "reply")."""
    return {"result": services.receive_reply(request.user, payload.phone, payload.text,
                                             received_at=payload.received_at, message_id=payload.message_id or "")}


class IvrScoreIn(Schema):
    phone: str = Field(max_length=30, description="The caller's number")
    score: int = Field(description="The key pressed: 1–5 (5 best) or 1–10, as scale says")
    scale: int = Field(10, description="5 or 10; a 1–5 score is stored doubled on the 1–10 overall question")
    called_at: datetime = Field(description="When the call ended; the answer's time")
    order_number: str | None = Field(None, max_length=40, description="The work order the call was about, if the "
                                     "IVR knows it; else the caller's latest order resolved within "
                                     "KEFU_SURVEY_IVR_ORDER_DAYS, else none")
    call_id: str | None = Field(None, max_length=100, description="The hotline's id of the call (not stored: the "
                                "same caller's score of the same call time counts once)")


class IvrScoreOut(Schema):
    result: str = Field(description="answered, duplicate (already stored for this call), refused (the customer "
                                    "refused surveys or was anonymised: nothing stored) or unknown (no customer "
                                    "has that number)")
    invitation_id: int | None = None
    order_number: str | None = None


@router.post("/ivr-scores", response={200: IvrScoreOut, **ERRORS})
def ivr_score(request, payload: IvrScoreIn):
    """A post-call IVR score, posted by the hotline with a token of a user holding
    surveys.add_optout (the permission the SMS gateway's user has: no permission of its own
    without a migration). Stored as the overall answer of an IVR survey; a low one acts as
    KEFU_SURVEY_LOW_SCORE_ACTIONS says."""
    result, invitation = services.receive_ivr_score(
        request.user, payload.phone, payload.score, scale=payload.scale, called_at=payload.called_at,
        order_number=payload.order_number, call_id=payload.call_id or "")
    order = invitation.order if invitation is not None else None
    return {"result": result, "invitation_id": invitation.pk if invitation else None,
            "order_number": order.number if order is not None else None}


# --- low scores flagged for review ------------------------------------------------------

class FlaggedOut(Schema):
    id: int
    order_id: int
    order_number: str
    channel: str = Field(description="portal, sms_link, sms_reply, phone or ivr")
    channel_label: str
    answered_at: datetime | None
    flagged_at: datetime | None
    reviewed_at: datetime | None
    review_note: str
    scores: dict[str, int] = Field({}, description="{dimension: score}: overall, attitude, result, timeliness")
    comments: list[str] = Field([], description="the customer's free-text answers")

    @staticmethod
    def resolve_order_number(invitation):
        return invitation.order.number

    @staticmethod
    def resolve_channel_label(invitation):
        return str(invitation.get_channel_display())

    @staticmethod
    def resolve_scores(invitation):
        return getattr(invitation, "scores", None) or services.dimension_scores(invitation)

    @staticmethod
    def resolve_comments(invitation):
        return getattr(invitation, "comments", [])


class ReviewIn(InputSchema):
    note: str = Field("", max_length=2000, description="What the supervisor found or did")


@router.get("/flagged", response={200: list[FlaggedOut], **ERRORS})
def flagged(request, limit: int = 50):
    """Low survey scores flagged for review (KEFU_SURVEY_LOW_SCORE_ACTIONS "review") and not yet
    reviewed, of the orders in the caller's data scope, the latest first."""
    return services.flagged(request.user, limit=limit)


@router.post("/invitations/{int:invitation_id}/review", response={200: FlaggedOut, **ERRORS})
def review(request, invitation_id: Id, payload: ReviewIn):
    """A flagged low score reviewed (surveys.change_invitation), with the supervisor's note."""
    return services.review(request.user, invitation_id, payload.note)


# --- questionnaires (the survey builder) -------------------------------------------------

class QuestionIn(InputSchema):
    type: str = Field(description="score (1–10), recommend (0–10), single, multiple or text")
    text: str = Field(max_length=300)
    dimension: str = Field("", description="overall, attitude, result, timeliness, or \"\" (score questions only)")
    options: list[str] = Field([], max_length=30, description="the choices of a single or multiple choice question")
    required: bool = True


class QuestionOut(Schema):
    id: int
    position: int
    type: str
    text: str
    dimension: str
    options: list[str]
    required: bool


class DraftIn(InputSchema):
    purpose: str = Field(description="post_resolution, relationship or visit")
    title: str = Field(max_length=100)
    intro: str = Field("", max_length=2000)
    questions: list[QuestionIn] = Field(max_length=100)


class DraftChangeIn(InputSchema):
    title: str = Field(max_length=100)
    intro: str = Field("", max_length=2000)
    questions: list[QuestionIn] = Field(max_length=100)


class InstrumentOut(Schema):
    id: int
    purpose: str = Field(description="post_resolution, relationship or visit")
    purpose_label: str
    version: int
    title: str
    intro: str
    status: str = Field(description="draft, active or retired")
    status_label: str
    created_at: datetime
    published_at: datetime | None
    questions: list[QuestionOut]

    @staticmethod
    def resolve_purpose_label(instrument):
        return str(instrument.get_purpose_display())

    @staticmethod
    def resolve_status_label(instrument):
        return str(instrument.get_status_display())

    @staticmethod
    def resolve_questions(instrument):
        return list(instrument.questions.all())


class VersionOut(Schema):
    id: int = Field(alias="instrument.pk")
    purpose: str = Field(alias="instrument.purpose")
    version: int = Field(alias="instrument.version")
    title: str = Field(alias="instrument.title")
    status: str = Field(alias="instrument.status", description="draft, active or retired")
    created_at: datetime = Field(alias="instrument.created_at")
    published_at: datetime | None = Field(alias="instrument.published_at")
    questions: int
    invited: int = Field(description="invitations to this version, on every channel")
    answered: int
    response_rate: float | None = Field(description="answered / invited, null when nobody was invited")


@router.get("/instruments", response={200: list[VersionOut], **ERRORS})
def instruments(request, purpose: str | None = None):
    """Every version of the questionnaires (of one purpose), newest first, with their counts."""
    return services.versions(request.user, purpose)


@router.get("/instruments/{int:instrument_id}", response={200: InstrumentOut, **ERRORS})
def instrument(request, instrument_id: Id):
    """One version and its questions."""
    return services.instrument(request.user, instrument_id)


def _questions(payload) -> list[dict]:
    return [q.dict() for q in payload.questions]


@router.post("/instruments", response={201: InstrumentOut, **ERRORS})
def create_instrument(request, payload: DraftIn):
    """A new version of a purpose's questionnaire, as a draft (publish it to ask it). Refusals
    name each field as questions.N.field (N from 1)."""
    draft = services.create_draft(request.user, payload.purpose, payload.title, _questions(payload), intro=payload.intro)
    return Status(201, services.instrument(request.user, draft.pk))


@router.put("/instruments/{int:instrument_id}", response={200: InstrumentOut, **ERRORS})
def change_instrument(request, instrument_id: Id, payload: DraftChangeIn):
    """A draft's title, introduction and questions, replaced (a published version never changes)."""
    services.update_draft(request.user, instrument_id, payload.title, _questions(payload), intro=payload.intro)
    return services.instrument(request.user, instrument_id)


@router.post("/instruments/{int:instrument_id}/publish", response={200: InstrumentOut, **ERRORS})
def publish_instrument(request, instrument_id: Id):
    """Make a draft its purpose's active version; the version active before is retired."""
    services.publish(request.user, instrument_id)
    return services.instrument(request.user, instrument_id)


# --- quarterly relationship survey waves -------------------------------------------------

class WaveIn(InputSchema):
    quarter: str = Field(max_length=10, description="the quarter surveyed, e.g. 2026Q4")
    size: int = Field(description="subscribers to sample")
    seed: int = Field(description="the random seed: the same seed over the same subscribers draws the same sample")
    days: int = Field(14, description="days the customers have to answer")
    supplement: bool = Field(False, description="a further wave for a quarter that has one already")


class StratumOut(Schema):
    province: str
    segment: str
    product: str
    population: int = Field(description="subscribers who could be asked in this stratum")
    sample: int
    sent: int
    answered: int
    response_rate: float | None


class WaveOut(Schema):
    id: int = Field(alias="wave.pk")
    quarter: str = Field(alias="wave.quarter")
    instrument_id: int = Field(alias="wave.instrument_id")
    size: int = Field(alias="wave.size", description="the sample size asked for")
    seed: int = Field(alias="wave.seed")
    population: int = Field(alias="wave.population", description="subscribers who could be asked when it was drawn")
    skipped: int = Field(alias="wave.skipped", description="sampled but not invited: refused or asked since the draw, "
                                                           "or without a phone")
    created_at: datetime = Field(alias="wave.created_at")
    sent_at: datetime | None = Field(alias="wave.sent_at", description="null while sending")
    sent: int
    answered: int
    response_rate: float | None


class WaveDetailOut(WaveOut):
    strata: list[StratumOut]


@router.get("/waves", response={200: list[WaveOut], **ERRORS})
def waves(request, limit: int = 40):
    """The latest relationship survey waves with their invitations sent, answered and response rate."""
    return services.waves(request.user, limit=limit)


@router.get("/waves/{int:wave_id}", response={200: WaveDetailOut, **ERRORS})
def wave(request, wave_id: Id):
    """One wave and its strata (province × customer segment × product)."""
    from types import SimpleNamespace

    row, strata = services.wave_detail(request.user, wave_id)
    return SimpleNamespace(wave=row.wave, sent=row.sent, answered=row.answered, response_rate=row.response_rate,
                           strata=strata)


@router.post("/waves", response={201: WaveDetailOut, **ERRORS})
def create_wave(request, payload: WaveIn):
    """Draw a stratified sample of subscribers for the quarter and send them the active
    relationship questionnaire by SMS (in batches, before answering). A large wave is better
    sent by `kefu surveys wave` on the server."""
    made = services.create_wave(request.user, payload.quarter, payload.size, payload.seed, days=payload.days,
                                supplement=payload.supplement)
    services.send_wave(made.pk)
    return Status(201, wave(request, made.pk))


# --- mystery shopper visits ---------------------------------------------------------------

class VisitIn(InputSchema):
    target_kind: str = Field(description="store, hotline or agent")
    target_name: str = Field("", max_length=100, description="the store's name (required for a store), or the hotline")
    agent_id: int | None = Field(None, description="the agent visited or called (required for an agent; "
                                                   "optional for a store or the hotline: who served)")
    visited_at: Past
    note: str = Field("", max_length=2000)
    answers: dict[str, int | str | list[str] | None] = Field(
        description="{question id: a score, an option, options or text} of the active visit questionnaire; "
                    "refusals name answers.<question id>")


class AnswerOut(Schema):
    question_id: int
    question: str
    type: str
    dimension: str
    score: int | None
    choices: list[str]
    text: str


class VisitOut(Schema):
    id: int
    target_kind: str
    target_kind_label: str
    target_name: str
    agent_id: int | None
    agent: str | None
    visited_at: datetime
    evaluator_id: int
    evaluator: str
    instrument_id: int = Field(alias="invitation.instrument_id")
    overall: int | None = Field(description="the score sheet's overall score (1–10)")
    note: str

    @staticmethod
    def resolve_target_kind_label(visit):
        return str(visit.get_target_kind_display())

    @staticmethod
    def resolve_agent(visit):
        return str(visit.agent) if visit.agent_id else None

    @staticmethod
    def resolve_evaluator(visit):
        return str(visit.evaluator)


class VisitDetailOut(VisitOut):
    answers: list[AnswerOut]


def _detail(found, sheet):
    from types import SimpleNamespace

    answers = [SimpleNamespace(question_id=q.pk, question=q.text, type=q.type, dimension=q.dimension,
                               score=a.score if a else None, choices=a.choices if a else [], text=a.text if a else "")
               for q, a in sheet if a is not None]
    found.answers = answers
    return found


@router.get("/visits", response={200: list[VisitOut], **ERRORS})
def visits(request, target_kind: str | None = None, agent_id: Id | None = None, limit: int = 50):
    """The latest mystery shopper visits (of a kind, of an agent), with their overall scores."""
    return services.visits(request.user, target_kind=target_kind, agent_id=agent_id, limit=limit)


@router.get("/visits/{int:visit_id}", response={200: VisitDetailOut, **ERRORS})
def visit(request, visit_id: Id):
    """One visit and its score sheet's answers."""
    return _detail(*services.visit(request.user, visit_id))


@router.post("/visits", response={201: VisitDetailOut, **ERRORS})
def record_visit(request, payload: VisitIn):
    """A mystery shopper's visit to a store or call to the hotline or an agent, scored on the
    active visit questionnaire (by a member of staff with surveys.add_shoppervisit)."""
    made = services.record_visit(request.user, payload.target_kind, visited_at=payload.visited_at,
                                 answers=payload.answers, target_name=payload.target_name, agent_id=payload.agent_id,
                                 note=payload.note)
    return Status(201, _detail(*services.visit(request.user, made.pk)))
