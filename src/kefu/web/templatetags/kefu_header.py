"""The header's own corner for a signed-in person: the unread-notifications badge and the
status control (坐席状态). One indexed COUNT per page, stopped at BADGE_CAP."""

from django import template
from django.db import DatabaseError
from django.urls import reverse
from django.utils.translation import gettext as _

from kefu.cti import agents
from kefu.cti.models import AgentState, NotReadyReason
from kefu.notifications import services as notifications
from kefu.push import services as push
from kefu.routing import services as routing
from kefu.staff.models import User

from ..forms import AWAY_REASONS

register = template.Library()
BADGE_CAP = 100  # counting stops here; the badge shows 99+


@register.inclusion_tag("web/_header_me.html", takes_context=True)
def header_me(context):
    """Nothing for someone not signed in, and nothing on a page rendered without a user (the
    server-error page, which reads no database). If the database fails here, the page still
    renders, without the badge and the control."""
    user = context.get("user")
    if user is None or not getattr(user, "is_authenticated", False):
        return {"show": False}
    try:
        unread = notifications.unread_count(user, cap=BADGE_CAP)
        takes_work = routing.takes_work(user)
        hotline = agents.is_hotline_agent(user)
        status = agents.status_of(user.pk) if hotline else None
    except DatabaseError:
        return {"show": False}
    request = context.get("request")
    return {"show": True, "unread": unread, "unread_shown": f"{BADGE_CAP - 1}+" if unread >= BADGE_CAP else unread,
            "takes_work": takes_work, "presence": user.presence, "presence_label": User.Presence(user.presence).label,
            "choices": [(code, label) for code, label in User.Presence.choices if code != User.Presence.AWAY],
            "away_reasons": AWAY_REASONS, "csrf_token": context.get("csrf_token"),
            # A hotline agent's control is her agent state (kefu.cti.agents), which drives the status.
            "hotline": hotline, "agent_state": status.state if status else "",
            "agent_state_label": agents.label_of(status) if status else "",
            "agent_states": [(AgentState.READY, AgentState.READY.label), (AgentState.LOGGED_OUT, AgentState.LOGGED_OUT.label)],
            "not_ready_reasons": NotReadyReason.choices,
            # The push stream: for those it carries something to (a hotline agent, a wallboard).
            "push": {"url": reverse("web:push"), "ringing": _("Incoming call: %(caller)s, %(customer)s"),
                     "unknown": _("caller not matched to a customer"), "answered": _("Call answered."),
                     "open": _("Open its contact screen")} if push.STREAMS and (hotline or user.has_perm("cti.view_wallboard")) else None,
            # The path only: a query string may hold a number the user searched for, and a hidden
            # field would put it in the page unmasked.
            "next": request.path if request is not None else "", "section": context.get("section")}
