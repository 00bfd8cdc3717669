"""Quality inspection's API: the contacts the automatic checks flagged, and one contact's hits."""

from datetime import date, datetime
from decimal import Decimal

from ninja import Query, Router, Schema
from ninja.responses import Status

from kefu.core.api import ERRORS, Id, Page, PageParams, paginate

from . import services

router = Router(tags=["quality"])


class QualityHitOut(Schema):
    rule: str
    rule_name: str
    kind: str
    where: str
    words: str
    found_at: datetime


class FlaggedContactOut(Schema):
    contact_id: int
    channel: str
    agent: str | None
    started_at: datetime
    hits: int
    checked_at: datetime

    @staticmethod
    def resolve_channel(row) -> str:
        return row.contact.channel

    @staticmethod
    def resolve_agent(row) -> str | None:
        return str(row.contact.agent) if row.contact.agent else None

    @staticmethod
    def resolve_started_at(row) -> datetime:
        return row.contact.started_at


@router.get("/flagged", response={200: Page[FlaggedContactOut], **ERRORS})
def flagged(request, params: Query[PageParams]):
    """The contacts the automatic checks flagged (an inspector's candidates), newest first, in the
    caller's data scope."""
    return paginate(services.flagged(request.user), params)


@router.get("/contacts/{int:contact_id}/hits", response={200: list[QualityHitOut], **ERRORS})
def contact_hits(request, contact_id: Id):
    """What the automatic checks found on one contact: each rule, where and the words that fired
    (numbers masked)."""
    return [{"rule": h.rule.code, "rule_name": h.rule.name, "kind": h.rule.kind, "where": h.where, "words": h.words,
             "found_at": h.found_at} for h in services.hits(request.user, contact_id)]


# --- inspections ------------------------------------------------------------------------------

class InspectionItemOut(Schema):
    item_id: int
    section: str
    text: str
    kind: str
    points_max: int
    fatal: bool
    result: str
    points: int
    prefilled: bool
    note: str


class InspectionAppealOut(Schema):
    reason: str
    filed_at: datetime
    decision: str
    decision_reason: str
    decided_at: datetime | None


class InspectionOut(Schema):
    id: int
    contact_id: int
    agent_id: int
    inspector_id: int
    status: str
    score: float | None
    fatal: bool
    passed: bool | None
    note: str
    published_at: datetime | None
    appeal_until: datetime | None
    final_at: datetime | None
    items: list[InspectionItemOut]
    appeal: InspectionAppealOut | None


def _out(inspection) -> dict:
    from .models import Appeal

    filed = Appeal.objects.filter(inspection=inspection).first()
    return {
        "id": inspection.pk, "contact_id": inspection.contact_id, "agent_id": inspection.agent_id,
        "inspector_id": inspection.inspector_id, "status": inspection.status,
        "score": float(inspection.score) if inspection.score is not None else None, "fatal": inspection.fatal,
        "passed": inspection.passed, "note": inspection.note, "published_at": inspection.published_at,
        "appeal_until": inspection.appeal_until, "final_at": inspection.final_at,
        "items": [{"item_id": r.item_id, "section": r.item.section, "text": r.item.text, "kind": r.item.kind,
                   "points_max": r.item.points, "fatal": r.item.fatal, "result": r.result, "points": r.points,
                   "prefilled": r.prefilled, "note": r.note}
                  for r in inspection.items.select_related("item").order_by("item__position")],
        "appeal": None if filed is None else {"reason": filed.reason, "filed_at": filed.filed_at, "decision": filed.decision,
                                              "decision_reason": filed.decision_reason, "decided_at": filed.decided_at},
    }


class InspectionStartIn(Schema):
    contact_id: Id


class InspectionScoresIn(Schema):
    results: dict[str, dict] = {}
    note: str | None = None


class InspectionAppealIn(Schema):
    reason: str


class AppealDecisionIn(Schema):
    decision: str
    reason: str
    score: Decimal | None = None


@router.post("/inspections", response={201: InspectionOut, **ERRORS})
def start(request, payload: InspectionStartIn):
    """Begin inspecting an ended contact on the scorecard in use: items its automatic checks
    fired on come pre-filled as failed (with the words), the rest passed."""
    return Status(201, _out(services.start_inspection(request.user, payload.contact_id)))


@router.get("/inspections/{int:inspection_id}", response={200: InspectionOut, **ERRORS})
def get_inspection(request, inspection_id: Id):
    return _out(services.inspection(request.user, inspection_id))


@router.post("/inspections/{int:inspection_id}/scores", response={200: InspectionOut, **ERRORS})
def scores(request, inspection_id: Id, payload: InspectionScoresIn):
    """The inspector's results: {"results": {item id: {"result": "pass" | "fail" | "partial" |
    "na", "points": …, "note": …}}}; a failed fatal item sets the score to 0."""
    return _out(services.score(request.user, inspection_id, payload.results, note=payload.note))


@router.post("/inspections/{int:inspection_id}/publish", response={200: InspectionOut, **ERRORS})
def publish(request, inspection_id: Id):
    return _out(services.publish(request.user, inspection_id))


@router.post("/inspections/{int:inspection_id}/appeal", response={201: InspectionOut, **ERRORS})
def appeal(request, inspection_id: Id, payload: InspectionAppealIn):
    """The inspected agent's appeal, with a reason, within KEFU_QUALITY_APPEAL_DAYS working days."""
    filed = services.appeal(request.user, inspection_id, payload.reason)
    return Status(201, _out(filed.inspection))


