"""HTTP ↔ orders.services. Each closed-loop action is one endpoint; no rules here.

What other apps add to these endpoints — routing's registration and routed actions, the SLA's
time limits and list filters — comes through orders.extensions, where they register in their
AppConfig.ready(): this module imports none of them."""

from ninja import Query, Router
from ninja.responses import Status

from kefu.core.api import ERRORS, Id, Page, Text, paginate, versioned_changes

from . import extensions, services
from .schemas import (
    AnswerIn,
    AssignIn,
    CategoryOut,
    CommentIn,
    ConfirmIn,
    DuplicateOut,
    EventOut,
    FeedbackIn,
    FeedbackOut,
    HandoverIn,
    LinkIn,
    LinkOut,
    MergeIn,
    NoteIn,
    OrderDetailOut,
    OrderFilters,
    OrderIn,
    OrderOut,
    OrderPatch,
    ReasonIn,
    ResolveIn,
    ShiftHandoverIn,
    ShiftHandoverOut,
    TierIn,
    TransferIn,
    WaitIn,
)

router = Router(tags=["work orders"])
categories = Router(tags=["reference"])


def _out(request, order):
    """The order as the API shows it, with what this caller may do next."""
    order.allowed_actions = services.allowed_actions(order, request.user)
    return order


def _detail(request, order):
    """One order: also the state of each of its time limits."""
    order = _out(request, order)
    for name, value in extensions.detail(order).items():
        setattr(order, name, value)
    return order


@router.get("", response={200: Page[OrderOut], **ERRORS})
def list_orders(request, filters: Query[OrderFilters]):
    f = filters.dict(exclude={"page", "page_size", "breached", "due_within"})
    among, excluding = extensions.list_filters({"breached": filters.breached, "due_within": filters.due_within})
    page = paginate(services.search_orders(request.user, among=among, excluding=excluding, **f), filters)
    services.note_resolvers(page["results"])  # who may confirm: one query for the page
    page["results"] = [_out(request, o) for o in page["results"]]
    return page


@router.post("", response={201: OrderDetailOut, **ERRORS})
def create_order(request, payload: OrderIn):
    """Register an order. Routed (`route`, or KEFU_AUTO_ROUTE), it is also classified, accepted,
    dispatched and assigned; its create event records what the classifier and rules decided."""
    return Status(201, _detail(request, extensions.action("register", services.create_order)(request.user, **payload.dict())))


@router.get("/{int:order_id}", response={200: OrderDetailOut, **ERRORS})
def get_order(request, order_id: Id):
    return _detail(request, services.get_order(request.user, order_id))


@router.get("/by-number/{number}", response={200: OrderDetailOut, **ERRORS})
def get_order_by_number(request, number: Text):
    """One order by its number as people type it (GD20261122000123; any case, full-width
    characters); an id is accepted too. 404 when there is none or it is out of your scope."""
    return _detail(request, services.get_order(request.user, number))


@router.patch("/{int:order_id}", response={200: OrderDetailOut, **ERRORS})
def update_order(request, order_id: Id, payload: OrderPatch):
    version, changes = versioned_changes(payload)
    return _detail(request, services.update_order(request.user, order_id, version=version, changes=changes))


@router.get("/{int:order_id}/events", response={200: list[EventOut], **ERRORS})
def list_events(request, order_id: Id):
    """The complete history, oldest first."""
    return services.order_events(request.user, order_id)


@router.post("/{int:order_id}/accept", response={200: OrderDetailOut, **ERRORS})
def accept(request, order_id: Id, payload: NoteIn):
    return _detail(request, services.accept(request.user, order_id, **payload.dict()))


@router.post("/{int:order_id}/assign", response={200: OrderDetailOut, **ERRORS})
def assign(request, order_id: Id, payload: AssignIn):
    """派单 by hand; sent to a department alone, its assignment strategy picks the person."""
    return _detail(request, extensions.action("assign", services.assign)(request.user, order_id, **payload.dict()))


@router.post("/{int:order_id}/dispatch", response={200: OrderDetailOut, **ERRORS})
def dispatch(request, order_id: Id, payload: NoteIn):
    """派单 by the ordered dispatch rules: the first matching rule's department and, unless it
    assigns by hand, the person its strategy picks; the event names the rule and the choice."""
    return _detail(request, extensions.action("dispatch")(request.user, order_id, **payload.dict()))


@router.post("/{int:order_id}/auto-assign", response={200: OrderDetailOut, **ERRORS})
def auto_assign(request, order_id: Id, payload: NoteIn):
    """Give a queued order to the person its department's strategy picks (409 if nobody has room)."""
    return _detail(request, extensions.action("auto_assign")(request.user, order_id, **payload.dict()))


@router.post("/{int:order_id}/requeue", response={200: OrderDetailOut, **ERRORS})
def requeue(request, order_id: Id, payload: ReasonIn):
    """Take the order from its handler and put it back in the department's queue."""
    return _detail(request, services.requeue(request.user, order_id, **payload.dict()))


@router.post("/{int:order_id}/escalate", response={200: OrderDetailOut, **ERRORS})
def escalate(request, order_id: Id, payload: TierIn):
    """升级 to a higher tier (front office → specialists → experts / network operations)."""
    return _detail(request, extensions.action("escalate", services.escalate)(request.user, order_id, **payload.dict()))


@router.post("/{int:order_id}/deescalate", response={200: OrderDetailOut, **ERRORS})
def deescalate(request, order_id: Id, payload: TierIn):
    """降级 back to a lower tier."""
    return _detail(request, extensions.action("deescalate", services.deescalate)(request.user, order_id, **payload.dict()))


