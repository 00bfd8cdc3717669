"""The demo data generator: deterministic, legal histories, consistent orders, valid identifiers."""

import datetime as dt
from collections import Counter, defaultdict
from io import StringIO
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import transaction

from kefu.contacts.models import Contact, ContactOrder, IdentityVerification
from kefu.customers import services as customer_services
from kefu.customers import validators
from kefu.customers.models import Account, Customer, Subscription
from kefu.demo import org
from kefu.demo.seed import CUSTOMER_SUMMARIES, generate
from kefu.orders import services
from kefu.orders.models import SEVERITY_RANK, Feedback, OrderEvent, Status, WorkOrder
from kefu.orders.states import TRANSITIONS, stamp
from kefu.staff.models import User

ANCHOR = dt.date(2026, 3, 31)
NON_TRANSITIONS = {"create", "comment", "update", "feedback", "link"}
SYSTEM = ["sla_policy", "sla_escalation"]  # written by the SLA service, not part of the seeded walk
RESOLVED_LIKE = {Status.RESOLVED, Status.CONFIRMED, Status.CLOSED}
ENDED = {Status.CLOSED, Status.REJECTED, Status.CANCELLED}


@pytest.fixture
def seeded(db):
    return generate(customers=30, orders=200, seed=7, anchor=ANCHOR, clocks=True)


def _events_by_order():
    events = defaultdict(list)
    for ev in OrderEvent.objects.exclude(action__in=SYSTEM).order_by("order_id", "at", "id"):
        events[ev.order_id].append(ev)
    return events


def test_counts_match_rows(seeded):
    assert seeded["customers"] == Customer.objects.count() == 30
    assert seeded["work orders"] == WorkOrder.objects.count() == 200
    assert seeded["order events"] == OrderEvent.objects.exclude(action__in=SYSTEM).count()
    assert seeded["contacts"] == Contact.objects.count() == 800  # one per order + 3 answered per order
    assert seeded["accounts"] == Account.objects.count() == 30
    assert seeded["feedback"] == Feedback.objects.count() > 0
    assert seeded["identity verifications"] == IdentityVerification.objects.count() > 0


def test_repeat_complaints_are_linked_as_registration_would_link_them(seeded):
    """Each complaint that repeats an earlier one of its customer (orders.repeats, as of its
    registration) is counted, linked and one step more severe, and only those."""
    from kefu.orders import repeats
    from kefu.orders.models import OrderLink

    complaints = list(WorkOrder.objects.filter(kind="complaint").order_by("created_at", "id"))
    links = dict(OrderLink.objects.filter(type="repeat").values_list("source_id", "target_id"))
    assert seeded["repeat complaints"] == len(links) > 0
    for order in complaints:
        found = repeats.earlier_complaint(order, at=order.created_at)
        assert links.get(order.pk) == (found.earlier.pk if found else None)
        if found:
            assert order.repeat_count == found.earlier.repeat_count + 1
            create = OrderEvent.objects.get(order=order, action="create")
            assert create.data["repeat_of"] == found.earlier.number and create.data["severity"] == order.severity
            assert SEVERITY_RANK[order.severity] > SEVERITY_RANK[create.data["severity_asked"]] or order.severity == "major"
        else:
            assert order.repeat_count == 0


def test_every_status_kind_and_severity_appears(seeded):
    # Merged orders come from people merging duplicates; the generator writes none.
    assert set(WorkOrder.objects.values_list("status", flat=True)) == set(Status.values) - {Status.MERGED}
    assert len(set(WorkOrder.objects.values_list("kind", flat=True))) == 6
    assert set(WorkOrder.objects.values_list("severity", flat=True)) >= {"general", "urgent"}


def test_histories_are_legal_walks_of_the_state_machine(seeded):
    for order_id, events in _events_by_order().items():
        assert events[0].action == "create" and events[0].from_status == "" and events[0].to_status == Status.NEW
        previous = events[0]
        for ev in events[1:]:
            assert ev.at > previous.at, order_id
            assert ev.from_status == previous.to_status, (order_id, ev.action)
            if ev.action in TRANSITIONS:
                t = TRANSITIONS[ev.action]
                assert ev.from_status in t.sources, (order_id, ev.action, ev.from_status)
                assert ev.to_status == (t.target or ev.from_status), (order_id, ev.action)
            else:
                assert ev.action in NON_TRANSITIONS and ev.to_status == ev.from_status, (order_id, ev.action)
            if ev.action in {"wait", "reject", "cancel", "reopen", "transfer"}:
                assert ev.reason, (order_id, ev.action)
            previous = ev


