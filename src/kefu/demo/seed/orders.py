"""Work orders: what each is about, who takes it, its texts, its history and its contact; ids
in order of registration, given once all are built (Parked)."""

import datetime as dt
import json
import pickle
import tempfile

from kefu.contacts.models import Channel, Contact, ContactOrder
from kefu.customers.models import Customer, Segment
from kefu.orders.models import Feedback, Kind, OrderEvent, Severity, WorkOrder
from kefu.orders.services import order_number, words_of

from . import plans
from .contacts import answered_contact, order_contact
from .draws import Weighted, choice, randrange
from .history import History, Order, colleague
from .identity import scramble
from .params import (
    AT_RISK_SHARE,
    CATEGORY_PRODUCT,
    CHANNEL_WEIGHTS,
    CHUNK,
    DAY,
    FREQUENT_SHARE,
    KIND_WEIGHTS,
    LATE_SHARE,
    MAX_OVERDUE,
    OPEN,
    OPEN_BUDGET_HOURS,
    OPEN_FIRST_CONTACT_SHARE,
    OPEN_NEW_BUDGET_HOURS,
    REGULAR_ORDERS,
    SETTLED_ON_CALL,
    SEVERITY_WEIGHTS,
    STATUS_BY_AGE,
    WINDOW_DAYS,
    Product,
    S,
)
from .rows import COLUMNS
from .values import Values, fill
from .words import (
    CUSTOMER_SUMMARIES,
    KIND_VERBS,
    MAJOR_COMPLAINT,
    MAJOR_ENTERPRISE_FAULT,
    MAJOR_FAULT,
    REGULATOR_PREFIX,
    RESOLUTIONS,
    TEMPLATES,
    URGENT_NOTES,
)


