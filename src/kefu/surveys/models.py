"""Satisfaction surveys (问卷): versioned instruments of typed questions, invitations to one
customer on one channel, their answers, and customers' refusals (拒绝回访 / 退订).

The same instrument serves every channel (the portal, an SMS link, a one-question SMS reply, a
follow-up agent's call, the hotline's post-call IVR score), and every channel stores the same
answers; a question tied to a dimension (the agent's attitude, the result, timeliness) is scored
apart, so a good agent is not blamed for a slow process.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Purpose(models.TextChoices):
    POST_RESOLUTION = "post_resolution", _("After resolution")
    RELATIONSHIP = "relationship", _("Quarterly relationship survey")
    VISIT = "visit", _("Store or hotline visit")


class Instrument(models.Model):
    """One version of a questionnaire for one purpose. A draft is edited; publishing makes it the
    purpose's one active version and retires the one before, whose answers stay tied to it."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", pgettext_lazy("questionnaire status", "Active")
        RETIRED = "retired", _("Retired")

    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    version = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=100)
    intro = models.TextField(_("introduction"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True,
                                   on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")
        constraints = [
            models.UniqueConstraint(fields=["purpose", "version"], name="surveys_instrument_version"),
            models.UniqueConstraint(fields=["purpose"], condition=models.Q(status="active"), name="surveys_one_active"),
        ]

    def __str__(self):
        return f"{self.title} v{self.version}"


class Question(models.Model):
    class Type(models.TextChoices):
        SCORE = "score", _("Score 1–10")
        RECOMMEND = "recommend", _("Recommendation 0–10")
        SINGLE = "single", _("Single choice")
        MULTIPLE = "multiple", _("Multiple choice")
        TEXT = "text", _("Free text")

    class Dimension(models.TextChoices):
        NONE = "", pgettext_lazy("question dimension", "None")
        OVERALL = "overall", _("Overall satisfaction")
        ATTITUDE = "attitude", _("The agent's attitude")
        RESULT = "result", _("The result")
        TIMELINESS = "timeliness", _("Timeliness")

    instrument = models.ForeignKey(Instrument, verbose_name=_("questionnaire"), on_delete=models.CASCADE,
                                   related_name="questions")
    position = models.PositiveSmallIntegerField(_("position"))
    type = models.CharField(_("type"), max_length=10, choices=Type.choices)
    text = models.CharField(_("question"), max_length=300)
    dimension = models.CharField(_("dimension"), max_length=12, choices=Dimension.choices, blank=True, default="")
    options = models.JSONField(_("options"), default=list, blank=True)  # the choices of a choice question
    required = models.BooleanField(_("required"), default=True)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["instrument", "position"]
        constraints = [models.UniqueConstraint(fields=["instrument", "position"], name="surveys_question_position")]

    def __str__(self):
        return self.text


class Channel(models.TextChoices):
    PORTAL = "portal", _("Customer portal")
    SMS_LINK = "sms_link", _("SMS with a link")
    SMS_REPLY = "sms_reply", _("SMS reply")
    PHONE = "phone", _("Follow-up call")
    IVR = "ivr", _("Post-call IVR")
    # A mystery shopper's (神秘顾客) score sheet of a visit or call, recorded by the evaluator.
    SHOPPER = "shopper", _("Mystery shopper")


class Invitation(models.Model):
    """One customer asked to answer one questionnaire, on one channel, until it expires. Its
    token is the signed link's secret (the portal's survey page finds it by the token alone)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the answer")
        ANSWERED = "answered", _("Answered")
        EXPIRED = "expired", _("Expired")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    instrument = models.ForeignKey(Instrument, verbose_name=_("questionnaire"), on_delete=models.PROTECT,
                                   related_name="invitations")
    # None only for a mystery shopper's score sheet (channel "shopper"): nobody was asked.
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE,
                                 null=True, blank=True, related_name="+")
    order = models.ForeignKey("orders.WorkOrder", verbose_name=_("work order"), null=True, blank=True,
                              on_delete=models.CASCADE, related_name="+")
    # The quarterly relationship survey's wave that sampled the customer (SurveyWave).
    wave = models.ForeignKey("SurveyWave", verbose_name=_("survey wave"), null=True, blank=True, db_index=False,
                             on_delete=models.PROTECT, related_name="invitations")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    token = models.CharField(_("token"), max_length=64, unique=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    # The score the customer gave at resolution (orders' Feedback), when this invitation is its
    # mirror: at most one invitation per feedback.
    feedback = models.OneToOneField("orders.Feedback", verbose_name=_("feedback"), null=True, blank=True,
                                    on_delete=models.CASCADE, related_name="+")
    # A low score flagged for a supervisor's review (KEFU_SURVEY_LOW_SCORE_ACTIONS), and when reviewed.
    flagged_at = models.DateTimeField(_("flagged for review at"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_note = models.TextField(_("review note"), blank=True)

    class Meta:
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")
        indexes = [models.Index(fields=["customer", "created_at"], name="surveys_invitation_customer"),
                   models.Index(fields=["status", "expires_at"], name="surveys_invitation_due"),
                   # The rollups' worker reads the invitations made and answered since its last turn.
                   models.Index(fields=["created_at"], name="surveys_invitation_created"),
                   models.Index(fields=["answered_at"], name="surveys_invitation_answered"),
                   # The survey builder's and the waves' counts: GROUP BY questionnaire (or wave) and status.
                   models.Index(fields=["instrument", "status"], name="surveys_invitation_instrument"),
                   models.Index(fields=["wave", "status"], name="surveys_invitation_wave")]

    def __str__(self):
        return f"{self.instrument} → {self.customer_id}"


class Answer(models.Model):
    invitation = models.ForeignKey(Invitation, verbose_name=_("survey invitation"), on_delete=models.CASCADE,
                                   related_name="answers")
    question = models.ForeignKey(Question, verbose_name=_("question"), on_delete=models.PROTECT, related_name="+")
    score = models.SmallIntegerField(_("score"), null=True, blank=True)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    text = models.TextField(_("text"), blank=True)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(fields=["invitation", "question"], name="surveys_one_answer"),
            models.CheckConstraint(condition=models.Q(score__isnull=True) | models.Q(score__gte=0, score__lte=10),
                                   name="surveys_score_0_10"),
        ]

    def __str__(self):
        return f"{self.question_id}: {self.score if self.score is not None else self.choices or self.text}"


class OptOut(models.Model):
    """A customer's refusal of surveys and follow-up (拒绝回访 / 退订), honoured on every channel at
    once, with when and by which channel it came (PIPL); withdrawn when the customer asks again."""

    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="+")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    at = models.DateTimeField(_("at"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        verbose_name = _("survey refusal")
        verbose_name_plural = _("survey refusals")
        constraints = [models.UniqueConstraint(fields=["customer"], condition=models.Q(withdrawn_at__isnull=True),
                                               name="surveys_one_refusal")]

    def __str__(self):
        return f"{self.customer_id} ({self.channel})"


class SurveyWave(models.Model):
    """One quarter's relationship survey (季度满意度调查) sent to a sample of subscribers,
    stratified by province × customer segment × product with proportional allocation, drawn
    with SEED: the same seed over the same subscribers draws the same sample. The sample is kept
    (customer ids, in the order of STRATA), so an interrupted sending resumes where it stopped."""

    quarter = models.CharField(_("quarter"), max_length=6)  # 2026Q4
    instrument = models.ForeignKey(Instrument, verbose_name=_("questionnaire"), on_delete=models.PROTECT,
                                   related_name="+")
    size = models.PositiveIntegerField(_("sample size asked for"))
    seed = models.BigIntegerField(_("seed"))
    population = models.PositiveIntegerField(_("subscribers who could be asked"), default=0)
    # [{"province", "segment", "product", "population", "sample"}, …], in the order of SAMPLE.
    strata = models.JSONField(_("strata"), default=list)
    sample = models.JSONField(_("sampled customers"), default=list)
    invited = models.PositiveIntegerField(_("invited"), default=0)
    skipped = models.PositiveIntegerField(_("not invited"), default=0,
                                          help_text=_("Sampled, but refused since, asked meanwhile or without a phone."))
    expiry_days = models.PositiveSmallIntegerField(_("days to answer"), default=14)
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)  # every sampled customer handled
    # The wave's results once its time to answer is over, as the sums of the reports' measures
    # (surveys.services.wave_figures: survey_sent, survey_answered, score:N, sdim:D:N, rec:N),
    # computed once and read through the indicator registry like the rollups.
    figures = models.JSONField(_("results"), default=dict, blank=True)
    figures_at = models.DateTimeField(_("results frozen at"), null=True, blank=True)

    class Meta:
        verbose_name = _("relationship survey wave")
        verbose_name_plural = _("relationship survey waves")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["quarter"], name="surveys_wave_quarter")]

    def __str__(self):
        return f"{self.quarter} #{self.pk}"


class ShopperVisit(models.Model):
    """A mystery shopper's (神秘顾客) visit to a store or call to the hotline or an agent, scored
    on the active "visit" questionnaire: the answers are an invitation's (channel "shopper",
    no customer), so they are read like every other survey's."""

    class Target(models.TextChoices):
        STORE = "store", _("Store")
        HOTLINE = "hotline", _("Hotline")
        AGENT = "agent", _("Agent")

    target_kind = models.CharField(_("visited"), max_length=10, choices=Target.choices)
    # The store's name, or the hotline (number or queue) called; empty for an agent.
    target_name = models.CharField(_("store or hotline"), max_length=100, blank=True)
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("agent"), null=True, blank=True,
                              db_index=False, on_delete=models.PROTECT, related_name="+")
    visited_at = models.DateTimeField(_("visited at"))
    evaluator = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("evaluator"), on_delete=models.PROTECT,
                                  related_name="+")
    invitation = models.OneToOneField(Invitation, verbose_name=_("score sheet"), on_delete=models.PROTECT,
                                      related_name="visit")
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("mystery shopper visit")
        verbose_name_plural = _("mystery shopper visits")
        ordering = ["-visited_at", "-pk"]
        indexes = [models.Index(fields=["visited_at"], name="surveys_visit_at"),
                   models.Index(fields=["agent", "visited_at"], name="surveys_visit_agent")]
        constraints = [
            models.CheckConstraint(condition=~models.Q(target_kind="agent") | models.Q(agent__isnull=False),
                                   name="surveys_visit_agent_named"),
            models.CheckConstraint(condition=~models.Q(target_kind="store") | ~models.Q(target_name=""),
                                   name="surveys_visit_store_named"),
        ]

    def __str__(self):
        return f"{self.get_target_kind_display()} {self.target_name or self.agent_id or ''} {self.visited_at:%Y-%m-%d}"