@router.post("/inspections/{int:inspection_id}/decision", response={200: InspectionOut, **ERRORS})
def decide(request, inspection_id: Id, payload: AppealDecisionIn):
    """The QA lead's decision on an appeal: "upheld" or "changed" (with the new score), and why."""
    return _out(services.arbitrate(request.user, inspection_id, payload.decision, payload.reason, score=payload.score))


# --- sampling --------------------------------------------------------------------------------

class DrawIn(Schema):
    day: date
    seed: int | None = None


class DrawOut(Schema):
    id: int
    plan_id: int
    first_day: date
    last_day: date
    seed: int
    picked: int


class SampleOut(Schema):
    contact_id: int
    reason: str
    first_day: date
    agent: str | None

    @staticmethod
    def resolve_first_day(row) -> date:
        return row.run.first_day

    @staticmethod
    def resolve_agent(row) -> str | None:
        return str(row.contact.agent) if row.contact.agent else None


@router.post("/plans/{int:plan_id}/draws", response={201: DrawOut, **ERRORS})
def draw(request, plan_id: Id, payload: DrawIn):
    """A sampling plan's draw for the period containing DAY (its week or month): the contacts
    behind low scores, repeat complaints and regulator transfers, and the plan's number per agent
    stratified by channel × kind, chosen by SEED (the same seed, the same pick); each given to an
    inspector. One draw per plan and period."""
    return Status(201, services.draw(request.user, plan_id, payload.day, seed=payload.seed))


@router.get("/samples", response={200: Page[SampleOut], **ERRORS})
def samples(request, params: Query[PageParams]):
    """The sampled contacts given to the caller and not inspected by them yet."""
    return paginate(services.my_samples(request.user), params)


# --- calibration (校准) ------------------------------------------------------------------------

class CalibrationIn(Schema):
    title: str
    contact_ids: list[Id]
    inspector_ids: list[Id]


class CalibrationOut(Schema):
    id: int
    title: str
    status: str
    contact_ids: list[int]
    inspector_ids: list[int]
    created_at: datetime
    closed_at: datetime | None


class CalibrationInspectorOut(Schema):
    inspector_id: int
    inspector: str
    handed_in: int
    mean: float | None
    deviation: float | None
    bias: float | None
    out_of_line: bool


class CalibrationItemOut(Schema):
    contact_id: int
    item_id: int
    section: str
    text: str
    scores: list[int | None]
    mean: float | None
    spread: int | None


class CalibrationSpreadOut(Schema):
    calibration: CalibrationOut
    inspector_ids: list[int]
    tolerance: int
    inspectors: list[CalibrationInspectorOut]
    items: list[CalibrationItemOut]


def _calibration_out(c) -> dict:
    return {"id": c.pk, "title": c.title, "status": c.status, "created_at": c.created_at, "closed_at": c.closed_at,
            "contact_ids": sorted(c.contacts.values_list("pk", flat=True)),
            "inspector_ids": sorted(c.inspectors.values_list("pk", flat=True))}


@router.get("/calibrations", response={200: list[CalibrationOut], **ERRORS})
def calibrations(request):
    """The calibrations the caller leads (all, for a QA lead) or scores in, newest first."""
    return [_calibration_out(c) for c in services.calibrations(request.user)[:100]]


@router.post("/calibrations", response={201: CalibrationOut, **ERRORS})
def create_calibration(request, payload: CalibrationIn):
    """The QA lead sets several inspectors to score the same contacts without seeing each other's
    scores: each gets a draft inspection of each contact (scored and handed in with
    /inspections/{id}/scores and /publish, which for a calibration tells no agent)."""
    return Status(201, _calibration_out(services.create_calibration(
        request.user, payload.title, payload.contact_ids, payload.inspector_ids)))


@router.post("/calibrations/{int:calibration_id}/close", response={200: CalibrationOut, **ERRORS})
def close_calibration(request, calibration_id: Id):
    """The QA lead closes a calibration: its scores are shown to the inspectors in it."""
    return _calibration_out(services.close_calibration(request.user, calibration_id))


@router.get("/calibrations/{int:calibration_id}/spread", response={200: CalibrationSpreadOut, **ERRORS})
def calibration_spread(request, calibration_id: Id):
    """The scores side by side: per contact and item each inspector's points (in the order of
    inspector_ids), their mean and spread; per inspector the mean total and the mean distance
    from the median total, flagged beyond the tolerance."""
    data = services.calibration_spread(request.user, calibration_id)
    return {"calibration": _calibration_out(data["calibration"]), "inspector_ids": [u.pk for u in data["inspectors"]],
            "tolerance": data["tolerance"],
            "inspectors": [{"inspector_id": p["inspector"].pk, "inspector": str(p["inspector"]), "handed_in": p["handed_in"],
                            "mean": p["mean"], "deviation": p["deviation"], "bias": p["bias"], "out_of_line": p["out_of_line"]}
                           for p in data["people"]],
            "items": [{"contact_id": r["contact_id"], "item_id": r["item"].pk, "section": r["item"].section,
                       "text": r["item"].text, "scores": r["scores"], "mean": r["mean"], "spread": r["spread"]}
                      for r in data["items"]]}
