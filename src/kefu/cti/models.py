"""The hotline's call events (CTI, issue 18): the telephone platforms that send them, every event
as received, and the call record derived from a call's applied events (fold.py)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kefu.core.fields import BlindIndexField, EncryptedFieldsMixin, EncryptedTextField, KeyIdField


class Platform(EncryptedFieldsMixin, models.Model):
    """A telephone platform (PBX / ACD) allowed to post call events, signed with its own secret."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    secret = EncryptedTextField(_("signing secret"), max_chars=200,
                                help_text=_("The shared HMAC-SHA256 key the platform signs each event with."))
    key_id = KeyIdField()
    is_active = models.BooleanField(_("active"), default=True)
    replay_window_seconds = models.PositiveIntegerField(
        _("replay window (seconds)"), default=300,
        help_text=_("Events whose timestamp is further than this from the server's clock are refused."))

    class Meta:
        verbose_name = _("telephone platform")
        verbose_name_plural = _("telephone platforms")

    def __str__(self):
        return self.name


class Extension(models.Model):
    """Which member of staff sits at an extension of a platform (staff records are not changed)."""

    platform = models.ForeignKey(Platform, verbose_name=_("telephone platform"), on_delete=models.CASCADE,
                                 related_name="extensions")
    extension = models.CharField(_("extension"), max_length=40)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("agent"), on_delete=models.CASCADE,
                             related_name="+")

    class Meta:
        verbose_name = _("extension")
        verbose_name_plural = _("extensions")
        constraints = [models.UniqueConstraint(fields=["platform", "extension"], name="uniq_cti_extension")]

    def __str__(self):
        return f"{self.platform.code}/{self.extension}"


class EventType(models.TextChoices):
    OFFERED = "offered", _("Call offered")
    IVR = "ivr", _("IVR navigation")
    QUEUED = "queued", _("Queued")
    RINGING = "ringing", _("Ringing at an agent")
    ANSWERED = "answered", pgettext_lazy("call event", "Answered")
    HELD = "held", _("Put on hold")
    RESUMED = "resumed", _("Resumed from hold")
    TRANSFERRED = "transferred", _("Transferred")
    ENDED = "ended", _("Ended")
    ABANDONED = "abandoned", _("Abandoned")
    ACW_ENDED = "acw_ended", _("After-call work ended")
    RECORDING = "recording", _("Recording available")
    SURVEY = "survey", _("Post-call survey score")


