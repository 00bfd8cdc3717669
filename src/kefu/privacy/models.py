from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kefu.contacts.models import Channel
from kefu.core.models import VersionedModel


class PrivacyRequest(VersionedModel):
    """A data subject's request under PIPL arts. 44–47 (查阅复制, 更正, 删除), tracked from receipt
    to the answer, with the date the answer is due."""

    class Kind(models.TextChoices):
        ACCESS = "access", _("Access and copy (查阅复制)")
        CORRECTION = "correction", _("Correction (更正)")
        # Delete or anonymise whatever lawful retention (real-name registration) lets go.
        DELETION = "deletion", _("Deletion (删除)")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        IN_PROGRESS = "in_progress", _("In progress")
        COMPLETED = "completed", _("Completed")
        REFUSED = "refused", _("Refused")

    class IdentityCheck(models.TextChoices):
        DOCUMENT = "document", _("Identity document checked in person")
        SERVICE_PASSWORD = "service_password", _("Service password")
        SMS_CODE = "sms_code", _("SMS code to the registered number")
        OTHER = "other", _("Other (described in the details)")

    OPEN_STATUSES = (Status.RECEIVED, Status.IN_PROGRESS)

    number = models.CharField(_("number"), max_length=32, unique=True)
    # The (customer, received_at) index leads with it, so it needs none of its own.
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT,
                                 related_name="privacy_requests", db_index=False)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    received_at = models.DateTimeField(_("received at"))
    due_at = models.DateTimeField(_("answer due"), help_text=_("Received at plus KEFU_PRIVACY_DUE_DAYS calendar days."))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.RECEIVED)
    identity_verified = models.CharField(_("identity verified by"), max_length=20, choices=IdentityCheck.choices, blank=True,
                                         help_text=_("How the requester was checked to be the customer; required before handling."))
    details = models.TextField(_("details"), blank=True, help_text=_("What the customer asked for, e.g. the corrections."))
    outcome = models.TextField(_("outcome"), blank=True)
    refusal_reason = models.TextField(_("refusal reason"), blank=True)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("received by"), on_delete=models.PROTECT, related_name="+")
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("handled by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    completed_at = models.DateTimeField(_("answered at"), null=True, blank=True, help_text=_("When it was completed or refused."))

    class Meta:
        verbose_name = _("privacy request")
        verbose_name_plural = _("privacy requests")
        ordering = ["-received_at", "-id"]
        permissions = [("handle_privacyrequest", _("Can export, correct and erase customer data for privacy requests"))]
        indexes = [
            # The work lists: open requests by due date, and overdue ones.
            models.Index(fields=["status", "due_at"]),
            models.Index(fields=["customer", "received_at"]),
        ]

    def __str__(self):
        return self.number

    @property
    def overdue(self) -> bool:
        return self.status in self.OPEN_STATUSES and self.due_at < timezone.now()


class PurgeRun(models.Model):
    """One run of the retention purge: its limits and what it did. Each run is also an audit
    entry. The last finished run's contacts limit and newest contact are where the next one
    starts: it clears the contacts that aged past the limit since, and those recorded since."""

    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    realname_before = models.DateField(_("service ended before"))
    contacts_before = models.DateTimeField(_("contacts started before"))
    contacts_upto = models.BigIntegerField(_("contacts up to id"), null=True, blank=True,
                                           help_text=_("The newest contact when the run began; later ones are looked at by the next run."))
    verifications_before = models.DateTimeField(_("verifications before"))
    customers_anonymised = models.PositiveIntegerField(_("customers anonymised"), default=0)
    contacts_cleared = models.PositiveIntegerField(_("contacts cleared"), default=0)
    verifications_deleted = models.PositiveIntegerField(_("verifications deleted"), default=0)

    class Meta:
        verbose_name = _("retention purge run")
        verbose_name_plural = _("retention purge runs")
        ordering = ["-started_at", "-id"]

    def __str__(self):
        return f"{self.started_at:%Y-%m-%d %H:%M}"


class Anonymisation(models.Model):
    """Which customer files were anonymised, how far, when and why. The purge skips those
    anonymised in full; customers' own tables stay free of privacy bookkeeping."""

    class Scope(models.TextChoices):
        PERSONAL = "personal", _("Other personal data; real-name data kept for its retention")
        FULL = "full", _("In full, real-name data included")

    customer = models.OneToOneField("customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+")
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices)
    at = models.DateTimeField(_("at"))
    request = models.ForeignKey(PrivacyRequest, verbose_name=_("privacy request"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    run = models.ForeignKey(PurgeRun, verbose_name=_("purge run"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    real_name_kept_until = models.DateField(_("real-name data kept until"), null=True, blank=True,
                                            help_text=_("Empty while the service continues."))

    class Meta:
        verbose_name = _("anonymisation")
        verbose_name_plural = _("anonymisations")

    def __str__(self):
        return f"{self.customer_id} {self.scope}"
