"""The word index of orders and the search that reads it (decision 0022): `words_of` (an
order's words: its number and the segmented words of its title and description),
`index_words` and `reindex_words` (kept by the services, rebuilt by `kefu reindex_orders`),
`search_words` and `with_words` (what a search looks for, the orders holding it), and the lists
read in two steps, ids first: `ListedByIds` and `WordSearch` (paged, counted up to
SEARCH_COUNT_CAP within SEARCH_BUDGET)."""

import math

from django.db import transaction
from django.db.models import F, Lookup

from kefu.core import text
from kefu.core.segment import tokenize

from ..models import OrderWord, WorkOrder

MAX_SEARCH_WORDS = 10
"""A query's words beyond these are ignored: each one is a join, and ten already pin an order down."""


def words_of(number: str, title: str, description: str) -> set[str]:
    """The words an order is found by: its number (lower-cased, as the tokenizer gives it) and
    the words of its title and description, segmented as the knowledge base and the classifier
    segment Chinese (kefu.core.segment.tokenize)."""
    return {word[:50] for word in tokenize(f"{number}\n{title}\n{description}")}


def index_words(order) -> None:
    """Rebuild ORDER's rows of the word index (after its number, title or description changed)."""
    OrderWord.objects.filter(order_id=order.pk).delete()
    OrderWord.objects.bulk_create([OrderWord(order_id=order.pk, word=w) for w in words_of(order.number, order.title, order.description)])


def reindex_words(order_ids=None, *, from_id=None, batch_size=2000) -> int:
    """Rebuild the word index of the orders ORDER_IDS (all orders when None; or those from id
    FROM_ID on), BATCH_SIZE orders per transaction. For orders written around these services
    (the demo seed's raw inserts, a migration from another system); returns how many orders
    were indexed."""
    qs = WorkOrder.objects.order_by("id")
    if order_ids is not None:
        qs = qs.filter(pk__in=list(order_ids))
    done, after = 0, (from_id - 1 if from_id else 0)
    while rows := list(qs.filter(pk__gt=after).values_list("id", "number", "title", "description")[:batch_size]):
        with transaction.atomic():
            ids = [row[0] for row in rows]
            OrderWord.objects.filter(order_id__in=ids).delete()
            OrderWord.objects.bulk_create([OrderWord(order_id=pk, word=w) for pk, number, title, description in rows
                                           for w in words_of(number, title, description)], batch_size=5000)
        done, after = done + len(rows), ids[-1]
    return done


def search_words(q: str) -> list[str]:
    """The words a search for Q looks for (as typed: full-width, any case, with or without spaces
    or punctuation between the words), each once, at most MAX_SEARCH_WORDS."""
    return list(dict.fromkeys(tokenize(text.lookup_term(q))))[:MAX_SEARCH_WORDS]


def with_words(qs, q: str):
    """The orders of QS holding every word of Q (as typed: full-width, any case, with or without
    spaces or punctuation between the words; an order number is one of an order's words). One
    indexed semi-join per word; Q without any word finds nothing."""
    return _holding_all(qs, search_words(q))


def _holding_all(qs, words):
    if not words:
        return qs.none()
    for word in words:
        qs = qs.filter(pk__in=OrderWord.objects.filter(word=word).values("order_id"))
    return qs


class ListedByIds:
    """A list of orders as Paginator and core.services.page_of read one (count() and slices;
    iteration too), its rows read in two steps: the ids in list order first, without the list's
    joins, then only the rows of the slice shown, by id, with them (QS: the list's queryset)."""

    count_exact = True

    def __init__(self, qs, ids=()):
        self.qs, self.ids = qs, list(ids)

    def count(self) -> int:
        return len(self.ids)

    def _ids(self, start: int, stop: int | None) -> list[int]:
        return self.ids[start:stop]

    def __getitem__(self, key):
        if not isinstance(key, slice):
            rows = self[key:key + 1]
            if not rows:
                raise IndexError(key)
            return rows[0]
        start, stop = key.start or 0, key.stop
        if start < 0 or (stop is not None and stop < 0) or key.step not in (None, 1):
            raise ValueError("only slices from the start forward")
        ids = self._ids(start, stop)
        rows = self.qs.in_bulk(ids)
        return [rows[pk] for pk in ids if pk in rows]

    def __iter__(self):
        return iter(self[0:None])


