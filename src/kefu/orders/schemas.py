from datetime import datetime

from ninja import Field, Schema

from kefu.contacts.models import Channel
from kefu.core.api import InputSchema, PageParams

from .models import CUSTOMER_SUMMARY_MAX, Kind, OrderEvent, OrderLink, Severity, Status

SUMMARY_HELP = "what the customer reads of the order (self-service, notices); title and description are internal"


class OrderIn(InputSchema):
    kind: Kind | None = Field(None, description="required unless the order is routed")
    title: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=10000)
    customer_summary: str = Field("", max_length=CUSTOMER_SUMMARY_MAX, description=SUMMARY_HELP)
    customer_id: int
    subscription_id: int | None = None
    category_id: int | None = None
    severity: Severity | None = Field(None, description="default: general, or the classifier's when routed")
    channel: Channel
    parent_id: int | None = None
    contact_id: int | None = Field(None, description="the contact that raised this order")
    route: bool | None = Field(None, description="classify, accept, dispatch and assign it now; default: the server's KEFU_AUTO_ROUTE. "
                                                 "With routing, kind and severity may be left out for the classifier to fill in")


class OrderPatch(InputSchema):
    # Leave a field out to keep it. `T = None` fields may not be null (their column cannot hold it: 422, not 500).
    version: int = Field(description="the version you read; a stale one gets 409")
    title: str = Field(None, min_length=1, max_length=200)
    description: str = Field(None, max_length=10000)
    customer_summary: str = Field(None, max_length=CUSTOMER_SUMMARY_MAX, description=SUMMARY_HELP)
    kind: Kind = None
    severity: Severity = None
    channel: Channel = None
    category_id: int | None = None
    subscription_id: int | None = None
    parent_id: int | None = None


class Ref(Schema):
    id: int
    code: str
    name: str


class UserRef(Schema):
    id: int
    username: str
    name: str

    @staticmethod
    def resolve_name(obj):
        return str(obj)


class OrderOut(Schema):
    id: int
    number: str
    kind: str
    category: Ref | None
    severity: str
    channel: str
    status: str
    customer_id: int
    subscription_id: int | None
    title: str
    description: str
    customer_summary: str = Field(description=SUMMARY_HELP + "; empty: the customer reads a neutral line instead")
    resolution: str
    owner: UserRef
    handler: UserRef | None
    department: Ref | None
    parent_id: int | None
    reopen_count: int
    repeat_count: int
    satisfaction: int | None
    needs_review: bool
    flagged: bool = Field(description="a triage rule put it before a complaint coordinator")
    tier: int = Field(description="escalation tier: 1 front office, 2 specialists, 3 experts / network operations")
    version: int
    created_at: datetime
    updated_at: datetime
    accepted_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    allowed_actions: list[str] = Field(description="what the caller may do next")


class SlaTargetOut(Schema):
    metric: str
    round: int
    calendar: str
    duration: str
    started_at: datetime
    due_at: datetime
    state: str = Field(description="running, paused, met (stopped) or cancelled")
    remaining_minutes: int | None = Field(description="own-time minutes left (working minutes for wm/wh/wd targets); negative when late")
    breached: bool
    stopped_at: datetime | None
    taken_minutes: int | None


class OrderDetailOut(OrderOut):
    sla: list[SlaTargetOut] = Field(description="each time limit's latest clock")


class OrderFilters(PageParams):
    status: list[Status] | None = Field(None, description="repeat for several")
    kind: list[Kind] | None = None
    category: int | None = None
    severity: list[Severity] | None = None
    channel: list[Channel] | None = None
    department: int | None = None
    handler: int | None = None
    owner: int | None = None
    customer: int | None = None
    subscription: int | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    updated_from: datetime | None = None
    updated_to: datetime | None = None
    q: str | None = Field(None, description="words of the title or description, or an order number: every word must "
                                            "match. With the default sort, the newest registered first and `count` "
                                            "up to 1,000 (`count_exact` false beyond)")
    breached: bool | None = Field(None, description="true: orders with a running time limit past its due time")
    due_within: int | None = Field(None, ge=1, le=60 * 24 * 366,
                                     description="orders with a running time limit due within this many minutes (at most a year)")
    sort: str = Field("-created_at", description="created_at, updated_at, number, severity, status or resolved_at; '-' for descending")


