"""HTTP ↔ security.services: the security incident register."""

from datetime import datetime

from ninja import Field, Router, Schema
from ninja.responses import Status

from kefu.core.api import ERRORS, Id, InputSchema, Past

from . import services
from .models import SecurityIncident

router = Router(tags=["security incidents"])


class IncidentIn(InputSchema):
    title: str = Field(min_length=1, max_length=200)
    level: SecurityIncident.Level
    description: str = Field("", max_length=10000)
    detected_at: Past | None = None


class LevelIn(InputSchema):
    level: SecurityIncident.Level
    note: str = Field("", max_length=5000)


class TeamIn(InputSchema):
    user_ids: list[int]
    note: str = Field("", max_length=5000)


class NoteIn(InputSchema):
    note: str = Field(max_length=5000)


class AffectedIn(InputSchema):
    customer_ids: list[int] = Field(min_length=1, max_length=10000)
    data_involved: str = Field(max_length=200)


class NotifyIn(InputSchema):
    channel: str = Field(max_length=20, description="e.g. sms, letter, hotline")
    note: str = Field("", max_length=500)
    customer_ids: list[int] | None = Field(None, description="default: every affected customer not yet notified")


class CloseIn(InputSchema):
    cause: str = Field(max_length=10000)
    fix: str = Field(max_length=10000)


class IncidentOut(Schema):
    id: int
    number: str
    title: str
    description: str
    level: str
    status: str
    detected_at: datetime
    reported_by_id: int
    team_ids: list[int]
    contained_at: datetime | None
    authorities_notified_at: datetime | None
    affected: int
    notified: int
    cause: str
    fix: str
    closed_at: datetime | None
    version: int

    @staticmethod
    def resolve_team_ids(obj):
        return sorted(u.pk for u in obj.team.all())

    @staticmethod
    def resolve_affected(obj):
        # Listed incidents carry the counts; one just changed by an action is counted here.
        count = getattr(obj, "affected_count", None)
        return obj.affected.count() if count is None else count

    @staticmethod
    def resolve_notified(obj):
        count = getattr(obj, "notified_count", None)
        return obj.affected.filter(notified_at__isnull=False).count() if count is None else count


class StepOut(Schema):
    at: datetime
    actor_id: int | None
    action: str
    note: str
    data: dict


@router.get("", response={200: list[IncidentOut], **ERRORS})
def list_incidents(request, status: SecurityIncident.Status | None = None, level: SecurityIncident.Level | None = None):
    return services.incidents(request.user, status=status, level=level)[:200]


@router.post("", response={201: IncidentOut, **ERRORS})
def report(request, payload: IncidentIn):
    return Status(201, services.report(request.user, **payload.dict()))


@router.get("/{int:incident_id}", response={200: IncidentOut, **ERRORS})
def get_incident(request, incident_id: Id):
    return services.get_incident(request.user, incident_id)


@router.get("/{int:incident_id}/steps", response={200: list[StepOut], **ERRORS})
def steps(request, incident_id: Id):
    return services.get_incident(request.user, incident_id).steps.all()


@router.post("/{int:incident_id}/assess", response={200: IncidentOut, **ERRORS})
def assess(request, incident_id: Id, payload: LevelIn):
    return services.assess(request.user, incident_id, **payload.dict())


@router.post("/{int:incident_id}/team", response={200: IncidentOut, **ERRORS})
def team(request, incident_id: Id, payload: TeamIn):
    return services.set_team(request.user, incident_id, **payload.dict())


@router.post("/{int:incident_id}/contain", response={200: IncidentOut, **ERRORS})
def contain(request, incident_id: Id, payload: NoteIn):
    return services.contain(request.user, incident_id, **payload.dict())


@router.post("/{int:incident_id}/affected", response={200: IncidentOut, **ERRORS})
def affected(request, incident_id: Id, payload: AffectedIn):
    return services.add_affected(request.user, incident_id, **payload.dict())


@router.post("/{int:incident_id}/notify-customers", response={200: IncidentOut, **ERRORS})
def notify_customers(request, incident_id: Id, payload: NotifyIn):
    return services.notify_customers(request.user, incident_id, **payload.dict())


@router.post("/{int:incident_id}/notify-authorities", response={200: IncidentOut, **ERRORS})
def notify_authorities(request, incident_id: Id, payload: NoteIn):
    return services.notify_authorities(request.user, incident_id, **payload.dict())


@router.post("/{int:incident_id}/close", response={200: IncidentOut, **ERRORS})
def close(request, incident_id: Id, payload: CloseIn):
    return services.close(request.user, incident_id, **payload.dict())