SEARCH_COUNT_CAP = 1000
"""A search by words counts its orders up to this many; beyond, it says this many and that
there are more (the API's count_exact)."""


SEARCH_BUDGET = 5000
"""Candidates (orders holding every word) a search checks against its filters and scope for
its count, newest first, one probe each: beyond them the count says "at least". When fewer
than 1 in 100 of them pass, the filters are narrow and the database finds the rest at once
from their own indexes."""


SEARCH_MIN_BATCH = 100


class WordSearch(ListedByIds):
    """The orders of QS holding every word of WORDS, newest first (DESCENDING) or oldest first,
    read word index first (decision 0022). Order ids follow registration, so newest first is
    highest id first: the order of each word's rows in the index. The candidates come from the
    index alone, in batches, and are checked against QS's filters and scope (one primary-key
    probe each; not at all when QS has none) until the page and the count have what they need;
    only the rows of the slice shown are read with the list's joins."""

    def __init__(self, qs, words, *, descending=True):
        super().__init__(qs)
        self.words, self.descending = words, descending
        self.restricted = bool(qs.query.where)  # no condition at all: every candidate is in
        self.last, self.examined, self.exhausted = None, 0, False

    def count(self) -> int:
        """The orders found, up to SEARCH_COUNT_CAP: exact when every candidate could be checked
        within SEARCH_BUDGET, else at least as many (count_exact False)."""
        self._read(SEARCH_COUNT_CAP + 1, budget=SEARCH_BUDGET)
        self.count_exact = self.exhausted and len(self.ids) <= SEARCH_COUNT_CAP
        return min(len(self.ids), SEARCH_COUNT_CAP)

    def _ids(self, start, stop):
        self._read(math.inf if stop is None else stop)
        return self.ids[start:stop]

    def _candidates(self):
        """The ids holding every word after the last candidate examined, in list order."""
        first, *others = self.words
        ids = OrderWord.objects.filter(word=first)
        for word in others:
            ids = ids.filter(order_id__in=OrderWord.objects.filter(word=word).values("order_id"))
        if self.last is not None:
            ids = ids.filter(**{"order_id__lt" if self.descending else "order_id__gt": self.last})
        return ids.order_by("-order_id" if self.descending else "order_id").values_list("order_id", flat=True)

    def _read(self, n, *, budget=None) -> None:
        """Examine candidates until N orders are found, none is left, or BUDGET were examined."""
        while len(self.ids) < n and not self.exhausted:
            if self.examined >= SEARCH_BUDGET and len(self.ids) * 100 < self.examined:
                return self._read_rest()
            if budget is not None and self.examined >= budget:
                return None
            wanted = n - len(self.ids)
            if self.examined:  # as many more as the share found so far says, and a quarter
                wanted = wanted * self.examined // max(len(self.ids), 1) * 5 // 4
            room = (budget or self.examined + SEARCH_BUDGET) - self.examined
            size = max(SEARCH_MIN_BATCH, min(wanted, room))
            candidates = list(self._candidates()[:size])
            if self.restricted and candidates:
                kept = set(self.qs.filter(_AmongIds(F("pk"), candidates)).values_list("pk", flat=True))
                self.ids += [pk for pk in candidates if pk in kept]
            elif candidates:
                self.ids += candidates
            self.examined += len(candidates)
            self.exhausted = len(candidates) < size
            if candidates:
                self.last = candidates[-1]
        return None

    def _read_rest(self) -> None:
        """Every order after the last candidate examined, in one query without ORDER BY or LIMIT
        (with them, the planner may walk all orders expecting to find a page soon)."""
        rest = _holding_all(self.qs, self.words)
        if self.last is not None:
            rest = rest.filter(**{"pk__lt" if self.descending else "pk__gt": self.last})
        self.ids += sorted(rest.values_list("pk", flat=True), reverse=self.descending)
        self.exhausted = True


class _AmongIds(Lookup):
    """FIELD among a list of ids: `= ANY(%s)` with the list as one array parameter on
    PostgreSQL (IN takes one parameter per id, which costs more to build and send than the
    query takes to run); IN on SQLite, which has no arrays."""

    lookup_name = "among"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", [*params, list(self.rhs)]

    def as_sqlite(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} IN ({', '.join(['%s'] * len(self.rhs))})", [*params, *self.rhs]