class EventOut(Schema):
    id: int
    order_number: str = Field(description="the order the event belongs to: this one, or a duplicate merged into it")
    at: datetime
    actor: UserRef | None
    action: str
    from_status: str
    to_status: str
    reason: str
    note: str
    visibility: OrderEvent.Visibility
    data: dict
    disputes_id: int | None

    @staticmethod
    def resolve_order_number(obj):
        return getattr(obj, "order_number", None) or obj.order.number


class NoteIn(InputSchema):
    note: str = Field("", max_length=5000)


class ReasonIn(NoteIn):
    reason: str = Field(max_length=500)


class AssignIn(NoteIn):
    department_id: int | None = None
    handler_id: int | None = None


class TierIn(ReasonIn):
    department_id: int | None = Field(None, description="default: the next tier of the current desk (escalate), "
                                                        "or the desk it was escalated from (de-escalate)")


ORDER_REF = "its order number as people type it (GD20261122000123; any case, full-width characters) or its id"


class MergeIn(ReasonIn):
    into: str | None = Field(None, max_length=40, coerce_numbers_to_str=True, description=f"the order that stays: {ORDER_REF}")
    into_id: int | None = Field(None, description="the order that stays, by its id (the older name of `into`; give one of the two)")


class ConfirmIn(NoteIn):
    """The customer's confirmation that the problem is solved, relayed by whoever heard it: only
    what the customer said, never the resolver's own view (the person who resolved the order is
    refused, 403). Recorded as feedback without a score; to record a score, use /feedback."""

    channel: Channel = Field(description="where the customer said it (hotline, online_chat, …)")
    note: str = Field("", max_length=5000, description="the customer's own words")


class TransferIn(ReasonIn):
    department_id: int
    handler_id: int | None = None


class WaitIn(ReasonIn):
    visibility: OrderEvent.Visibility = OrderEvent.Visibility.CUSTOMER


class AnswerIn(InputSchema):
    answer: str = Field(min_length=1, max_length=5000, description="what the customer said or sent")
    channel: Channel = Field(Channel.HOTLINE, description="where the answer came in")


class ResolveIn(NoteIn):
    resolution: str = Field(min_length=1, max_length=10000)


class HandoverIn(ReasonIn):
    new_owner_id: int


class ShiftHandoverIn(ReasonIn):
    new_owner_id: int = Field(ge=1, le=2**31 - 1)
    from_owner_id: int | None = Field(None, ge=1, le=2**31 - 1, description="whose orders; default: yours (others' need manage_any)")


class ShiftHandoverOut(Schema):
    handed_over: list[str] = Field(description="the numbers of the orders handed over")
    remaining: int = Field(description="orders still to hand over: call again")


class CommentIn(InputSchema):
    note: str = Field(min_length=1, max_length=5000)
    visibility: OrderEvent.Visibility = OrderEvent.Visibility.INTERNAL


class FeedbackIn(InputSchema):
    confirmed: bool = Field(description="does the customer agree the problem is solved?")
    score: int | None = Field(None, ge=1, le=10, description="satisfaction 1–10")
    comment: str = Field("", max_length=2000)
    channel: Channel = Channel.HOTLINE


class FeedbackOut(Schema):
    id: int
    confirmed: bool
    score: int | None
    satisfied: bool | None
    comment: str
    channel: str
    recorded_by_id: int | None
    resolution_event_id: int
    at: datetime


class LinkIn(InputSchema):
    target: str | None = Field(None, max_length=40, coerce_numbers_to_str=True, description=f"the other order: {ORDER_REF}")
    target_id: int | None = Field(None, description="the other order, by its id (the older name of `target`; give one of the two)")
    type: OrderLink.Type = OrderLink.Type.RELATED


class LinkOut(Schema):
    id: int
    source_id: int
    target_id: int
    type: str


class CategoryOut(Schema):
    id: int
    code: str
    name: str
    name_en: str
    parent_id: int | None
    kind: str
    problem_class: str
    is_active: bool


class DuplicateOut(Schema):
    order: OrderOut
    similarity: float = Field(description="0–1: the share of words the two texts have in common")
