"""The 问卷 pages: the survey builder for administrators (the questionnaires' versions, a new
version's questions, publishing), the quarterly relationship survey waves and the mystery
shopper's visits. Each view reads the request, calls kefu.surveys.services, renders."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from kefu.core.errors import Conflict, Forbidden, ValidationFailed
from kefu.customers.models import Segment, Subscription
from kefu.surveys import services as surveys
from kefu.surveys.models import Purpose, Question, ShopperVisit

from .views import _acts, _reads

SECTION = "surveys"


# --- the survey builder -----------------------------------------------------------------------

def _allowed(read, *args, **kwargs):
    """READ's result, or None when the user may not read it (the page leaves that part out)."""
    try:
        return read(*args, **kwargs)
    except Forbidden:
        return None


@_reads
def home(request):
    """Every purpose's questionnaire versions with their counts, the relationship survey waves,
    the latest mystery shopper visits: each part the user may read."""
    found = _allowed(surveys.versions, request.user)
    waves = _allowed(surveys.waves, request.user)
    latest = _allowed(surveys.visits, request.user, limit=10)
    if found is None and waves is None and latest is None:
        raise Forbidden()
    by_purpose = [{"code": code, "label": label, "versions": [v for v in found if v.instrument.purpose == code]}
                  for code, label in Purpose.choices] if found is not None else None
    return render(request, "web/surveys/home.html", {"section": SECTION, "purposes": by_purpose, "waves": waves,
                                                      "visits": latest})


@_reads
def wave(request, wave_id):
    row, strata = surveys.wave_detail(request.user, wave_id)
    segments, products = dict(Segment.choices), dict(Subscription.Product.choices)
    strata = [s | {"segment_label": segments.get(s["segment"], s["segment"]),
                   "product_label": products.get(s["product"], s["product"])} for s in strata]
    return render(request, "web/surveys/wave.html", {"section": SECTION, "row": row, "strata": strata})


@_reads
def version(request, instrument_id):
    instrument = surveys.instrument(request.user, instrument_id)
    counts = next((v for v in surveys.versions(request.user, instrument.purpose) if v.instrument.pk == instrument.pk), None)
    active = surveys.active(instrument.purpose)
    return render(request, "web/surveys/version.html", {
        "section": SECTION, "instrument": instrument, "questions": instrument.questions.all(), "counts": counts,
        "active": active if active is not None and active.pk != instrument.pk else None})


def _blank() -> dict:
    return {"type": Question.Type.SCORE, "text": "", "dimension": "", "options": [], "required": True}


def _rows(values: list[dict], errors: dict | None = None, keys: list[str] | None = None) -> list[dict]:
    """The editor's rows: each question's values, its key (the form's names) and its errors by
    field (the service names them questions.N.field, N counting the questions sent from 1); an
    empty row last, for a question more."""
    errors = errors or {}
    rows = []
    for n, value in enumerate(values, start=1):
        key = keys[n - 1] if keys else str(n)
        mine = {name.rsplit(".", 1)[1]: reason for name, reason in errors.items() if name.startswith(f"questions.{n}.")}
        rows.append({"key": key, "position": n, "errors": mine, **value,
                     "options_text": "\n".join(value.get("options") or [])})
    spare = str(max([int(r["key"]) for r in rows if r["key"].isdigit()] + [0]) + 1)
    rows.append({"key": spare, "position": len(rows) + 1, "errors": {}, **_blank(), "options_text": ""})
    return rows


def _posted_questions(post) -> tuple[list[dict], list[str]]:
    """The questions of the editor's form, in the order of its rows, as the service takes them,
    and each one's row key; a row left empty (no text, no options) is left out."""
    values, keys = [], []
    for key in post.getlist("row"):
        if not key.isdigit():
            continue
        text = post.get(f"text-{key}", "")
        options = [line.strip() for line in post.get(f"options-{key}", "").splitlines() if line.strip()]
        if not text.strip() and not options:
            continue
        values.append({"type": post.get(f"type-{key}", ""), "text": text, "dimension": post.get(f"dimension-{key}", ""),
                       "options": options, "required": bool(post.get(f"required-{key}"))})
        keys.append(key)
    return values, keys


def _editor(request, *, purpose: str, title: str, intro: str, values: list[dict], instrument=None, source=None,
            errors=None, keys=None, status=200):
    general = {k: v for k, v in (errors or {}).items() if not k.startswith("questions.")}
    return render(request, "web/surveys/editor.html", {
        "section": SECTION, "purpose": purpose, "purpose_label": Purpose(purpose).label, "instrument": instrument,
        "source": source, "title": title, "intro": intro, "rows": _rows(values, errors, keys), "general": general,
        "types": Question.Type.choices, "dimensions": Question.Dimension.choices,
        "choice_types": [Question.Type.SINGLE, Question.Type.MULTIPLE]}, status=status)


