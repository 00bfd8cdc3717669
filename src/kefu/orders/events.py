"""Order events as one hook (decision 0024).

Every event of a work order is written through this module — `record` (one), `record_many` (a
batch), and the orders services' own actions, which call them — and `publish`ed to the apps that
react to orders. Those apps subscribe in their AppConfig.ready(); orders imports none of them.

Two phases:

- "transaction" — `subscribe(handler, phase="transaction")`: `handler(pairs)`, a list of
  (order, event), called inside the transaction that wrote the events, in the order the apps
  subscribed (INSTALLED_APPS). For what must commit or fail with the order: the SLA clocks, the
  notifications of the people concerned. A handler that raises rolls the order back.
- "after" — `subscribe_after(name, handler)`: `handler(events)`, a list of OrderEvent in id
  order, once they have committed, from `drain` (the worker's periodic task, and right after a
  commit that wrote events, for low latency). For what must never block or roll back an order:
  rollups, follow-up, quality sampling, emergency linking.

The "after" phase reads OrderEvent itself as its outbox (it is append-only): nothing more is
written with an order. Each consumer has an EventConsumer row: every event up to its
`position` is handled, and each event handled above it has an EventReceipt (unique per
consumer and event), written in the transaction of the handler's own writes. Ids are taken when
a row is inserted, not when it commits, so an event with a lower id may commit after a higher
one has been handled: the position therefore only moves up to a `mark` — the highest id seen at
some moment — once KEFU_EVENTS_SETTLE_SECONDS have passed since, when every id up to it has
committed or never will (no transaction writing order events lasts that long). Until then the
receipts keep handled events from being handled again, and an event that commits late is
still above the position, so it is found. A handler may still run twice for one event when its
effects are outside the database (a crash between them and the commit): handlers must be safe
to run twice.
"""

import logging
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone

from .models import EventConsumer, EventReceipt, OrderEvent

log = logging.getLogger("kefu.orders")

TRANSACTION, AFTER = "transaction", "after"
BATCH = 500  # events per "after" batch: one transaction each

_in_transaction: list[Callable] = []
_after: dict[str, tuple[Callable, bool]] = {}  # name -> (handler, history)


# --- subscribing ---------------------------------------------------------------------------

def subscribe(handler: Callable, *, phase: str, name: str | None = None, history: bool = True) -> None:
    """Have HANDLER hear of every order event in PHASE ("transaction" or "after"; an "after"
    consumer needs a NAME: see subscribe_after). Subscribing twice changes nothing."""
    if phase == TRANSACTION:
        if handler not in _in_transaction:
            _in_transaction.append(handler)
    elif phase == AFTER:
        if not name:
            raise ValueError("an 'after' consumer needs a name: its position is kept under it")
        subscribe_after(name, handler, history=history)
    else:
        raise ValueError(f"unknown phase {phase!r}: {TRANSACTION!r} or {AFTER!r}")


class Defer(Exception):
    """Raised by an "after" handler that cannot handle events yet (e.g. its tables are being
    rebuilt): the batch is left for a later drain, logged as a wait rather than an error."""


def subscribe_after(name: str, handler: Callable, *, history: bool = True) -> None:
    """Have HANDLER(events) handle the committed order events, as the consumer NAME (its
    position and receipts are kept under that name, so never rename a consumer). A consumer new
    to a database starts at its first event, or, HISTORY False, at its latest."""
    current = _after.get(name)
    if current is not None and current[0] is not handler:
        raise ValueError(f"another handler already consumes order events as {name!r}")
    _after[name] = (handler, history)


def unsubscribe(handler: Callable | None = None, *, name: str | None = None) -> None:
    """Stop HANDLER (transaction phase) or the consumer NAME (after phase) hearing of events."""
    if handler in _in_transaction:
        _in_transaction.remove(handler)
    if name is not None:
        _after.pop(name, None)


# --- writing and publishing ----------------------------------------------------------------

def record(order, actor, action: str, from_status: str, to_status: str, *, reason="", note="", visibility="internal",
           data=None, disputes=None, at=None) -> OrderEvent:
    """Append one event to ORDER's history and publish it: the one way any app writes an
    OrderEvent. ACTOR: the person, their id, or None for the system; AT: now unless given."""
    event = OrderEvent.objects.create(**_fields(order, actor, action, from_status, to_status, reason=reason, note=note,
                                                visibility=visibility, data=data, disputes=disputes, at=at))
    publish([(order, event)])
    return event


def record_many(rows: list[dict]) -> list[OrderEvent]:
    """Append many events in one INSERT and publish them together (batches: routing's
    assignments, the escalation scan). Each row: record()'s arguments by name (order, actor,
    action, from_status, to_status and any of the others)."""
    events = [OrderEvent(**_fields(**row)) for row in rows]
    if events:
        OrderEvent.objects.bulk_create(events)
        publish([(row["order"], event) for row, event in zip(rows, events, strict=True)])
    return events


def _fields(order, actor, action, from_status, to_status, *, reason="", note="", visibility="internal", data=None,
            disputes=None, at=None) -> dict:
    who = {"actor_id": actor} if isinstance(actor, int) else {"actor": actor}
    return {"order": order, "at": at or timezone.now(), "action": action, "from_status": from_status, "to_status": to_status,
            "reason": (reason or "").strip()[:500], "note": note or "", "visibility": visibility, "data": data or {},
            "disputes": disputes, **who}


