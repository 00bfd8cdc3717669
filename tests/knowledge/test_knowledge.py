"""Knowledge base: Chinese search by word, ranking, publishing, phrases, links from orders."""

import pytest

from kefu.core.errors import Forbidden
from kefu.demo.org import ensure_knowledge
from kefu.knowledge import services as kb
from kefu.knowledge.models import Article, Phrase


@pytest.fixture
def articles(db):
    ensure_knowledge()
    return {a.title: a for a in Article.objects.all()}


def test_chinese_search_finds_words_not_substrings(agent, articles):
    titles = [a.title for a in kb.search(agent, "宽带断网了怎么办")]
    assert titles[0] == "宽带无法上网的排查步骤"
    assert [a.title for a in kb.search(agent, "乱扣费 退费")][0] == "话费异常扣费的处理"
    assert kb.search(agent, "携号转网")[0].title == "携号转网的条件"
    assert kb.search(agent, "天气预报") == [] and kb.search(agent, "  ") == []


def test_title_words_rank_above_body_words(agent, db):
    editor = _editor()
    body_only = kb.save_article(editor, title="资费说明", body="套餐变更次月生效")
    titled = kb.save_article(editor, title="套餐变更", body="规则见营业厅公告")
    assert [a.pk for a in kb.search(agent, "套餐变更")][:2] == [titled.pk, body_only.pk]


def _editor():
    from django.contrib.auth.models import Group

    from kefu.staff.models import User

    user = User.objects.create_user("kb-editor", password="pw")
    user.groups.add(Group.objects.get(name="supervisor"))
    return User.objects.get(pk=user.pk)


def test_editing_reindexes_and_unpublished_articles_are_hidden(agent, articles):
    editor = _editor()
    a = articles["套餐变更规则"]
    kb.save_article(editor, article_id=a.pk, title=a.title, body="只能升档。合约期规则。", tags="套餐", is_published=False)
    assert a.pk not in [x.pk for x in kb.search(agent, "合约期")]
    kb.save_article(editor, article_id=a.pk, title=a.title, body="只能升档。合约期规则。", tags="套餐", is_published=True)
    assert a.pk in [x.pk for x in kb.search(agent, "合约期")]  # the new words are searchable
    with pytest.raises(Forbidden):
        kb.save_article(agent, title="x", body="y")  # agents read, supervisors write


def test_phrases_are_installed_and_link_to_an_order_is_recorded(agent, order, articles, client):
    assert Phrase.objects.count() >= 8 and kb.phrases(agent)
    article = articles["话费异常扣费的处理"]
    kb.link_to_order(agent, order.pk, article.pk)
    kb.link_to_order(agent, order.pk, article.pk)  # once only
    assert [a.pk for a in kb.articles_of(agent, order)] == [article.pk]
    assert order.events.filter(action="comment", note__contains=article.title).count() == 1
    client.force_login(agent)
    page = client.get(f"/orders/{order.pk}/").content.decode()
    assert article.title in page and "data-insert-into" in page
    panel = client.get("/knowledge/", {"q": "扣费", "order": order.pk}, headers={"HX-Request": "true"}).content.decode()
    assert article.title in panel and f"/orders/{order.pk}/articles/{article.pk}/" in panel
