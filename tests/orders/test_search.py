"""Order search by words (decision 0022): what agents type finds the orders holding every word,
in the title, the description or the number, whatever the spaces, punctuation, case or width."""

import pytest

from kefu.orders import services
from kefu.orders.models import OrderWord


@pytest.fixture
def orders(agent, customer):
    def make(title, description=""):
        return services.create_order(agent, kind="complaint", title=title, description=description, customer_id=customer.pk,
                                     channel="hotline")
    return {
        "both": make("宽带今天又断网了", "光猫LOS灯红"),
        "split": make("家里宽带很慢", "晚上经常断网"),
        "broadband": make("宽带安装预约"),
        "mobile": make("手机断网", "5G信号差"),
    }


def _found(user, q, **kw):
    return {o.pk for o in services.search_orders(user, q=q, **kw)}


@pytest.mark.parametrize("typed", ["宽带断网", "宽带 断网", "宽带，断网", "  宽带、断网。", "断网 宽带", "“宽带断网”", "宽带　断网"])
def test_every_word_must_match_wherever_it_is(agent, orders, typed):
    assert _found(agent, typed) == {orders["both"].pk, orders["split"].pk}


def test_one_word_finds_every_order_holding_it(agent, orders):
    assert _found(agent, "宽带") == {orders["both"].pk, orders["split"].pk, orders["broadband"].pk}
    assert _found(agent, "断网") == {orders["both"].pk, orders["split"].pk, orders["mobile"].pk}
    assert _found(agent, "los") == _found(agent, "ＬＯＳ") == {orders["both"].pk}
    assert _found(agent, "5G 断网") == {orders["mobile"].pk}


def test_an_order_number_in_any_case_or_width(agent, orders):
    number = orders["split"].number
    assert number.startswith("GD")
    full_width = "".join(chr(ord(ch) + 0xFEE0) for ch in number)
    for typed in (number, number.lower(), f" {number.lower()}，", full_width):
        assert _found(agent, typed) == {orders["split"].pk}, typed


def test_a_word_no_order_holds_and_bare_punctuation_find_nothing(agent, orders):
    assert _found(agent, "宽带 发票") == set()
    assert _found(agent, "，。、") == set()


def test_the_index_follows_edits_of_title_and_description(agent, orders):
    order = orders["broadband"]
    services.update_order(agent, order.pk, version=order.version, changes={"title": "宽带安装后断网", "description": "路由器"})
    assert _found(agent, "宽带断网") == {orders["both"].pk, orders["split"].pk, order.pk}
    assert _found(agent, "安装 路由器") == {order.pk}
    order.refresh_from_db()
    services.update_order(agent, order.pk, version=order.version, changes={"title": "宽带安装预约", "description": ""})
    assert _found(agent, "路由器") == set()


def test_queues_search_by_words_too(agent, orders):
    found = {o.pk for o in services.queue(agent, "open", q="宽带，断网")}
    assert found == {orders["both"].pk, orders["split"].pk}
    assert {o.pk for o in services.queue(agent, "open", q=orders["mobile"].number.lower())} == {orders["mobile"].pk}


def test_search_keeps_the_other_filters_and_the_scope(agent, handler, orders):
    assert _found(agent, "宽带断网", status="closed") == set()
    # The handler of another department sees none of these orders, search or not.
    assert _found(handler, "宽带断网") == {o.pk for o in services.search_orders(handler)} & _found(agent, "宽带断网")


def test_reindexing_restores_words_written_around_the_services(agent, orders):
    # The demo seed writes orders with raw inserts: their words come from reindex_words.
    OrderWord.objects.all().delete()
    assert _found(agent, "宽带") == set()
    assert services.reindex_words([orders["both"].pk]) == 1
    assert _found(agent, "宽带") == {orders["both"].pk}
    assert services.reindex_words(batch_size=2) == 4
    assert _found(agent, "宽带断网") == {orders["both"].pk, orders["split"].pk}


def test_the_reindex_command(agent, orders):
    from io import StringIO

    from django.core.management import call_command

    OrderWord.objects.all().delete()
    out = StringIO()
    call_command("reindex_orders", stdout=out)
    assert "4" in out.getvalue()
    assert _found(agent, "宽带断网") == {orders["both"].pk, orders["split"].pk}


def test_the_api_searches_by_words(api_client, agent, orders):
    r = api_client(agent).get("/orders?q=宽带+断网")
    assert r.status_code == 200, r.content[:300]
    assert {row["id"] for row in r.json()["results"]} == {orders["both"].pk, orders["split"].pk}