@router.get("/{int:order_id}/duplicates", response={200: list[DuplicateOut], **ERRORS})
def duplicates(request, order_id: Id):
    """Likely duplicates: the customer's unfinished orders about the same service, with similar text."""
    return [{"order": _out(request, o), "similarity": s} for o, s in services.likely_duplicates(request.user, order_id)]


@router.post("/{int:order_id}/merge", response={200: OrderDetailOut, **ERRORS})
def merge(request, order_id: Id, payload: MergeIn):
    """Merge this order (a duplicate) into `into` (its number or id; `into_id` still works); both
    histories are kept. Returns the merged order."""
    return _detail(request, services.merge(request.user, order_id, **payload.dict()))


@router.post("/{int:order_id}/transfer", response={200: OrderDetailOut, **ERRORS})
def transfer(request, order_id: Id, payload: TransferIn):
    """转派 to another department; without a handler, its assignment strategy picks one."""
    return _detail(request, extensions.action("transfer", services.transfer)(request.user, order_id, **payload.dict()))


@router.post("/{int:order_id}/claim", response={200: OrderDetailOut, **ERRORS})
def claim(request, order_id: Id, payload: NoteIn):
    return _detail(request, services.claim(request.user, order_id, **payload.dict()))


@router.post("/{int:order_id}/release", response={200: OrderDetailOut, **ERRORS})
def release(request, order_id: Id, payload: NoteIn):
    return _detail(request, services.release(request.user, order_id, **payload.dict()))


@router.post("/{int:order_id}/start", response={200: OrderDetailOut, **ERRORS})
def start(request, order_id: Id, payload: NoteIn):
    return _detail(request, services.start(request.user, order_id, **payload.dict()))


@router.post("/{int:order_id}/wait", response={200: OrderDetailOut, **ERRORS})
def wait(request, order_id: Id, payload: WaitIn):
    return _detail(request, services.wait_for_customer(request.user, order_id, **payload.dict()))


@router.post("/{int:order_id}/resume", response={200: OrderDetailOut, **ERRORS})
def resume(request, order_id: Id, payload: NoteIn):
    return _detail(request, services.resume(request.user, order_id, **payload.dict()))


@router.post("/{int:order_id}/answer", response={200: OrderDetailOut, **ERRORS})
def answer(request, order_id: Id, payload: AnswerIn):
    """The customer's answer to what the handler asked: the order goes on."""
    return _detail(request, services.record_answer(request.user, order_id, **payload.dict()))


@router.post("/{int:order_id}/resolve", response={200: OrderDetailOut, **ERRORS})
def resolve(request, order_id: Id, payload: ResolveIn):
    return _detail(request, services.resolve(request.user, order_id, **payload.dict()))


@router.post("/{int:order_id}/confirm", response={200: OrderDetailOut, **ERRORS})
def confirm(request, order_id: Id, payload: ConfirmIn):
    """Record the customer's confirmation that the problem is solved, as relayed from them: the
    channel they said it on and their words. Calling this states that the customer confirmed."""
    return _detail(request, services.confirm(request.user, order_id, customer_confirmed=True, **payload.dict()))


@router.post("/{int:order_id}/close", response={200: OrderDetailOut, **ERRORS})
def close(request, order_id: Id, payload: NoteIn):
    return _detail(request, services.close(request.user, order_id, **payload.dict()))


@router.post("/{int:order_id}/reject", response={200: OrderDetailOut, **ERRORS})
def reject(request, order_id: Id, payload: ReasonIn):
    return _detail(request, services.reject(request.user, order_id, **payload.dict()))


@router.post("/{int:order_id}/cancel", response={200: OrderDetailOut, **ERRORS})
def cancel(request, order_id: Id, payload: ReasonIn):
    return _detail(request, services.cancel(request.user, order_id, **payload.dict()))


@router.post("/{int:order_id}/reopen", response={200: OrderDetailOut, **ERRORS})
def reopen(request, order_id: Id, payload: ReasonIn):
    return _detail(request, services.reopen(request.user, order_id, **payload.dict()))


@router.post("/{int:order_id}/handover", response={200: OrderDetailOut, **ERRORS})
def handover(request, order_id: Id, payload: HandoverIn):
    return _detail(request, services.handover(request.user, order_id, **payload.dict()))


@router.post("/handover", response={200: ShiftHandoverOut, **ERRORS})
def hand_over_shift(request, payload: ShiftHandoverIn):
    """交接班: hand over first-contact ownership of all your orders still open, resolved or
    confirmed (500 at a time, each with its own handover event; call again while some remain)."""
    done, remaining = services.hand_over_shift(request.user, **payload.dict())
    return {"handed_over": [o.number for o in done], "remaining": remaining}


@router.post("/{int:order_id}/comments", response={201: EventOut, **ERRORS})
def comment(request, order_id: Id, payload: CommentIn):
    return Status(201, services.add_comment(request.user, order_id, **payload.dict()))


@router.post("/{int:order_id}/feedback", response={201: FeedbackOut, **ERRORS})
def feedback(request, order_id: Id, payload: FeedbackIn):
    """The customer's confirmation or dispute and 1–10 score; may reopen the order."""
    return Status(201, services.record_feedback(request.user, order_id, **payload.dict()))


@router.get("/{int:order_id}/feedback", response={200: list[FeedbackOut], **ERRORS})
def list_feedback(request, order_id: Id):
    return services.get_order(request.user, order_id).feedback.all()


@router.post("/{int:order_id}/links", response={201: LinkOut, **ERRORS})
def link(request, order_id: Id, payload: LinkIn):
    """Link this order to `target` (its number or id; `target_id` still works)."""
    return Status(201, services.link(request.user, order_id, **payload.dict()))


@categories.get("/categories", response={200: list[CategoryOut], **ERRORS})
def list_categories(request, kind: Text | None = None):
    return services.active_categories(kind)
