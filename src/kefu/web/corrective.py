"""The 整改 pages: the corrective action board (/quality/actions/: by status, with filters and
counts, overdue actions marked), the form that opens one (pre-filled from the query string: a
complaint cause of a report period with its complaints, or a QA finding), and one action (its
history, its linked work orders and the forms of the steps the reader may take). Each view reads
the request and calls kefu.corrective.services (and, for a pre-fill, the services of reports and
quality); the rules are the services'."""

import datetime as dt

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.core.errors import Forbidden, NotFound, ServiceError, ValidationFailed
from kefu.corrective import services as corrective
from kefu.corrective.models import CorrectiveAction

from .views import _acts, _reads

SECTION = "corrective"
PER_STATUS = 50  # actions shown under each status on the board
ORDERS_PAGE = 50
DEFAULT_DAYS = 10  # the deadline the form suggests, in working days
Status, Source = CorrectiveAction.Status, CorrectiveAction.Source
BOARD_STATUSES = [Status.OPEN, Status.IN_PROGRESS, Status.DONE, Status.VERIFIED, Status.CANCELLED]
FIELD_LABELS = {
    "title": gettext_lazy("Title"), "problem": gettext_lazy("Problem"), "source": gettext_lazy("Source"),
    "cause_id": gettext_lazy("Complaint cause"), "root_cause": gettext_lazy("Root cause analysis"),
    "measures": gettext_lazy("Measures"), "owner_id": gettext_lazy("Owner"), "department_id": gettext_lazy("Department"),
    "deadline": gettext_lazy("Deadline"), "working_days": gettext_lazy("Working days"),
    "order_ids": gettext_lazy("Linked work orders"), "evidence": gettext_lazy("Evidence"), "note": gettext_lazy("Note"),
    "reason": gettext_lazy("Reason"), "source_ref": gettext_lazy("Source reference"),
}


def _int(value) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) < 18 else None


def _message(request, exc: ServiceError) -> None:
    """A refusal as one message: the reason, then each field by its label."""
    details = [f"{FIELD_LABELS.get(name, name)}：{reason}" for name, reason in (exc.fields or {}).items()]
    messages.error(request, " ".join([str(exc.message), "；".join(details)]).strip())


# --- the board ---------------------------------------------------------------------------------

@_reads
def board(request):
    """整改看板: the actions the reader may read, one group per status (the nearest deadline
    first), filtered by department, source, cause, overdue and mine, with the counts."""
    user, now = request.user, timezone.now()
    get = request.GET
    chosen = {"department": _int(get.get("department")), "cause": _int(get.get("cause")),
              "source": get.get("source") if get.get("source") in Source.values else None,
              "overdue": True if get.get("overdue") == "1" else None, "mine": get.get("mine") == "1"}
    rows = corrective.actions(user, now=now, **chosen)
    counts = corrective.status_counts(rows, now)
    groups = []
    for status in BOARD_STATUSES:
        found = list(rows.filter(status=status)[:PER_STATUS])
        for action in found:
            action.is_overdue = corrective.is_overdue(action, now)
        groups.append({"status": status, "label": status.label, "count": counts[status.value], "rows": found})
    query = "&".join(f"{k}={v}" for k, v in (("department", chosen["department"]), ("cause", chosen["cause"]),
                                              ("source", chosen["source"]), ("overdue", "1" if chosen["overdue"] else ""),
                                              ("mine", "1" if chosen["mine"] else "")) if v)
    return render(request, "web/corrective/board.html", {
        "section": SECTION, "groups": groups, "counts": counts, "chosen": chosen, "query": query,
        "departments": corrective.departments(), "causes": corrective.complaint_causes(), "sources": Source.choices,
        "can_open": corrective.may_open(user)})


# --- opening one -------------------------------------------------------------------------------

def _from_complaints(request, given: dict) -> dict:
    """The pre-fill of an action for a complaint cause of a report period (the cause drill-down):
    the cause, the problem with the count, and the complaints listed, linked."""
    from kefu.orders.models import Category
    from kefu.reports import services as reports

    try:
        period = reports.parse_period(request.GET.get("period", "").strip())
    except ValidationFailed:
        return given
    code, category = request.GET.get("cause"), _int(request.GET.get("category"))
    if not code and category is None:
        return given
    title, qs = reports.complaint_orders(request.user, period, cause=code, category=category)
    causes = {c.pk: c for c in corrective.complaint_causes()}
    node = Category.objects.filter(pk=category).first() if category is not None else \
        Category.objects.filter(code=code).first()
    while node is not None and node.pk not in causes and node.parent_id:
        node = Category.objects.filter(pk=node.parent_id).first()
    count = qs.count()
    ids = list(qs.order_by("-created_at", "-id").values_list("pk", flat=True)[:corrective.MAX_LINKED])
    given.update({
        "source": Source.COMPLAINT_CAUSE, "cause_id": str(node.pk) if node is not None and node.pk in causes else "",
        "source_ref": f"period:{period.code}",
        "title": _("Corrective action: %(cause)s complaints") % {"cause": title},
        "problem": _("%(period)s: %(n)s complaints under %(cause)s.") % {"period": period.label, "n": count, "cause": title},
        "order_ids": ",".join(str(i) for i in ids)})
    return given