def test_orders_agree_with_their_history(seeded):
    events = _events_by_order()
    for order in WorkOrder.objects.select_related("category"):
        history = events[order.pk]
        last = history[-1]
        by_action = defaultdict(list)
        for ev in history:
            by_action[ev.action].append(ev)
        assert order.status == last.to_status
        assert order.version == len(history)
        assert order.created_at == history[0].at and order.updated_at == last.at
        assert order.number == services.order_number(order.pk, order.created_at)
        assert order.accepted_at == (by_action["accept"][0].at if by_action["accept"] else None)
        assert order.reopen_count == len(by_action["reopen"])
        if order.status in RESOLVED_LIKE:
            assert order.resolved_at == by_action["resolve"][-1].at
            assert order.resolution == by_action["resolve"][-1].note != ""
        else:
            assert order.resolved_at is None
        assert (order.closed_at is not None) == (order.status in ENDED)
        if order.closed_at:
            assert order.closed_at == last.at
        _assert_assignment(order, history)
        for ev in by_action["reopen"]:
            assert ev.disputes.order_id == order.pk and ev.disputes.action == "resolve" and ev.disputes.at < ev.at
        assert order.category.kind == order.kind
        assert not order.category.children.exists()


def test_milestone_times_replay_the_services_table(seeded):
    """accepted_at, resolved_at and closed_at are what orders.states.STAMPS (which the services
    apply) makes of the order's events, replayed in order."""
    events = _events_by_order()
    for order in WorkOrder.objects.all():
        replayed = SimpleNamespace(accepted_at=None, resolved_at=None, closed_at=None)
        for ev in events[order.pk]:
            stamp(replayed, ev.action, ev.at)
        assert (order.accepted_at, order.resolved_at, order.closed_at) == (
            replayed.accepted_at, replayed.resolved_at, replayed.closed_at), order.number


def _assert_assignment(order, history):
    """Handler and department are what the last assign/claim/transfer left."""
    handler = department = None
    for ev in history:
        if ev.action in {"assign", "claim", "transfer"}:
            handler = ev.data.get("handler", [None, handler])[1]
            department = ev.data.get("department", [None, department])[1]
    assert (order.handler_id, order.department_id) == (handler, department), order.number
    if order.status in {Status.IN_PROGRESS, Status.WAITING_CUSTOMER} | RESOLVED_LIKE:
        assert order.handler_id is not None


def test_feedback_matches_orders(seeded):
    for fb in Feedback.objects.select_related("order", "resolution_event"):
        assert fb.resolution_event.order_id == fb.order_id and fb.resolution_event.action == "resolve"
        assert fb.score is None or 1 <= fb.score <= 10
        assert fb.satisfied == (None if fb.score is None else fb.score >= settings.KEFU_SATISFIED_THRESHOLD)
    for order in WorkOrder.objects.filter(satisfaction__isnull=False):
        latest = order.feedback.exclude(score=None).order_by("-at", "-id").first()
        assert latest.score == order.satisfaction
    scores = list(Feedback.objects.exclude(score=None).values_list("score", flat=True))
    assert sum(scores) / len(scores) >= 7  # mostly satisfied customers


def test_times_lie_in_the_window_before_the_anchor(seeded):
    horizon = dt.datetime.combine(ANCHOR, dt.time(), ZoneInfo(settings.TIME_ZONE))
    start = horizon - dt.timedelta(days=120)
    first, last = OrderEvent.objects.order_by("at").first().at, OrderEvent.objects.order_by("-at").first().at
    assert start <= first and last < horizon
    assert not Contact.objects.filter(started_at__gte=horizon).exists()


