"""HTTP ↔ follow-up calls (回访): the queue, a call's result, the outcome."""

from datetime import datetime
from typing import Any

from ninja import Field, Router, Schema
from ninja.responses import Status

from kefu.core.api import ERRORS, Id

from . import services

router = Router(tags=["follow-up"])


class TaskOut(Schema):
    id: int
    order_id: int
    order_number: str
    reason: str = Field(description="complaint, reopened, low_score, key_customer or sample")
    reason_label: str
    status: str = Field(description="open, done or cancelled")
    status_label: str
    due_at: datetime
    next_call_at: datetime | None
    attempts: int
    outcome: str = Field(description="satisfied, dissatisfied, recurred, unreachable, refused, or \"\" while open")
    outcome_label: str
    assignee_id: int | None
    customer_name: str = Field(description="the customer's name, masked")

    @staticmethod
    def resolve_order_number(task):
        return task.order.number

    @staticmethod
    def resolve_customer_name(task):
        customer = task.order.customer
        return customer.masked_name if customer is not None else ""

    @staticmethod
    def resolve_reason_label(task):
        return str(task.get_reason_display())

    @staticmethod
    def resolve_status_label(task):
        return str(task.get_status_display())

    @staticmethod
    def resolve_outcome_label(task):
        return str(task.get_outcome_display()) if task.outcome else ""


class CallIn(Schema):
    result: str = Field(description="reached, no_answer, busy or wrong_number")
    note: str = Field("", max_length=2000)


class CallOut(Schema):
    id: int
    task_id: int
    at: datetime
    result: str
    note: str


class OutcomeIn(Schema):
    outcome: str = Field(description="satisfied, dissatisfied, recurred or refused (unreachable follows from the calls)")
    note: str = Field("", max_length=2000)
    answers: dict[str, Any] | None = Field(None, description=(
        "the customer's answers to the active post-resolution questionnaire asked on the call, {question id: "
        "score, option(s) or text}: stored as survey answers on the phone channel, all or none with the outcome"))
    reached: bool = Field(False, description="record the call that reached the customer with the outcome, unless one was")


@router.get("/tasks", response={200: list[TaskOut], **ERRORS})
def tasks(request, status: str = "open", reason: str = "", which: str = "all", limit: int = 50):
    """The follow-up queue: tasks of orders in the caller's data scope (which=mine: the caller's
    and the unassigned ones), the caller's first, then the unassigned; the next call due first."""
    return services.queue(request.user, status=status, reason=reason, which=which, limit=limit)


@router.post("/tasks/{int:task_id}/claim", response={200: TaskOut, **ERRORS})
def claim(request, task_id: Id):
    """Take an unassigned open task (领取) to make its calls."""
    return services.queue_row(services.claim(request.user, task_id))


@router.post("/tasks/{int:task_id}/calls", response={201: CallOut, **ERRORS})
def record_call(request, task_id: Id, payload: CallIn):
    """A call made for the task (only within the calling hours)."""
    return Status(201, services.record_call(request.user, task_id, payload.result, note=payload.note))


@router.post("/tasks/{int:task_id}/outcome", response={200: TaskOut, **ERRORS})
def record_outcome(request, task_id: Id, payload: OutcomeIn):
    """What the customer said on the call that reached them."""
    task = services.record_outcome(request.user, task_id, payload.outcome, note=payload.note, answers=payload.answers,
                                   reached=payload.reached)
    return services.queue_row(task)
