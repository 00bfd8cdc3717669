"""HTTP ↔ follow-up calls (回访): the queue, a call's result, the outcome."""

from datetime import datetime

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

    @staticmethod
    def resolve_order_number(task):
        return task.order.number

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


@router.get("/tasks", response={200: list[TaskOut], **ERRORS})
def tasks(request, status: str = "open", limit: int = 50):
    """The follow-up queue: tasks of orders in the caller's data scope, the next call due first."""
    return services.queue(request.user, status=status, limit=limit)


@router.post("/tasks/{int:task_id}/calls", response={201: CallOut, **ERRORS})
def record_call(request, task_id: Id, payload: CallIn):
    """A call made for the task (only within the calling hours)."""
    return Status(201, services.record_call(request.user, task_id, payload.result, note=payload.note))


@router.post("/tasks/{int:task_id}/outcome", response={200: TaskOut, **ERRORS})
def record_outcome(request, task_id: Id, payload: OutcomeIn):
    """What the customer said on the call that reached them."""
    task = services.record_outcome(request.user, task_id, payload.outcome, note=payload.note)
    return services.queue_row(task)
