"""HTTP ↔ corrective.services: corrective actions (整改), their history, their linked work
orders, and one POST per step."""

from datetime import date, datetime

from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from kefu.core.api import (
    ERRORS,
    CheckedSchema,
    Id,
    InputSchema,
    Page,
    PageParams,
    paginate,
    versioned_changes,
)

from . import services
from .models import CorrectiveAction

router = Router(tags=["corrective actions"])


class CorrectiveActionIn(InputSchema):
    title: str = Field(min_length=1, max_length=200)
    problem: str = Field(min_length=1, max_length=10000)
    source: CorrectiveAction.Source
    source_ref: str = Field("", max_length=200, description='e.g. "inspection:42", "period:2026-11"')
    cause_id: int | None = Field(None, description="a first-level complaint cause (required from a complaint cause analysis)")
    root_cause: str = Field("", max_length=10000)
    measures: str = Field("", max_length=10000)
    owner_id: int
    department_id: int | None = Field(None, description="default: the owner's")
    deadline: date | datetime | None = Field(None, description="a date (its close on the calendar) or a moment; "
                                                               "or give working_days")
    working_days: int | None = Field(None, ge=1, le=366, description="the deadline in working days of the calendar from now")
    order_ids: list[int] = Field([], max_length=500, description="the work orders behind it, in the caller's scope")


class CorrectiveActionPatch(InputSchema):
    version: int
    title: str = Field(None, min_length=1, max_length=200)
    problem: str = Field(None, min_length=1, max_length=10000)
    root_cause: str = Field(None, max_length=10000)
    measures: str = Field(None, max_length=10000)
    evidence: str = Field(None, max_length=10000)
    owner_id: int = None
    department_id: int | None = None
    cause_id: int | None = None
    deadline: date | datetime = None
    working_days: int = Field(None, ge=1, le=366)


class CorrectiveStepIn(InputSchema):
    version: int | None = Field(None, description="the version read; a changed action is refused (409)")
    note: str = Field("", max_length=5000)


class CorrectiveDoneIn(CorrectiveStepIn):
    evidence: str = Field(min_length=1, max_length=10000)


class CorrectiveVerifyIn(CorrectiveStepIn):
    effective: bool = Field(description="false: not effective, back to work (a note says why)")


class CorrectiveCancelIn(InputSchema):
    version: int | None = None
    reason: str = Field(min_length=1, max_length=5000)


class CorrectiveActionOut(Schema):
    id: int
    number: str
    title: str
    problem: str
    source: str
    source_ref: str
    cause_id: int | None
    cause: str | None
    root_cause: str
    measures: str
    owner_id: int
    owner: str
    department_id: int | None
    department: str | None
    calendar: str
    deadline: datetime
    overdue: bool
    evidence: str
    status: str
    rounds: int
    done_at: datetime | None
    verified_at: datetime | None
    verified_by_id: int | None
    created_by_id: int | None
    created_at: datetime
    updated_at: datetime
    escalation_level: int
    escalated_at: datetime | None
    linked_orders: int
    allowed_actions: list[str]
    version: int

    @staticmethod
    def resolve_cause(obj) -> str | None:
        return obj.cause.name if obj.cause_id else None

    @staticmethod
    def resolve_owner(obj) -> str:
        return str(obj.owner)

    @staticmethod
    def resolve_department(obj) -> str | None:
        return obj.department.name if obj.department_id else None

    @staticmethod
    def resolve_overdue(obj) -> bool:
        return services.is_overdue(obj)

    @staticmethod
    def resolve_linked_orders(obj) -> int:
        count = getattr(obj, "linked_count", None)
        return obj.links.count() if count is None else count


class CorrectiveEventOut(Schema):
    action: str
    from_status: str
    to_status: str
    actor_id: int | None
    at: datetime
    note: str
    data: dict


class CorrectiveOrderOut(Schema):
    id: int
    number: str
    title: str
    kind: str
    status: str
    created_at: datetime


class CorrectiveFilters(CheckedSchema):
    status: CorrectiveAction.Status | None = None
    source: CorrectiveAction.Source | None = None
    department: int | None = Field(None, ge=1)
    cause: int | None = Field(None, ge=1)
    owner: int | None = Field(None, ge=1)
    overdue: bool | None = None
    mine: bool = False


def _out(request, action):
    action.allowed_actions = services.allowed(request.user, action)
    return action


def _fresh(request, action):
    """An action just changed by a step, read again with what the list shows (its counts)."""
    return _out(request, services.get_action(request.user, action.pk))


@router.get("", response={200: Page[CorrectiveActionOut], **ERRORS})
def list_actions(request, filters: Query[CorrectiveFilters], params: Query[PageParams]):
    """The corrective actions the caller may read (all with the view permission, else their
    own), the nearest deadline first."""
    page = paginate(services.actions(request.user, **filters.dict()), params)
    for action in page["results"]:
        _out(request, action)
    return page


@router.post("", response={201: CorrectiveActionOut, **ERRORS})
def open_action(request, payload: CorrectiveActionIn):
    """Open a corrective action; its deadline is a date, a moment, or working days."""
    made = services.open_action(request.user, **payload.dict())
    return Status(201, _fresh(request, made))


@router.get("/{int:action_id}", response={200: CorrectiveActionOut, **ERRORS})
def get_action(request, action_id: Id):
    return _out(request, services.get_action(request.user, action_id))


@router.patch("/{int:action_id}", response={200: CorrectiveActionOut, **ERRORS})
def update(request, action_id: Id, payload: CorrectiveActionPatch):
    """Change an open or ongoing action, as read at `version` (409 with the current one else)."""
    version, changes = versioned_changes(payload)
    return _fresh(request, services.update(request.user, action_id, version=version, **changes))


@router.get("/{int:action_id}/events", response={200: list[CorrectiveEventOut], **ERRORS})
def events(request, action_id: Id):
    return services.events(request.user, action_id)


@router.get("/{int:action_id}/orders", response={200: list[CorrectiveOrderOut], **ERRORS})
def orders(request, action_id: Id):
    """The linked work orders the caller may see (their data scope)."""
    return list(services.linked_orders(request.user, action_id)[:500])


@router.post("/{int:action_id}/start", response={200: CorrectiveActionOut, **ERRORS})
def start(request, action_id: Id, payload: CorrectiveStepIn):
    return _fresh(request, services.start(request.user, action_id, **payload.dict()))


@router.post("/{int:action_id}/done", response={200: CorrectiveActionOut, **ERRORS})
def done(request, action_id: Id, payload: CorrectiveDoneIn):
    """The work is done, with its evidence."""
    return _fresh(request, services.complete(request.user, action_id, **payload.dict()))


@router.post("/{int:action_id}/verify", response={200: CorrectiveActionOut, **ERRORS})
def verify(request, action_id: Id, payload: CorrectiveVerifyIn):
    """Verification after the deadline, by someone other than the owner: effective, or not
    (back to work, one more round)."""
    return _fresh(request, services.verify(request.user, action_id, **payload.dict()))


@router.post("/{int:action_id}/cancel", response={200: CorrectiveActionOut, **ERRORS})
def cancel(request, action_id: Id, payload: CorrectiveCancelIn):
    return _fresh(request, services.cancel(request.user, action_id, **payload.dict()))
