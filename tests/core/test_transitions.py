"""kefu.core.transitions, the one way to take a step in a states table: permission before any
row is read, the row through the data scope and locked, the version the caller read, the fit
and the source status, then the move, the version bump and the recorded step.

The machine here is a table of its own over privacy requests (a scoped, versioned model), so
these tests are about the helper, not about privacy's rules."""

import threading
import time

import pytest
from django.contrib.auth.models import Permission
from django.db import connection, transaction

from kefu import scopes
from kefu.core.errors import Conflict, Forbidden, InvalidTransition, NotFound
from kefu.core.transitions import Machine, allowed_actions, begin, finish, transition
from kefu.privacy import services as privacy
from kefu.privacy.models import PrivacyRequest
from kefu.staff import roles
from kefu.staff.models import User

R = PrivacyRequest.Status
CHANGE, HANDLE = "privacy.change_privacyrequest", "privacy.handle_privacyrequest"
NONE = 987_654_321  # no row has this id

TABLE = {
    "go": transition([R.RECEIVED], R.IN_PROGRESS, CHANGE, refusals={R.IN_PROGRESS: "going already"}),
    "note": transition([R.RECEIVED, R.IN_PROGRESS], None, CHANGE),
    "stop": transition([R.IN_PROGRESS], R.COMPLETED, CHANGE, HANDLE),
    "wipe": transition([R.RECEIVED, R.IN_PROGRESS], None, CHANGE, fits=lambda r: None if r.kind == "deletion" else "not a deletion"),
}


@pytest.fixture
def steps():
    return []


@pytest.fixture
def machine(steps):
    def record(obj, actor, action, from_status, **history):
        steps.append((obj.pk, actor, action, from_status, obj.status, history))
    return Machine(PrivacyRequest, TABLE, scope=scopes.restrict, record=record, refusals={R.COMPLETED: "answered"})


@pytest.fixture
def req(agent, customer):
    return privacy.open_request(agent, customer_id=customer.pk, kind="access", channel="hotline")


def _fresh(req):
    return PrivacyRequest.objects.get(pk=req.pk)


def _take(machine, actor, pk, action, version=None, **history):
    with transaction.atomic():
        return finish(machine, begin(machine, actor, pk, action, version=version), actor, action, **history)


def test_a_step_moves_the_status_bumps_the_version_and_is_recorded(machine, steps, supervisor, req):
    _take(machine, supervisor, req.pk, "go", version=1, note="x")
    assert (_fresh(req).status, _fresh(req).version) == ("in_progress", 2)
    _take(machine, supervisor, req.pk, "note")  # no target: the status stays, the version moves
    assert (_fresh(req).status, _fresh(req).version) == ("in_progress", 3)
    assert steps == [(req.pk, supervisor, "go", "received", "in_progress", {"note": "x"}),
                     (req.pk, supervisor, "note", "in_progress", "in_progress", {})]


def test_a_refused_step_names_the_status_and_what_may_be_done_and_writes_nothing(machine, steps, supervisor, req):
    _take(machine, supervisor, req.pk, "go")
    steps.clear()
    for status, action, message, allowed in [
        ("in_progress", "go", "going already", ["note", "stop"]),  # the transition's own words
        ("completed", "go", "answered", []),                       # the machine's for the status
        ("refused", "stop", "Not allowed while the privacy request is Refused.", []),  # neither: the generic sentence
        ("received", "stop", "Not allowed while the privacy request is Received.", ["go", "note"]),
    ]:
        PrivacyRequest.objects.filter(pk=req.pk).update(status=status)
        with pytest.raises(InvalidTransition) as err:
            _take(machine, supervisor, req.pk, action)
        assert (err.value.message, err.value.extra) == (message, {"state": status, "allowed_actions": allowed})
        assert _fresh(req).version == 2
    assert steps == []


