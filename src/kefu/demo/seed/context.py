"""The run context: one run's random source, time window, staff pools, categories, id counters,
tables and where their rows go (the writer, or orders.Parked while order ids are not known)."""

import datetime as dt
from random import Random
from zoneinfo import ZoneInfo

from django.conf import settings

from kefu.demo import org
from kefu.orders.models import Category, Kind, OrderWord, WorkOrder
from kefu.staff import roles
from kefu.staff.models import Department, User

from .customers import CustomerInfo, Product
from .draws import Weighted, randrange
from .params import CATEGORY_WEIGHTS, DAY, HOUR_WEIGHTS, WINDOW_DAYS
from .rows import COLUMNS, WORD_COLUMNS, Sealer, Table, db_converters, next_ids


class Context:
    """Random source, time window, staff pools, categories, id counters and tables of one run.

    flush() hands the rows built so far to `sink`, a list of (table, rows) at a time: by default
    to WRITER (rows.Writer), which inserts them while the next ones are built."""

    def __init__(self, seed, anchor, now=None, writer=None):
        self.rng, self.seed, self.anchor = Random(seed), seed, anchor
        self.tz = ZoneInfo(settings.TIME_ZONE)
        # The data ends at the horizon: 00:00 of the anchor day, or NOW (kefu demo), so nothing
        # lies in the future. Times are naive wall-clock times in self.tz until they are written
        # (see rows.db_converters).
        self.horizon = dt.datetime.combine(anchor, dt.time()) if now is None else (
            now.astimezone(self.tz).replace(tzinfo=None, microsecond=0))
        # 00:00 of the last day with data: the day before a midnight horizon, else the horizon's day.
        self.last_day = dt.datetime.combine((self.horizon - dt.timedelta(seconds=1)).date(), dt.time())
        self.window_start = self.last_day - dt.timedelta(days=WINDOW_DAYS - 1)
        self.hours = Weighted(list(enumerate(HOUR_WEIGHTS)))
        # The feedback rules of orders.services, read once (settings is a lazy object).
        self.threshold = threshold = settings.KEFU_SATISFIED_THRESHOLD
        self.review_low_scores = settings.KEFU_LOW_SCORE_ACTION == "review"
        self.auto_confirm = dt.timedelta(hours=settings.KEFU_AUTO_CONFIRM_HOURS)
        self.happy_scores = Weighted([(s, 1 + (s - threshold) * 2) for s in range(threshold, 11)])
        # Customers who waited past the time limit still confirm, but score lower.
        self.late_scores = Weighted([(s, 1 + max(0, 10 - s - 1)) for s in range(max(1, threshold - 3), 11)])
        self.ts, self.day = db_converters(self.tz, self.horizon - 4000 * DAY, self.horizon)
        self.tables = {model: Table(model, columns) for model, columns in COLUMNS.items()}
        self.words = Table(OrderWord, WORD_COLUMNS)  # filled once the orders' numbers are known
        self.sorted_words = True  # written in the order of the index's key (see generate)
        self.writer = writer
        self.sink = self.write
        self.sealer = Sealer()
        self.key_id = self.sealer.key.id
        self.ids = next_ids(*COLUMNS)
        self.first_order_id = self.ids[WorkOrder]
        self.registered_at: list[dt.datetime] = []  # of each order built, in build order
        self.customers: list[CustomerInfo] = []
        self.by_product: dict[str, list[CustomerInfo]] = {p: [] for p in Product.values}
        self._load_staff()
        self._load_categories()

    def take_id(self, model) -> int:
        pk = self.ids[model]
        self.ids[model] = pk + 1
        return pk

    def order_id(self, created) -> int:
        """The provisional id of the next work order built, registered at CREATED: ids in build
        order. Live, ids follow registration (numbers GD<date><id> rise with their dates, and a
        search lists newest first by id): once all are built, each order takes the id of its
        place among all by registration time (orders.make_orders)."""
        pk = self.take_id(WorkOrder)
        self.registered_at.append(created)
        return pk

    def rows(self, model) -> list:
        return self.tables[model].rows

    def flush(self):
        """Hand the rows built so far to the sink, parents before children (COLUMNS' order)."""
        batch = [(table, rows) for table in self.tables.values() if (rows := table.take())]
        if batch:
            self.sink(batch)

    def write(self, batch):
        for table, rows in batch:
            self.writer.put(table, rows)

    def _load_staff(self):
        people = [(u, r, d) for u, _p, _n, r, d in org.DEMO_USERS] + [(u, r, d) for u, _n, r, d in org.EXTRA_STAFF]
        users = {u.username: u.pk for u in User.objects.filter(username__in=[p[0] for p in people]).order_by("id")}
        depts = Department.objects.filter(code__in=[c for c, _n, _k in org.DEPARTMENTS])
        self.dept_ids = {d.code: d.pk for d in depts}
        self.dept_tiers = {d.pk: d.tier for d in depts}
        self.pool: dict[str, list[int]] = {}  # department code -> staff who handle its orders
        for username, role, dept in people:
            if dept and role in (roles.AGENT, roles.TECH_SUPPORT, roles.COORDINATOR, roles.SALES):
                self.pool.setdefault(dept, []).append(users[username])
        self.user_dept = {users[u]: d for u, _r, d in people}
        self.supervisor = users["supervisor"]
        self.owners = self.pool["front-office"]

    def _load_categories(self):
        cats = list(Category.objects.filter(is_active=True).exclude(kind="").order_by("sort_order", "code"))
        parents = {c.parent_id for c in cats}
        self.categories: dict[str, Weighted] = {}
        for kind in Kind.values:
            leaves = [c for c in cats if c.kind == kind and c.pk not in parents]
            if leaves:
                self.categories[kind] = Weighted([(c, CATEGORY_WEIGHTS.get(c.code, 1)) for c in leaves])

    def daytime(self, day_start: dt.datetime) -> dt.datetime:
        """A moment in the day starting at DAY_START; office hours are busier than nights."""
        return day_start + dt.timedelta(hours=self.hours.pick(self.rng), seconds=randrange(self.rng, 3600))
