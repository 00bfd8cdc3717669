"""The follow-up workbench (回访工作台, /followup/): the queue of follow-up tasks, and each task's
page — the order and its history, the customer 360 beside it, the call script with the
post-resolution questionnaire, the call results and the one-click outcomes. Each view reads the
request and calls kefu.followup.services (and, for what the page shows, the services of
orders, customers and contacts that the contact screen uses); the rules are the services'."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kefu.contacts import services as contacts
from kefu.core.errors import Forbidden, NotFound, ServiceError, ValidationFailed
from kefu.customers import services as customers
from kefu.followup import services as followup
from kefu.followup.models import Attempt, FollowUpTask, Outcome, Reason
from kefu.orders import services as orders

from .views import _acts, _fail, _reads, _refused_input

PAGE_SIZE = 50
# The unanswered call results the page offers (a call that reaches the customer comes with its outcome).
MISSED = (Attempt.Result.NO_ANSWER, Attempt.Result.BUSY, Attempt.Result.WRONG_NUMBER)
# The outcomes an agent records (unreachable follows from the calls).
OUTCOMES = (Outcome.SATISFIED, Outcome.DISSATISFIED, Outcome.RECURRED, Outcome.REFUSED)


class QueueFilters(forms.Form):
    reason = forms.ChoiceField(label=gettext_lazy("Reason"), required=False,
                               choices=[("", gettext_lazy("Any"))] + list(Reason.choices))


WHICH = [(followup.MINE, gettext_lazy("Mine and unclaimed")), (followup.ALL, gettext_lazy("All in my scope"))]


@_reads
def queue(request):
    """The follow-up queue: the user's tasks and the unassigned ones first, the next call due first."""
    which = request.GET.get("which") if request.GET.get("which") in (followup.MINE, followup.ALL) else followup.MINE
    filters = QueueFilters(request.GET or None)
    reason = ""
    if filters.is_bound and not filters.is_valid():
        _refused_input(request, filters)
    elif filters.is_bound:
        reason = filters.cleaned_data["reason"]
    rows = followup.tasks(request.user, reason=reason, which=which)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    can_call, next_at = followup.calling_window(timezone.now())
    query = "&".join(f"{k}={v}" for k, v in (("which", which), ("reason", reason)) if v)
    return render(request, "web/followup/queue.html", {
        "section": "followup", "page": page, "filters": filters, "which": which, "tabs": WHICH, "query": query,
        "can_call": can_call, "next_at": next_at, "hours": followup.calling_hours_text()})


def _answers(post, questions) -> dict:
    """The questionnaire's answers as the form sent them: {question id: value} (several values
    for a multiple choice); what was left empty is not an answer."""
    values = {}
    for q in questions:
        value = post.getlist(f"q{q.pk}") if q.type == "multiple" else post.get(f"q{q.pk}", "").strip()
        if value:
            values[q.pk] = value
    return values


def _task_context(request, task, *, given=None, errors=None) -> dict:
    """The task page: the order, its history and the calls; the customer 360 (what the contact
    screen shows, masked: the follow-up call reveals nothing); the call script."""
    user = request.user
    order = task.order
    now = timezone.now()
    can_call, next_at = followup.next_call(task, now)
    script = followup.questionnaire(task)
    context = {
        "section": "followup", "task": task, "order": order, "events": orders.order_events(user, order.pk),
        "calls": followup.calls_of(task), "customer_reads": orders.customer_text(order),
        "can_call": can_call, "next_at": next_at, "waiting": next_at > now, "hours": followup.calling_hours_text(),
        "missed": [(r.value, r.label) for r in MISSED], "outcomes": [(o.value, o.label) for o in OUTCOMES],
        "mine": task.assignee_id == user.pk, "script": script,
        "rows": [{"q": q, "given": (given or {}).get(q.pk, [] if q.type == "multiple" else ""),
                  "error": (errors or {}).get(f"answers.{q.pk}")} for q in script["questions"]],
        "scores": {"score": [str(n) for n in range(1, 11)], "recommend": [str(n) for n in range(11)]},
        "greeting": _("Hello, this is %(agent)s of customer service. We are calling back about your request %(number)s: "
                      "may I take a minute of your time?") % {"agent": user, "number": order.number},
    }
    if order.customer_id:
        customer = customers.get_customer(user, order.customer_id)
        context |= {"customer": customer, "subscriptions": list(customers.search_subscriptions(user, customer=customer.pk)),
                    **orders.customer_history(user, customer.pk),
                    "past_contacts": list(contacts.search_contacts(user, customer=customer.pk)[:10])}
    return context


@_reads
def task(request, task_id):
    return render(request, "web/followup/task.html", _task_context(request, followup.get_task(request.user, task_id)))


def _to_task(task_id, **_kwargs):
    return reverse("web:followup-task", args=[task_id])


def _to_queue(**_kwargs):
    return reverse("web:followup")


@_acts(back=_to_task)
def claim(request, task_id):
    followup.claim(request.user, task_id)
    messages.success(request, _("The follow-up task is yours."))


@_acts(back=_to_queue)
def call(request, task_id):
    """An unanswered call (no answer, busy, wrong number): recorded, and on to the next task."""
    result = request.POST.get("result", "")
    if result not in MISSED:
        messages.error(request, _("Choose the result of the call."))
        return redirect("web:followup-task", task_id)
    followup.record_call(request.user, task_id, result, note=request.POST.get("note", ""))
    task = followup.get_task(request.user, task_id)
    if task.status == FollowUpTask.Status.DONE:
        messages.warning(request, _("%(number)s: %(result)s. No calls are left: the follow-up ended as unreachable.")
                         % {"number": task.order.number, "result": Attempt.Result(result).label})
    else:
        messages.success(request, _("%(number)s: %(result)s. Next call from %(at)s.") % {
            "number": task.order.number, "result": Attempt.Result(result).label,
            "at": date_format(timezone.localtime(task.next_call_at), "m-d H:i")})
    return None


@_reads
@require_POST
def outcome(request, task_id):
    """What the customer said (one click: the call reached them), with the questionnaire's
    answers if they gave them. A refused answer shows the page again with what to correct."""
    task = followup.get_task(request.user, task_id)
    given = _answers(request.POST, followup.questionnaire(task)["questions"])
    note = request.POST.get("note", "")
    try:
        done = followup.record_outcome(request.user, task_id, request.POST.get("outcome", ""), note=note,
                                       answers=given, reached=True)
    except (NotFound, Forbidden):
        raise
    except ValidationFailed as exc:
        _fail(request, exc)
        errors = {k: v for k, v in exc.fields.items() if k.startswith("answers.")}
        context = _task_context(request, followup.get_task(request.user, task_id), given=given, errors=errors)
        return render(request, "web/followup/task.html", context | {"note": note}, status=422)
    except ServiceError as exc:  # finished meanwhile, or the order cannot be reopened: say so on the task
        _fail(request, exc)
        return redirect("web:followup-task", task_id)
    messages.success(request, _("%(number)s: %(outcome)s. Recorded.") % {
        "number": task.order.number, "outcome": Outcome(done.outcome).label})
    return redirect("web:followup")
