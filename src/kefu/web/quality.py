"""The 质检 pages: the inspector's workbench (/quality/: their drafts, the contacts the automatic
checks flagged, the appeals the QA lead decides), one inspection (the contact with its hits and
its work orders' histories beside the scorecard: scoring and publishing, the agent's appeal, the
QA lead's decision) and the agent's own inspections (/quality/mine/). Each view reads the
request and calls kefu.quality.services (and, for the contact's orders, the services of contacts
and orders the follow-up page uses); the rules are the services'."""

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST

from kefu.assessment import services as assessment
from kefu.contacts import services as contacts
from kefu.core.errors import Forbidden, NotFound, ServiceError, ValidationFailed
from kefu.orders import services as orders
from kefu.quality import services as quality
from kefu.quality.models import Appeal, Inspection, InspectionItem, ScorecardItem
from kefu.training import services as training

from .views import _acts, _fail, _reads

PAGE_SIZE = 30
SECTION, MINE = "quality", "quality-mine"
# The inspection's status as its reader names it ("Published" alone is a date column elsewhere).
STATUS_LABELS = {
    Inspection.Status.DRAFT: Inspection.Status.DRAFT.label,
    Inspection.Status.PUBLISHED: pgettext_lazy("inspection status", "Published"),
    Inspection.Status.APPEALED: Inspection.Status.APPEALED.label,
    Inspection.Status.FINAL: Inspection.Status.FINAL.label,
}
Result = InspectionItem.Result


def _allowed(read, *args, **kwargs):
    """READ's result, or None when the user may not read it (the page leaves that part out)."""
    try:
        return read(*args, **kwargs)
    except (Forbidden, NotFound):
        return None


def _appeal_of(inspection) -> Appeal | None:
    return getattr(inspection, "appeal", None)  # the reverse one-to-one raises when there is none


# --- the workbench ----------------------------------------------------------------------------

@_reads
def workbench(request):
    """The inspector's drafts, the contacts sampled for them, then the flagged contacts (the
    latest first, with what fired); for the QA lead the appeals waiting for a decision."""
    user = request.user
    drafts = list(quality.drafts(user))  # Forbidden (403) for whoever does not inspect
    samples = list(quality.my_samples(user)[:PAGE_SIZE])
    page = Paginator(quality.flagged(user), PAGE_SIZE).get_page(request.GET.get("page"))
    found = quality.hits_of(user, [f.contact_id for f in page.object_list])
    for f in page.object_list:
        f.found = found.get(f.contact_id, [])
    appeals = _allowed(quality.appeals_to_decide, user)
    return render(request, "web/quality/workbench.html", {
        "section": SECTION, "drafts": drafts, "samples": samples, "page": page,
        "appeals": list(appeals) if appeals is not None else None, "status_labels": STATUS_LABELS})


@_acts(back=lambda **_kw: reverse("web:quality"))
def start(request, contact_id):
    """开始质检: the inspection begun on the scorecard in use, then its page; a refusal (one's own
    contact, inspected already, no scorecard) is a message on the workbench."""
    made = quality.start_inspection(request.user, contact_id)
    messages.success(request, _("Inspection started: confirm or change the pre-filled items, then publish."))
    return redirect("web:quality-inspection", made.pk)


# --- one inspection ---------------------------------------------------------------------------

def _given(row) -> dict:
    return {"result": row.result, "points": row.points, "note": row.note}


def _sections(inspection, given: dict | None, errors: dict) -> list[dict]:
    """The scorecard's items in their sections, in order, each with its mark (as saved, or as the
    refused form sent it) and the errors named after it (items.<id>, items.<id>.<field>)."""
    out: list[dict] = []
    for row in inspection.items.select_related("item").order_by("item__position"):
        item = row.item
        prefix = f"items.{item.pk}"
        row_errors = [str(reason) for name, reason in errors.items() if name == prefix or name.startswith(prefix + ".")]
        if not out or out[-1]["name"] != item.section:
            out.append({"name": item.section, "rows": []})
        out[-1]["rows"].append({
            "row": row, "item": item, "given": (given or {}).get(item.pk) or _given(row), "errors": row_errors,
            "by_points": item.kind == ScorecardItem.Kind.POINTS and not item.fatal,
            "result_label": Result(row.result).label})
    return out


def _work_orders(user, contact) -> list[dict]:
    """The contact's work orders the user may see, each with its history (as the follow-up page reads it)."""
    found = []
    for order in contacts.orders_of_contact(user, contact):
        events = _allowed(orders.order_events, user, order.pk)
        found.append({"order": order, "events": list(events) if events is not None else []})
    return found


