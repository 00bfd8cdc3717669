"""Retention: what real-name rules let go, anonymisation, and the daily purge.

`past_retention` is the one answer to whose real-name data may go, for deletion requests
(requests.erase) and for `purge`, the daily retention job.
"""

from datetime import date, datetime, time, timedelta
from itertools import batched

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, Max, Min, OuterRef, Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from kefu.audit import services as audit
from kefu.contacts.models import Contact, IdentityVerification
from kefu.core.fields import index_fields
from kefu.customers.models import Account, Customer, Subscription
from kefu.orders.models import TERMINAL_STATUSES, Feedback, WorkOrder

from ..models import Anonymisation, PrivacyRequest, PurgeRun

# Written in the installation's language, not the requester's (see _placeholder_name).
ANONYMOUS_NAME = gettext_lazy("Deregistered customer")
# Audited field lists. Real-name data (name, ID number, address, contact phone) stays for the
# service life plus KEFU_RETENTION_REALNAME_YEARS; id_type, a document category, identifies
# nobody and keeps the record valid, so it is never cleared.
PERSONAL_FIELDS = ["email", "alt_phone", "contacts.caller", "contacts.summary", "feedback.comment"]
FULL_FIELDS = PERSONAL_FIELDS + ["name", "id_number", "phone", "address", "district", "service_password", "status",
                                 "accounts.name", "subscriptions.service_number"]


def _placeholder_name() -> str:
    # One language for every anonymised file, whoever's browser asked.
    with translation.override(settings.LANGUAGE_CODE):
        return str(ANONYMOUS_NAME)


def _with_indexes(model, values: dict) -> dict:
    """VALUES plus the blind index of every encrypted field they empty: update() runs no
    pre_save, and a stale index would still find the customer by the old number."""
    return values | {f.name: "" for f in index_fields(model) if values.get(f.source, None) == ""}


def anonymise(customer_ids, scope, now) -> list:
    """Clear the personal data of these customers in a few bulk UPDATEs; return the audited
    field list. Only empty values are written to encrypted columns (stored as they are,
    kefu.core.crypto), with their blind indexes emptied alongside."""
    bump = {"version": F("version") + 1, "updated_at": now}
    changes = {"email": "", "alt_phone": ""}
    if scope == Anonymisation.Scope.FULL:
        changes |= {"name": _placeholder_name(), "id_number": "", "phone": "", "address": "", "district": "",
                    "service_password_hash": "", "status": Customer.Status.INACTIVE}
        Account.objects.filter(customer_id__in=customer_ids).update(name="", **bump)
        # Every subscription has ended (that is what the retention check asked), so the
        # number can go without touching the uniqueness of live numbers.
        Subscription.objects.filter(customer_id__in=customer_ids).update(service_number="", **bump)
    Customer.objects.filter(pk__in=customer_ids).update(**_with_indexes(Customer, changes), **bump)
    Contact.objects.filter(customer_id__in=customer_ids).update(**_with_indexes(Contact, {"caller": "", "summary": ""}), **bump)
    Feedback.objects.filter(order__customer_id__in=customer_ids).update(comment="")
    return FULL_FIELDS if scope == Anonymisation.Scope.FULL else PERSONAL_FIELDS



# --- retention -----------------------------------------------------------------------------

SCAN_BATCHES = 10

def shift_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def realname_limit(today: date) -> date:
    """Service that ended before this day is past real-name retention."""
    return shift_years(today, -settings.KEFU_RETENTION_REALNAME_YEARS)


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def past_retention(qs, before: date):
    """The customers of QS whose real-name retention is over: every subscription
    terminated before BEFORE (one without a termination date counts as live), no work order
    unfinished; a customer who never had a subscription counts from the file's creation and
    their latest work order."""
    start = _start_of(before)
    subs = Subscription.objects.filter(customer=OuterRef("pk"))
    unended = subs.filter(~Q(status=Subscription.Status.TERMINATED) | Q(terminated_on__isnull=True) | Q(terminated_on__gte=before))
    orders = WorkOrder.objects.filter(customer=OuterRef("pk"))
    unfinished = orders.exclude(status__in=TERMINAL_STATUSES)
    return qs.filter(~Exists(unended), ~Exists(unfinished),
                     Exists(subs) | (Q(created_at__lt=start) & ~Exists(orders.filter(created_at__gte=start))))


