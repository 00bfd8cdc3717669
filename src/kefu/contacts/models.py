from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kefu.core.fields import BlindIndexField, EncryptedFieldsMixin, EncryptedTextField, KeyIdField
from kefu.core.models import VersionedModel
from kefu.core.validators import past_moment


class Channel(models.TextChoices):
    """Service channels (服务渠道), REQUIREMENTS.md §2. Shared by contacts and work orders."""

    HOTLINE = "hotline", _("Hotline")
    ONLINE_CHAT = "online_chat", _("Online chat")
    EMAIL = "email", _("E-mail")
    SELF_SERVICE = "self_service", _("Web/app self-service")
    WECHAT = "wechat", _("WeChat")
    STORE = "store", _("Store counter")
    SOCIAL_MEDIA = "social_media", _("Social media")
    LETTER = "letter", _("Letter")
    ACCOUNT_MANAGER = "account_manager", _("Account manager")
    REGULATOR = "regulator", _("Regulator transfer")


class Contact(EncryptedFieldsMixin, VersionedModel):
    """One interaction with a customer through any channel."""

    class Direction(models.TextChoices):
        INBOUND = "inbound", _("Inbound")
        OUTBOUND = "outbound", _("Outbound")

    class Outcome(models.TextChoices):
        OPEN = "open", _("In progress")
        ANSWERED = "answered", _("Answered at first contact")
        ORDER_CREATED = "order_created", _("Work order created")
        FOLLOW_UP = "follow_up", _("Follow-up done")
        TRANSFERRED = "transferred", _("Transferred")
        ABANDONED = "abandoned", _("Abandoned")

    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, db_index=True)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices, default=Direction.INBOUND)
    started_at = models.DateTimeField(_("started at"), db_index=True, validators=[past_moment])
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True, validators=[past_moment])
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("agent"), null=True, blank=True, on_delete=models.PROTECT, related_name="contacts")
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), null=True, blank=True, on_delete=models.PROTECT, related_name="contacts")
    caller = EncryptedTextField(_("caller number or address"), max_chars=100, blank=True)
    key_id = KeyIdField()
    summary = models.TextField(_("summary"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, default=Outcome.OPEN)
    orders = models.ManyToManyField("orders.WorkOrder", verbose_name=_("work orders"), through="ContactOrder", related_name="contacts", blank=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [
            models.Index(fields=["customer", "started_at"]),
            # The agent's call in progress, read on every page they open (open_contact_of): a few
            # rows per agent, however many contacts they have ended.
            models.Index(fields=["agent", "-started_at"], condition=models.Q(ended_at__isnull=True), name="contact_in_progress"),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} {self.started_at:%Y-%m-%d %H:%M}"


class ContactOrder(models.Model):
    class Role(models.TextChoices):
        RAISED = "raised", _("Raised")
        TOUCHED = "touched", _("Touched")

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE)
    order = models.ForeignKey("orders.WorkOrder", on_delete=models.CASCADE)
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.TOUCHED)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["contact", "order"], name="uniq_contact_order")]

    def __str__(self):
        return f"{self.contact_id} → {self.order_id} ({self.role})"


class IdentityVerification(models.Model):
    """One attempt to verify the caller's identity. The secret itself is never stored."""

    class Method(models.TextChoices):
        SERVICE_PASSWORD = "service_password", _("Service password")
        ID_NUMBER = "id_number", _("ID number")
        SMS_CODE = "sms_code", _("SMS code")
        IVR_PASSWORD = "ivr_password", _("Service password keyed in the IVR")

    class Result(models.TextChoices):
        PENDING = "pending", _("Code sent, not yet checked")
        PASSED = "passed", _("Passed")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")

    contact = models.ForeignKey(Contact, verbose_name=_("contact"), on_delete=models.CASCADE, related_name="verifications")
    method = models.CharField(_("method"), max_length=20, choices=Method.choices)
    result = models.CharField(_("result"), max_length=10, choices=Result.choices)
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)  # the retention purge walks it
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("agent"), null=True, on_delete=models.PROTECT, related_name="+")
    # Only for SMS codes while pending: a salted hash and its expiry, cleared once checked.
    code_hash = models.CharField(max_length=200, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("identity verification")
        verbose_name_plural = _("identity verifications")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.get_method_display()}: {self.get_result_display()}"


class SmsMessage(EncryptedFieldsMixin, models.Model):
    """One text message as the `outbox` SMS backend keeps it, in place of an SMS gateway: the
    administrator reads it in the admin. The number is encrypted like every phone number; the
    outbox keeps messages for KEFU_SMS_OUTBOX_DAYS only (they hold one-time codes)."""

    class Purpose(models.TextChoices):
        IDENTITY = "identity", _("Identity verification on a contact")
        PORTAL_LOGIN = "portal_login", _("Self-service sign-in")
        SURVEY = "survey", _("Satisfaction survey")

    to = EncryptedTextField(pgettext_lazy("sms recipient", "to"), max_chars=20)
    to_bidx = BlindIndexField(source="to", purpose="phone")
    key_id = KeyIdField()
    text = models.TextField(_("text"))
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("SMS message")
        verbose_name_plural = _("SMS outbox")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.get_purpose_display()} {self.created_at:%Y-%m-%d %H:%M}"


class Throttle(models.Model):
    """The counter behind one rate limit on one subject (decision 0021): the times of the counted
    events of its window, newest last. Whoever checks the limit locks the row (SELECT … FOR
    UPDATE, kefu.contacts.throttle.hold) and records the event in the same transaction, so that
    parallel requests are counted one after the other. The subject is never a plain number: an
    SMS recipient is the number's blind index."""

    class Kind(models.TextChoices):
        SMS = "sms", _("SMS codes to a number")
        VERIFY = "verify", _("Failed identity checks of a customer")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    subject = models.CharField(_("subject"), max_length=64)
    hits = models.JSONField(_("counted events"), default=list)  # POSIX times, oldest first, only the window's
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("rate limit")
        verbose_name_plural = _("rate limits")
        constraints = [models.UniqueConstraint(fields=["kind", "subject"], name="uniq_throttle_subject")]
        indexes = [models.Index(fields=["kind", "updated_at"])]  # rows idle for a window are deleted

    def __str__(self):
        return f"{self.get_kind_display()} ({len(self.hits)})"
