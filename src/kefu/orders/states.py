"""The closed loop (闭环) as data: which action moves a work order from which states to which.

services.py applies these; the table is also what the API reports as "allowed actions".
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import Status

S = Status


@dataclass(frozen=True)
class Transition:
    sources: frozenset
    target: str | None  # None: the status stays as it is (e.g. a re-assignment)
    permission: str
    # "handler": only the current handler; "owner": only the first-contact owner;
    # None: anyone with the permission. manage_any_workorder overrides both.
    actor: str | None = None
    needs_reason: bool = False


def _t(sources, target, perm, actor=None, needs_reason=False):
    return Transition(frozenset(sources), target, f"orders.{perm}", actor, needs_reason)


_OPEN = (S.NEW, S.ACCEPTED, S.ASSIGNED, S.IN_PROGRESS, S.WAITING_CUSTOMER)

TRANSITIONS: dict[str, Transition] = {
    "accept": _t([S.NEW], S.ACCEPTED, "accept_workorder"),
    "assign": _t([S.ACCEPTED, S.ASSIGNED], S.ASSIGNED, "dispatch_workorder"),
    "claim": _t([S.ACCEPTED, S.ASSIGNED], S.ASSIGNED, "handle_workorder"),
    "release": _t([S.ASSIGNED], S.ASSIGNED, "handle_workorder", actor="handler"),
    "start": _t([S.ASSIGNED], S.IN_PROGRESS, "handle_workorder", actor="handler"),
    "wait": _t([S.IN_PROGRESS], S.WAITING_CUSTOMER, "handle_workorder", actor="handler", needs_reason=True),
    "resume": _t([S.WAITING_CUSTOMER], S.IN_PROGRESS, "handle_workorder", actor="handler"),
    # The customer's answer to what the handler asked, from the portal or relayed by whoever
    # took the call: the work goes on, and it is the customer's word, not a reply to them.
    "answer": _t([S.WAITING_CUSTOMER], S.IN_PROGRESS, "answer_workorder"),
    "resolve": _t([S.IN_PROGRESS], S.RESOLVED, "handle_workorder", actor="handler"),
    "transfer": _t([S.ASSIGNED, S.IN_PROGRESS], S.ASSIGNED, "dispatch_workorder", needs_reason=True),
    "confirm": _t([S.RESOLVED], S.CONFIRMED, "record_feedback"),
    "auto_confirm": _t([S.RESOLVED], S.CONFIRMED, "manage_any_workorder"),
    "close": _t([S.CONFIRMED], S.CLOSED, "close_workorder", actor="owner"),
    "reject": _t([S.NEW, S.ACCEPTED, S.ASSIGNED], S.REJECTED, "reject_workorder", needs_reason=True),
    # The customer withdraws the request (撤销): by a call, or themselves on the portal.
    "cancel": _t(_OPEN, S.CANCELLED, "cancel_workorder", needs_reason=True),
    "reopen": _t([S.RESOLVED, S.CONFIRMED, S.CLOSED], S.IN_PROGRESS, "reopen_workorder", needs_reason=True),
    # Back to the department queue, e.g. when its handler goes offline.
    "requeue": _t([S.ASSIGNED, S.IN_PROGRESS], S.ASSIGNED, "dispatch_workorder", needs_reason=True),
    # Between tiers: front office → specialists → experts / network operations, and back.
    "escalate": _t([S.ACCEPTED, S.ASSIGNED, S.IN_PROGRESS], S.ASSIGNED, "dispatch_workorder", needs_reason=True),
    "deescalate": _t([S.ASSIGNED, S.IN_PROGRESS], S.ASSIGNED, "dispatch_workorder", needs_reason=True),
    # A duplicate ends here; its history stays, and the order it joins records it.
    "merge": _t(_OPEN, S.MERGED, "change_workorder", needs_reason=True),
    # Not state changes, but gated the same way.
    "handover": _t(_OPEN + (S.RESOLVED, S.CONFIRMED), None, "handover_workorder", actor="owner", needs_reason=True),
}

# Actions a person may invoke through the API; auto_confirm is the system's alone.
PUBLIC_ACTIONS = [a for a in TRANSITIONS if a != "auto_confirm"]

# What an action does to the order's milestone times besides its status: SET to the moment of
# the action, or CLEAR; the other times and actions leave them as they are. Read by
# orders.services (_finish) and by the demo seed's histories, so the two cannot drift apart.
SET, CLEAR = "set", "clear"
STAMPS: dict[str, dict[str, str]] = {
    "accept": {"accepted_at": SET},
    "resolve": {"resolved_at": SET},
    "close": {"closed_at": SET},
    "reject": {"closed_at": SET},
    "cancel": {"closed_at": SET},
    "merge": {"closed_at": SET},
    # Disputed or complained of again: neither resolved nor closed any more (accepted stays).
    "reopen": {"resolved_at": CLEAR, "closed_at": CLEAR},
}


def stamp(order, action: str, at) -> None:
    """Set or clear ORDER's milestone times as ACTION does (STAMPS); AT: the moment of the action."""
    for field, effect in STAMPS.get(action, {}).items():
        setattr(order, field, at if effect == SET else None)


# How people read the actions and the other events (order pages, timelines).
ACTION_LABELS = {
    "create": _("Registered"), "accept": _("Accept"), "assign": _("Assign"), "claim": _("Claim"),
    "release": _("Release"), "start": _("Start"), "wait": _("Wait for the customer"), "resume": _("Resume"),
    "answer": _("Customer's answer"),
    "resolve": _("Resolve"), "transfer": _("Transfer"), "confirm": _("Confirm"), "close": pgettext_lazy("order action", "Close"),
    "reject": _("Reject"), "cancel": pgettext_lazy("order action", "Cancel"), "reopen": _("Reopen"), "requeue": _("Back to the queue"),
    "escalate": _("Escalate"), "deescalate": _("De-escalate"), "merge": _("Merge into another order"),
    "handover": _("Hand over first contact"), "comment": _("Comment"), "update": _("Edited"), "link": _("Linked"),
    "merged_in": _("Duplicate merged in"), "feedback": _("Customer feedback"), "auto_confirm": _("Confirmed automatically"),
    "sla_policy": _("Time limit policy"), "sla_escalation": _("Time limit notice"),
    "followup_call": _("Follow-up call"), "followup": _("Follow-up outcome"),
    "customer_summary": _("Customer-visible summary"),
}
