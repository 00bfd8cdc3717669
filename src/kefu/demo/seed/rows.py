"""Writing rows: each model's rows as tuples in COLUMNS order, inserted in big batches.

Rows are written as plain tuples with executemany (COPY on PostgreSQL): bulk_create's per-value
SQL compilation would take minutes for a million rows. Rows get explicit primary keys, so
sequences are reset afterwards (PostgreSQL).
"""

from contextlib import contextmanager

from django.core.management.color import no_style
from django.db import connection
from django.db.models import Max

from kefu.contacts.models import Contact, ContactOrder, IdentityVerification
from kefu.core import crypto
from kefu.customers.models import Account, Customer, Subscription
from kefu.orders.models import Feedback, OrderEvent, WorkOrder

from .params import DAY


class Table:
    """Rows of one model as tuples in COLUMNS order, inserted with executemany (COPY on PostgreSQL).

    Raw inserts skip the ORM's per-value SQL compilation (most of bulk_create's time for a
    million rows) and auto_now, so the generated timestamps are stored as they are.
    """

    def __init__(self, model, columns):
        meta = model._meta
        fields = {f.attname: f for f in meta.concrete_fields}
        unknown = [c for c in columns if c not in fields]
        missing = [a for a, f in fields.items() if a not in columns and not (f.null or f.primary_key)]
        if unknown or missing:  # the model changed: fail loudly rather than insert wrong rows
            raise LookupError(f"demo seed columns of {meta.label} are out of date: unknown {unknown}, missing {missing}")
        qn = connection.ops.quote_name
        self.rows, self.count = [], 0
        target = f"{qn(meta.db_table)} ({', '.join(qn(fields[c].column) for c in columns)})"
        self.sql = f"INSERT INTO {target} VALUES ({', '.join(['%s'] * len(columns))})"
        self.copy_sql = f"COPY {target} FROM STDIN"

    def flush(self):
        if not self.rows:
            return
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # executemany costs a round trip per row through Django's client-side binding cursor.
                with cursor.cursor.copy(self.copy_sql) as copy:
                    for row in self.rows:
                        copy.write_row(row)
            else:
                cursor.executemany(self.sql, self.rows)
        self.count += len(self.rows)
        self.rows = []


COLUMNS = {
    Customer: ("id", "created_at", "updated_at", "version", "customer_no", "type", "name", "id_type", "id_number",
               "phone", "alt_phone", "email", "address", "province", "city", "district", "segment", "status",
               "service_password_hash", "id_number_bidx", "phone_bidx", "alt_phone_bidx", "key_id"),
    Account: ("id", "created_at", "updated_at", "version", "account_no", "customer_id", "name", "billing", "status"),
    Subscription: ("id", "created_at", "updated_at", "version", "service_number", "customer_id", "account_id",
                   "product", "plan", "status", "opened_on", "terminated_on", "province", "city", "area"),
    Contact: ("id", "created_at", "updated_at", "version", "channel", "direction", "started_at", "ended_at", "agent_id",
              "customer_id", "caller", "summary", "outcome", "key_id"),
    IdentityVerification: ("id", "contact_id", "method", "result", "at", "agent_id", "code_hash", "expires_at"),
    WorkOrder: ("id", "created_at", "updated_at", "version", "number", "kind", "category_id", "severity", "channel",
                "status", "customer_id", "subscription_id", "title", "description", "customer_summary", "resolution", "owner_id",
                "handler_id", "department_id", "parent_id", "reopen_count", "satisfaction", "needs_review",
                "accepted_at", "resolved_at", "closed_at", "repeat_count", "flagged", "tier", "province"),
    OrderEvent: ("id", "order_id", "at", "actor_id", "action", "from_status", "to_status", "reason", "note",
                 "visibility", "data", "disputes_id"),
    Feedback: ("id", "order_id", "resolution_event_id", "confirmed", "score", "satisfied", "comment", "channel",
               "recorded_by_id", "at"),
    ContactOrder: ("id", "contact_id", "order_id", "role"),
}
LABELS = {Customer: "customers", Account: "accounts", Subscription: "subscriptions", Contact: "contacts",
          IdentityVerification: "identity verifications", WorkOrder: "work orders", OrderEvent: "order events",
          Feedback: "feedback", ContactOrder: "contact-order links"}


def db_converters(tz, start, end):
    """(timestamp, date) converters to what the database driver takes, as Django would store them.

    Times are generated as naive wall-clock times in TZ (cheap arithmetic, local hours at hand).
    Django keeps SQLite datetimes as naive UTC text; all our times are whole seconds.
    """
    if connection.vendor != "sqlite":
        return (lambda d: d.replace(tzinfo=tz)), (lambda d: d)
    offsets = {tz.utcoffset(start + DAY * i) for i in range((end - start).days + 1)}
    if len(offsets) == 1:  # no daylight saving in the window (always so for Asia/Shanghai)
        offset = offsets.pop()
        timestamp = lambda d: str(d - offset)  # noqa: E731 -- hot path: about 10^6 calls
    else:
        timestamp = lambda d: str(d - tz.utcoffset(d))  # noqa: E731
    return timestamp, (lambda d: None if d is None else d.isoformat())


@contextmanager
def big_cache(kib=256 * 1024):
    """SQLite's default 2 MB page cache makes index inserts thrash on a big run; lend it more."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = -{int(kib)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")


def next_ids(*models) -> dict:
    return {m: (m.objects.aggregate(m=Max("id"))["m"] or 0) + 1 for m in models}


def reset_sequences(models):
    """PostgreSQL sequences do not see explicit ids: move them past the rows we inserted."""
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def encrypted(context, field, value):
    """VALUE encrypted as the model field FIELD of CONTEXT (app_label.model) stores it."""
    return crypto.encrypt(value, f"{context}.{field}")