def test_each_order_has_its_raising_contact(seeded):
    links = ContactOrder.objects.select_related("contact", "order")
    assert links.count() == WorkOrder.objects.count()
    for link in links:
        contact, order = link.contact, link.order
        assert link.role == ContactOrder.Role.RAISED
        assert contact.channel == order.channel and contact.agent_id == order.owner_id
        assert contact.customer_id == order.customer_id
        assert contact.started_at < order.created_at < contact.ended_at
        assert contact.outcome == Contact.Outcome.ORDER_CREATED
    answered = Contact.objects.filter(outcome=Contact.Outcome.ANSWERED)
    assert answered.count() == 600 and not ContactOrder.objects.filter(contact__in=answered).exists()
    assert not IdentityVerification.objects.exclude(result__in=["passed", "failed"]).exists()


def test_identifiers_are_valid_and_unique(seeded):
    for c in Customer.objects.all():
        assert validators.mobile_number(c.phone) == c.phone
        assert c.customer_no == customer_services.customer_number(c.pk)
        assert c.check_service_password("123456")
        if c.id_type == Customer.IdType.RESIDENT_ID:
            assert validators.resident_id_number(c.id_number) == c.id_number
        else:
            assert c.type == Customer.Type.ENTERPRISE and len(c.id_number) == 18
    phones = list(Customer.objects.values_list("phone", flat=True))
    assert len(phones) == len(set(phones))
    live = list(Subscription.objects.exclude(status="terminated").values_list("service_number", flat=True))
    assert len(live) == len(set(live))
    for sub in Subscription.objects.filter(product__in=["mobile", "fixed_line"]):
        check = validators.mobile_number if sub.product == "mobile" else validators.phone_number
        assert check(sub.service_number) == sub.service_number
    assert set(Account.objects.values_list("customer_id", flat=True)) == set(Customer.objects.values_list("pk", flat=True))


def test_major_complaints_name_the_threat(seeded):
    majors = WorkOrder.objects.filter(kind="complaint", severity="major", repeat_count=0)  # a repeat is raised for repeating
    for order in majors:
        assert any(word in order.description for word in ("工信部", "12300", "媒体", "律师")), order.description


def _dump():
    return [
        list(Customer.objects.order_by("id").values_list("id", "customer_no", "name", "id_number", "phone", "segment",
                                                          "created_at", "service_password_hash")),
        list(Subscription.objects.order_by("id").values_list("id", "customer_id", "service_number", "plan", "status")),
        list(WorkOrder.objects.order_by("id").values_list("id", "number", "kind", "category_id", "status", "title",
                                                           "description", "customer_summary", "owner_id", "handler_id", "created_at",
                                                           "updated_at", "satisfaction", "version")),
        list(OrderEvent.objects.order_by("id").values_list("id", "order_id", "at", "actor_id", "action", "to_status",
                                                            "reason", "note", "data", "disputes_id")),
        list(Feedback.objects.order_by("id").values_list("id", "order_id", "score", "at")),
        list(Contact.objects.order_by("id").values_list("id", "channel", "started_at", "agent_id", "summary")),
        list(ContactOrder.objects.order_by("id").values_list("id", "contact_id", "order_id")),
        list(IdentityVerification.objects.order_by("id").values_list("id", "contact_id", "method", "at")),
    ]


def _seed_and_dump(seed):
    """Generate into a savepoint, dump, and roll back: each run starts from the same database."""
    with transaction.atomic():
        generate(customers=30, orders=200, seed=seed, anchor=ANCHOR)
        dump = _dump()
        transaction.set_rollback(True)
    return dump


@pytest.mark.django_db
def test_same_seed_and_anchor_give_identical_data():
    org.ensure_org()  # outside the savepoints: its rows take sequence ids, which a rollback keeps
    first, second = _seed_and_dump(5), _seed_and_dump(5)
    assert first == second
    assert _seed_and_dump(6)[2] != first[2]


@pytest.mark.django_db
def test_a_second_run_adds_without_collisions():
    first = generate(customers=20, orders=50, seed=1, anchor=ANCHOR)
    second = generate(customers=20, orders=50, seed=1, anchor=ANCHOR)
    assert first == second
    assert Customer.objects.count() == 40 and WorkOrder.objects.count() == 100
    phones = Counter(Customer.objects.values_list("phone", flat=True))
    assert phones.most_common(1)[0][1] == 1


