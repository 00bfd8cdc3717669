"""The lists people work from: `queue` (mine, my department's or every open order, nearest
time limit first, filtered by SLA state; `sla_colour` gives one row's), the supervisor's board
(`board`, `board_charts`, `board_lists`) and the landing page's counts (`my_queue_counts`)."""

from datetime import timedelta

from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu import scopes
from kefu.contacts.models import Channel
from kefu.core.errors import ValidationFailed
from kefu.core.services import require

from ..models import OPEN_STATUSES, Feedback, Status, WorkOrder
from .queries import order_queryset
from .words import ListedByIds, with_words

QUEUES = ("mine", "department", "open")

LIST_DEFERRED = ("description", "resolution", "customer__id_number", "customer__phone", "customer__alt_phone", "customer__address",
                 "customer__service_password_hash")

SLA_STATES = ("breached", "warning", "on_track", "none")


def queue(user, which: str, *, kind=None, severity=None, status=None, channel=None, sla=None, q=None, now=None):
    """Open work orders in USER's scope, nearest SLA due first (orders without a running limit
    last): `mine` (owned or handled), `department` (the user's department), or every `open`
    one. Each is served by a partial index on (…, sla_due_at). A search by words (Q) is a
    ListedByIds: every id found first, then the rows of the page shown."""
    require(user, "orders.view_workorder")
    if which not in QUEUES:
        raise ValidationFailed(_("Unknown queue."), fields={"queue": _("must be one of %(keys)s") % {"keys": ", ".join(QUEUES)}})
    qs = _open_list(user)
    if which == "mine":
        qs = qs.filter(Q(handler=user) | Q(owner=user))
    elif which == "department":
        qs = qs.filter(department_id=user.department_id) if user.department_id else qs.none()
    for field, value in (("kind", kind), ("severity", severity), ("status", status), ("channel", channel)):
        if value:
            qs = qs.filter(**{field: value})
    if sla:
        if sla not in SLA_STATES:
            raise ValidationFailed(_("Unknown SLA state."), fields={"sla": _("must be one of %(keys)s") % {"keys": ", ".join(SLA_STATES)}})
        qs = qs.filter(_sla_q(sla, now or timezone.now()))
    order = (F("sla_due_at").asc(nulls_last=True), "id")
    if q:
        # Open orders are few: all the ids found, in order, then the list's joins for one page.
        return ListedByIds(qs, with_words(qs, q).order_by(*order).values_list("pk", flat=True))
    return qs.order_by(*order)


def _open_list(user):
    """Open orders in USER's scope as lists show them: the customer masked, so the encrypted
    identity columns are neither read nor decrypted."""
    return scopes.restrict(user, order_queryset().filter(status__in=OPEN_STATUSES).defer(*LIST_DEFERRED))


def _sla_q(state: str, now) -> Q:
    """The orders whose nearest limit is in STATE (SLA_STATES) at NOW; sla_colour for one row."""
    return {"breached": Q(sla_due_at__lt=now), "warning": Q(sla_warn_at__lte=now, sla_due_at__gte=now),
            "on_track": Q(sla_warn_at__gt=now), "none": Q(sla_due_at__isnull=True)}[state]


def sla_colour(due, warn=None, now=None) -> str:
    """on_track, warning, breached or none: the state of a limit due at DUE that warns from
    WARN (what `queue(sla=…)` filters on, for one row)."""
    now = now or timezone.now()
    if due is None:
        return "none"
    if due < now:
        return "breached"
    return "warning" if warn is not None and warn <= now else "on_track"


def board(user, *, now=None, days=14) -> dict:
    """The whole supervisor board in USER's scope: board_charts and board_lists together. The
    page asks for the two apart (each refreshes on its own), so neither is computed twice."""
    return board_charts(user, now=now, days=days) | board_lists(user, now=now)


def _today_start(now):
    return timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)


