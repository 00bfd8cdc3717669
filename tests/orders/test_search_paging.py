"""Pages of a search by words (decision 0022): the word index is read first, newest first, the
candidates are checked against the scope and the other filters, the count stops at a cap, and
the results are those of the plain query (every word, the scope, the filters) in the same order."""

import pytest
from django.core.paginator import Paginator

from kefu.core.services import page_of
from kefu.orders import services
from kefu.orders.models import WorkOrder


@pytest.fixture
def many(agent, customer, departments):
    """Nine orders holding 宽带 and 断网 (every third in tech support, every other one a
    complaint), and three holding only 宽带."""
    def make(title, kind):
        return services.create_order(agent, kind=kind, title=title, customer_id=customer.pk, channel="hotline").pk
    found = [make(f"宽带断网第{n}次", "complaint" if n % 2 else "fault") for n in range(9)]
    others = [make(f"宽带安装第{n}次", "complaint") for n in range(3)]
    WorkOrder.objects.filter(pk__in=found[::3]).update(department=departments["tech-support"])
    return found, others


def _plain(user, q, **filters):
    """What a search has to find: the plain query, newest first."""
    return list(services.with_words(services.search_orders(user, **filters), q).order_by("-id").values_list("pk", flat=True))


def _ids(rows):
    return [o.pk for o in rows]


def test_newest_first_page_by_page(agent, many):
    found, _others = many
    assert _plain(agent, "宽带 断网") == found[::-1]
    pages = [page_of(services.search_orders(agent, q="宽带，断网"), n, 4) for n in (1, 2, 3, 4)]
    assert [count for count, _rows in pages] == [9] * 4
    assert [_ids(rows) for _count, rows in pages] == [found[8:4:-1], found[4:0:-1], found[:1], []]
    oldest_first = services.search_orders(agent, q="断网 宽带", sort="created_at")
    assert (oldest_first.count(), _ids(oldest_first[2:5])) == (9, found[2:5])


def test_the_count_stops_at_the_cap(agent, many, monkeypatch):
    found, _others = many
    monkeypatch.setattr(services.words, "SEARCH_COUNT_CAP", 5)
    search = services.search_orders(agent, q="宽带断网")
    assert (search.count(), search.count_exact) == (5, False)
    assert _ids(search[5:9]) == found[3::-1]  # the pages beyond the count are there all the same
    search = services.search_orders(agent, q="宽带安装")
    assert (search.count(), search.count_exact) == (3, True)


def test_the_api_says_when_the_count_is_capped(api_client, agent, many, monkeypatch):
    found, _others = many
    monkeypatch.setattr(services.words, "SEARCH_COUNT_CAP", 5)
    body = api_client(agent).get("/orders?q=宽带+断网&page_size=4&page=2").json()
    assert (body["count"], body["count_exact"], [r["id"] for r in body["results"]]) == (5, False, found[4:0:-1])
    body = api_client(agent).get("/orders?q=宽带安装").json()
    assert (body["count"], body["count_exact"]) == (3, True)
    assert api_client(agent).get("/orders?kind=fault").json()["count_exact"] is True


@pytest.mark.parametrize("budget", [5000, 2])  # every candidate checked at once; two at a time, then the rest
def test_scope_and_filters_keep_only_their_orders(agent, handler, many, monkeypatch, budget):
    found, _others = many
    monkeypatch.setattr(services.words, "SEARCH_BUDGET", budget)
    monkeypatch.setattr(services.words, "SEARCH_MIN_BATCH", 1)
    for user, filters in [(handler, {}), (agent, {"kind": "complaint"}), (handler, {"kind": "complaint"}),
                          (agent, {"status": "closed"}), (agent, {"customer": 0})]:
        expected = _plain(user, "宽带 断网", **filters)
        search = services.search_orders(user, q="宽带 断网", **filters)
        count = search.count()
        assert (_ids(search[0:2]), _ids(search[2:20])) == (expected[:2], expected[2:]), (user, filters)
        # Exact when every candidate was checked, or too few passed (the rest then comes in one
        # query); else at least what was found.
        assert count == len(expected) if search.count_exact else 0 < count < len(expected), (user, filters)
        assert search.count_exact or budget < 9
    assert _plain(handler, "宽带 断网") == found[6::-3]  # tech support's, and nothing of the others


def test_a_count_cut_short_by_the_budget_is_at_least_what_was_found(agent, many, monkeypatch):
    found, _others = many
    monkeypatch.setattr(services.words, "SEARCH_BUDGET", 4)
    monkeypatch.setattr(services.words, "SEARCH_MIN_BATCH", 1)
    search = services.search_orders(agent, q="宽带断网", kind="complaint")  # one candidate in two passes
    assert (search.count(), search.count_exact) == (2, False)
    assert _ids(search[0:10]) == _plain(agent, "宽带断网", kind="complaint") == found[7::-2]


def test_other_sorts_and_no_words(agent, many):
    found, others = many
    by_number = services.search_orders(agent, q="宽带", sort="-number")
    assert list(by_number.values_list("pk", flat=True)) == sorted(found + others, reverse=True)
    assert list(services.search_orders(agent, q="，。")) == []


def test_a_queue_search_pages_nearest_due_first(agent, many):
    found, _others = many
    expected = list(services.with_words(services.queue(agent, "open"), "宽带 断网").values_list("pk", flat=True))
    assert sorted(expected) == found
    pages = Paginator(services.queue(agent, "open", q="宽带断网"), 4)
    assert pages.count == 9 and pages.num_pages == 3
    assert [o.pk for n in pages.page_range for o in pages.page(n).object_list] == expected
    assert services.queue(agent, "open", q="宽带断网")[3].pk == expected[3]
