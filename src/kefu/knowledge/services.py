"""Knowledge base: articles searched in Chinese by word, service phrases, links from orders."""

import re

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _

from kefu.core.errors import ValidationFailed
from kefu.core.services import get_or_404, require
from kefu.triage.classifier import tokenize

from .models import Article, OrderArticle, Phrase, Term

TITLE_WEIGHT, TAG_WEIGHT = 5, 3


def _tags(text: str) -> list[str]:
    """Whole tags (or query words) as written, split at commas and spaces, lower-cased."""
    return [t.lower() for t in re.split(r"[,，\s]+", text or "") if t]


def _terms(article) -> dict:
    weights: dict[str, int] = {}
    for text, weight in ((article.body, 1), (article.tags, TAG_WEIGHT), (article.title, TITLE_WEIGHT)):
        for word in tokenize(text or ""):
            word = word[:50]
            weights[word] = max(weights.get(word, 0), weight)
    for tag in _tags(article.tags):
        weights[tag[:50]] = TAG_WEIGHT
    return weights


def index(article) -> None:
    """Rebuild one article's words (after every save; articles are few and short)."""
    Term.objects.filter(article=article).delete()
    Term.objects.bulk_create([Term(article=article, term=t, weight=w) for t, w in _terms(article).items()])


@transaction.atomic
def save_article(actor, *, article_id=None, title, body, tags="", category_id=None, is_published=True) -> Article:
    require(actor, "knowledge.change_article" if article_id else "knowledge.add_article")
    if not (title or "").strip() or not (body or "").strip():
        raise ValidationFailed(_("The input is invalid."), fields={f: _("is required") for f, v in (("title", title), ("body", body))
                                                                     if not (v or "").strip()})
    article = get_or_404(Article, article_id, lock=True) if article_id else Article()
    article.title, article.body, article.tags = title.strip(), body.strip(), (tags or "").strip()
    article.category_id, article.is_published, article.updated_by = category_id, is_published, actor
    article.save()
    index(article)
    return article


def search(user, query: str, *, limit=10) -> list:
    """Published articles ranked by the weight of the query's words they contain (words as
    Chinese is segmented, not substrings), then by how many of them. One indexed query."""
    require(user, "knowledge.view_article")
    words = set(tokenize(query or "")) | set(_tags(query))
    if not words:
        return []
    ranked = (Term.objects.filter(term__in=words, article__is_published=True).values("article")
              .annotate(score=Sum("weight"), hits=Count("id")).order_by("-score", "-hits", "article")[:limit])
    order = [row["article"] for row in ranked]
    found = Article.objects.in_bulk(order)
    return [found[pk] for pk in order if pk in found]


def get_article(user, article_id) -> Article:
    require(user, "knowledge.view_article")
    return get_or_404(Article, article_id, queryset=Article.objects.filter(Q(is_published=True) | Q(updated_by=user)))


def phrases(user):
    require(user, "knowledge.view_phrase")
    return list(Phrase.objects.all())


@transaction.atomic
def link_to_order(actor, order_id, article_id) -> OrderArticle:
    """Link an article from a work order the actor may see; recorded in the order's history."""
    from kefu.orders import services as orders

    order = orders.get_order(actor, order_id)
    article = get_article(actor, article_id)
    link, created = OrderArticle.objects.get_or_create(order=order, article=article, defaults={"linked_by": actor})
    if created:
        orders.add_comment(actor, order.pk, note=_("Knowledge base article: %(title)s") % {"title": article.title})
    return link


def articles_of(user, order) -> list:
    return [link.article for link in OrderArticle.objects.filter(order=order).select_related("article")]