def publish(pairs) -> None:
    """Hand PAIRS [(order, event)], just written, to the transaction phase's handlers, and have
    the "after" consumers drained once the transaction commits. Events written without
    record()/record_many() (bulk_create sends no signals) must come through here."""
    pairs = list(pairs)
    if not pairs:
        return
    for handler in tuple(_in_transaction):
        handler(pairs)
    if _after and settings.KEFU_EVENTS_DRAIN_ON_COMMIT:
        _drain_on_commit()


def _drain_on_commit() -> None:
    """One in-process drain after the current transaction commits, however many events it wrote."""
    connection = transaction.get_connection()
    if not any(entry[1] is _drain_soon for entry in connection.run_on_commit):
        transaction.on_commit(_drain_soon, robust=True)


def _drain_soon() -> None:
    """After a commit: drain what no other process is draining right now (the worker's
    periodic drain catches up on the rest). A failing consumer is logged, never raised into
    the request whose events it missed."""
    try:
        drain(wait=False)
    except Exception:
        log.warning("order events left for the worker's drain", exc_info=True)


# --- the "after" phase ---------------------------------------------------------------------

def drain(name: str | None = None, *, limit: int = BATCH, wait: bool = True) -> int:
    """Hand each "after" consumer (or only NAME) the committed events it has not handled, LIMIT
    at a time, each batch in a transaction of its own. WAIT False: skip a consumer that another
    process is draining at this moment instead of waiting for it. Returns how many events were
    handled. A consumer whose handler raises stays where it was (its batch rolled back); the
    others go on, and the first error is raised at the end."""
    names = [name] if name is not None else list(_after)
    total, failure = 0, None
    for consumer_name in names:
        handler, history = _after[consumer_name]
        try:
            while True:
                handled = _drain_batch(consumer_name, handler, history, limit, wait)
                total += handled or 0
                if handled is None or handled < limit:
                    break
        except Defer as exc:
            log.info("order event consumer %s waits: %s", consumer_name, exc)
        except Exception as exc:
            log.error("order event consumer %s failed; it will try again", consumer_name, exc_info=True)
            failure = failure or exc
    if failure is not None:
        raise failure
    return total


def _drain_batch(name, handler, history, limit, wait) -> int | None:
    """One batch for the consumer NAME; None when another process holds it (WAIT False)."""
    with transaction.atomic():
        consumer = _lock(name, history, wait)
        if consumer is None:
            return None
        now = timezone.now()
        if consumer.mark is None:
            consumer.mark, consumer.marked_at = _latest_id(), now
        settled = consumer.marked_at <= now - timedelta(seconds=settings.KEFU_EVENTS_SETTLE_SECONDS)
        receipts = EventReceipt.objects.filter(consumer=consumer, event_id=OuterRef("pk"))
        batch = list(OrderEvent.objects.filter(pk__gt=consumer.position).exclude(Exists(receipts)).order_by("pk")[:limit])
        if batch:
            handler(batch)
        position = consumer.position
        if settled:
            # Every id up to the mark has committed or never will: what is not handled below
            # the mark (and below the last event of a full batch) does not exist.
            position = max(position, consumer.mark if len(batch) < limit else min(consumer.mark, batch[-1].pk))
        EventReceipt.objects.bulk_create([EventReceipt(consumer=consumer, event_id=e.pk) for e in batch if e.pk > position])
        if position > consumer.position:
            EventReceipt.objects.filter(consumer=consumer, event_id__lte=position).delete()
            consumer.position = position
        if settled and consumer.position >= consumer.mark:
            consumer.mark, consumer.marked_at = max(_latest_id(), consumer.position), now
        consumer.drained_at = now
        consumer.save()
    return len(batch)


def covered(name: str, upto: int) -> None:
    """Every order event up to id UPTO has been taken into account by the consumer NAME by its
    own means (a rebuild of its tables that read every order after those events committed): its
    position moves up to UPTO (never down), so a drain does not hand them to it again. In the
    caller's transaction."""
    with transaction.atomic():
        consumer = _lock(name, _after.get(name, (None, True))[1], True)
        if consumer is None or upto <= consumer.position:
            return
        consumer.position = upto
        EventReceipt.objects.filter(consumer=consumer, event_id__lte=upto).delete()
        if consumer.mark is not None and consumer.mark < upto:
            consumer.mark, consumer.marked_at = upto, timezone.now()
        consumer.save()


def settled_latest_id():
    """The highest id of the order events recorded more than KEFU_EVENTS_SETTLE_SECONDS ago:
    every event up to it has committed by now or never will (see the module's docstring)."""
    cutoff = timezone.now() - timedelta(seconds=settings.KEFU_EVENTS_SETTLE_SECONDS)
    return OrderEvent.objects.filter(at__lt=cutoff).order_by("-pk").values_list("pk", flat=True).first() or 0


def _lock(name, history, wait) -> EventConsumer | None:
    """The consumer's row, locked for this transaction (created on its first drain)."""
    rows = EventConsumer.objects.select_for_update(skip_locked=not wait).filter(name=name)
    consumer = rows.first()
    if consumer is None:
        try:
            with transaction.atomic():
                EventConsumer.objects.create(name=name, position=0 if history else _latest_id())
        except IntegrityError:
            pass  # another process created it just now
        consumer = rows.first()
    return consumer


def _latest_id() -> int:
    return OrderEvent.objects.aggregate(latest=Max("pk"))["latest"] or 0
