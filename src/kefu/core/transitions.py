"""State machines as data, and the one way to take a step in one.

An app's states.py declares, for each action, the statuses it may start from, the status it
leads to (None: it stays, e.g. a note added to an open case), the permissions it needs, and
why it is refused from the statuses it does not start from. The app's services describe the
whole machine once (`Machine`: the model, the table, the data scope its rows are read through
and how a step is recorded) and build each action on one pair:

    obj = begin(MACHINE, actor, pk, "contain")   # checks, reads, locks, or raises
    ...                                          # the action's own checks and changes
    finish(MACHINE, obj, actor, "contain", note=note)

`begin` checks, in this order, and raises the first failure with nothing written:

1. the actor holds the action's permissions (Forbidden), before any row is read, so someone
   without them learns nothing about any id;
2. the row exists in the actor's data scope, locked FOR UPDATE (NotFound, the same for a
   row out of scope as for a missing one), and is at the VERSION the caller read (Conflict
   with the current version);
3. the action fits the object at all (the transition's `fits`, e.g. a request of another
   kind) and starts from its status (InvalidTransition naming the status and the actions the
   actor may take instead).

`finish` moves the object to the action's target, bumps its version, saves it and records the
step through the machine's `record`. Two steps racing for one row are serialised by the lock:
the second reads what the first wrote and is refused by its version or its status (409).

The actor None is the system itself (workers): it holds every permission and sees every row.

Used by privacy and security; emergencies is to build on it. The orders table
(orders/states.py) predates it: to adopt it, orders would keep their actor rules (handler,
first-contact owner), the claim checks and the required reason as checks after `begin`, pass
their `_event` as `record`, and accept that the permission is then checked before the status.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model
from django.utils.translation import gettext as _

from .errors import InvalidTransition
from .services import get_or_404, lock_version, require


@dataclass(frozen=True)
class Transition:
    sources: frozenset
    target: str | None  # None: the status stays as it is
    permissions: tuple[str, ...]
    # Why the action is refused from a status it does not start from; the machine's
    # `refusals` answer for the statuses not named here.
    refusals: Mapping[Any, Any] = field(default_factory=dict)  # {status: message}
    # fits(obj) -> None, or why the action does not apply to OBJ at all, whatever its status
    # (a request of another kind); checked before the status.
    fits: Callable[[Any], Any] | None = None


def transition(sources, target, *permissions, refusals=None, fits=None) -> Transition:
    return Transition(frozenset(sources), target, tuple(permissions), refusals or {}, fits)


@dataclass(frozen=True)
class Machine:
    model: type[Model]
    transitions: Mapping[str, Transition]
    # scope(user, queryset) -> the rows USER may see (kefu.scopes.restrict), or None for rows
    # every holder of the permission sees (organisation-wide records). Required: a machine
    # says which it is.
    scope: Callable | None
    # record(obj, actor, action, from_status, **history): writes the step in the object's
    # history (an audit entry, a step row, an order event).
    record: Callable
    # Why actions are refused from a status, for those the transition does not word itself.
    refusals: Mapping[Any, Any] = field(default_factory=dict)  # {status: message}
    status_field: str = "status"

    def status(self, obj) -> str:
        return getattr(obj, self.status_field)


def _permitted(user, t: Transition) -> bool:
    return user is None or all(user.has_perm(p) for p in t.permissions)


def why_not(machine: Machine, obj, action: str) -> str | None:
    """Why ACTION does not apply to OBJ as it is now (its kind, its status); None when it does."""
    t = machine.transitions[action]
    if t.fits is not None and (reason := t.fits(obj)):
        return str(reason)
    status = machine.status(obj)
    if status in t.sources:
        return None
    reason = t.refusals.get(status) or machine.refusals.get(status)
    if reason:
        return str(reason)
    return _("Not allowed while the %(what)s is %(state)s.") % {
        "what": machine.model._meta.verbose_name, "state": getattr(obj, f"get_{machine.status_field}_display")()}


def allowed_actions(machine: Machine, obj, user) -> list[str]:
    """The actions USER may take on OBJ now, in the table's order."""
    return [a for a, t in machine.transitions.items() if _permitted(user, t) and why_not(machine, obj, a) is None]


def invalid(machine: Machine, obj, user, message) -> InvalidTransition:
    """The 409 for a step OBJ's state does not allow: MESSAGE, the status and what USER may do."""
    return InvalidTransition(message, state=machine.status(obj), allowed_actions=allowed_actions(machine, obj, user))


def begin(machine: Machine, actor, pk, action: str, *, version: int | None = None, lock: bool = True):
    """The row PK, read for ACTION by ACTOR: checked (permission, scope, VERSION when given,
    the action's fit and source status) and locked FOR UPDATE, unless LOCK is false and no
    VERSION is given (a read-only action outside a transaction); else the first failure is
    raised. See the module's doc."""
    t = machine.transitions[action]
    if actor is not None:
        for perm in t.permissions:
            require(actor, perm)
    rows = machine.model._default_manager.all()
    if machine.scope is not None:
        rows = machine.scope(actor, rows)
    if version is not None:
        obj = lock_version(machine.model, pk, version, queryset=rows)
    else:
        obj = get_or_404(machine.model, pk, lock=lock, queryset=rows)
    if reason := why_not(machine, obj, action):
        raise invalid(machine, obj, actor, reason)
    return obj


def finish(machine: Machine, obj, actor, action: str, **history):
    """OBJ moved by ACTION (to its target, if it has one), its version bumped, saved, and the
    step recorded with HISTORY; returns OBJ."""
    from_status = machine.status(obj)
    target = machine.transitions[action].target
    if target is not None:
        setattr(obj, machine.status_field, target)
    obj.version += 1
    obj.save()
    machine.record(obj, actor, action, from_status, **history)
    return obj