@pytest.mark.django_db
def test_services_work_after_seeding():
    """Explicit ids must not collide with what the database hands out next (sequence reset)."""
    generate(customers=10, orders=40, seed=2, anchor=ANCHOR)
    agent = User.objects.get(username="agent")
    customer = customer_services.create_customer(agent, type="individual", name="新客户", id_type="passport",
                                                 id_number="E12345678", phone="13900000001", province="北京市",
                                                 city="北京市")
    account = customer_services.create_account(agent, customer_id=customer.pk, name="新客户")
    sub = customer_services.create_subscription(agent, customer_id=customer.pk, account_id=account.pk,
                                                product="mobile", service_number="13900000001",
                                                opened_on=ANCHOR)
    contact = Contact.objects.create(channel="hotline", started_at=dt.datetime.now(dt.UTC), agent=agent, customer=customer)
    IdentityVerification.objects.create(contact=contact, method="sms_code", result="passed", agent=agent)
    order = services.create_order(agent, kind="fault", title="手机无信号", customer_id=customer.pk, channel="hotline",
                                  subscription_id=sub.pk, contact_id=contact.pk)
    assert order.pk > max(WorkOrder.objects.exclude(pk=order.pk).values_list("pk", flat=True))
    resolved = WorkOrder.objects.filter(status=Status.RESOLVED).first()
    owner = User.objects.get(pk=resolved.owner_id)
    feedback = services.record_feedback(owner, resolved.pk, confirmed=True, score=9)
    assert feedback.pk == Feedback.objects.order_by("-pk").first().pk


@pytest.mark.django_db
def test_command_prints_counts():
    out = StringIO()
    call_command("seed", "--customers", "5", "--orders", "20", "--seed", "3", "--anchor", "2026-01-31", stdout=out)
    text = out.getvalue()
    assert "20 work orders" in text and "5 customers" in text and "123456" in text
    assert WorkOrder.objects.count() == 20


def test_open_and_recent_orders_carry_their_sla_clocks(seeded):
    """Every open order, and the finished ones of the month before last and after (the reports'
    on-time rates of last month and the one before), replayed through the SLA service."""
    from kefu.orders.models import OPEN_STATUSES
    from kefu.sla.models import OrderClock

    open_orders = WorkOrder.objects.filter(status__in=OPEN_STATUSES)
    since = dt.datetime(2026, 1, 1, tzinfo=ZoneInfo("Asia/Shanghai"))  # the data's last day is 30 March
    finished = WorkOrder.objects.exclude(status__in=OPEN_STATUSES).filter(created_at__gte=since)
    assert seeded["open orders with SLA clocks"] == open_orders.count() > 0
    assert seeded["finished orders with SLA clocks"] == finished.count() > 50
    assert (set(OrderClock.objects.values_list("order_id", flat=True).distinct())
            == set(open_orders.values_list("pk", flat=True)) | set(finished.values_list("pk", flat=True)))
    late = OrderClock.objects.filter(order__in=finished, stopped_at__isnull=False, metric="resolution")
    assert 0 < sum(c.is_breached for c in late) < late.count() * 0.3  # mostly on time, some late
    waiting = open_orders.filter(status="waiting_customer").first()
    if waiting is not None:
        assert OrderClock.objects.filter(order=waiting, state="paused").exists()


# --- the demo as `kefu demo` loads it: a centre on the day it is shown -----------------------

