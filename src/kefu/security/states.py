"""The response to a security incident as data: which step may be taken from which status.

services.py applies these through kefu.core.transitions; every step needs the permission to
respond (security.change_securityincident), and a closed incident takes no more steps.
"""

from django.utils.translation import gettext_lazy as _

from kefu.core.transitions import transition

from .models import SecurityIncident

S = SecurityIncident.Status
MANAGE = "security.change_securityincident"
_LIVE = (S.OPEN, S.CONTAINED)

TRANSITIONS = {
    "assess": transition(_LIVE, None, MANAGE),
    "team": transition(_LIVE, None, MANAGE),
    "contain": transition([S.OPEN], S.CONTAINED, MANAGE, refusals={S.CONTAINED: _("The incident is already contained.")}),
    "affected": transition(_LIVE, None, MANAGE),
    "notify_customers": transition(_LIVE, None, MANAGE),
    "notify_authorities": transition(_LIVE, None, MANAGE),
    # After review, with the cause and its fix; every affected customer told (services.close).
    "close": transition([S.CONTAINED], S.CLOSED, MANAGE, refusals={S.OPEN: _("Contain the incident before closing it.")}),
}

# Why a step is refused from a status, where the step does not say it itself.
REFUSALS = {S.CLOSED: _("The incident is closed.")}