def _from_inspection(request, given: dict) -> dict:
    """The pre-fill of an action for a QA finding: the inspection's contact, agent and score."""
    from kefu.quality import services as quality

    inspection_id = _int(request.GET.get("inspection"))
    if inspection_id is None:
        return given
    try:
        found = quality.inspection(request.user, inspection_id)
    except (NotFound, Forbidden):
        return given
    given.update({
        "source": Source.QA_FINDING, "source_ref": f"inspection:{found.pk}",
        "title": _("Corrective action: quality inspection of %(agent)s") % {"agent": found.agent},
        "problem": _("Quality inspection of a %(channel)s contact of %(agent)s on %(day)s: %(score)s points.") % {
            "channel": found.contact.get_channel_display(), "agent": found.agent,
            "day": timezone.localtime(found.contact.started_at).strftime("%Y-%m-%d"),
            "score": "—" if found.score is None else f"{found.score:g}"}})
    return given


def _prefill(request) -> dict:
    given = {"source": request.GET.get("source", "") if request.GET.get("source") in Source.values else "",
             "title": request.GET.get("title", "")[:200], "problem": request.GET.get("problem", "")[:2000],
             "working_days": str(DEFAULT_DAYS), "deadline": "", "cause_id": "", "owner_id": "", "department_id": "",
             "root_cause": "", "measures": "", "source_ref": "", "order_ids": ""}
    if given["source"] == Source.COMPLAINT_CAUSE or request.GET.get("period"):
        given = _from_complaints(request, given)
    elif given["source"] == Source.QA_FINDING or request.GET.get("inspection"):
        given = _from_inspection(request, given)
    return given


def _form_context(request, given: dict, errors: dict | None = None) -> dict:
    ids = [i for i in given.get("order_ids", "").split(",") if i.strip()]
    return {"section": SECTION, "form": given, "errors": errors or {}, "sources": Source.choices,
            "causes": corrective.complaint_causes(), "owners": corrective.owners(),
            "departments": corrective.departments(), "linked_count": len(ids)}


def _posted(post) -> dict:
    keys = ("source", "title", "problem", "working_days", "deadline", "cause_id", "owner_id", "department_id",
            "root_cause", "measures", "source_ref", "order_ids")
    return {k: post.get(k, "").strip() for k in keys}


def _arguments(given: dict, errors: dict) -> dict:
    """The form's values as services.open_action takes them; what cannot be read is named."""
    deadline = None
    if given["deadline"]:
        try:
            deadline = dt.date.fromisoformat(given["deadline"])
        except ValueError:
            errors["deadline"] = _("is not a date")
    days = _int(given["working_days"]) if given["working_days"] else None
    if given["working_days"] and days is None:
        errors["working_days"] = _("must be a whole number")
    orders = []
    for part in given["order_ids"].split(","):
        if part.strip():
            number = _int(part)
            if number is None:
                errors["order_ids"] = _("must be work order ids")
            else:
                orders.append(number)
    owner = _int(given["owner_id"])
    return {"title": given["title"], "problem": given["problem"], "source": given["source"],
            "source_ref": given["source_ref"], "cause_id": _int(given["cause_id"]),
            "root_cause": given["root_cause"], "measures": given["measures"],
            "owner_id": owner if owner is not None else given["owner_id"] or None,
            "department_id": _int(given["department_id"]),
            # A date wins over the suggested working days.
            "deadline": deadline, "working_days": None if deadline is not None or "deadline" in errors else days,
            "order_ids": orders}


@_reads
def new(request):
    """开整改: the form (pre-filled from the query string), and its post."""
    if not corrective.may_open(request.user):
        raise Forbidden()
    if request.method != "POST":
        return render(request, "web/corrective/new.html", _form_context(request, _prefill(request)))
    given = _posted(request.POST)
    errors: dict = {}
    arguments = _arguments(given, errors)
    try:
        if errors:
            raise ValidationFailed(_("The corrective action is invalid."), fields=errors)
        made = corrective.open_action(request.user, **arguments)
    except ValidationFailed as exc:
        _message(request, exc)
        return render(request, "web/corrective/new.html", _form_context(request, given, dict(exc.fields)), status=422)
    messages.success(request, _("Corrective action %(number)s opened.") % {"number": made.number})
    return redirect("web:corrective-action", made.pk)