DEMO_NOW = dt.datetime(2026, 3, 31, 10, 30, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Tuesday morning
DEMO_USERS = [u for u, *_rest in org.DEMO_USERS]


def _demo_shares(now):
    """What a new user sees on the board and in the inbox at NOW, from the real clocks."""
    from kefu.notifications.models import Notification
    from kefu.orders.models import OPEN_STATUSES
    from kefu.sla.models import OrderClock

    open_orders = WorkOrder.objects.filter(status__in=OPEN_STATUSES)
    running = OrderClock.objects.filter(state="running", order__in=open_orders)
    late = running.filter(due_at__lt=now)
    breached = set(late.values_list("order_id", flat=True))
    at_risk = set(running.filter(warn_at__lte=now).values_list("order_id", flat=True)) - breached
    oldest = late.order_by("due_at").values_list("due_at", flat=True).first()
    per_customer = Counter(WorkOrder.objects.values_list("customer_id", flat=True))
    orders_of = [per_customer[pk] for pk in Customer.objects.order_by("pk").values_list("pk", flat=True)]
    first_contact = WorkOrder.objects.filter(kind__in=["consultation", "praise"])
    scores = list(Feedback.objects.exclude(score=None).values_list("score", flat=True))
    return {
        "open": open_orders.count(),
        "late or at risk": len(breached | at_risk) / open_orders.count(),
        "oldest overdue": now - oldest if oldest else dt.timedelta(),
        "consultations and praise open": first_contact.filter(status__in=OPEN_STATUSES).count() / first_contact.count(),
        "customers with 0-2 orders": sum(n <= 2 for n in orders_of) / len(orders_of),
        "most orders of a customer": max(orders_of),
        "orders of the first customer": orders_of[0],
        "unread notifications": max(Notification.objects.filter(recipient__username=u, read_at=None).count()
                                    for u in DEMO_USERS),
        "satisfaction": sum(scores) / len(scores),
        "reopened": WorkOrder.objects.filter(reopen_count__gt=0).count() / WorkOrder.objects.count(),
    }


@pytest.mark.django_db
def test_a_fresh_demo_looks_like_a_well_run_centre_on_the_day():
    from kefu.demo.management.commands.demo import CUSTOMERS, ORDERS
    from kefu.sla import escalation

    generate(customers=CUSTOMERS, orders=ORDERS, seed=1, now=DEMO_NOW, clocks=True)
    shares = _demo_shares(DEMO_NOW)
    assert shares["open"] >= 20
    assert 0.05 <= shares["late or at risk"] <= 0.3, shares  # a young backlog, mostly on time (~30 orders: coarse)
    assert shares["oldest overdue"] <= dt.timedelta(days=3), shares
    assert shares["consultations and praise open"] < 0.02, shares  # answered at first contact
    assert shares["customers with 0-2 orders"] >= 0.75 and shares["most orders of a customer"] >= 6, shares
    assert 2 <= shares["orders of the first customer"] <= 8, shares  # the README's customer 1
    assert shares["unread notifications"] <= 10, shares  # yesterday's escalations were read
    assert 7.5 <= shares["satisfaction"] <= 9 and 0.03 <= shares["reopened"] <= 0.12, shares
    # The worker started right after `kefu demo` finds no check due: no flood of old escalations.
    assert escalation.oldest_due_check(DEMO_NOW) is None
    assert escalation.scan(DEMO_NOW) == 0
    assert not OrderEvent.objects.filter(at__gt=DEMO_NOW).exists()
    assert not Contact.objects.filter(ended_at__gt=DEMO_NOW).exists()


def test_seeded_orders_are_found_by_the_words_of_their_titles(seeded):
    # The seed writes with raw inserts, around the services that keep the word index.
    from kefu.orders.models import OrderWord, WorkOrder
    from kefu.orders.services import with_words

    assert OrderWord.objects.values("order_id").distinct().count() == WorkOrder.objects.count()
    order = WorkOrder.objects.order_by("id").first()
    assert order in with_words(WorkOrder.objects.all(), order.title)
    assert order in with_words(WorkOrder.objects.all(), order.number.lower())


def test_seeded_orders_carry_what_the_customer_reads(seeded):
    """A polite line by kind and category; the customer's own words on self-service orders.
    Never the staff's title or description."""
    orders = list(WorkOrder.objects.select_related("category"))
    assert all(o.customer_summary for o in orders)
    for o in orders:
        if o.channel == "self_service":
            assert o.customer_summary == o.title
        else:
            assert o.customer_summary == CUSTOMER_SUMMARIES[o.kind].format(name=o.category.name if o.category else "")
            assert o.description not in o.customer_summary
    assert {o.channel for o in orders} >= {"self_service", "hotline"}


def test_order_ids_and_numbers_follow_registration(seeded):
    """As live: a later order has a higher id and number (GD<date><id>), so lists newest first by
    id (the word search, decision 0022) are newest first by registration."""
    rows = list(WorkOrder.objects.order_by("id").values_list("created_at", "number"))
    assert len(rows) > 100
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)
    assert [r[1] for r in rows] == sorted(r[1] for r in rows)


