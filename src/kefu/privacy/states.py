"""A privacy request's life as data: which action may be taken from which status, by whom.

services applies these through kefu.core.transitions. A request is received, started once the
requester's identity is checked, and answered: completed (by hand, or by the export, the
correction or the deletion its kind calls for) or refused.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.core.transitions import transition

from .models import PrivacyRequest

R = PrivacyRequest.Status
K = PrivacyRequest.Kind

ADD = "privacy.add_privacyrequest"
VIEW = "privacy.view_privacyrequest"
CHANGE = "privacy.change_privacyrequest"
HANDLE = "privacy.handle_privacyrequest"

_ONLY_RECEIVED = gettext_lazy("Only a received request can be started.")


def _of_kind(kind):
    """The action answers requests of KIND only."""
    def fits(req):
        if req.kind != kind:
            return _("This is a request of another kind (%(kind)s).") % {"kind": req.get_kind_display()}
        return None
    return fits


TRANSITIONS = {
    "start": transition([R.RECEIVED], R.IN_PROGRESS, CHANGE,
                        refusals=dict.fromkeys([R.IN_PROGRESS, R.COMPLETED, R.REFUSED], _ONLY_RECEIVED)),
    "complete": transition(PrivacyRequest.OPEN_STATUSES, R.COMPLETED, CHANGE),
    # With the reason the customer is told (identity not proven, the law requires keeping the data).
    "refuse": transition(PrivacyRequest.OPEN_STATUSES, R.REFUSED, CHANGE),
    # The answers that touch the customer's data: only once the request is started. The export
    # reads and answers nothing by itself: its status stays.
    "export": transition([R.IN_PROGRESS], None, HANDLE, "customers.view_identity", VIEW, fits=_of_kind(K.ACCESS)),
    "correct": transition([R.IN_PROGRESS], R.COMPLETED, HANDLE, fits=_of_kind(K.CORRECTION)),
    "erase": transition([R.IN_PROGRESS], R.COMPLETED, HANDLE, "customers.change_customer", fits=_of_kind(K.DELETION)),
}

_ANSWERED = gettext_lazy("The request has been answered already.")
# Why an action is refused from a status, where the action does not say it itself.
REFUSALS = {
    R.RECEIVED: gettext_lazy("Start the request (with the requester's identity checked) first."),
    R.COMPLETED: _ANSWERED,
    R.REFUSED: _ANSWERED,
}