def _inspection_context(request, inspection, *, given=None, errors=None, appeal_given="", decision_given=None) -> dict:
    user = request.user
    errors = errors or {}
    contact = inspection.contact
    filed = _appeal_of(inspection)
    is_agent = inspection.agent_id == user.pk
    return {
        "section": MINE if is_agent else SECTION, "inspection": inspection, "contact": contact,
        "status_label": STATUS_LABELS.get(inspection.status, inspection.status),
        "hits": _allowed(quality.hits, user, contact.pk), "work_orders": _work_orders(user, contact),
        "sections": _sections(inspection, given, errors), "results": Result,
        "can_score": quality.may_score(user, inspection),
        "is_agent": is_agent,
        "appeal_open": quality.appeal_open(inspection),
        "appeal": filed, "decision_label": Appeal.Decision(filed.decision).label if filed and filed.decision else "",
        "decisions": Appeal.Decision.choices,
        "appeal_given": appeal_given, "decision_given": decision_given or {},
        "general_errors": {k: str(v) for k, v in errors.items() if not k.startswith("items.")},
    }


@_reads
def inspection(request, inspection_id):
    found = quality.inspection(request.user, inspection_id)
    return render(request, "web/quality/inspection.html", _inspection_context(request, found))


def _results(post) -> dict:
    """The form's marks as services.score takes them: {item id: {"result", "points", "note"}};
    points a whole number when typed as one (else as typed, for the service to refuse)."""
    results = {}
    for key in post:
        name, _dash, item_id = key.partition("-")
        if name != "result" or not item_id.isdigit():
            continue
        points = post.get(f"points-{item_id}", "").strip()
        results[int(item_id)] = {"result": post.get(key), "points": int(points) if points.isdigit() else points,
                                 "note": post.get(f"note-{item_id}", "").strip()}
    return results


def _refused(request, inspection_id, exc, **given):
    """The page again, with what was refused next to its field (422)."""
    messages.error(request, exc.message)
    found = quality.inspection(request.user, inspection_id)
    return render(request, "web/quality/inspection.html",
                  _inspection_context(request, found, errors=exc.fields, **given), status=422)


@_reads
@require_POST
def score(request, inspection_id):
    """保存 (the marks and the general note), or 保存并发布 once the box is ticked."""
    results = _results(request.POST)
    try:
        quality.score(request.user, inspection_id, {str(k): v for k, v in results.items()},
                      note=request.POST.get("note", ""))
    except NotFound:
        raise
    except ValidationFailed as exc:
        return _refused(request, inspection_id, exc, given=results)
    except ServiceError as exc:
        _fail(request, exc)
        return redirect("web:quality-inspection", inspection_id)
    if request.POST.get("do") != "publish":
        messages.success(request, _("Scores saved."))
        return redirect("web:quality-inspection", inspection_id)
    if not request.POST.get("confirm"):
        messages.error(request, _("Scores saved. Tick the box to confirm the scores before publishing them to the agent."))
        return redirect("web:quality-inspection", inspection_id)
    try:
        done = quality.publish(request.user, inspection_id)
    except NotFound:
        raise
    except ServiceError as exc:
        _fail(request, exc)
        return redirect("web:quality-inspection", inspection_id)
    if done.calibration_id:
        messages.success(request, _("Scores handed in for the calibration: the others' are shown once the QA lead closes it."))
        return redirect("web:quality-calibration", done.calibration_id)
    messages.success(request, _("Published to %(agent)s, who may appeal until %(until)s.") % {
        "agent": done.agent, "until": timezone.localtime(done.appeal_until).strftime("%Y-%m-%d %H:%M")})
    return redirect("web:quality-inspection", inspection_id)


@_reads
@require_POST
def appeal(request, inspection_id):
    """The inspected agent's appeal, with a reason."""
    reason = request.POST.get("reason", "")
    try:
        quality.appeal(request.user, inspection_id, reason)
    except NotFound:
        raise
    except ValidationFailed as exc:
        return _refused(request, inspection_id, exc, appeal_given=reason)
    except ServiceError as exc:
        _fail(request, exc)
        return redirect("web:quality-inspection", inspection_id)
    messages.success(request, _("Appeal filed: the QA lead will decide it."))
    return redirect("web:quality-inspection", inspection_id)


def _score_value(text: str) -> Decimal | None:
    try:
        return Decimal(text.strip()) if text.strip() else None
    except InvalidOperation:
        return None