def test_confirmations_are_the_customers_word_not_the_resolvers(seeded):
    """As orders.services.confirm and record_feedback allow: a confirmation recorded by staff names
    the channel it came by, and never is by the person who resolved the order."""
    confirms = list(OrderEvent.objects.filter(action="confirm").order_by("order_id", "at", "id"))
    assert confirms
    resolves = {}
    for e in OrderEvent.objects.filter(action="resolve").order_by("at", "id"):
        resolves.setdefault(e.order_id, []).append(e)
    for e in confirms:
        resolver = [r for r in resolves[e.order_id] if (r.at, r.id) < (e.at, e.id)][-1].actor_id
        assert e.actor_id != resolver and e.data.get("channel")


# --- how the seed writes: word index, bulk load, writer thread, encryption ----------------------

def test_the_word_index_holds_each_orders_words_as_the_services_cut_them(seeded):
    """The seed writes the index itself (title and description cut apart, texts seen before
    remembered): exactly words_of(number, title, description), as reindex_words would write."""
    from kefu.orders.models import OrderWord
    from kefu.orders.services import words_of

    stored = defaultdict(set)
    for word, order_id in OrderWord.objects.values_list("word", "order_id"):
        stored[order_id].add(word)
    orders = list(WorkOrder.objects.values_list("id", "number", "title", "description"))
    assert orders and {pk: stored[pk] for pk, *_texts in orders} == {pk: words_of(*texts) for pk, *texts in orders}


def _schema():
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY 1")
            indexes = cursor.fetchall()
            cursor.execute("SELECT conname, conrelid::regclass::text, pg_get_constraintdef(oid), condeferrable, "
                           "condeferred FROM pg_constraint ORDER BY 1, 2")
            return indexes + cursor.fetchall()
        cursor.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name")
        return cursor.fetchall()


@pytest.mark.django_db
def test_a_bulk_load_writes_the_same_rows_and_restores_every_index_and_key(monkeypatch):
    """Big runs drop the tables' secondary indexes (and foreign keys on PostgreSQL) for the load
    and make them again: same data as the row-by-row way, same schema afterwards."""
    import kefu.demo.seed as seed

    org.ensure_org()
    schema = _schema()
    usual = _seed_and_dump(5)
    monkeypatch.setattr(seed, "BULK_LOAD_ORDERS", 1)
    assert _seed_and_dump(5) == usual
    assert _schema() == schema
    stats: dict = {}
    generate(customers=10, orders=40, seed=2, anchor=ANCHOR, stats=stats)
    assert stats["bulk load"] is True
    assert _schema() == schema
    stats = {}
    generate(customers=10, orders=40, seed=3, anchor=ANCHOR, stats=stats, clocks=True)
    assert stats["bulk load"] is False  # the clocks' replay reads orders in the planner's order


@pytest.mark.django_db
def test_a_bulk_load_that_fails_leaves_nothing_and_the_schema_as_it_was(monkeypatch):
    import kefu.demo.seed as seed

    org.ensure_org()
    schema = _schema()
    during = []

    def failing(ctx, *args):
        ctx.flush()
        # A query of this thread waits for the writer's batches: it sees every customer built.
        during.append((Customer.objects.count(), _schema()))
        raise RuntimeError("built half")

    monkeypatch.setattr(seed, "BULK_LOAD_ORDERS", 1)
    monkeypatch.setattr(seed, "make_orders", failing)
    with pytest.raises(RuntimeError, match="built half"):
        generate(customers=10, orders=40, seed=2, anchor=ANCHOR)
    assert during[0][0] == 10 and during[0][1] != schema  # the indexes were dropped for the load
    assert _schema() == schema
    assert not Customer.objects.exists()


@pytest.mark.django_db
def test_an_insert_that_fails_in_the_writer_is_raised_and_rolled_back(monkeypatch):
    """The writer thread inserts on the caller's connection: its error reaches the caller, and
    the run's transaction (with what was written before it) is rolled back."""
    from django.db import IntegrityError

    from kefu.demo.seed import context

    generate(customers=5, orders=10, seed=1, anchor=ANCHOR)
    before = (Customer.objects.count(), WorkOrder.objects.count(), OrderEvent.objects.count())
    monkeypatch.setattr(context, "next_ids", lambda *models: dict.fromkeys(models, 1))  # ids taken
    with pytest.raises(IntegrityError):
        generate(customers=5, orders=10, seed=1, anchor=ANCHOR)
    assert (Customer.objects.count(), WorkOrder.objects.count(), OrderEvent.objects.count()) == before


