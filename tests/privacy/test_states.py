"""privacy/states.py drives the services: every action from every status either moves the
request as the table says (version bumped, one audit entry) or is refused with 409 naming
the status and what may be done instead, and writes nothing."""

import pytest

from kefu.audit.models import AuditEntry
from kefu.core.errors import InvalidTransition
from kefu.privacy import services
from kefu.privacy.models import PrivacyRequest
from kefu.privacy.states import TRANSITIONS

R = PrivacyRequest.Status
KIND = {"export": "access", "correct": "correction", "erase": "deletion"}
CALLS = {
    "start": lambda u, r: services.start(u, r.pk, version=r.version, identity_verified="document"),
    "complete": lambda u, r: services.complete(u, r.pk, version=r.version, outcome="已答复"),
    "refuse": lambda u, r: services.refuse(u, r.pk, version=r.version, reason="无法核实身份"),
    "export": lambda u, r: services.export(u, r.pk),
    "correct": lambda u, r: services.correct(u, r.pk, version=r.version, changes={"district": "天河区"}),
    "erase": lambda u, r: services.erase(u, r.pk, version=r.version),
}


def _audited(req):
    return AuditEntry.objects.filter(object_type="privacy.privacyrequest", object_id=str(req.pk)).count()


def test_every_action_has_a_service():
    assert set(CALLS) == set(TRANSITIONS)


@pytest.mark.parametrize("status", R.values)
@pytest.mark.parametrize("action", list(TRANSITIONS))
def test_each_action_from_each_status(action, status, agent, supervisor, customer):
    req = services.open_request(agent, customer_id=customer.pk, kind=KIND.get(action, "access"), channel="hotline")
    PrivacyRequest.objects.filter(pk=req.pk).update(status=status, identity_verified="document")
    req = PrivacyRequest.objects.get(pk=req.pk)
    audited = _audited(req)
    t = TRANSITIONS[action]
    if status in t.sources:
        CALLS[action](supervisor, req)
        after = PrivacyRequest.objects.get(pk=req.pk)
        moved = t.target is not None
        assert (after.status, after.version, _audited(req)) == (t.target or status, req.version + moved, audited + moved)
    else:
        with pytest.raises(InvalidTransition) as err:
            CALLS[action](supervisor, req)
        assert err.value.extra["state"] == status and action not in err.value.extra["allowed_actions"]
        after = PrivacyRequest.objects.get(pk=req.pk)
        assert (after.status, after.version, _audited(req)) == (status, req.version, audited)


def test_refusals_say_why_and_what_may_be_done(agent, supervisor, customer):
    def refusal(kind, status, action):
        req = services.open_request(agent, customer_id=customer.pk, kind=kind, channel="hotline")
        PrivacyRequest.objects.filter(pk=req.pk).update(status=status)
        with pytest.raises(InvalidTransition) as err:
            CALLS[action](supervisor, PrivacyRequest.objects.get(pk=req.pk))
        return err.value.message, err.value.extra["allowed_actions"]

    assert refusal("access", "completed", "start") == ("Only a received request can be started.", [])
    assert refusal("correction", "received", "correct") == (
        "Start the request (with the requester's identity checked) first.", ["start", "complete", "refuse"])
    assert refusal("access", "refused", "complete") == ("The request has been answered already.", [])
    # The kind is checked first: a deletion request is never corrected, whatever its status.
    assert refusal("deletion", "in_progress", "correct") == (
        "This is a request of another kind (Deletion (删除)).", ["complete", "refuse", "erase"])
