"""The automatic checks on real contacts: what the agent wrote during a contact is checked once it
has ended (the worker's turn), hits keep the rule and the masked words, a second run replaces
them, identity revealed without verification is caught from the audit log, and an inspector
reads only the contacts in their scope."""

import datetime as dt

import pytest
from django.utils import timezone

from kefu.contacts.models import Contact
from kefu.core.errors import NotFound
from kefu.customers import services as customers
from kefu.orders import services as orders
from kefu.quality import services
from kefu.quality.models import CheckHit, ContactCheck


@pytest.fixture
def call(agent, customer, subscription):
    """A call that ended a minute ago, whose agent typed the customer's full new number into a note."""
    started = timezone.now() - dt.timedelta(minutes=12)
    contact = Contact.objects.create(channel="hotline", started_at=started, agent=agent, customer=customer,
                                     summary="客户反映话费多扣，已登记工单")
    order = orders.create_order(agent, kind="complaint", title="话费多扣", customer_id=customer.pk,
                                subscription_id=subscription.pk, channel="hotline", contact_id=contact.pk)
    orders.add_comment(agent, order.pk, note="客户新号码13912345678，请回访时使用")
    Contact.objects.filter(pk=contact.pk).update(ended_at=timezone.now() - dt.timedelta(minutes=1), outcome="order_created")
    return contact, order


def test_the_worker_checks_the_contacts_that_ended_and_flags_the_number(call, supervisor):
    contact, order = call
    assert services.check_due(now=timezone.now() - dt.timedelta(hours=1)) == 0  # the first turn: the watermark
    assert services.check_due() == 1
    hit = CheckHit.objects.get(contact=contact)
    assert (hit.rule.code, hit.words) == ("personal-numbers", "139****5678") and order.number in hit.where
    assert ContactCheck.objects.get(contact=contact).hits == 1
    assert [c.contact_id for c in services.flagged(supervisor)] == [contact.pk]
    assert [h.words for h in services.hits(supervisor, contact.pk)] == ["139****5678"]
    # Again: the same hits, not twice as many.
    services.check_contacts([contact.pk])
    assert CheckHit.objects.filter(contact=contact).count() == 1


def test_identity_revealed_without_verification_is_caught(call, agent, customer):
    contact, _order = call
    Contact.objects.filter(pk=contact.pk).update(ended_at=None)
    customers.reveal_identity(agent, customer.pk, reason_code="complaint", reason="核对投诉人身份")
    Contact.objects.filter(pk=contact.pk).update(ended_at=timezone.now())
    services.check_contacts([contact.pk])
    rules = set(CheckHit.objects.filter(contact=contact).values_list("rule__code", flat=True))
    assert rules == {"personal-numbers", "reveal-unverified"}


def test_out_of_scope_contacts_are_not_found(call, make_user):
    from kefu.staff import roles

    contact, _order = call
    services.check_contacts([contact.pk])
    other = make_user(roles.SUPERVISOR, "billing", "billing-supervisor")
    other.data_scope = "own"
    other.save(update_fields=["data_scope"])
    with pytest.raises(NotFound):
        services.hits(other, contact.pk)
    assert not services.flagged(other).exists()


def test_the_api_lists_flagged_contacts_and_their_hits(call, supervisor, api_client):
    contact, _order = call
    services.check_contacts([contact.pk])
    api = api_client(supervisor)
    page = api.get("/quality/flagged").json()
    assert page["count"] == 1 and page["results"][0]["contact_id"] == contact.pk
    hits = api.get(f"/quality/contacts/{contact.pk}/hits").json()
    assert [(h["rule"], h["words"]) for h in hits] == [("personal-numbers", "139****5678")]
    assert api.get("/quality/contacts/987654321/hits").status_code == 404