# --- one action --------------------------------------------------------------------------------

def _source_link(action) -> str:
    """The page the action came from, where there is one."""
    kind, _colon, ref = action.source_ref.partition(":")
    if kind == "inspection" and ref.isdigit():
        return reverse("web:quality-inspection", args=[int(ref)])
    if kind == "period" and action.cause_id:
        return f"{reverse('web:report-complaints')}?period={ref}&cause={action.cause.code}"
    return ""


@_reads
def detail(request, action_id):
    user, now = request.user, timezone.now()
    action = corrective.get_action(user, action_id)
    steps = corrective.allowed(user, action, now)
    history = corrective.events(user, action_id)
    for event in history:
        event.to_label = Status(event.to_status).label if event.to_status in Status.values else ""
    linked = Paginator(corrective.linked_orders(user, action_id), ORDERS_PAGE).get_page(request.GET.get("page"))
    return render(request, "web/corrective/action.html", {
        "section": SECTION, "action": action, "steps": steps, "events": history, "orders": linked,
        "overdue": corrective.is_overdue(action, now), "source_link": _source_link(action),
        "verify_from": action.deadline, "waits_for_deadline": action.status == Status.DONE and corrective.waits_for_deadline(action, now),
        "owners": corrective.owners() if "edit" in steps and corrective.may_reassign(user) else None,
        "departments": corrective.departments(), "causes": corrective.complaint_causes()})


def _back(action_id, **_kw):
    return reverse("web:corrective-action", args=[action_id])


def _version(request) -> int | None:
    return _int(request.POST.get("version"))


def _step(request, action_id, call, done_message):
    try:
        call()
    except NotFound:
        raise
    except ServiceError as exc:
        _message(request, exc)
    else:
        messages.success(request, done_message)
    return redirect(_back(action_id))


@_acts(back=_back)
def start(request, action_id):
    return _step(request, action_id, lambda: corrective.start(
        request.user, action_id, note=request.POST.get("note", ""), version=_version(request)), _("Work started."))


@_acts(back=_back)
def done(request, action_id):
    return _step(request, action_id, lambda: corrective.complete(
        request.user, action_id, evidence=request.POST.get("evidence", ""), note=request.POST.get("note", ""),
        version=_version(request)), _("Marked done: it is verified after its deadline."))


@_acts(back=_back)
def verify(request, action_id):
    effective = request.POST.get("effective")
    if effective not in ("yes", "no"):
        messages.error(request, _("Choose whether it was effective."))
        return redirect(_back(action_id))
    return _step(request, action_id, lambda: corrective.verify(
        request.user, action_id, effective=effective == "yes", note=request.POST.get("note", ""),
        version=_version(request)),
        _("Verified effective: the corrective action is closed.") if effective == "yes"
        else _("Verified not effective: back to work for another round."))


@_acts(back=_back)
def cancel(request, action_id):
    return _step(request, action_id, lambda: corrective.cancel(
        request.user, action_id, reason=request.POST.get("reason", ""), version=_version(request)),
        _("Corrective action cancelled."))


@_acts(back=_back)
def edit(request, action_id):
    """The owner's analysis and measures; for a manager also the owner, department and deadline."""
    post = request.POST
    changes: dict = {k: post[k] for k in ("title", "problem", "root_cause", "measures") if k in post}
    if "owner_id" in post and _int(post["owner_id"]) is not None:
        changes["owner_id"] = _int(post["owner_id"])
    if "department_id" in post:
        changes["department_id"] = _int(post["department_id"])
    if post.get("deadline"):
        try:
            changes["deadline"] = dt.date.fromisoformat(post["deadline"])
        except ValueError:
            messages.error(request, _("%(field)s: %(error)s") % {"field": FIELD_LABELS["deadline"], "error": _("is not a date")})
            return redirect(_back(action_id))
    version = _version(request)
    if version is None:
        messages.error(request, _("Reload the page and try again."))
        return redirect(_back(action_id))
    return _step(request, action_id, lambda: corrective.update(request.user, action_id, version=version, **changes),
                 _("Changes saved."))


urlpatterns = [
    path("quality/actions/", board, name="corrective-board"),
    path("quality/actions/new/", new, name="corrective-new"),
    path("quality/actions/<int:action_id>/", detail, name="corrective-action"),
    path("quality/actions/<int:action_id>/edit/", edit, name="corrective-edit"),
    path("quality/actions/<int:action_id>/start/", start, name="corrective-start"),
    path("quality/actions/<int:action_id>/done/", done, name="corrective-done"),
    path("quality/actions/<int:action_id>/verify/", verify, name="corrective-verify"),
    path("quality/actions/<int:action_id>/cancel/", cancel, name="corrective-cancel"),
]