class CallEvent(models.Model):
    """One event as the platform posted it, kept whatever became of it. Applied events of a call
    are unique by (platform, call id, sequence); a repeat is kept as a duplicate, an event that
    failed validation as invalid with the reason."""

    class Outcome(models.TextChoices):
        APPLIED = "applied", _("Applied")
        DUPLICATE = "duplicate", _("Duplicate")
        INVALID = "invalid", _("Invalid")

    platform = models.ForeignKey(Platform, verbose_name=_("telephone platform"), on_delete=models.PROTECT,
                                 related_name="events")
    call_id = models.CharField(_("call id"), max_length=64, blank=True)
    seq = models.PositiveBigIntegerField(_("sequence"), null=True, blank=True)
    type = models.CharField(_("event type"), max_length=20, choices=EventType.choices, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"), null=True, blank=True)
    payload = models.JSONField(_("payload"), null=True, blank=True)
    body = models.TextField(_("body as received"), blank=True)
    received_at = models.DateTimeField(_("received at"), db_index=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("call event")
        verbose_name_plural = _("call events")
        constraints = [models.UniqueConstraint(fields=["platform", "call_id", "seq"], name="uniq_cti_applied_event",
                                               condition=models.Q(outcome="applied"))]
        indexes = [models.Index(fields=["platform", "call_id"], name="cti_event_call"),
                   models.Index(fields=["outcome", "received_at"], name="cti_event_outcome")]

    def __str__(self):
        return f"{self.call_id or '?'}#{self.seq if self.seq is not None else '?'} {self.type or '?'}"


class Call(EncryptedFieldsMixin, models.Model):
    """One call as its applied events say (re-derived by fold.fold on every event)."""

    class State(models.TextChoices):
        OFFERED = "offered", _("Offered")
        IVR = "ivr", _("In the IVR")
        QUEUED = "queued", _("Waiting in the queue")
        RINGING = "ringing", _("Ringing")
        TALKING = "talking", _("Talking")
        HELD = "held", _("On hold")
        AFTER_CALL_WORK = "after_call_work", _("After-call work")
        FINISHED = "finished", _("Finished")
        ABANDONED = "abandoned", _("Abandoned")

    class EndedBy(models.TextChoices):
        CALLER = "caller", _("Caller")
        AGENT = "agent", _("Agent")
        SYSTEM = "system", _("System")

    class AbandonedIn(models.TextChoices):
        IVR = "ivr", _("In the IVR")
        QUEUE = "queue", _("In the queue")
        RINGING = "ringing", _("While ringing")

    platform = models.ForeignKey(Platform, verbose_name=_("telephone platform"), on_delete=models.PROTECT,
                                 related_name="calls")
    call_id = models.CharField(_("call id"), max_length=64)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.OFFERED, db_index=True)
    caller = EncryptedTextField(_("caller number"), max_chars=40, blank=True)
    caller_bidx = BlindIndexField(source="caller", purpose="phone")
    key_id = KeyIdField()
    called = models.CharField(_("called number"), max_length=40, blank=True)
    ivr_path = models.JSONField(_("IVR path"), default=list, blank=True)
    self_service = models.BooleanField(_("self-service used"), default=False)
    self_services = models.JSONField(_("self-service outcomes"), default=list, blank=True,
                                     help_text=_("Each self-service the caller used in the IVR and its outcome."))
    verified_in_ivr = models.BooleanField(_("verified in the IVR"), default=False)
    queue = models.CharField(_("queue"), max_length=64, blank=True)
    extension = models.CharField(_("extension"), max_length=40, blank=True)
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("agent"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    offered_at = models.DateTimeField(_("offered at"), null=True, blank=True, db_index=True)
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    ringing_at = models.DateTimeField(_("ringing at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    acw_ended_at = models.DateTimeField(_("after-call work ended at"), null=True, blank=True)
    wait_seconds = models.PositiveIntegerField(_("wait (seconds)"), null=True, blank=True)
    ring_seconds = models.PositiveIntegerField(_("ring (seconds)"), null=True, blank=True)
    talk_seconds = models.PositiveIntegerField(_("talk (seconds)"), null=True, blank=True)
    hold_seconds = models.PositiveIntegerField(_("hold (seconds)"), default=0)
    acw_seconds = models.PositiveIntegerField(_("after-call work (seconds)"), null=True, blank=True)
    ended_by = models.CharField(_("ended by"), max_length=10, choices=EndedBy.choices, blank=True)
    abandoned = models.BooleanField(_("abandoned"), default=False)
    abandoned_in = models.CharField(_("abandoned in"), max_length=10, choices=AbandonedIn.choices, blank=True)
    transfers = models.PositiveIntegerField(_("transfers"), default=0)
    recording_ref = models.CharField(_("recording"), max_length=500, blank=True)
    survey_score = models.PositiveSmallIntegerField(_("survey score"), null=True, blank=True)
    survey_scale = models.PositiveSmallIntegerField(_("survey scale"), null=True, blank=True)
    contact = models.OneToOneField("contacts.Contact", verbose_name=_("contact"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="call")
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        permissions = [("view_any_call", _("Can view the calls of others in the data scope")),
                       ("open_recording", _("Can open call recordings")),
                       ("view_wallboard", _("Can view the hotline wallboard"))]
        constraints = [models.UniqueConstraint(fields=["platform", "call_id"], name="uniq_cti_call")]
        indexes = [models.Index(fields=["agent", "-offered_at"], name="cti_call_agent"),
                   models.Index(fields=["updated_at"], name="cti_call_updated")]  # the reports' watermark

    def __str__(self):
        return self.call_id


class AgentState(models.TextChoices):
    """坐席状态: what an agent of the hotline is doing, as the platform and she herself say."""

    LOGGED_OUT = "logged_out", _("Signed out")
    READY = "ready", _("Ready")
    NOT_READY = "not_ready", _("Not ready")
    ON_CALL = "on_call", _("On a call")
    AFTER_CALL_WORK = "after_call_work", _("After-call work")


class NotReadyReason(models.TextChoices):
    BREAK = "break", _("Break")
    MEAL = "meal", _("Meal")
    TRAINING = "training", _("Training")
    MEETING = "meeting", _("Meeting")
    OTHER = "other", _("Other work")


class AgentStatus(models.Model):
    """An agent's state now (one row per agent who has ever had one)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("agent"), on_delete=models.CASCADE,
                                related_name="agent_status", primary_key=True)
    state = models.CharField(_("agent state"), max_length=20, choices=AgentState.choices,
                             default=AgentState.LOGGED_OUT, db_index=True)
    reason = models.CharField(_("reason"), max_length=20, choices=NotReadyReason.choices, blank=True)
    since = models.DateTimeField(_("since"))
    call = models.ForeignKey(Call, verbose_name=_("call"), null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")

    class Meta:
        verbose_name = _("agent state")
        verbose_name_plural = _("agent states")

    def __str__(self):
        return f"{self.user_id} {self.state}"


class AgentStateChange(models.Model):
    """The history of agents' states: each change, when, why and who or what made it."""

    class Source(models.TextChoices):
        AGENT = "agent", _("The agent herself")
        PLATFORM = "platform", _("The telephone platform")
        SUPERVISOR = "supervisor", _("A supervisor")
        SYSTEM = "system", _("The system")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("agent"), on_delete=models.CASCADE,
                             related_name="+")
    at = models.DateTimeField(_("at"), db_index=True)
    previous = models.CharField(_("previous state"), max_length=20, choices=AgentState.choices)
    state = models.CharField(_("agent state"), max_length=20, choices=AgentState.choices)
    reason = models.CharField(_("reason"), max_length=20, choices=NotReadyReason.choices, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("changed by"), null=True, blank=True,
                           on_delete=models.SET_NULL, related_name="+")
    call = models.ForeignKey(Call, verbose_name=_("call"), null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")

    class Meta:
        verbose_name = _("agent state change")
        verbose_name_plural = _("agent state changes")
        indexes = [models.Index(fields=["user", "at"], name="cti_state_user_at")]

    def __str__(self):
        return f"{self.user_id} {self.previous}→{self.state}"


class IvrNode(models.Model):
    """One entry of the IVR menu (语音导航菜单): the key pressed from its parent's menu, the prompt
    the caller hears, and where it leads. Kept for reference and reports; the platform runs it."""

    class Target(models.TextChoices):
        MENU = "menu", _("A further menu")
        QUEUE = "queue", _("An agent queue")
        SELF_SERVICE = "self_service", _("Self-service")
        AGENT = "agent", _("A particular agent")

    class Service(models.TextChoices):
        BALANCE = "balance", _("Balance enquiry")
        BILL = "bill", _("Bill enquiry")
        FAULT_REPORT = "fault_report", _("Fault report")
        PASSWORD = "password", _("Service password")
        OTHER = "other", _("Other self-service")

    platform = models.ForeignKey(Platform, verbose_name=_("telephone platform"), on_delete=models.CASCADE,
                                 related_name="ivr_nodes")
    parent = models.ForeignKey("self", verbose_name=_("parent menu"), null=True, blank=True,
                               on_delete=models.CASCADE, related_name="children")
    key = models.CharField(_("key"), max_length=4, help_text=_("The key pressed at the parent menu (0–9, * or #)."))
    path = models.CharField(_("key path"), max_length=40, editable=False,
                            help_text=_("The keys from the top menu, as the IVR event reports them."))
    name = models.CharField(_("name"), max_length=60)
    prompt = models.TextField(_("prompt"), blank=True)
    target = models.CharField(_("leads to"), max_length=20, choices=Target.choices, default=Target.MENU)
    queue = models.CharField(_("queue"), max_length=64, blank=True)
    service = models.CharField(_("self-service"), max_length=20, choices=Service.choices, blank=True)
    extension = models.CharField(_("extension"), max_length=40, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("IVR menu entry")
        verbose_name_plural = _("IVR menu")
        ordering = ["platform", "path"]
        constraints = [models.UniqueConstraint(fields=["platform", "path"], name="uniq_cti_ivr_path")]

    def __str__(self):
        return f"{self.path} {self.name}"


class SelfServiceUse(models.Model):
    """One self-service a caller used in the IVR (an entry of Call.self_services, named by its
    event's sequence number), as recorded: the contact it made and, for a fault report, the work
    order registered. Unique per call and sequence, so a re-derived call never records twice."""

    call = models.ForeignKey(Call, verbose_name=_("call"), on_delete=models.CASCADE, related_name="self_service_uses")
    seq = models.PositiveBigIntegerField(_("sequence"))
    service = models.CharField(_("self-service"), max_length=20, choices=IvrNode.Service.choices)
    at = models.DateTimeField(_("at"), db_index=True)
    contact = models.ForeignKey("contacts.Contact", verbose_name=_("contact"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    order = models.ForeignKey("orders.WorkOrder", verbose_name=_("work order"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("IVR self-service use")
        verbose_name_plural = _("IVR self-service uses")
        constraints = [models.UniqueConstraint(fields=["call", "seq"], name="uniq_cti_self_service_use")]

    def __str__(self):
        return f"{self.call_id}#{self.seq} {self.service}"
