"""Likely duplicates: the same customer, about the same service, saying much the same, within
KEFU_DUPLICATE_WINDOW_HOURS. Suggested, never merged on their own: a person merges in one
step (orders.services.merge). A rule about orders, read by orders.services.likely_duplicates and
by triage's suggestions before an order exists (kefu.triage.duplicates re-exports it).

Similarity is the overlap (Jaccard) of the texts' word sets, segmented as the classifier
segments them: cheap, symmetric, and blind to word order, which is what tells two accounts
of one problem apart from two problems.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from kefu import scopes
from kefu.core.segment import tokenize

from .models import TERMINAL_STATUSES, OrderLink, WorkOrder

CANDIDATE_LIMIT = 50  # a customer's orders inside the window; more would be a bulk import


def words(title: str, description: str = "") -> frozenset:
    return frozenset(tokenize(f"{title}\n{description}"))


def similarity(a: frozenset, b: frozenset) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def likely_duplicates(*, user, customer_id, subscription_id, title, description="", around=None, exclude_id=None) -> list[tuple]:
    """[(order, similarity)] best first: the customer's unfinished orders about the same
    subscription created within the window around AROUND (default now), those in USER's data
    scope only (None: all, for the system). Uses the (customer, created_at) index."""
    hours = settings.KEFU_DUPLICATE_WINDOW_HOURS
    if hours <= 0:
        return []
    around = around or timezone.now()
    window = timedelta(hours=hours)
    qs = (scopes.restrict(user, WorkOrder.objects.filter(customer_id=customer_id, created_at__gte=around - window,
                                                         created_at__lte=around + window))
          .exclude(status__in=TERMINAL_STATUSES).select_related("subscription"))
    qs = qs.filter(subscription_id=subscription_id) if subscription_id else qs.filter(subscription__isnull=True)
    if exclude_id is not None:
        # Already known as duplicates of each other: not suggested again.
        linked = OrderLink.objects.filter(Q(source_id=exclude_id) | Q(target_id=exclude_id), type=OrderLink.Type.DUPLICATE)
        qs = qs.exclude(pk=exclude_id).exclude(pk__in=linked.values("source_id")).exclude(pk__in=linked.values("target_id"))
    mine = words(title, description)
    floor = settings.KEFU_DUPLICATE_MIN_SIMILARITY
    scored = [(o, round(similarity(mine, words(o.title, o.description)), 3))
              for o in qs.order_by("-created_at")[:CANDIDATE_LIMIT]]
    return sorted([(o, s) for o, s in scored if s >= floor], key=lambda pair: (-pair[1], -pair[0].pk))


def duplicates_of(order, *, user) -> list[tuple]:
    return likely_duplicates(user=user, customer_id=order.customer_id, subscription_id=order.subscription_id, title=order.title,
                             description=order.description, around=order.created_at, exclude_id=order.pk)
