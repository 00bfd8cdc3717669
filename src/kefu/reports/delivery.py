"""Report subscriptions: a member of staff's standing order for the report of each day, week,
month or quarter, sent by e-mail (the Excel and PDF files attached) and announced in their
in-app inbox with a link to the report page.

Each report is built as its subscriber sees it (their data scope: an agent's holds their own
figures only), in their language and time zone. `send_due`, run by the worker, sends what has
come due: the e-mail first, then the notification and the mark of the period sent in one
transaction, so a failed send is retried on the next run and a second run sends nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kefu.core.errors import Forbidden, ValidationFailed
from kefu.core.services import require

from . import periods, services
from .models import ReportSubscription

log = logging.getLogger("kefu.reports.delivery")

SUBSCRIBE = "reports.add_reportsubscription"
Frequency = ReportSubscription.Frequency
PERIOD_OF = {Frequency.DAILY: periods.DAY, Frequency.WEEKLY: periods.WEEK, Frequency.MONTHLY: periods.MONTH,
             Frequency.QUARTERLY: periods.QUARTER}
REPORT_PAGE = "/reports/"


# --- subscribing ------------------------------------------------------------------------------

def _frequency(frequency: str) -> str:
    if frequency not in Frequency.values:
        message = _("Choose daily, weekly, monthly or quarterly.")
        raise ValidationFailed(message, fields={"frequency": message})
    return frequency


def subscribe(user, frequency: str, email: bool = True) -> ReportSubscription:
    """USER's subscription to the report of each FREQUENCY period (made, or taken up again),
    by e-mail as well as in the inbox when EMAIL, which needs their e-mail address."""
    require(user, SUBSCRIBE)
    frequency = _frequency(frequency)
    if email and not (user.email or "").strip():
        message = _("Set your e-mail address first to receive reports by e-mail.")
        raise ValidationFailed(message, fields={"email": message})
    services.scope_for(user)  # Forbidden for someone who may read no report at all
    sub, created = ReportSubscription.objects.get_or_create(user=user, frequency=frequency,
                                                            defaults={"email": email, "is_active": True})
    if not created and (sub.email != email or not sub.is_active):
        sub.email, sub.is_active = email, True
        sub.save(update_fields=["email", "is_active"])
    return sub


def unsubscribe(user, frequency: str) -> bool:
    """End USER's subscription of FREQUENCY; False if there was none active."""
    frequency = _frequency(frequency)
    return bool(ReportSubscription.objects.filter(user=user, frequency=frequency, is_active=True).update(is_active=False))


def subscriptions(user) -> list[ReportSubscription]:
    """USER's active subscriptions, daily first."""
    order = {f: i for i, f in enumerate(Frequency.values)}
    return sorted(ReportSubscription.objects.filter(user=user, is_active=True), key=lambda s: order[s.frequency])


# --- sending ------------------------------------------------------------------------------------

def _today(now: dt.datetime) -> dt.date:
    return timezone.localtime(now, zoneinfo.ZoneInfo(settings.TIME_ZONE)).date()


def _zone(user) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(user.time_zone or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def report_link(period: periods.Period) -> str:
    """The report page of PERIOD, a path on this site: the in-app notification's link as it is,
    the e-mail's with KEFU_BASE_URL before it."""
    return f"{REPORT_PAGE}?period={period.code}"


def due(sub: ReportSubscription, today: dt.date) -> periods.Period | None:
    """The period SUB is to be sent for on TODAY, or None if it has been sent already."""
    period = periods.last_complete(PERIOD_OF[Frequency(sub.frequency)], today)
    if sub.last_period_start is not None and sub.last_period_start >= period.first:
        return None
    return period


def send_due(now: dt.datetime | None = None) -> dict[str, int]:
    """Send every active subscription whose last complete period has not been sent: {"sent",
    "failed", "skipped"}. Each in a transaction of its own holding the subscription's row (a
    second worker skips it): report, e-mail, notification, mark. A send that fails leaves the
    subscription as it was, for the next run."""
    now = now or timezone.now()
    today = _today(now)
    counts = {"sent": 0, "failed": 0, "skipped": 0}
    candidates = (ReportSubscription.objects.filter(is_active=True, user__is_active=True)
                  .select_related("user").order_by("pk"))
    for candidate in candidates:
        if due(candidate, today) is None:
            continue
        try:
            outcome = _send_one(candidate.pk, today, now)
        except Exception:
            log.warning("report subscription %s (%s of user %s) was not sent; the next run tries again",
                        candidate.pk, candidate.frequency, candidate.user_id, exc_info=True)
            outcome = "failed"
        counts[outcome] += 1
    return counts


def _send_one(pk: int, today: dt.date, now: dt.datetime) -> str:
    with transaction.atomic():
        sub = (ReportSubscription.objects.select_for_update(skip_locked=True, of=("self",))
               .select_related("user").filter(pk=pk, is_active=True).first())
        if sub is None:
            return "skipped"  # another run holds it, or it ended meanwhile
        period = due(sub, today)
        if period is None:
            return "skipped"
        user = sub.user
        with translation.override(user.language or settings.LANGUAGE_CODE), timezone.override(_zone(user)):
            try:
                data = services.report(user, period)
            except Forbidden:
                log.info("report subscription %s: user %s may no longer read reports", sub.pk, user.pk)
                return "skipped"
            link = report_link(period)
            if sub.email and (user.email or "").strip():
                _email(user, period, data, link)
            elif sub.email:
                log.warning("report subscription %s: user %s has no e-mail address; in-app only", sub.pk, user.pk)
            from kefu.notifications import services as notifications

            notifications.notify(user, None, _("Your service quality report for %(period)s is ready.")
                                 % {"period": period.label}, link=link)
        sub.last_period_start, sub.last_sent_at = period.first, now
        sub.save(update_fields=["last_period_start", "last_sent_at"])
    return "sent"


def _email(user, period: periods.Period, data: dict, link: str) -> None:
    """The report of PERIOD to USER, with its Excel and PDF files, in the active language."""
    base = settings.KEFU_BASE_URL.rstrip("/")
    name = str(user)  # the display name, else the full name, else the login
    subject = _("Service quality report: %(period)s") % {"period": period.label}
    body = "\n\n".join([
        _("Hello %(name)s,") % {"name": name},
        _("Attached is the service quality report for %(period)s (%(first)s to %(last)s), %(scope)s, as an Excel "
          "workbook and a PDF document.") % {"period": period.label, "first": period.first.isoformat(),
                                              "last": period.last.isoformat(), "scope": data["scope"]},
        _("Read it in Kefu: %(link)s") % {"link": base + link},
        _("You receive this report because you subscribed to it; change your subscriptions on the reports page."),
    ])
    message = EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[user.email])
    for fmt in ("xlsx", "pdf"):
        content, content_type, name = services.export(data, fmt)
        message.attach(name, content, content_type)
    message.send(using="default")


FREQUENCIES = list(Frequency.choices)
