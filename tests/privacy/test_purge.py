"""The retention purge: only customers past real-name retention are anonymised (boundary to the
day), old contacts lose number and summary, old verifications go; each run is recorded and
audited; a dry run changes nothing; a second run finds nothing more."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from kefu.audit.models import AuditEntry
from kefu.contacts import services as contacts
from kefu.contacts.models import Contact, IdentityVerification
from kefu.customers import services as customers
from kefu.customers.models import Customer, Subscription
from kefu.orders import services as orders
from kefu.privacy import services
from kefu.privacy.models import Anonymisation, PurgeRun
from kefu.web.management.commands.worker import PERIODIC
from tests.conftest import mobile, resident_id


@pytest.fixture
def world(agent, supervisor):
    """Customers either side of every limit, contacts and verifications either side of theirs."""
    now = timezone.now()
    limit = services.realname_limit(timezone.localdate(now))

    def customer(n, ended=None):
        c = customers.create_customer(agent, name=f"客户{n}", id_number=resident_id(7000 + n), phone=mobile(7000 + n),
                                      province="广东", city="广州", email=f"c{n}@example.com", service_password="246810")
        s = customers.create_subscription(agent, customer_id=c.pk, service_number=mobile(7000 + n), product="mobile",
                                          opened_on="2015-01-01")
        if ended is not None:
            Subscription.objects.filter(pk=s.pk).update(status="terminated", terminated_on=ended)
        return c

    w = {
        "gone": customer(1, limit - timedelta(days=1)),      # ended a day before the limit: anonymised
        "inside": customer(2, limit),                        # ended on the limit: kept one more day
        "live": customer(3),
        "open_order": customer(4, limit - timedelta(days=400)),
        "asking": customer(5, limit - timedelta(days=400)),  # an open privacy request waits for its answer
        "done": customer(6, limit - timedelta(days=400)),    # anonymised already
    }
    orders.create_order(agent, kind="complaint", title="最后一个月的账单", customer_id=w["open_order"].pk, channel="letter")
    services.open_request(agent, customer_id=w["asking"].pk, kind="access", channel="letter")
    Anonymisation.objects.create(customer=w["done"], scope="full", at=timezone.now())

    old = contacts.open_contact(agent, channel="hotline", customer_id=w["live"].pk, caller="13700000001", summary="旧来电",
                                started_at=now - timedelta(days=1095, minutes=1))
    recent = contacts.open_contact(agent, channel="hotline", customer_id=w["live"].pk, caller="13700000002", summary="近来电",
                                   started_at=now - timedelta(days=1094))
    v_old = IdentityVerification.objects.create(contact=recent, method="service_password", result="passed")
    v_new = IdentityVerification.objects.create(contact=recent, method="sms_code", result="failed")
    IdentityVerification.objects.filter(pk=v_old.pk).update(at=now - timedelta(days=366))
    IdentityVerification.objects.filter(pk=v_new.pk).update(at=now - timedelta(days=364))
    w.update(now=now, old=old, recent=recent, v_old=v_old, v_new=v_new)
    return w


def _snapshot():
    return (sorted(Customer.objects.values_list("pk", "name", "email", "status", "version")),
            sorted(Contact.objects.values_list("pk", "caller", "summary")),
            sorted(IdentityVerification.objects.values_list("pk", flat=True)),
            AuditEntry.objects.count(), PurgeRun.objects.count(), Anonymisation.objects.count())


def test_dry_run_counts_and_changes_nothing(world):
    before = _snapshot()
    counts = services.purge(world["now"], dry_run=True)
    assert counts == {"customers": 1, "contacts": 1, "verifications": 1, "dry_run": True}
    assert _snapshot() == before


def test_purge_takes_exactly_what_retention_lets_go(world):
    counts = services.purge(world["now"], batch_size=2)  # several windows per table

    assert counts == {"customers": 1, "contacts": 1, "verifications": 1, "dry_run": False}
    gone = Customer.objects.get(pk=world["gone"].pk)
    assert (gone.name, gone.id_number, gone.phone, gone.email, gone.status) == ("Deregistered customer", "", "", "", "inactive")
    assert Subscription.objects.get(customer=gone).service_number == ""
    for kept in ("inside", "live", "open_order", "asking"):
        c = Customer.objects.get(pk=world[kept].pk)
        assert (c.name, c.phone, c.email) == (world[kept].name, world[kept].phone, world[kept].email), kept
    assert Anonymisation.objects.get(customer=gone).run is not None

    assert Contact.objects.filter(pk=world["old"].pk).values_list("caller", "summary").get() == ("", "")
    assert Contact.objects.filter(pk=world["recent"].pk).values_list("caller", "summary").get() == ("13700000002", "近来电")
    assert list(IdentityVerification.objects.values_list("pk", flat=True)) == [world["v_new"].pk]

    run = PurgeRun.objects.get()
    assert (run.customers_anonymised, run.contacts_cleared, run.verifications_deleted) == (1, 1, 1) and run.finished_at
    entry = AuditEntry.objects.get(action="purge")
    assert (entry.object_type, entry.object_id, entry.actor) == ("privacy.purgerun", str(run.pk), None)
    assert entry.reason == "customers=1 contacts=1 verifications=1"
    anonymised = AuditEntry.objects.filter(action="anonymise")
    assert [(a.object_type, a.object_id) for a in anonymised] == [("customers.customer", str(gone.pk))]
    assert anonymised[0].fields == sorted(services.FULL_FIELDS)

    # Run again at once: nothing left to do, and the contacts already cleared are not rewritten.
    # (The same moment: an hour later could cross local midnight and move the retention limits.)
    again = services.purge(world["now"])
    assert again == {"customers": 0, "contacts": 0, "verifications": 0, "dry_run": False}
    assert Contact.objects.get(pk=world["old"].pk).version == world["old"].version + 1
    assert AuditEntry.objects.filter(action="purge").count() == 2


def test_a_day_later_the_next_ones_go(world):
    services.purge(world["now"])
    counts = services.purge(world["now"] + timedelta(days=1, minutes=1))
    assert counts == {"customers": 1, "contacts": 1, "verifications": 1, "dry_run": False}
    assert Customer.objects.get(pk=world["inside"].pk).name == "Deregistered customer"
    assert Contact.objects.filter(pk=world["recent"].pk).values_list("caller", flat=True).get() == ""
    assert not IdentityVerification.objects.exists()


def test_command_and_worker_schedule(world, capsys):
    call_command("privacy", "purge", "--dry-run")
    assert "would anonymise 1 customers" in capsys.readouterr().out
    assert not PurgeRun.objects.exists()
    call_command("privacy", "purge")
    assert "anonymised 1 customers, cleared 1 contacts, deleted 1 identity verifications" in capsys.readouterr().out
    assert "KEFU_PRIVACY_PURGE_SECONDS" in {setting for _task, setting in PERIODIC}


def test_a_file_brought_back_into_use_is_looked_at_again(world, agent):
    services.purge(world["now"])
    gone = Customer.objects.get(pk=world["gone"].pk)
    customers.update_customer(agent, gone.pk, version=gone.version, changes={"name": "李四"})
    assert services.purge(world["now"])["customers"] == 1
    assert Customer.objects.get(pk=gone.pk).name == "Deregistered customer"


def test_contacts_recorded_later_with_an_old_start_are_cleared_too(world, agent):
    services.purge(world["now"])
    late = contacts.open_contact(agent, channel="letter", customer_id=world["live"].pk, caller="13700000003",
                                 summary="补录的旧来信", started_at=world["now"] - timedelta(days=2000))
    assert services.purge(world["now"], dry_run=True)["contacts"] == 1
    assert services.purge(world["now"])["contacts"] == 1  # not the ones the first run cleared
    assert Contact.objects.filter(pk=late.pk).values_list("caller", "summary").get() == ("", "")
    assert services.purge(world["now"])["contacts"] == 0
    assert services.purge(world["now"], all_contacts=True)["contacts"] == 2  # every old one, once more


def test_a_file_without_subscriptions_counts_from_its_creation(agent, world):
    def bare(n, created):
        c = customers.create_customer(agent, name=f"潜在客户{n}", id_number=resident_id(7100 + n), phone=mobile(7100 + n),
                                      province="广东", city="深圳")
        Customer.objects.filter(pk=c.pk).update(created_at=created, updated_at=created)
        return c

    long_ago = bare(1, world["now"] - timedelta(days=3 * 365))
    recent = bare(2, world["now"] - timedelta(days=300))
    asked_lately = bare(3, world["now"] - timedelta(days=3 * 365))
    order = orders.create_order(agent, kind="consultation", title="咨询套餐", customer_id=asked_lately.pk, channel="hotline")
    orders.cancel(agent, order.pk, reason="客户挂断")

    services.purge(world["now"])

    names = dict(Customer.objects.filter(pk__in=[long_ago.pk, recent.pk, asked_lately.pk]).values_list("pk", "name"))
    assert names == {long_ago.pk: "Deregistered customer", recent.pk: "潜在客户2", asked_lately.pk: "潜在客户3"}