@pytest.mark.django_db
@pytest.mark.parametrize("bulk", [False, True])
def test_sequences_follow_the_seeded_ids(monkeypatch, bulk):
    """After COPY with explicit ids (PostgreSQL), rows the application adds take ids above the
    seeded ones, in every table the seed writes; on both ways of loading."""
    import kefu.demo.seed as seed
    from kefu.demo.seed.rows import COLUMNS

    if bulk:
        monkeypatch.setattr(seed, "BULK_LOAD_ORDERS", 1)
    stats: dict = {}
    generate(customers=10, orders=40, seed=2, anchor=ANCHOR, stats=stats)
    assert stats["bulk load"] is bulk
    seeded = {model: max(model.objects.values_list("pk", flat=True)) for model in COLUMNS}
    agent = User.objects.get(username="agent")
    customer = customer_services.create_customer(agent, type="individual", name="新客户", id_type="passport",
                                                 id_number="E12345678", phone="13900000001", province="北京市",
                                                 city="北京市")
    account = customer_services.create_account(agent, customer_id=customer.pk, name="新客户")
    sub = customer_services.create_subscription(agent, customer_id=customer.pk, account_id=account.pk,
                                                product="mobile", service_number="13900000001", opened_on=ANCHOR)
    contact = Contact.objects.create(channel="hotline", started_at=dt.datetime.now(dt.UTC), agent=agent, customer=customer)
    check = IdentityVerification.objects.create(contact=contact, method="sms_code", result="passed", agent=agent)
    order = services.create_order(agent, kind="fault", title="手机无信号", customer_id=customer.pk, channel="hotline",
                                  subscription_id=sub.pk, contact_id=contact.pk)
    link = ContactOrder.objects.get(order=order)
    resolved = WorkOrder.objects.filter(status=Status.RESOLVED).first()
    feedback = services.record_feedback(User.objects.get(pk=resolved.owner_id), resolved.pk, confirmed=True, score=9)
    new = {Customer: customer, Account: account, Subscription: sub, Contact: contact, IdentityVerification: check,
           WorkOrder: order, OrderEvent: order.events.get(action="create"), Feedback: feedback, ContactOrder: link}
    assert {model: new[model].pk > seeded[model] for model in COLUMNS} == dict.fromkeys(COLUMNS, True)
    assert order in services.with_words(WorkOrder.objects.all(), "手机无信号")


def test_identity_is_sealed_as_the_model_fields_seal_it(seeded):
    """The seed's own encryption and blind indexes (rows.Sealer) are kefu.core.crypto's: the
    model reads the values back, and lookups by number find the customer."""
    from django.db import connection

    from kefu.core import crypto

    with connection.cursor() as cursor:
        cursor.execute("SELECT id, phone, id_number, address FROM customers_customer ORDER BY id")
        stored = cursor.fetchall()
        cursor.execute("SELECT caller FROM contacts_contact WHERE caller <> ''")
        callers = [caller for (caller,) in cursor.fetchall()]
    assert stored and callers
    assert all(crypto.is_encrypted(value) for row in stored for value in row[1:]) and all(map(crypto.is_encrypted, callers))
    assert len({value for row in stored for value in row[1:]}) == 3 * len(stored)  # a nonce of its own each
    customers = {c.pk: c for c in Customer.objects.all()}
    for pk, phone, id_number, address in stored:
        c = customers[pk]
        assert crypto.decrypt(phone, "customers.customer.phone") == c.phone
        assert crypto.decrypt(id_number, "customers.customer.id_number") == c.id_number
        assert crypto.decrypt(address, "customers.customer.address") == c.address != ""
        assert Customer.objects.get(phone_bidx__in=crypto.lookup_hashes(c.phone, "phone")) == c
        assert c.id_number_bidx in crypto.lookup_hashes(c.id_number, "id_number")
    assert all(crypto.decrypt(caller, "contacts.contact.caller") for caller in callers)
