from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.contacts.models import Channel
from kefu.core.models import VersionedModel


class Kind(models.TextChoices):
    CONSULTATION = "consultation", _("Consultation")
    BUSINESS = "business", _("Business request")
    FAULT = "fault", _("Fault report")
    COMPLAINT = "complaint", _("Complaint")
    SUGGESTION = "suggestion", _("Suggestion")
    PRAISE = "praise", _("Praise")


class Severity(models.TextChoices):
    GENERAL = "general", _("General")
    URGENT = "urgent", _("Urgent")
    MAJOR = "major", _("Major")


# From the least to the most severe: triage rules and repeat complaints only ever raise it.
SEVERITY_RANK = {"general": 0, "urgent": 1, "major": 2}


class Status(models.TextChoices):
    NEW = "new", _("New")
    ACCEPTED = "accepted", _("Accepted")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING_CUSTOMER = "waiting_customer", _("Waiting for customer")
    RESOLVED = "resolved", _("Resolved")
    CONFIRMED = "confirmed", _("Confirmed")
    CLOSED = "closed", _("Closed")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")
    MERGED = "merged", _("Merged into another order")


# The longest customer-visible summary: room for the portal's title and details, as the customer wrote them.
CUSTOMER_SUMMARY_MAX = 5000

OPEN_STATUSES = (Status.NEW, Status.ACCEPTED, Status.ASSIGNED, Status.IN_PROGRESS, Status.WAITING_CUSTOMER)
TERMINAL_STATUSES = (Status.CLOSED, Status.REJECTED, Status.CANCELLED, Status.MERGED)


class Category(models.Model):
    """Admin-editable classification tree (REQUIREMENTS.md §4), e.g. 投诉 › 资费 › 乱扣费."""

    class ProblemClass(models.TextChoices):
        GENERAL = "general", _("General question")
        TECHNICAL = "technical", _("Technical problem")
        SPECIAL = "special", _("Special case")

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    parent = models.ForeignKey("self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, blank=True, help_text=_("Empty: any kind"))
    problem_class = models.CharField(_("problem class"), max_length=10, choices=ProblemClass.choices, default=ProblemClass.GENERAL)
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["sort_order", "code"]

    def __str__(self):
        return self.name

    @staticmethod
    def lineage(category_id, parents: dict | None = None) -> set:
        """The category and all its ancestors, so that a rule on 投诉 also covers
        投诉 › 资费 › 乱扣费. PARENTS ({id: parent_id}) may be passed in by callers that cache it."""
        if category_id is None:
            return set()
        if parents is None:
            parents = dict(Category.objects.values_list("id", "parent_id"))
        line, node = set(), category_id
        while node is not None and node not in line:
            line.add(node)
            node = parents.get(node)
        return line


class WorkOrder(VersionedModel):
    """A work order (工单). Its status changes only through orders.services."""

    number = models.CharField(_("number"), max_length=32, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, db_index=True)
    category = models.ForeignKey(Category, verbose_name=_("category"), null=True, blank=True, on_delete=models.PROTECT, related_name="orders")
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, default=Severity.GENERAL, db_index=True)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, db_index=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW)
    # Foreign keys below lead a composite index (Meta.indexes), so they need none of their own.
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="orders", db_index=False)
    subscription = models.ForeignKey("customers.Subscription", verbose_name=_("subscription"), null=True, blank=True, on_delete=models.PROTECT, related_name="orders")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    # Title and description are the staff's own words; this is what the customer reads of the
    # order (orders.services.customer_text): on the portal and in every notice to them.
    customer_summary = models.TextField(_("customer-visible summary"), blank=True,
                                        help_text=_("What the customer reads of this order. The title and description are internal."))
    resolution = models.TextField(_("resolution"), blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("first-contact owner"), on_delete=models.PROTECT, related_name="owned_orders", db_index=False)
    handler = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("handler"), null=True, blank=True, on_delete=models.PROTECT, related_name="handled_orders", db_index=False)
    department = models.ForeignKey("staff.Department", verbose_name=_("department"), null=True, blank=True, on_delete=models.PROTECT, related_name="orders", db_index=False)
    parent = models.ForeignKey("self", verbose_name=_("parent order"), null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    reopen_count = models.PositiveIntegerField(_("re-complaints"), default=0)
    repeat_count = models.PositiveIntegerField(_("repeat complaints before this one"), default=0,
                                               help_text=_("Earlier complaints of the customer about the same service within the repeat window."))
    satisfaction = models.PositiveSmallIntegerField(_("latest satisfaction score"), null=True, blank=True)
    needs_review = models.BooleanField(_("needs review"), default=False, db_index=True)
    flagged = models.BooleanField(_("flagged for a complaint coordinator"), default=False,
                                  help_text=_("Set by triage rules, e.g. a threat to go to the regulator, the media or court."))
    # The subscription's province (its 归属地), else the customer's: the region for data scopes.
    province = models.CharField(_("province"), max_length=20, blank=True)
    tier = models.PositiveSmallIntegerField(_("escalation tier"), default=1,
                                            help_text=_("The tier of the department handling it: 1 front office, 2 specialists, 3 experts."))
    # The nearest running time limit (sla.services.refresh_due): what queues sort and colour by.
    sla_due_at = models.DateTimeField(_("next due"), null=True, blank=True, editable=False)
    sla_warn_at = models.DateTimeField(_("warning from"), null=True, blank=True, editable=False)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")
        permissions = [
            ("accept_workorder", _("Can accept work orders")),
            ("dispatch_workorder", _("Can assign and transfer work orders")),
            ("handle_workorder", _("Can claim and handle work orders")),
            ("close_workorder", _("Can close work orders")),
            ("reject_workorder", _("Can reject work orders")),
            ("reopen_workorder", _("Can reopen work orders")),
            ("handover_workorder", _("Can hand over first-contact ownership")),
            ("record_feedback", _("Can record customer feedback")),
            ("answer_workorder", _("Can record the customer's answer to a question")),
            ("cancel_workorder", _("Can cancel work orders the customer withdraws")),
            ("manage_any_workorder", _("Can act on any work order regardless of handler or owner")),
            ("view_board", _("Can open the supervisor board")),
        ]
        indexes = [
            models.Index(fields=["department", "status"]),
            models.Index(fields=["handler", "status"]),
            models.Index(fields=["owner", "status"]),
            models.Index(fields=["customer", "created_at"]),
            models.Index(fields=["status", "resolved_at"]),
            # Queues: open orders by nearest due time, all of them or per department / handler.
            models.Index(fields=["sla_due_at"], name="order_open_due", condition=models.Q(status__in=OPEN_STATUSES)),
            models.Index(fields=["department", "sla_due_at"], name="order_open_dept_due", condition=models.Q(status__in=OPEN_STATUSES)),
            models.Index(fields=["handler", "sla_due_at"], name="order_open_handler_due", condition=models.Q(status__in=OPEN_STATUSES)),
        ]

    def __str__(self):
        return self.number


class OrderWord(models.Model):
    """One word of an order's title or description, as the knowledge base and the classifier
    segment Chinese (kefu.core.segment.tokenize): the search index (decision 0022). Kept
    current by orders.services on every write of the title or the description."""

    # The key (word, order) is the index a search reads; the order's own index serves rebuilds.
    pk = models.CompositePrimaryKey("word", "order")
    word = models.CharField(max_length=50)
    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="words")

    def __str__(self):
        return self.word