@_reads
@require_POST
def decide(request, inspection_id):
    """The QA lead's decision: 维持 or 改判 (with the new score), and why."""
    given = {k: request.POST.get(k, "") for k in ("decision", "reason", "score")}
    try:
        done = quality.arbitrate(request.user, inspection_id, given["decision"], given["reason"],
                                 score=_score_value(given["score"]))
    except NotFound:
        raise
    except ValidationFailed as exc:
        return _refused(request, inspection_id, exc, decision_given=given)
    except ServiceError as exc:
        _fail(request, exc)
        return redirect("web:quality-inspection", inspection_id)
    messages.success(request, _("Appeal decided: the final score is %(score)s.") % {"score": floatformat(done.score, -1)})
    return redirect("web:quality-inspection", inspection_id)


# --- my quality -------------------------------------------------------------------------------

@_reads
def mine(request):
    """我的质检: the agent's published inspections, newest first, with their appeals; their latest
    published assessment sheets; their knowledge tests."""
    page = Paginator(quality.my_inspections(request.user).select_related("appeal"), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    for found in page.object_list:
        filed = _appeal_of(found)
        rows.append({"i": found, "status_label": STATUS_LABELS.get(found.status, found.status), "appeal": filed,
                     "decision_label": Appeal.Decision(filed.decision).label if filed and filed.decision else "",
                     "appeal_open": found.status == Inspection.Status.PUBLISHED and quality.appeal_open(found)})
    sheets = list(assessment.my_sheets(request.user)[:6]) if request.user.has_perm("assessment.view_result") else []
    tests = list(training.my_assignments(request.user)[:10]) if request.user.has_perm("training.take_exam") else []
    return render(request, "web/quality/mine.html", {"section": MINE, "page": page, "rows": rows, "sheets": sheets,
                                                     "tests": tests})


# --- calibration (校准) and the QA lead's page ----------------------------------------------------

CALIBRATION = "quality-calibration"


def _ids(text: str) -> list[str]:
    return [part for part in text.replace("，", ",").replace("、", ",").replace(" ", ",").split(",") if part.strip()]


@_reads
def calibrations(request):
    """校准与申诉: the calibrations (the lead's all, an inspector's own) and, for the QA lead, the
    form to set a new one (contacts inspected lately, the inspectors) and the appeals to decide."""
    user = request.user
    rows = list(quality.calibrations(user)[:50])
    lead = user.has_perm("quality.arbitrate_appeal")
    given = {"title": "", "contact_ids": [], "inspector_ids": []}
    errors: dict = {}
    status = 200
    if request.method == "POST" and lead:
        given = {"title": request.POST.get("title", ""),
                 "contact_ids": request.POST.getlist("contact_ids") + _ids(request.POST.get("more_contacts", "")),
                 "inspector_ids": request.POST.getlist("inspector_ids")}
        try:
            made = quality.create_calibration(user, given["title"], given["contact_ids"], given["inspector_ids"])
        except ValidationFailed as exc:
            messages.error(request, exc.message)
            errors, status = {k: str(v) for k, v in exc.fields.items()}, 422
        except ServiceError as exc:
            _fail(request, exc)
            status = 409
        else:
            messages.success(request, _("Calibration set: each inspector has a draft of each contact on their workbench."))
            return redirect("web:quality-calibration", made.pk)
    chosen = {str(i) for i in given["contact_ids"]}, {str(i) for i in given["inspector_ids"]}
    return render(request, "web/quality/calibrations.html", {
        "section": CALIBRATION, "rows": rows, "lead": lead, "given": given, "errors": errors, "chosen_contacts": chosen[0],
        "chosen_inspectors": chosen[1],
        "contacts": quality.recently_inspected(user) if lead else [], "inspectors": quality.inspectors(user) if lead else [],
        "appeals": list(quality.appeals_to_decide(user)) if lead else None, "status_labels": STATUS_LABELS,
        "plans": quality.plans(user) if user.has_perm("quality.add_samplingrun") else []}, status=status)


@_reads
def calibration(request, calibration_id):
    """One calibration: who has handed in; the spread per item and per inspector (for the lead as
    the scores come in, for the inspectors once it is closed)."""
    return render(request, "web/quality/calibration.html",
                  {"section": CALIBRATION, **quality.calibration_page(request.user, calibration_id)})


@_acts(back=lambda calibration_id, **_kw: reverse("web:quality-calibration", args=[calibration_id]))
def close_calibration(request, calibration_id):
    quality.close_calibration(request.user, calibration_id)
    messages.success(request, _("Calibration closed: every inspector in it now sees the spread."))


@_acts(back=lambda **_kw: reverse("web:quality-calibrations"))
def draw(request, plan_id):
    """抽取本期样本: the plan's draw for the current week or month (once per period)."""
    run = quality.draw(request.user, plan_id, timezone.localdate())
    messages.success(request, _("%(n)s contacts drawn for %(first)s – %(last)s and given to the inspectors.") % {
        "n": run.picked, "first": run.first_day.strftime("%m-%d"), "last": run.last_day.strftime("%m-%d")})