@_reads
def new_version(request, purpose):
    """A new version of PURPOSE's questionnaire, as a draft: prefilled from the version ?from=
    names, else the active one."""
    if purpose not in Purpose.values:
        raise Http404
    if request.method == "POST":
        values, keys = _posted_questions(request.POST)
        title, intro = request.POST.get("title", ""), request.POST.get("intro", "")
        try:
            made = surveys.create_draft(request.user, purpose, title, values, intro=intro)
        except ValidationFailed as exc:
            messages.error(request, exc.message)
            return _editor(request, purpose=purpose, title=title, intro=intro, values=values, errors=exc.fields, keys=keys,
                           status=422)
        messages.success(request, _("Draft version %(version)s saved. Check it, then publish it.") % {"version": made.version})
        return redirect("web:survey-version", made.pk)
    source_id = request.GET.get("from", "")
    source = surveys.version_source(request.user, purpose, int(source_id) if source_id.isdigit() else None)
    return _editor(request, purpose=purpose, title=source.title if source else "", intro=source.intro if source else "",
                   values=surveys.question_values(source) if source else [], source=source)


@_reads
def edit_version(request, instrument_id):
    """A draft's title, introduction and questions."""
    try:
        instrument = surveys.draft(request.user, instrument_id)
    except Conflict as exc:
        messages.error(request, exc.message)
        return redirect("web:survey-version", instrument_id)
    if request.method == "POST":
        values, keys = _posted_questions(request.POST)
        title, intro = request.POST.get("title", ""), request.POST.get("intro", "")
        try:
            surveys.update_draft(request.user, instrument.pk, title, values, intro=intro)
        except ValidationFailed as exc:
            messages.error(request, exc.message)
            return _editor(request, purpose=instrument.purpose, title=title, intro=intro, values=values,
                           instrument=instrument, errors=exc.fields, keys=keys, status=422)
        except Conflict as exc:  # published meanwhile
            messages.error(request, exc.message)
            return redirect("web:survey-version", instrument.pk)
        messages.success(request, _("Draft saved."))
        return redirect("web:survey-version", instrument.pk)
    return _editor(request, purpose=instrument.purpose, title=instrument.title, intro=instrument.intro,
                   values=surveys.question_values(instrument), instrument=instrument)


@_acts(back=lambda instrument_id, **_kw: reverse("web:survey-version", args=[instrument_id]))
def publish(request, instrument_id):
    if not request.POST.get("confirm"):
        messages.error(request, _("Tick the box to confirm that this version is to be asked from now on."))
        return None
    published = surveys.publish(request.user, instrument_id)
    messages.success(request, _("Version %(version)s published: it is asked from now on.") % {"version": published.version})
    return None


# --- mystery shopper visits -----------------------------------------------------------------

@_reads
def visits(request):
    kind = request.GET.get("kind", "")
    kinds = ShopperVisit.Target.values
    rows = surveys.visits(request.user, target_kind=kind if kind in kinds else None, limit=200)
    return render(request, "web/surveys/visits.html", {
        "section": SECTION, "visits": rows, "kind": kind if kind in kinds else "", "kinds": ShopperVisit.Target.choices})


@_reads
def visit(request, visit_id):
    found, sheet = surveys.visit(request.user, visit_id)
    return render(request, "web/surveys/visit.html", {"section": SECTION, "visit": found, "sheet": sheet})


def _visit_values(post, questions) -> dict:
    """The score sheet's answers as surveys.services.answer takes them: {question id: value}."""
    values: dict = {}
    for q in questions:
        name = f"q{q.pk}"
        values[q.pk] = post.getlist(name) if q.type == Question.Type.MULTIPLE else post.get(name, "")
    return values


def _moment(value: str):
    """A datetime-local input (2026-11-20T14:30) as a moment in the user's time zone; None if
    empty, "" if it is no date and time."""
    from django.utils import timezone
    from django.utils.dateparse import parse_datetime

    if not value.strip():
        return None
    try:
        parsed = parse_datetime(value.strip())
    except ValueError:
        parsed = None
    if parsed is None:
        return ""
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


@_reads
def record_visit(request):
    """The mystery shopper's score sheet: what was visited or called, when, and the active visit
    questionnaire's answers; every refusal shown beside its field."""
    from kefu.staff import services as staff

    sheet = surveys.score_sheet(request.user)
    questions = list(sheet.questions.all()) if sheet else []
    errors: dict = {}
    given: dict = {}
    form = {"target_kind": ShopperVisit.Target.STORE, "target_name": "", "agent_id": "", "visited_at": "", "note": ""}
    status = 200
    if request.method == "POST" and sheet is not None:
        form = {k: request.POST.get(k, "") for k in form}
        given = _visit_values(request.POST, questions)
        when = _moment(form["visited_at"])
        agent = form["agent_id"]
        try:
            if when == "":
                raise ValidationFailed(_("The visit's record is invalid."),
                                       fields={"visited_at": _("enter a date and time, e.g. 2026-11-20 14:30")})
            made = surveys.record_visit(request.user, form["target_kind"], visited_at=when, answers=given,
                                        target_name=form["target_name"], note=form["note"],
                                        agent_id=int(agent) if agent.isdigit() else None)
        except ValidationFailed as exc:
            messages.error(request, exc.message)
            errors, status = exc.fields, 422
        else:
            messages.success(request, _("Visit recorded."))
            return redirect("web:survey-visit", made.pk)
    rows = [{"q": q, "error": errors.get(f"answers.{q.pk}"), "given": given.get(q.pk)} for q in questions]
    return render(request, "web/surveys/record_visit.html", {
        "section": SECTION, "sheet": sheet, "rows": rows, "errors": errors, "form": form,
        "kinds": ShopperVisit.Target.choices, "staff": staff.active_staff(),
        "scores": {"score": [str(n) for n in range(1, 11)], "recommend": [str(n) for n in range(0, 11)]}}, status=status)
