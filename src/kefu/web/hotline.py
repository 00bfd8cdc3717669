"""The hotline's pages (热线): the call records (/hotline/calls/, one call with its timeline and
recording link), the agent's own state from the header (坐席状态), and the supervisors' wallboard
(/hotline/wallboard/, refreshed when the push channel says something changed). Each view reads the
request and calls kefu.cti.services or kefu.cti.agents (and, for today's figures, the reports'
registry); the rules are the services'."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.core.errors import ServiceError
from kefu.cti import agents, ivr
from kefu.cti import services as cti
from kefu.cti.models import AgentState, Call, NotReadyReason
from kefu.reports import services as reports

from .me import _back
from .views import _fail, _reads

PAGE_SIZE = 50


@_reads
def calls(request):
    """通话记录: the calls the reader may read, newest first, by state and abandoned or not."""
    get = request.GET
    state = get.get("state") if get.get("state") in Call.State.values else None
    abandoned = {"1": True, "0": False}.get(get.get("abandoned", ""))
    page = Paginator(cti.calls(request.user, state=state, abandoned=abandoned), PAGE_SIZE).get_page(get.get("page"))
    query = "&".join(f"{k}={v}" for k, v in (("state", state), ("abandoned", get.get("abandoned"))) if v)
    return render(request, "web/hotline/calls.html", {
        "section": "hotline", "page": page, "states": Call.State.choices, "chosen": {"state": state, "abandoned": get.get("abandoned", "")},
        "query": query, "queue_names": ivr.queue_names()})


@_reads
def call(request, call_pk):
    """One call: who called, its path through the IVR and the queue, its times, who ended it,
    transfers, the recording (to open with the permission) and the timeline of its events."""
    found = cti.call_detail(request.user, call_pk)
    return render(request, "web/hotline/call.html", {
        "section": "hotline", "phone_call": found, "events": cti.call_events(request.user, call_pk),
        "can_open_recording": cti.can_open_recording(request.user, found)})


@_reads
@require_POST
def recording(request, call_pk):
    """Open the call's recording (audited in the service); a POST, so that a link cannot be
    opened by a page the reader did not mean to."""
    try:
        return HttpResponseRedirect(cti.open_recording(request.user, call_pk))
    except ServiceError as exc:
        if exc.status == 403:
            raise
        _fail(request, exc)
        return redirect("web:hotline-call", call_pk)


@_reads
@require_POST
def set_state(request):
    """The agent's own state from the header: ready, not ready with a reason, signed out."""
    state, reason = request.POST.get("state", ""), request.POST.get("reason", "")
    try:
        status = agents.set_state(request.user, state, reason=reason)
    except ServiceError as exc:
        _fail(request, exc)
    else:
        messages.success(request, _("Your agent state is now %(state)s.") % {"state": agents.label_of(status)})
    return redirect(_back(request, "web:home"))


@_reads
def wallboard(request):
    """实时监控: calls waiting and the longest wait now, agents by state, and today's service
    level and abandonment against their targets. The page's script reloads the figures when
    the push channel says calls or agents changed."""
    return render(request, "web/hotline/wallboard.html", {"section": "wallboard", **_wallboard(request.user)})


@_reads
def wallboard_fragment(request):
    return render(request, "web/hotline/_wallboard.html", _wallboard(request.user))


def _wallboard(user) -> dict:
    now = timezone.now()
    live = cti.wallboard_now(user, now)
    labels = dict(AgentState.choices)
    return {"live": live, "today": reports.hotline_today(user, now)["rows"], "now": now,
            "agent_states": [(state, labels[state], n) for state, n in live["agents"].items()],
            "reasons": NotReadyReason.choices}

