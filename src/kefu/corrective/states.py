"""A corrective action's life as data: which step may be taken from which status.

services.py applies these through kefu.core.transitions. The steps the owner takes (start,
done, edit) need no permission here: the owner, or someone with the change permission, takes
them (services check who after `begin`). Verification needs the verify permission, and is by
someone other than the owner once the deadline has passed (services); cancelling needs the
change permission.
"""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kefu.core.transitions import transition

from .models import CorrectiveAction

S = CorrectiveAction.Status
CHANGE = "corrective.change_correctiveaction"
VERIFY = "corrective.verify_correctiveaction"
_LIVE = (S.OPEN, S.IN_PROGRESS)

TRANSITIONS = {
    "edit": transition(_LIVE, None, refusals={S.DONE: _("A completed corrective action is not changed; verify it.")}),
    "start": transition([S.OPEN], S.IN_PROGRESS, refusals={S.IN_PROGRESS: _("The work has started already.")}),
    "done": transition([S.IN_PROGRESS], S.DONE, refusals={S.OPEN: _("Start the work before completing it."),
                                                         S.DONE: _("The corrective action is done already.")}),
    "verify": transition([S.DONE], S.VERIFIED, VERIFY, refusals={S.OPEN: _("Only a completed corrective action is verified."),
                                                                 S.IN_PROGRESS: _("Only a completed corrective action is verified.")}),
    # Not effective: back to work, one more round.
    "reject": transition([S.DONE], S.IN_PROGRESS, VERIFY, refusals={
        S.OPEN: _("Only a completed corrective action is verified."),
        S.IN_PROGRESS: _("Only a completed corrective action is verified.")}),
    "cancel": transition(_LIVE, S.CANCELLED, CHANGE),
}

# Why a step is refused from a status, where the step does not say it itself.
REFUSALS = {S.VERIFIED: _("The corrective action has been verified effective and is closed."),
            S.CANCELLED: _("The corrective action is cancelled."),
            S.DONE: _("The corrective action is done and awaits verification.")}

# The steps as the history and the pages name them.
ACTION_LABELS = {
    "open": pgettext_lazy("corrective action step", "Opened"),
    "edit": pgettext_lazy("corrective action step", "Changed"),
    "start": pgettext_lazy("corrective action step", "Work started"),
    "done": pgettext_lazy("corrective action step", "Completed"),
    "verify": pgettext_lazy("corrective action step", "Verified effective"),
    "reject": pgettext_lazy("corrective action step", "Verified not effective"),
    "cancel": pgettext_lazy("corrective action step", "Cancelled"),
    "escalate": pgettext_lazy("corrective action step", "Escalated (overdue)"),
}
