"""Work order rules. Every state change is one function here: it locks the row, checks the
state, the permission and the preconditions, changes the order and appends one event — or
raises and changes nothing (each function runs in one transaction). Action functions return
the changed order, with the event they wrote as `order.last_event`.

By action family (as Zulip's zerver/actions/); callers import from here
(`from kefu.orders import services as orders`), which names the public face:

- transitions.py — the machinery every action goes through (`_begin`, `_finish`, `_event`,
  `_refusal`, `_locked`), `allowed_actions`, who resolved an order; imports no other module here
- words.py — the word index and the search that reads it (decision 0022)
- queries.py — reading orders: `get_order`, `find_order`, `search_orders`, history, links
- registration.py — registering and editing: `create_order`, `update_order`, `customer_text`
- ownership.py — first-contact ownership: `handover`, `hand_over_shift`, `_adopt`
- assignment.py — who handles it: `assign`, `assign_many`, escalation, `transfer`, `claim`
- lifecycle.py — the closed loop's steps: `accept` … `resolve`, `confirm`, `close`, `reopen`
- feedback.py — the customer's answer to a resolution: `record_feedback`, `auto_confirm_due`
- links.py — orders and one another: `merge`, `link`, `add_comment`
- queues.py — the lists people work from: `queue`, the board, the landing page's counts

Names starting with an underscore are the package's own, imported by its modules from where
they are defined. A constant is read in its module: a test that changes one patches it there
(`monkeypatch.setattr(services.words, "SEARCH_BUDGET", …)`).
"""

from .assignment import assign, assign_many, claim, deescalate, escalate, release, requeue, transfer
from .feedback import auto_confirm_due, record_feedback
from .lifecycle import (
    accept,
    cancel,
    close,
    confirm,
    record_answer,
    reject,
    reopen,
    resolve,
    resume,
    start,
    wait_for_customer,
)
from .links import add_comment, link, merge
from .ownership import SHIFT_HANDOVER_BATCH, hand_over_shift, handover
from .queries import (
    MAX_ID,
    ORDER_SORTS,
    active_categories,
    customer_history,
    customer_of_number,
    find_order,
    get_order,
    likely_duplicates,
    links_of,
    order_events,
    order_queryset,
    search_orders,
)
from .queues import (
    LIST_DEFERRED,
    QUEUES,
    SLA_STATES,
    board,
    board_charts,
    board_lists,
    my_queue_counts,
    queue,
    sla_colour,
)
from .registration import (
    REFERENCE_FIELDS,
    UPDATABLE_FIELDS,
    can_edit,
    create_order,
    customer_text,
    move_to_customer,
    order_number,
    set_customer_summary,
    update_order,
)
from .transitions import (
    RESOLVER_CANNOT_CONFIRM,
    TERMINAL,
    allowed_actions,
    note_resolvers,
    resolver_id,
)
from .words import (
    MAX_SEARCH_WORDS,
    SEARCH_BUDGET,
    SEARCH_COUNT_CAP,
    SEARCH_MIN_BATCH,
    ListedByIds,
    WordSearch,
    index_words,
    reindex_words,
    search_words,
    with_words,
    words_of,
)

__all__ = [
    # transitions
    "RESOLVER_CANNOT_CONFIRM", "TERMINAL", "allowed_actions", "note_resolvers", "resolver_id",
    # words
    "MAX_SEARCH_WORDS", "SEARCH_BUDGET", "SEARCH_COUNT_CAP", "SEARCH_MIN_BATCH", "ListedByIds", "WordSearch",
    "index_words", "reindex_words", "search_words", "with_words", "words_of",
    # queries
    "MAX_ID", "ORDER_SORTS", "active_categories", "customer_history", "customer_of_number", "find_order",
    "get_order", "likely_duplicates", "links_of", "order_events", "order_queryset", "search_orders",
    # registration
    "REFERENCE_FIELDS", "UPDATABLE_FIELDS", "can_edit", "create_order", "customer_text", "move_to_customer",
    "order_number", "set_customer_summary", "update_order",
    # ownership
    "SHIFT_HANDOVER_BATCH", "hand_over_shift", "handover",
    # assignment
    "assign", "assign_many", "claim", "deescalate", "escalate", "release", "requeue", "transfer",
    # lifecycle
    "accept", "cancel", "close", "confirm", "record_answer", "reject", "reopen", "resolve", "resume", "start",
    "wait_for_customer",
    # feedback
    "auto_confirm_due", "record_feedback",
    # links
    "add_comment", "link", "merge",
    # queues
    "LIST_DEFERRED", "QUEUES", "SLA_STATES", "board", "board_charts", "board_lists", "my_queue_counts", "queue",
    "sla_colour",
]