class OrderFactory:
    """Draws what an order is about, who takes it, and its texts."""

    def __init__(self, ctx, count):
        self.ctx = ctx
        self.regular_every = max(1, count // REGULAR_ORDERS)
        self.built = 0
        self.kinds = Weighted(KIND_WEIGHTS)
        self.by_age = [(days, Weighted(weights)) for days, weights in STATUS_BY_AGE]
        self.channels = Weighted(CHANNEL_WEIGHTS)
        self.complaint_channels = Weighted(CHANNEL_WEIGHTS + [(Channel.REGULATOR, 4)])
        self.severities = {k: Weighted(v) for k, v in SEVERITY_WEIGHTS.items()}
        self.ranked = {}  # id(customer pool) -> the pool, frequent callers first

    def forced_statuses(self, count):
        """Each status once when there is room (None: by age), so small demos show them all."""
        forced = list(S.values)[:count] + [None] * max(0, count - len(S.values))
        self.ctx.rng.shuffle(forced)
        return forced

    def registered(self, forced):
        """(created, final status): intake spread evenly over the window, status by age.
        Orders with a forced status are recent, where every status is at home."""
        ctx, rng = self.ctx, self.ctx.rng
        days_back = randrange(rng, 3) if forced else randrange(rng, WINDOW_DAYS)
        created = ctx.daytime(ctx.last_day - days_back * DAY)
        if forced:
            return created, forced
        age = (ctx.horizon - created) / DAY
        return created, next(w for days, w in self.by_age if age < days or days == WINDOW_DAYS).pick(rng)

    def young(self, created, final, kind, severity, forced):
        """(created, final) of an order drawn as open: a well-run centre finishes most work within
        its time limits, so an open order older than its budget (OPEN_BUDGET_HOURS) was mostly
        closed by now, a few are late (at most MAX_OVERDUE), and some near the limit are at risk.
        Consultations and praise are mostly answered at first contact."""
        ctx, rng = self.ctx, self.ctx.rng
        if not forced and kind in (Kind.CONSULTATION, Kind.PRAISE) and rng.random() >= OPEN_FIRST_CONTACT_SHARE:
            return created, S.CLOSED
        key = (kind, severity) if (kind, severity) in OPEN_BUDGET_HOURS else (kind, Severity.GENERAL)
        budget = plans.budget(kind, severity)
        while created > ctx.horizon - dt.timedelta(minutes=10):  # later today than the horizon
            created -= min(DAY, max(budget, dt.timedelta(hours=1)))
        if final == S.NEW:
            new_budget = dt.timedelta(hours=OPEN_NEW_BUDGET_HOURS[key])
            if forced or ctx.horizon - created <= new_budget:
                budget = new_budget
            else:
                final = S.IN_PROGRESS  # accepted and started since
        age = ctx.horizon - created
        if forced:
            return ctx.horizon - max(budget * (0.1 + 0.6 * rng.random()), dt.timedelta(minutes=10)), final
        if age > budget:
            if rng.random() >= LATE_SHARE:
                return created, S.CLOSED
            return ctx.horizon - budget - min(MAX_OVERDUE, budget) * rng.random(), final
        if age > budget * 0.8 and rng.random() >= AT_RISK_SHARE:
            return created, S.CLOSED
        return created, final

    def customer(self, product):
        """Most customers call rarely; a share of the orders comes from a few frequent callers,
        ranked in a shuffled order so that they are not the first customers (the README's
        example customer 1 looks like anyone)."""
        rng = self.ctx.rng
        pool = self.ctx.by_product.get(product) or self.ctx.customers
        if rng.random() >= FREQUENT_SHARE:
            return pool[randrange(rng, len(pool))]
        ranked = self.ranked.get(id(pool))
        if ranked is None:
            ranked = self.ranked[id(pool)] = sorted(pool, key=lambda c: scramble(c.pk, 10**9 + 7))
            first = self.ctx.customers[0]
            if first in ranked:  # the README's example customer gets its handful in build()
                ranked.remove(first)
                ranked.append(first)
        return ranked[int(len(ranked) * rng.random() ** 2)]

    def channel(self, kind, customer):
        rng = self.ctx.rng
        if customer.type == Customer.Type.ENTERPRISE and rng.random() < 0.4:
            return Channel.ACCOUNT_MANAGER
        return (self.complaint_channels if kind == Kind.COMPLAINT else self.channels).pick(rng)

    def severity(self, kind, channel, customer):
        rng = self.ctx.rng
        if channel == Channel.REGULATOR:
            return Severity.MAJOR if rng.random() < 0.5 else Severity.URGENT
        severity = self.severities[kind].pick(rng) if kind in self.severities else Severity.GENERAL
        if severity == Severity.GENERAL and kind in (Kind.FAULT, Kind.COMPLAINT) and customer.segment in (
                Segment.VIP, Segment.ENTERPRISE, Segment.GOVERNMENT) and rng.random() < 0.3:
            severity = Severity.URGENT
        return severity

    def owner(self, channel):
        """The first-contact owner: whoever took the contact on that channel."""
        rng = self.ctx.rng
        if channel == Channel.STORE:
            return choice(rng, self.ctx.pool["store"])
        if channel == Channel.ACCOUNT_MANAGER:
            return choice(rng, self.ctx.pool["sales"])
        return choice(rng, self.ctx.owners)

    def texts(self, kind, category, severity, channel, customer, values):
        rng = self.ctx.rng
        code = category.code if category else ""
        name = category.name if category else KIND_VERBS[kind]
        # Categories an operator added have no templates: a plain text from the name.
        title, description = choice(rng, TEMPLATES.get(code) or [(name, f"客户反映{name}相关问题，请尽快处理。")])
        title, description = fill(title, values), fill(description, values)
        if severity == Severity.MAJOR:
            if kind == Kind.COMPLAINT:
                extra = MAJOR_COMPLAINT
            else:
                extra = MAJOR_ENTERPRISE_FAULT if customer.type == Customer.Type.ENTERPRISE else MAJOR_FAULT
            description += fill(choice(rng, extra), values)
        elif severity == Severity.URGENT:
            description += choice(rng, URGENT_NOTES)
        if channel == Channel.REGULATOR:
            description = REGULATOR_PREFIX + description
        options = RESOLUTIONS.get(code) or RESOLUTIONS[kind]
        return title[:200], description, [choice(rng, options), choice(rng, options)]  # 2nd: after a reopen

    def build(self, forced):
        ctx, rng = self.ctx, self.ctx.rng
        created, final = self.registered(forced)
        kind = self.kinds.pick(rng)
        category = ctx.categories[kind].pick(rng) if kind in ctx.categories else None
        product = CATEGORY_PRODUCT.get(category.code if category else "", Product.MOBILE)
        customer = self.customer(product)
        if self.built % self.regular_every == self.regular_every - 1:
            customer = ctx.customers[0]
        self.built += 1
        channel = self.channel(kind, customer)
        severity = self.severity(kind, channel, customer)
        if final in OPEN:
            created, final = self.young(created, final, kind, severity, forced)
        owner = self.owner(channel)
        route = plans.route(ctx, kind, category.code if category else "", owner)
        plan = plans.plan(ctx, final, kind)
        gaps = plans.in_time(ctx, plan, [plans.gap(ctx, step, kind) for step in plan], plans.budget(kind, severity))
        live = 0  # steps done on the call that raised the order
        if "resolve" in plan and not forced and rng.random() < SETTLED_ON_CALL.get(kind, 0):
            route = (ctx.user_dept[owner], owner)
            plan, gaps, live = plans.on_call(ctx, plan, gaps)
        if final in OPEN:
            created, times = plans.open_timeline(ctx, created, gaps)
        else:
            created, times = plans.timeline(ctx, created, final, plan, gaps, live)
        values = Values(ctx, customer, created)
        title, description, resolutions = self.texts(kind, category, severity, channel, customer, values)
        # The id is provisional and the number (GD<date><id>) waits for the final id: the
        # registration time stands for it (Parked).
        order = Order(pk=ctx.order_id(created), number=created.replace(tzinfo=ctx.tz), kind=kind,
                      category_id=category.pk if category else None,
                       severity=severity, channel=channel, customer_id=customer.pk, title=title,
                       description=description, owner_id=owner, province=customer.province,
                       customer_summary=title if channel == Channel.SELF_SERVICE
                       else CUSTOMER_SUMMARIES[kind].format(name=category.name if category else ""),
                       subscription_id=None if kind in (Kind.SUGGESTION, Kind.PRAISE) else customer.subs.get(product))
        history = History(ctx, order, route, values, resolutions, plans.budget(kind, severity))
        history.create(created)
        for step, at in zip(plan, times, strict=True):
            history.apply(step, at)
        ctx.rows(WorkOrder).append(order.row())
        order_contact(ctx, order, customer, created, settled=times[live - 1] if live else None)


def _column(model, name) -> int:
    return COLUMNS[model].index(name)


class Parked:
    """The rows of the orders being built, parked (pickled, in a temporary file: memory stays
    bounded) until every order is built; then completed with the final ids and handed to the
    writer, CHUNK orders at a time, in build order.

    Live, ids follow registration, and an order's registration time is drawn with the rest of
    it: only once all are built is each order's id known, the id of its place among all by
    registration time. Until then an order's rows hold its provisional id (Context.order_id)
    and leave open what depends on the final one:

    - WorkOrder.id, and the order_id of its events, feedback and contact link: the provisional id;
    - WorkOrder.number: the registration time, for orders.services.order_number;
    - the data of its "create" event: a dict whose "number" is None;
    - the summary of the contact that raised it: (provisional id, text before the number, after);
    - who relays the customer's answer when the resolver is the first-contact owner
      (History._relayer): minus the resolver's id, for history.colleague.

    Its word index (orders.services.words_of) is written with it.
    """

    def __init__(self, ctx):
        self.ctx, self.chunks = ctx, 0
        self.file = tempfile.TemporaryFile()

    def __call__(self, batch):
        """Park a batch (the context's sink while orders are built)."""
        pickle.dump([(table.model, rows) for table, rows in batch], self.file, protocol=pickle.HIGHEST_PROTOCOL)
        self.chunks += 1

    def release(self):
        """Complete the parked rows with the final ids and write them."""
        ctx = self.ctx
        first, registered = ctx.first_order_id, ctx.registered_at
        by_time = sorted(range(len(registered)), key=lambda i: (registered[i], i))
        self.final = [0] * len(registered)  # provisional id - first -> final id
        for place, i in enumerate(by_time):
            self.final[i] = first + place
        self.title_words: dict[str, frozenset] = {}
        self.text_words: dict[str, frozenset] = {}
        self.file.seek(0)
        for _ in range(self.chunks):
            batch = pickle.load(self.file)
            ctx.write(self._complete([(ctx.tables[model], rows) for model, rows in batch]))

    def _complete(self, batch):
        ctx, final, first = self.ctx, self.final, self.ctx.first_order_id
        numbers: dict[int, str] = {}  # provisional id -> number
        orders = [self._order(row, numbers) for table, rows in batch if table.model is WorkOrder for row in rows]
        done = []
        for table, rows in batch:
            model = table.model
            if model is WorkOrder:
                rows = orders
            elif model is OrderEvent:
                rows = [self._event(row, numbers) for row in rows]
            elif model is Feedback:
                rows = [self._feedback(row) for row in rows]
            elif model is ContactOrder:
                rows = [(pk, contact, final[order - first], role) for pk, contact, order, role in rows]
            elif model is Contact:
                rows = [row if type(row[SUMMARY]) is not tuple else self._contact(row, numbers) for row in rows]
            done.append((table, rows))
            if model is WorkOrder:  # in its key's order, the inserts walk the index's B-tree once
                words = ctx.words.take()
                done.append((ctx.words, sorted(words) if ctx.sorted_words else words))
        return done

    def _order(self, row, numbers):
        pk = self.final[row[0] - self.ctx.first_order_id]
        number = numbers[row[0]] = order_number(pk, row[NUMBER])
        words = self.ctx.words.rows
        for word in self._words(number, row[TITLE], row[DESCRIPTION]):
            words.append((word, pk))
        return (pk, *row[1:NUMBER], number, *row[NUMBER + 1:])

    def _words(self, number, title, description):
        """words_of(number, title, description): the words of each part apart (the tokenizer
        cuts at line breaks, as words_of joins them), those of texts seen before remembered."""
        cache = self.title_words
        title_words = cache.get(title)
        if title_words is None:
            if len(cache) > 100_000:
                cache.clear()
            title_words = cache[title] = frozenset(words_of("", title, ""))
        cache = self.text_words
        text_words = cache.get(description)
        if text_words is None:
            if len(cache) > 100_000:
                cache.clear()
            text_words = cache[description] = frozenset(words_of("", "", description))
        return words_of(number, "", "") | title_words | text_words

    def _event(self, row, numbers):
        row = list(row)
        provisional = row[EVENT_ORDER]
        order = row[EVENT_ORDER] = self.final[provisional - self.ctx.first_order_id]
        if row[ACTOR] is not None and row[ACTOR] < 0:
            row[ACTOR] = colleague(self.ctx, -row[ACTOR], order)
        if row[ACTION] == "create":
            row[DATA]["number"] = numbers[provisional]
            row[DATA] = json.dumps(row[DATA])
        return row

    def _feedback(self, row):
        row = list(row)
        order = row[FEEDBACK_ORDER] = self.final[row[FEEDBACK_ORDER] - self.ctx.first_order_id]
        if row[RECORDED_BY] < 0:
            row[RECORDED_BY] = colleague(self.ctx, -row[RECORDED_BY], order)
        return row

    def _contact(self, row, numbers):
        provisional, before, after = row[SUMMARY]
        return (*row[:SUMMARY], f"{before}{numbers[provisional]}{after}", *row[SUMMARY + 1:])


NUMBER, TITLE, DESCRIPTION = (_column(WorkOrder, c) for c in ("number", "title", "description"))
EVENT_ORDER, ACTOR, ACTION, DATA = (_column(OrderEvent, c) for c in ("order_id", "actor_id", "action", "data"))
FEEDBACK_ORDER, RECORDED_BY = (_column(Feedback, c) for c in ("order_id", "recorded_by_id"))
SUMMARY = _column(Contact, "summary")


def build_orders(ctx, count) -> "OrderFactory":
    """Build COUNT orders into CTX's tables, handed to its sink CHUNK at a time; returns the factory."""
    factory = OrderFactory(ctx, count)
    for n, forced in enumerate(factory.forced_statuses(count)):
        factory.build(forced)
        if n % CHUNK == CHUNK - 1:
            ctx.flush()
    ctx.flush()
    return factory


def make_orders(ctx, count, extra_contacts, progress=None):
    """COUNT orders with their contacts, then EXTRA_CONTACTS contacts answered without one."""
    parked = ctx.sink = Parked(ctx)
    try:
        factory = build_orders(ctx, count)
        ctx.sink = ctx.write
        if progress:
            progress("work orders built")
        parked.release()
    finally:
        ctx.sink = ctx.write
        parked.file.close()
    for n in range(extra_contacts):
        answered_contact(ctx, factory)
        if n % CHUNK == CHUNK - 1:
            ctx.flush()
    ctx.flush()
