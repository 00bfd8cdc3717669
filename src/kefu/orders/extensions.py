"""What other apps add to the orders' own endpoints, registered in their AppConfig.ready() as
they subscribe to order events (decision 0024): orders imports none of them.

- routing **takes over** registration and the actions it routes (`takes_over`): an order the
  API registers is classified, accepted, dispatched and assigned, and assign, dispatch,
  auto-assign, escalate, de-escalate and transfer are followed by assignment.
- the SLA **adds to an order's detail** (`adds_detail`: its time limits) and **filters the list**
  (`filters_list`: breached, due within N minutes) by the ids it names.
- follow-up **guards the close** (`guards_close`: a complaint is archived only after its
  follow-up call): the close action refuses while any guard names a reason (`close_refusals`).

Without the app that provides an action, the endpoint answers what the orders services do on
their own (registration, assign, escalate, de-escalate, transfer) or 404 (dispatch and
auto-assign exist only with routing).
"""

from collections.abc import Callable

from django.utils.translation import gettext as _

from kefu.core.errors import NotFound

_actions: dict[str, Callable] = {}
_details: dict[str, Callable] = {}
_filters: dict[str, Callable] = {}
_close_guards: dict[str, Callable] = {}


def takes_over(action: str, service: Callable) -> None:
    """SERVICE(actor, …) does ACTION ("register", "assign", "dispatch", …) for the orders' API."""
    _actions[action] = service


def action(name: str, default: Callable | None = None) -> Callable:
    """The service that does the action NAME: the one an app took it over with, else DEFAULT."""
    service = _actions.get(name, default)
    if service is None:
        raise NotFound(_("This action is not available in this installation."))
    return service


def adds_detail(name: str, part: Callable) -> None:
    """PART(order) is shown as NAME on one order's detail."""
    _details[name] = part


def detail(order) -> dict:
    """The parts other apps add to ORDER's detail, by name."""
    return {name: part(order) for name, part in _details.items()}


def filters_list(name: str, ids: Callable) -> None:
    """The list's filter NAME: IDS(value) -> (ids the list keeps, or None; ids it leaves out, or None)."""
    _filters[name] = ids


def list_filters(values: dict) -> tuple[list, list]:
    """(among, excluding) id sets for the filters given in VALUES (name -> value; None: not given)."""
    among, excluding = [], []
    for name, value in values.items():
        if value is None or value == "" or name not in _filters:
            continue
        keep, leave = _filters[name](value)
        if keep is not None:
            among.append(keep)
        if leave is not None:
            excluding.append(leave)
    return among, excluding


def guards_close(name: str, guard: Callable) -> None:
    """GUARD(order) -> the reason ORDER may not be closed (归档) yet, in words, or None."""
    _close_guards[name] = guard


def close_refusals(order) -> list[str]:
    """Why ORDER may not be closed yet: the reasons of the guards that refuse, in the order they
    registered (none: it may be closed)."""
    return [str(reason) for guard in _close_guards.values() if (reason := guard(order))]