def board_charts(user, *, now=None, days=14) -> dict:
    """The board's series: open orders by state, department and channel; orders registered
    per day and satisfaction per day over DAYS; with the totals they give (open, today, last 7
    days). Every figure is one grouped query on an index (open orders, creation time, feedback
    time)."""
    from django.db.models import Avg, Count
    from django.db.models.functions import TruncDate

    require(user, "orders.view_board")
    now = now or timezone.now()
    open_orders = scopes.restrict(user, WorkOrder.objects.filter(status__in=OPEN_STATUSES))
    status_labels, channel_labels = dict(Status.choices), dict(Channel.choices)
    by_status = dict(open_orders.values_list("status").annotate(n=Count("*")).values_list("status", "n"))
    by_channel = dict(open_orders.values_list("channel").annotate(n=Count("*")).values_list("channel", "n"))
    by_department = list(open_orders.values("department__name").annotate(n=Count("*")).order_by("-n")[:15])
    since = _today_start(now) - timedelta(days=days - 1)
    created = dict(scopes.restrict(user, WorkOrder.objects.filter(created_at__gte=since))
                   .annotate(day=TruncDate("created_at")).values_list("day").annotate(n=Count("*")).values_list("day", "n"))
    feedback = scopes.restrict(user, Feedback.objects.filter(at__gte=since, score__isnull=False))
    scores = {d: (avg, n) for d, avg, n in feedback.annotate(day=TruncDate("at")).values_list("day")
              .annotate(avg=Avg("score"), n=Count("id")).values_list("day", "avg", "n")}
    day_list = [(since + timedelta(days=i)).date() for i in range(days)]
    return {
        "open_total": sum(by_status.values()),
        "by_status": [{"key": k, "label": str(status_labels[k]), "n": by_status.get(k, 0)} for k in OPEN_STATUSES],
        "by_channel": [{"key": k, "label": str(channel_labels.get(k, k)), "n": n} for k, n in sorted(by_channel.items(), key=lambda kv: -kv[1])],
        "by_department": [{"label": row["department__name"] or str(_("No department yet")), "n": row["n"]} for row in by_department],
        "days": [d.isoformat() for d in day_list],
        "created": [created.get(d, 0) for d in day_list],
        "today": created.get(day_list[-1], 0),
        "this_week": sum(created.get(d, 0) for d in day_list[-7:]),
        "satisfaction": [round(scores[d][0], 2) if d in scores else None for d in day_list],
        "rated": [scores[d][1] if d in scores else 0 for d in day_list],
    }


def board_lists(user, *, now=None) -> dict:
    """The board's counts (open, past their limit, registered today and in the last 7 days)
    and the breached and at-risk lists, nearest due first, read straight off the due-time
    partial index (order_open_due). Five queries."""
    from django.db.models import Count

    require(user, "orders.view_board")
    now = now or timezone.now()
    open_orders = scopes.restrict(user, WorkOrder.objects.filter(status__in=OPEN_STATUSES))
    today = _today_start(now)
    registered = scopes.restrict(user, WorkOrder.objects.filter(created_at__gte=today - timedelta(days=6))).aggregate(
        today=Count("pk", filter=Q(created_at__gte=today)), week=Count("pk"))
    lists = _open_list(user).order_by("sla_due_at")
    return {
        "open_total": open_orders.count(),
        "breached_total": open_orders.filter(_sla_q("breached", now)).count(),
        "today": registered["today"],
        "this_week": registered["week"],
        "breached": list(lists.filter(_sla_q("breached", now))[:20]),
        "at_risk": list(lists.filter(_sla_q("warning", now))[:20]),
    }


def my_queue_counts(user) -> dict:
    """Counts for the landing page. Each is one count on an (x, status) index, never a scan."""
    open_orders = WorkOrder.objects.filter(status__in=OPEN_STATUSES)
    return {
        "owned": open_orders.filter(owner=user).count(),
        "handling": open_orders.filter(handler=user).count(),
        "department_queue": open_orders.filter(department_id=user.department_id, handler__isnull=True).count()
        if user.department_id else 0,
        "resolved_unconfirmed": WorkOrder.objects.filter(owner=user, status=Status.RESOLVED).count(),
    }