def test_the_fit_is_checked_before_the_status(machine, supervisor, req, agent, customer):
    PrivacyRequest.objects.filter(pk=req.pk).update(status="completed")
    with pytest.raises(InvalidTransition) as err:
        _take(machine, supervisor, req.pk, "wipe")
    assert err.value.message == "not a deletion"
    deletion = privacy.open_request(agent, customer_id=customer.pk, kind="deletion", channel="hotline")
    assert allowed_actions(machine, deletion, supervisor) == ["go", "note", "wipe"]
    assert allowed_actions(machine, _fresh(req), supervisor) == []  # completed: nothing


def test_the_permission_is_checked_before_any_row_is_read(machine, steps, agent, auditor, make_user, req):
    for who in (agent, auditor):  # agents receive requests, auditors read them: neither acts
        for pk in (req.pk, NONE):
            with pytest.raises(Forbidden):
                _take(machine, who, pk, "go", version=99)
        assert allowed_actions(machine, req, who) == []
    clerk = make_user(roles.AGENT)
    clerk.user_permissions.add(Permission.objects.get(codename="change_privacyrequest"))
    clerk = User.objects.get(pk=clerk.pk)
    _take(machine, clerk, req.pk, "go")
    assert allowed_actions(machine, _fresh(req), clerk) == ["note"]
    with pytest.raises(Forbidden):  # every permission of the action is needed: "stop" wants HANDLE too
        _take(machine, clerk, req.pk, "stop")
    assert (_fresh(req).version, len(steps)) == (2, 1)


def test_a_row_out_of_scope_is_not_found_like_a_missing_one(machine, steps, make_user, req):
    outsider = make_user(roles.SUPERVISOR, "complaints")
    User.objects.filter(pk=outsider.pk).update(data_scope="own")
    outsider = User.objects.get(pk=outsider.pk)
    with pytest.raises(NotFound) as out:
        _take(machine, outsider, req.pk, "go")
    with pytest.raises(NotFound) as missing:
        _take(machine, outsider, NONE, "go")
    assert str(out.value) == str(missing.value).replace(str(NONE), str(req.pk))
    assert (_fresh(req).version, steps) == (1, [])
    # A machine over rows visible by permission alone (scope None) reads it.
    organisation_wide = Machine(PrivacyRequest, TABLE, scope=None, record=machine.record)
    assert _take(organisation_wide, outsider, req.pk, "go").status == "in_progress"


def test_a_stale_version_is_a_conflict_with_the_current_one(machine, steps, supervisor, req):
    with pytest.raises(Conflict) as err:
        _take(machine, supervisor, req.pk, "go", version=5)
    assert not isinstance(err.value, InvalidTransition) and err.value.extra == {"current_version": 1}
    assert (_fresh(req).status, steps) == ("received", [])


def test_the_system_takes_any_step_on_any_row(machine, steps, make_user, req):
    _take(machine, None, req.pk, "go")
    _take(machine, None, req.pk, "stop")
    assert (_fresh(req).status, [s[1:4] for s in steps]) == ("completed", [(None, "go", "received"), (None, "stop", "in_progress")])
    assert allowed_actions(machine, _fresh(req), None) == []


def _race(machine, actor, pk, version):
    """Two transactions take "go" on one row at once, each holding its lock a moment; what each got."""
    barrier = threading.Barrier(2)
    results = [None, None]

    def run(i):
        try:
            barrier.wait()
            with transaction.atomic():
                obj = begin(machine, actor, pk, "go", version=version)
                time.sleep(0.3)  # the other is waiting on the row's lock meanwhile
                finish(machine, obj, actor, "go")
            results[i] = "done"
        except Conflict as exc:
            results[i] = type(exc).__name__
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(results)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("version, loser", [(1, "Conflict"), (None, "InvalidTransition")])
def test_two_steps_at_once_one_wins_and_the_other_is_refused(machine, steps, supervisor, agent, customer, version, loser):
    req = privacy.open_request(agent, customer_id=customer.pk, kind="access", channel="hotline")
    # The second reads what the first wrote: a newer version, or a status "go" does not start from.
    assert _race(machine, supervisor, req.pk, version) == sorted(["done", loser])
    assert (_fresh(req).status, _fresh(req).version, len(steps)) == ("in_progress", 2, 1)
