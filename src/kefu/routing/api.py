"""HTTP ↔ routing.services: people's statuses and capacity, skills, dispatch rules, and each
department's tier and assignment strategy. Order actions (dispatch, escalate, …) are under
/orders."""

from datetime import datetime

from ninja import Field, Router, Schema
from ninja.responses import Status
from pydantic import field_validator

from kefu.contacts.models import Channel
from kefu.core.api import ERRORS, Id, InputSchema
from kefu.customers.models import Segment
from kefu.orders.models import Kind, Severity
from kefu.staff.models import Department, User

from . import services

router = Router(tags=["routing"])


class PresenceIn(InputSchema):
    presence: User.Presence
    reason: str = Field("", max_length=200)


class AgentPatch(InputSchema):
    capacity: int | None = Field(None, ge=0, le=1000)
    skill_ids: list[int] | None = None


class AgentOut(Schema):
    id: int
    username: str
    name: str
    department_id: int | None
    presence: str
    presence_since: datetime | None
    capacity: int
    open_orders: int = 0
    load: int = Field(0, description="open orders weighted by severity (KEFU_LOAD_WEIGHTS)")
    skills: list[str] = []
    last_assigned_at: datetime | None

    @staticmethod
    def resolve_name(obj):
        return str(obj)

    @staticmethod
    def resolve_skills(obj):
        return sorted(s.code for s in obj.skills.all())


class RuleIn(InputSchema):
    name: str = Field(min_length=1, max_length=100)
    position: int = Field(0, ge=0)
    is_active: bool = True
    kind: Kind | None = None
    category_id: int | None = None
    severity: Severity | None = None
    channel: Channel | None = None
    segment: Segment | None = None
    province: str = Field("", max_length=20)
    flagged: bool | None = None
    department_id: int


class RulePatch(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=100)
    position: int | None = Field(None, ge=0)
    is_active: bool | None = None
    kind: Kind | None = None
    category_id: int | None = None
    severity: Severity | None = None
    channel: Channel | None = None
    segment: Segment | None = None
    province: str | None = Field(None, max_length=20)
    flagged: bool | None = None
    department_id: int | None = None

    @field_validator("province")
    @classmethod
    def _any_province(cls, value):
        return "" if value is None else value  # null means any, as for the other criteria (a blank column)


class RuleOut(Schema):
    id: int
    name: str
    position: int
    is_active: bool
    kind: str
    category_id: int | None
    severity: str
    channel: str
    segment: str
    province: str
    flagged: bool | None
    department_id: int


class SkillIn(InputSchema):
    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=100)
    kind: Kind | None = None
    category_ids: list[int] = []
    member_ids: list[int] = []


class SkillPatch(InputSchema):
    code: str | None = Field(None, min_length=1, max_length=40)
    name: str | None = Field(None, min_length=1, max_length=100)
    kind: Kind | None = None
    category_ids: list[int] | None = None
    member_ids: list[int] | None = None


class SkillOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    category_ids: list[int]
    member_ids: list[int]

    @staticmethod
    def resolve_category_ids(obj):
        return sorted(c.pk for c in obj.categories.all())

    @staticmethod
    def resolve_member_ids(obj):
        return sorted(u.pk for u in obj.members.all())


class DepartmentRoutingIn(InputSchema):
    tier: Department.Tier | None = None
    escalates_to_id: int | None = None
    assignment: Department.Assignment | None = None
    offline_policy: Department.OfflinePolicy | None = None


class DepartmentRoutingOut(Schema):
    id: int
    code: str
    name: str
    tier: int
    escalates_to_id: int | None
    assignment: str
    offline_policy: str


@router.get("/agents", response={200: list[AgentOut], **ERRORS})
def agents(request, department: Id | None = None):
    """People who handle orders: status, capacity, open orders, load and skills."""
    return services.agents(request.user, department)


@router.put("/presence", response={200: AgentOut, **ERRORS})
def my_presence(request, payload: PresenceIn):
    """Set your own status: available, busy, away or offline."""
    return services.set_presence(request.user, request.user.pk, payload.presence, reason=payload.reason)


@router.put("/agents/{int:user_id}/presence", response={200: AgentOut, **ERRORS})
def presence(request, user_id: Id, payload: PresenceIn):
    """Set someone's status (supervisors)."""
    return services.set_presence(request.user, user_id, payload.presence, reason=payload.reason)


@router.patch("/agents/{int:user_id}", response={200: AgentOut, **ERRORS})
def update_agent(request, user_id: Id, payload: AgentPatch):
    return services.update_agent(request.user, user_id, **payload.dict(exclude_unset=True))


@router.post("/drain", response={200: dict, **ERRORS})
def drain(request, department: Id | None = None):
    """Hand queued orders to people with room now, instead of at the worker's next round."""
    return {"assigned": services.drain(department, actor=request.user)}


class RouteIn(InputSchema):
    order_ids: list[int] = Field(min_length=1, max_length=1000)
    classify: bool = Field(True, description="let the classifier and triage rules raise severity, flag and fill an empty category")


@router.post("/route", response={200: dict, **ERRORS})
def route_many(request, payload: RouteIn):
    """Classify, dispatch and assign a batch of waiting orders in one transaction (e.g. a
    backlog after an outage). Ids of orders no longer waiting, out of your data scope or not
    existing are skipped alike: only the orders assigned are listed."""
    done = services.route_many(request.user, payload.order_ids, classify=payload.classify)
    return {"assigned": [{"id": o.pk, "department_id": o.department_id, "handler_id": o.handler_id} for o in done]}


@router.get("/rules", response={200: list[RuleOut], **ERRORS})
def list_rules(request):
    """Dispatch rules in the order they are tried."""
    return services.list_rules(request.user)


@router.post("/rules", response={201: RuleOut, **ERRORS})
def create_rule(request, payload: RuleIn):
    return Status(201, services.save_rule(request.user, **payload.dict()))


@router.patch("/rules/{int:rule_id}", response={200: RuleOut, **ERRORS})
def update_rule(request, rule_id: Id, payload: RulePatch):
    return services.save_rule(request.user, rule_id, **payload.dict(exclude_unset=True))


@router.delete("/rules/{int:rule_id}", response={204: None, **ERRORS})
def delete_rule(request, rule_id: Id):
    services.delete_rule(request.user, rule_id)
    return Status(204, None)


@router.get("/skills", response={200: list[SkillOut], **ERRORS})
def list_skills(request):
    return services.list_skills(request.user)


@router.post("/skills", response={201: SkillOut, **ERRORS})
def create_skill(request, payload: SkillIn):
    return Status(201, services.save_skill(request.user, **payload.dict()))


@router.patch("/skills/{int:skill_id}", response={200: SkillOut, **ERRORS})
def update_skill(request, skill_id: Id, payload: SkillPatch):
    return services.save_skill(request.user, skill_id, **payload.dict(exclude_unset=True))


@router.patch("/departments/{int:department_id}", response={200: DepartmentRoutingOut, **ERRORS})
def configure_department(request, department_id: Id, payload: DepartmentRoutingIn):
    """A department's tier, the desk it escalates to, its assignment strategy and offline policy."""
    return services.configure_department(request.user, department_id, **payload.dict(exclude_unset=True))
