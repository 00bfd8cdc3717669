"""Security incidents (信息安全事件): one function per response step. Each checks the
permission, locks the incident and checks its state (states.py, through
kefu.core.transitions), changes it and appends one step, or raises and writes nothing."""

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu import scopes
from kefu.core import transitions
from kefu.core.errors import ValidationFailed
from kefu.core.numbering import assign_number, temporary_number
from kefu.core.services import get_or_404, require

from .models import AffectedCustomer, IncidentStep, SecurityIncident
from .states import REFUSALS, TRANSITIONS


def _listed():
    """Incidents with their team and affected / notified counts in the same few queries."""
    return (SecurityIncident.objects.select_related("reported_by").prefetch_related("team")
            .annotate(affected_count=Count("affected", distinct=True),
                      notified_count=Count("affected", filter=Q(affected__notified_at__isnull=False), distinct=True)))


def incidents(user, *, status=None, level=None):
    require(user, "security.view_securityincident")
    qs = _listed()
    if status:
        qs = qs.filter(status=status)
    if level:
        qs = qs.filter(level=level)
    return qs.order_by("-detected_at", "-id")


def get_incident(user, incident_id):
    require(user, "security.view_securityincident")
    return get_or_404(SecurityIncident, incident_id, queryset=_listed())


@transaction.atomic
def report(actor, *, title, level, description="", detected_at=None) -> SecurityIncident:
    """Anyone who may report opens the incident with a first assessment of its level."""
    require(actor, "security.add_securityincident")
    _check_level(level)
    incident = SecurityIncident.objects.create(number=temporary_number(), title=title, level=level, description=description,
                                               detected_at=detected_at or timezone.now(), reported_by=actor)
    now = timezone.localtime(incident.created_at)
    assign_number(incident, "number", f"SI{now:%Y%m%d}{incident.pk:04d}")
    _step(incident, actor, "report", note=description, data={"level": level})
    return incident


@transaction.atomic
def assess(actor, incident_id, *, level, note=""):
    incident = _begin(actor, incident_id, "assess")
    _check_level(level)
    data = {"level": [incident.level, level]}
    incident.level = level
    return _finish(incident, actor, "assess", note, data)


@transaction.atomic
def set_team(actor, incident_id, *, user_ids, note=""):
    from kefu.staff.models import User

    incident = _begin(actor, incident_id, "team")
    people = list(User.objects.filter(pk__in=user_ids, is_active=True))
    if unknown := set(user_ids) - {p.pk for p in people}:
        raise ValidationFailed(_("Unknown team members."), fields={"user_ids": _("no active user with id %(ids)s") % {"ids": sorted(unknown)}})
    incident.team.set(people)
    return _finish(incident, actor, "team", note, {"team": sorted(p.pk for p in people)})


@transaction.atomic
def contain(actor, incident_id, *, note):
    incident = _begin(actor, incident_id, "contain")
    _required(note, "note")
    incident.contained_at = timezone.now()
    return _finish(incident, actor, "contain", note, {})


@transaction.atomic
def add_affected(actor, incident_id, *, customer_ids, data_involved):
    """Customers whose data is involved; adding one twice changes nothing. Customers out of
    the actor's data scope are unknown to them, as ids that do not exist."""
    from kefu.customers.models import Customer

    incident = _begin(actor, incident_id, "affected")
    _required(data_involved, "data_involved")
    found = set(scopes.visible(actor, Customer, customer_ids).values_list("pk", flat=True))
    if unknown := set(customer_ids) - found:
        raise ValidationFailed(_("Unknown customers."), fields={"customer_ids": _("no customer with id %(ids)s") % {"ids": sorted(unknown)}})
    known = set(incident.affected.values_list("customer_id", flat=True))
    AffectedCustomer.objects.bulk_create([AffectedCustomer(incident=incident, customer_id=c, data_involved=data_involved)
                                          for c in sorted(found - known)])
    return _finish(incident, actor, "affected", "", {"added": len(found - known), "data_involved": data_involved})


@transaction.atomic
def notify_customers(actor, incident_id, *, channel, note="", customer_ids=None):
    """Record that the affected customers (all not yet told, or those named) were told. A
    named customer the incident does not involve is refused, and so is one out of the actor's
    data scope, alike: nothing is recorded."""
    from kefu.customers.models import Customer

    incident = _begin(actor, incident_id, "notify_customers")
    _required(channel, "channel")
    pending = incident.affected.filter(notified_at__isnull=True)
    if customer_ids is not None:
        involved = set(incident.affected.filter(customer__in=scopes.visible(actor, Customer, customer_ids))
                       .values_list("customer_id", flat=True))
        if unknown := set(customer_ids) - involved:
            raise ValidationFailed(_("Unknown customers."), fields={
                "customer_ids": _("no customer of this incident with id %(ids)s") % {"ids": sorted(unknown)}})
        pending = pending.filter(customer_id__in=involved)
    n = pending.update(notified_at=timezone.now(), channel=channel, note=note[:500])
    return _finish(incident, actor, "notify_customers", note, {"notified": n, "channel": channel})


@transaction.atomic
def notify_authorities(actor, incident_id, *, note):
    incident = _begin(actor, incident_id, "notify_authorities")
    _required(note, "note")
    incident.authorities_notified_at = timezone.now()
    return _finish(incident, actor, "notify_authorities", note, {})


@transaction.atomic
def close(actor, incident_id, *, cause, fix):
    """Closed after review: the cause and its fix are recorded, and every affected customer
    has been told."""
    incident = _begin(actor, incident_id, "close")
    _required(cause, "cause")
    _required(fix, "fix")
    untold = incident.affected.filter(notified_at__isnull=True).count()
    if untold:
        raise transitions.invalid(MACHINE, incident, actor, _("%(n)s affected customers have not been notified yet.") % {"n": untold})
    incident.cause, incident.fix, incident.closed_at = cause, fix, timezone.now()
    return _finish(incident, actor, "close", "", {})


# --- the machinery -------------------------------------------------------------------------

def _step(incident, actor, action, from_status=None, *, note, data):
    """One step of the response (IncidentStep): the machine's record."""
    return IncidentStep.objects.create(incident=incident, at=timezone.now(), actor=actor, action=action, note=note or "", data=data)


# Incidents are organisation-wide: whoever may respond sees them all (their customers are scoped).
MACHINE = transitions.Machine(SecurityIncident, TRANSITIONS, scope=None, record=_step, refusals=REFUSALS)


def _begin(actor, incident_id, action):
    return transitions.begin(MACHINE, actor, incident_id, action)


def _finish(incident, actor, action, note, data):
    return transitions.finish(MACHINE, incident, actor, action, note=note, data=data)


def _check_level(level):
    if level not in SecurityIncident.Level.values:
        raise ValidationFailed(_("Unknown level."), fields={"level": _("must be one of %(v)s") % {"v": ", ".join(SecurityIncident.Level.values)}})


def _required(value, field):
    if not (value or "").strip():
        raise ValidationFailed(_("The input is invalid."), fields={field: _("is required")})
