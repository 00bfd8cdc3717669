"""Knowledge tests (培训考试): a question bank tied to knowledge base articles, exams built from it
and assigned to staff with a due date, each taken once and scored automatically (decision 0033).
The reports and assessment apps read `ExamAssignment.score`; the rules are in services.py."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Question(models.Model):
    """One question of the bank: its options, the indexes of the right ones, why, and the
    knowledge base article it tests (what to revise when many get it wrong)."""

    class Kind(models.TextChoices):
        SINGLE = "single", _("Single choice")
        MULTIPLE = "multiple", _("Multiple choice")
        TRUE_FALSE = "true_false", _("True or false")

    text = models.TextField(_("question"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.SINGLE)
    options = models.JSONField(_("options"), default=list, help_text=_("The answers to choose from, in order."))
    correct = models.JSONField(_("right answers"), default=list,
                               help_text=_("The positions of the right options, counted from 0."))
    explanation = models.TextField(_("explanation"), blank=True)
    article = models.ForeignKey("knowledge.Article", verbose_name=_("knowledge base article"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    topic = models.CharField(_("topic"), max_length=40, blank=True, db_index=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("test question")
        verbose_name_plural = _("test questions")
        ordering = ["topic", "pk"]
        indexes = [models.Index(fields=["article"], name="training_question_article")]

    def __str__(self):
        return self.text[:60]


class Exam(models.Model):
    """A test: questions with their points (the total scaled to 100), a pass mark and an optional
    time limit. Built as a draft, published to be assigned and taken, closed when done."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", pgettext_lazy("exam status", "Published")
        CLOSED = "closed", pgettext_lazy("exam status", "Closed")

    title = models.CharField(_("title"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    pass_mark = models.PositiveSmallIntegerField(_("pass mark"), default=80,
                                                 validators=[MinValueValidator(0), MaxValueValidator(100)])
    time_limit_minutes = models.PositiveSmallIntegerField(_("time limit (minutes)"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"))
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("knowledge test")
        verbose_name_plural = _("knowledge tests")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.title


class ExamQuestion(models.Model):
    exam = models.ForeignKey(Exam, verbose_name=_("knowledge test"), on_delete=models.CASCADE, related_name="items")
    question = models.ForeignKey(Question, verbose_name=_("test question"), on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(_("position"))
    points = models.PositiveSmallIntegerField(_("points"), default=1)

    class Meta:
        verbose_name = _("question of a test")
        verbose_name_plural = _("questions of a test")
        ordering = ["exam", "position"]
        constraints = [models.UniqueConstraint(fields=["exam", "question"], name="training_question_once")]

    def __str__(self):
        return f"{self.exam_id} #{self.position}"


class ExamAssignment(models.Model):
    """A test given to one person, due by DUE_AT: taken once (submitted, scored), or expired
    with a score of 0 when the due date passed first."""

    class Status(models.TextChoices):
        ASSIGNED = "assigned", _("To take")
        SUBMITTED = "submitted", pgettext_lazy("test status", "Submitted")
        EXPIRED = "expired", _("Expired")

    exam = models.ForeignKey(Exam, verbose_name=_("knowledge test"), on_delete=models.PROTECT, related_name="assignments")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.PROTECT,
                               related_name="+")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assigned by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    assigned_at = models.DateTimeField(pgettext_lazy("test", "assigned at"))
    due_at = models.DateTimeField(_("due"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ASSIGNED)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    score = models.DecimalField(_("score"), max_digits=4, decimal_places=1, null=True, blank=True,
                                validators=[MinValueValidator(0), MaxValueValidator(100)])
    passed = models.BooleanField(_("passed"), null=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("test assignment")
        verbose_name_plural = _("test assignments")
        permissions = [("take_exam", _("Can take the knowledge tests assigned to them"))]
        constraints = [models.UniqueConstraint(fields=["exam", "person"], name="training_one_assignment_each")]
        indexes = [models.Index(fields=["person", "status"], name="training_assignment_person"),
                   models.Index(fields=["status", "due_at"], name="training_assignment_due")]

    def __str__(self):
        return f"{self.exam} · {self.person}"


class ExamAnswer(models.Model):
    """What the person chose for one question of their test, and whether it was right."""

    assignment = models.ForeignKey(ExamAssignment, verbose_name=_("test assignment"), on_delete=models.CASCADE,
                                   related_name="answers")
    question = models.ForeignKey(Question, verbose_name=_("test question"), on_delete=models.PROTECT, related_name="+")
    chosen = models.JSONField(_("chosen options"), default=list)
    correct = models.BooleanField(_("right"), default=False)
    points = models.PositiveSmallIntegerField(_("points earned"), default=0)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [models.UniqueConstraint(fields=["assignment", "question"], name="training_one_answer_each")]
        indexes = [models.Index(fields=["question", "correct"], name="training_answer_question")]

    def __str__(self):
        return f"{self.assignment_id}/{self.question_id}: {self.chosen}"
