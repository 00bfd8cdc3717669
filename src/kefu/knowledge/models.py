from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Article(models.Model):
    """A knowledge base article (知识库): what agents answer from."""

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"))
    tags = models.CharField(_("tags"), max_length=200, blank=True, help_text=_("Separated by commas or spaces."))
    category = models.ForeignKey("orders.Category", verbose_name=_("category"), null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="articles")
    is_published = models.BooleanField(_("published"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        ordering = ["title"]

    def __str__(self):
        return self.title


class Term(models.Model):
    """One word of an article, as the classifier segments Chinese: the search index. Title
    and tag words weigh more than body words."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="terms")
    term = models.CharField(max_length=50)
    weight = models.PositiveSmallIntegerField(default=1)

    class Meta:
        indexes = [models.Index(fields=["term", "article"])]
        constraints = [models.UniqueConstraint(fields=["article", "term"], name="uniq_article_term")]

    def __str__(self):
        return f"{self.term} ({self.weight})"


class Phrase(models.Model):
    """A standard service phrase (服务用语) agents insert into replies and notes."""

    class Use(models.TextChoices):
        GREETING = "greeting", _("Greeting")
        VERIFY = "verify", _("Identity check")
        APOLOGY = "apology", _("Apology")
        WAIT = "wait", _("Asking to wait")
        CLOSING = "closing", _("Closing")
        OTHER = "other", _("Other")

    text = models.CharField(_("text"), max_length=300)
    use = models.CharField(_("used for"), max_length=10, choices=Use.choices, default=Use.OTHER)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("service phrase")
        verbose_name_plural = _("service phrases")
        ordering = ["use", "sort_order", "id"]

    def __str__(self):
        return self.text


class OrderArticle(models.Model):
    """An article linked from a work order (what the answer rested on)."""

    order = models.ForeignKey("orders.WorkOrder", on_delete=models.CASCADE, related_name="articles")
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="orders")
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    linked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["order", "article"], name="uniq_order_article")]

    def __str__(self):
        return f"{self.order_id} → {self.article_id}"