def purge(now=None, *, batch_size=500, dry_run=False, all_contacts=False) -> dict:
    """The retention job (daily from `kefu worker`, or `kefu privacy purge`):

    - customers past real-name retention and not yet anonymised in full are anonymised
      (none with an open privacy request: its answer may need the data);
    - contacts older than KEFU_RETENTION_CONTACT_DAYS lose the caller's number and summary;
    - identity verification attempts older than KEFU_RETENTION_VERIFICATION_DAYS are deleted.

    Each table is walked in primary-key windows of BATCH_SIZE with bulk UPDATEs or DELETEs,
    one transaction per window. Contacts are taken from where the last finished run stopped
    (those aged past the limit since, and those recorded since), so the contacts of the years
    before are not rewritten every day; ALL_CONTACTS sweeps every contact older than the
    limit once more. The run is recorded (PurgeRun) and audited once, with each anonymised
    customer audited too. DRY_RUN counts what would be done and writes nothing. Returns the
    counts."""
    now = now or timezone.now()
    before = realname_limit(timezone.localdate(now))
    contacts_before = now - timedelta(days=settings.KEFU_RETENTION_CONTACT_DAYS)
    verifications_before = now - timedelta(days=settings.KEFU_RETENTION_VERIFICATION_DAYS)
    last = None if all_contacts else PurgeRun.objects.filter(finished_at__isnull=False).order_by("-finished_at", "-id").first()
    upto = _newest_contact()
    run = None
    if not dry_run:
        run = PurgeRun.objects.create(started_at=timezone.now(), realname_before=before, contacts_before=contacts_before,
                                      contacts_upto=upto, verifications_before=verifications_before)
    counts = {
        "customers": _purge_customers(run, before, now, batch_size),
        "contacts": sum(_clear_contacts(run, qs, now, batch_size) for qs in _contacts_due(last, contacts_before, upto)),
        "verifications": _delete_verifications(run, verifications_before, batch_size),
    }
    if run is not None:
        run.customers_anonymised, run.contacts_cleared, run.verifications_deleted = counts.values()
        run.finished_at = timezone.now()
        run.save()
        audit.record(None, "purge", run, fields=FULL_FIELDS + ["identity_verifications"],
                     reason=" ".join(f"{k}={n}" for k, n in counts.items()))
    return counts | {"dry_run": dry_run}


def _windows(qs, batch_size):
    bounds = qs.aggregate(lo=Min("pk"), hi=Max("pk"))
    if bounds["lo"] is None:
        return
    for lo in range(bounds["lo"], bounds["hi"] + 1, batch_size):
        yield qs.filter(pk__gte=lo, pk__lt=lo + batch_size)


def _purge_customers(run, before, now, batch_size) -> int:
    # Anonymised in full and not changed since; a file brought back into use is looked at again.
    fully = Anonymisation.objects.filter(customer=OuterRef("pk"), scope=Anonymisation.Scope.FULL, at__gte=OuterRef("updated_at"))
    pending = PrivacyRequest.objects.filter(customer=OuterRef("pk"), status__in=PrivacyRequest.OPEN_STATUSES)

    def eligible(qs):
        return past_retention(qs, before).filter(~Exists(fully), ~Exists(pending))

    done = 0
    # Read in windows of SCAN_BATCHES batches (building the query costs more than running
    # it), write in batches, each its own transaction.
    for window in _windows(Customer.objects.all(), batch_size * SCAN_BATCHES):
        ids = list(eligible(window).values_list("pk", flat=True))
        if run is None:
            done += len(ids)
            continue
        for chunk in batched(ids, batch_size):
            with transaction.atomic():
                # Checked again under the rows' locks: a subscription opened meanwhile (its
                # foreign key check needs the customer's row) waits for this or is seen here.
                locked = list(eligible(Customer.objects.filter(pk__in=chunk)).select_for_update().values_list("pk", flat=True))
                if not locked:
                    continue
                fields = anonymise(locked, Anonymisation.Scope.FULL, now)
                Anonymisation.objects.bulk_create(
                    [Anonymisation(customer_id=pk, scope=Anonymisation.Scope.FULL, at=now, run=run) for pk in locked],
                    update_conflicts=True, unique_fields=["customer"], update_fields=["scope", "at", "run", "request", "real_name_kept_until"])
                audit.record_many(None, "anonymise", [Customer(pk=pk) for pk in locked], fields=fields, reason=f"retention purge {run.pk}")
                done += len(locked)
    return done


def _newest_contact():
    return Contact.objects.aggregate(m=Max("pk"))["m"]


def _contacts_due(last, before, upto) -> list:
    """The contacts to clear, as querysets with tight primary-key ranges: after a finished
    run LAST, those that aged past the limit since, and those recorded since with a start
    before the limit (back-dated, imported); without one, every contact before the limit."""
    old = Contact.objects.filter(started_at__lt=before, pk__lte=upto or 0)
    if last is None or last.contacts_upto is None:
        return [old]
    return [old.filter(started_at__gte=last.contacts_before, pk__lte=last.contacts_upto),
            old.filter(pk__gt=last.contacts_upto)]


def _clear_contacts(run, qs, now, batch_size) -> int:
    if run is None:
        return qs.count()
    done = 0
    for window in _windows(qs, batch_size):
        with transaction.atomic():
            done += window.update(**_with_indexes(Contact, {"caller": "", "summary": ""}), version=F("version") + 1, updated_at=now)
    return done


def _delete_verifications(run, before, batch_size) -> int:
    qs = IdentityVerification.objects.filter(at__lt=before)
    if run is None:
        return qs.count()
    done = 0
    while True:
        with transaction.atomic():
            ids = list(qs.order_by("pk").values_list("pk", flat=True)[:batch_size])
            if not ids:
                return done
            done += IdentityVerification.objects.filter(pk__in=ids).delete()[0]
