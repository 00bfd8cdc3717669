"""Writing rows: each model's rows as tuples in COLUMNS order, inserted in big batches by a
writer thread while the next batch is built.

Rows are written as plain tuples with executemany (COPY on PostgreSQL): bulk_create's per-value
SQL compilation would take minutes for a million rows. The writer thread uses the caller's
database connection, and so its transaction, while the caller builds (the connection's driver
lets go of the GIL while the database works: building and writing overlap, on PostgreSQL on two
cores). Rows get explicit primary keys, so sequences are reset afterwards (PostgreSQL).
"""

import base64
import queue
import secrets
import threading
import time
from contextlib import contextmanager

from django.core.management.color import no_style
from django.db import DatabaseError, connection, transaction
from django.db.models import Max

from kefu.contacts.models import Contact, ContactOrder, IdentityVerification
from kefu.core import crypto
from kefu.customers.models import Account, Customer, Subscription
from kefu.orders.models import Feedback, OrderEvent, OrderWord, WorkOrder

from .params import DAY


class Table:
    """Rows of one model as tuples in COLUMNS order, handed to the writer in batches (take()).

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
        self.model, self.columns = model, columns
        self.rows: list = []
        self.count = 0
        target = f"{qn(meta.db_table)} ({', '.join(qn(fields[c].column) for c in columns)})"
        self.sql = f"INSERT INTO {target} VALUES ({', '.join(['?' if connection.vendor == 'sqlite' else '%s'] * len(columns))})"
        self.copy_sql = f"COPY {target} FROM STDIN"

    def take(self) -> list:
        """The rows built since the last call, counted as written."""
        rows, self.rows = self.rows, []
        self.count += len(rows)
        return rows


class Writer:
    """Inserts batches of rows on a thread of its own, through the caller's database connection
    (inside the caller's transaction), while the caller builds the next ones.

    The connection is the writer's while it has batches to write: a statement the caller runs
    through Django meanwhile first waits for them (writing() installs before_query). A failed
    insert is raised in the caller at its next put() or at close(); the batches after it are
    dropped. At most DEPTH batches wait, so memory stays bounded when building outruns the
    database.
    """

    DEPTH = 4

    def __init__(self):
        connection.ensure_connection()
        self.raw = connection.connection
        self.wrap_errors = connection.wrap_database_errors  # the driver's errors as Django's
        self.copy = connection.vendor == "postgresql"
        self.stats: dict = {}  # model -> [rows, seconds spent writing them]
        self.error: BaseException | None = None
        self.queue: queue.Queue = queue.Queue(maxsize=self.DEPTH)
        self.thread = threading.Thread(target=self._run, name="kefu-seed-writer", daemon=True)
        self.thread.start()

    def put(self, table: Table, rows: list):
        if self.error is not None:
            raise self.error
        if rows:
            self.queue.put((table, rows))

    def before_query(self, execute, sql, params, many, context):
        """A Django execute wrapper for the caller's connection: the writer's batches first."""
        self.queue.join()
        return execute(sql, params, many, context)

    def close(self):
        """Wait for every batch to be written; raise the error of a failed one."""
        self._stop()
        if self.error is not None:
            raise self.error

    def abort(self):
        """Drop the batches not yet written and wait for the one being written."""
        self.error = self.error or RuntimeError("demo seed aborted")
        self._stop()

    def _stop(self):
        if self.thread.is_alive():
            self.queue.put(None)
            self.thread.join()

    def _run(self):
        while (item := self.queue.get()) is not None:
            try:
                if self.error is None:  # else dropped: the caller raises at its next put() or at close()
                    self._batch(*item)
            finally:
                self.queue.task_done()
        self.queue.task_done()

    def _batch(self, table, rows):
        began = time.perf_counter()
        try:
            with self.wrap_errors:
                self._write(table, rows)
        except BaseException as exc:  # handed to the caller's thread
            self.error = exc
            return
        stat = self.stats.setdefault(table.model, [0, 0.0])
        stat[0] += len(rows)
        stat[1] += time.perf_counter() - began

    def _write(self, table, rows):
        if self.copy:
            # executemany costs a round trip per row; COPY streams them.
            with self.raw.cursor() as cursor, cursor.copy(table.copy_sql) as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor = self.raw.cursor()
            try:
                cursor.executemany(table.sql, rows)
            finally:
                cursor.close()


@contextmanager
def writing():
    """A Writer for the block: closed (everything written) when the block ends, aborted when it
    raises. The caller's statements through Django wait for the batches handed over before."""
    writer = Writer()
    try:
        with connection.execute_wrapper(writer.before_query):
            yield writer
    except BaseException:
        writer.abort()
        raise
    writer.close()


class Sealer:
    """Field encryption and blind indexes exactly as kefu.core.crypto writes them (the model
    field's `enc1:<key id>:<base64 of nonce + ciphertext>`, the lookup hash), for a million
    values: the current key is read once (crypto.ring() reads the configuration, or the key
    file, on every call) and the random nonces are drawn 4096 at a time."""

    BATCH = 4096

    def __init__(self):
        self.key = key = crypto.ring().current
        self.cipher = key.cipher
        self.prefix = f"{crypto.PREFIX}:{key.id}:"
        self.nonces, self.at = b"", 0
        self.contexts: dict[str, bytes] = {}

    def encrypt(self, value: str, context: str) -> str:
        """VALUE encrypted as the model field CONTEXT (app_label.model.field) stores it."""
        if not value:
            return value  # as crypto.encrypt: emptiness is not secret
        at = self.at
        if at + 12 > len(self.nonces):
            self.nonces, at = secrets.token_bytes(12 * self.BATCH), 0
        nonce, self.at = self.nonces[at:at + 12], at + 12
        aad = self.contexts.get(context)
        if aad is None:
            aad = self.contexts[context] = context.encode()
        return self.prefix + base64.urlsafe_b64encode(nonce + self.cipher.encrypt(nonce, value.encode(), aad)).decode()

    def blind_index(self, value: str, purpose: str) -> str:
        return crypto.blind_index(value, purpose, self.key)


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
# The orders' word index (decision 0022), written with the orders, as orders.services keeps it
# (one row per word of orders.services.words_of).
WORD_COLUMNS = ("word", "order_id")
LABELS[OrderWord] = "order words"  # in the writer's statistics, not in generate()'s counts


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


@contextmanager
def bulk_load(models, enabled=True, timings=None):
    """While the block runs, the tables of MODELS have no secondary indexes, nor on PostgreSQL
    foreign keys and the unique and primary keys no foreign key refers to: they are dropped at
    its start and made again at its end, in the caller's transaction. Building an index from all
    its rows at once (one sort) and checking a key for all rows at once (one join) cost a
    fraction of doing it row by row, and a big run writes tens of millions of rows (ENABLED:
    see params.BULK_LOAD_ORDERS).

    Safe as a transaction is: the definitions are read from the database's catalogue and made
    again verbatim (same names, same definitions, foreign keys checked for every row as ADD
    CONSTRAINT does), and the DDL is transactional on PostgreSQL and SQLite: a run that fails
    rolls back to the indexes and constraints it found. Until the run commits, the tables are
    locked against other sessions (and, on PostgreSQL, the tables the dropped foreign keys
    point at against writes); the block only runs inside a transaction. Yields whether they were
    dropped (not without the right to: then the load goes row by row). TIMINGS, a list, receives
    (statement, seconds) of each one that made an index or a key again."""
    if not enabled or connection.vendor not in ("postgresql", "sqlite"):
        yield False
        return
    if not connection.in_atomic_block:
        raise RuntimeError("bulk_load() drops indexes: only inside a transaction")
    if connection.vendor == "postgresql":
        # Rows this transaction wrote before (the demo organisation, in a test) leave foreign key
        # checks pending, and PostgreSQL alters no table with pending checks: run them now.
        connection.check_constraints()
    try:
        with transaction.atomic():  # a savepoint: without the right to drop them, load as usual
            restore = _drop_indexes_and_constraints([model._meta.db_table for model in models])
    except DatabaseError:
        restore = []
    yield bool(restore)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")  # the sorts of the index builds
        for statement in restore:
            began = time.perf_counter()
            cursor.execute(statement)
            if timings is not None:
                timings.append((statement, time.perf_counter() - began))


def _drop_indexes_and_constraints(tables) -> list[str]:
    """Drop the secondary indexes of TABLES, and on PostgreSQL their foreign keys and the unique
    and primary keys no foreign key refers to; returns the statements that make them again,
    in the order to run them (keys and indexes first, then the foreign keys they serve).
    Partial and expression indexes stay: few rows enter them, and PostgreSQL would write their
    expressions back in another (equivalent) form."""
    qn = connection.ops.quote_name
    drop, indexes, keys = [], [], []
    with connection.cursor() as cursor:
        for table in tables:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                               "WHERE i.indrelid = %s::regclass AND i.indpred IS NULL AND i.indexprs IS NULL "
                               "AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
                               "WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid AND c.contype IN ('p', 'u', 'x')) "
                               "ORDER BY 1", [qn(table)])
                for name, definition in cursor.fetchall():
                    drop.append(f"DROP INDEX {name}")
                    indexes.append(definition)
                # The foreign keys, and the unique and primary keys that no foreign key refers to.
                cursor.execute("SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint c "
                               "WHERE conrelid = %s::regclass AND (contype = 'f' OR contype IN ('p', 'u') AND NOT EXISTS "
                               "(SELECT 1 FROM pg_constraint r WHERE r.contype = 'f' AND r.conindid = c.conindid)) "
                               "ORDER BY contype, conname", [qn(table)])
                for name, kind, definition in cursor.fetchall():
                    statement = f"ALTER TABLE {qn(table)} ADD CONSTRAINT {qn(name)} {definition}"
                    (keys if kind == "f" else indexes).append(statement)
                    drop.insert(0, f"ALTER TABLE {qn(table)} DROP CONSTRAINT {qn(name)}")  # before the indexes
            else:
                cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                               "AND sql IS NOT NULL AND sql NOT LIKE '%% WHERE %%' ORDER BY name", [table])
                for name, definition in cursor.fetchall():
                    drop.append(f"DROP INDEX {qn(name)}")
                    indexes.append(definition)
        for statement in drop:
            cursor.execute(statement)
    return indexes + keys


def next_ids(*models) -> dict:
    return {m: (m.objects.aggregate(m=Max("id"))["m"] or 0) + 1 for m in models}


def reset_sequences(models):
    """PostgreSQL sequences do not see explicit ids: move them past the rows we inserted."""
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