class OrderEvent(models.Model):
    """Append-only history of a work order: every creation, change and transition."""

    class Visibility(models.TextChoices):
        INTERNAL = "internal", _("Internal")
        CUSTOMER = "customer", _("Visible to the customer")

    order = models.ForeignKey(WorkOrder, verbose_name=_("work order"), on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("at"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(_("action"), max_length=20)
    from_status = models.CharField(_("from"), max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=Status.choices, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    note = models.TextField(_("note"), blank=True)
    visibility = models.CharField(_("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.INTERNAL)
    data = models.JSONField(_("details"), default=dict, blank=True)
    disputes = models.ForeignKey("self", verbose_name=_("disputed resolution"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("work order event")
        verbose_name_plural = _("work order events")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["order", "at"])]

    def __str__(self):
        return f"{self.order_id} {self.action} {self.from_status}→{self.to_status}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("work order events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("work order events are append-only")


class OrderLink(models.Model):
    class Type(models.TextChoices):
        RELATED = "related", _("Related")
        DUPLICATE = "duplicate", _("Duplicate of")
        REPEAT = "repeat", _("Repeat complaint of")

    source = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="links_in")
    type = models.CharField(_("type"), max_length=10, choices=Type.choices, default=Type.RELATED)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("work order link")
        verbose_name_plural = _("work order links")
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "type"], name="uniq_order_link"),
            models.CheckConstraint(condition=~models.Q(source=models.F("target")), name="order_link_not_self"),
        ]

    def __str__(self):
        return f"{self.source_id} {self.type} {self.target_id}"


class Feedback(models.Model):
    """The customer's answer at resolution: confirmed or disputed, and a 1–10 score."""

    order = models.ForeignKey(WorkOrder, verbose_name=_("work order"), on_delete=models.CASCADE, related_name="feedback")
    resolution_event = models.ForeignKey(OrderEvent, verbose_name=_("resolution rated"), on_delete=models.PROTECT, related_name="+")
    confirmed = models.BooleanField(_("customer confirms the resolution"))
    score = models.PositiveSmallIntegerField(_("satisfaction score"), null=True, blank=True)
    satisfied = models.BooleanField(_("satisfied"), null=True)
    comment = models.TextField(_("comment"), blank=True)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"), db_index=True)  # the board's satisfaction trend reads a range

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(score__isnull=True) | models.Q(score__gte=1, score__lte=10), name="feedback_score_1_10"),
        ]

    def __str__(self):
        return f"{self.order_id}: {self.score}"


class EventConsumer(models.Model):
    """How far one "after" consumer of order events (orders.events.subscribe_after) has read
    OrderEvent, the outbox. Every event with an id up to POSITION has been handled (or will never
    commit); events above it that were handled have an EventReceipt. MARK is the highest event
    id seen at MARKED_AT: once KEFU_EVENTS_SETTLE_SECONDS have passed, every event up to it has
    committed or never will, and POSITION may move up to it (decision 0024)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    position = models.BigIntegerField(_("handled up to event"), default=0)
    mark = models.BigIntegerField(_("latest event seen"), null=True, blank=True)
    marked_at = models.DateTimeField(_("seen at"), null=True, blank=True)
    drained_at = models.DateTimeField(_("last drained at"), null=True, blank=True)

    class Meta:
        verbose_name = _("order event consumer")
        verbose_name_plural = _("order event consumers")

    def __str__(self):
        return f"{self.name} @ {self.position}"


class EventReceipt(models.Model):
    """An event a consumer handled above its position: the unique pair makes it handled once,
    whatever the order its transaction committed in. Deleted as the position passes it."""

    consumer = models.ForeignKey(EventConsumer, verbose_name=_("consumer"), on_delete=models.CASCADE, related_name="receipts")
    event_id = models.BigIntegerField(_("event"))

    class Meta:
        verbose_name = _("order event receipt")
        verbose_name_plural = _("order event receipts")
        constraints = [models.UniqueConstraint(fields=["consumer", "event_id"], name="uniq_consumer_event")]

    def __str__(self):
        return f"{self.consumer_id}: {self.event_id}"
