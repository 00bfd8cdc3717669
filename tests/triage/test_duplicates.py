"""Likely duplicates: same customer, same service, similar words, inside the window."""

from datetime import timedelta

from kefu.orders import services
from kefu.orders.models import WorkOrder
from kefu.triage.duplicates import duplicates_of, likely_duplicates, similarity, words


def _order(agent, customer, subscription, title, description="", **kw):
    return services.create_order(agent, kind="fault", title=title, description=description, customer_id=customer.pk,
                                 subscription_id=subscription.pk if subscription else None, channel="hotline", **kw)


def test_similar_accounts_of_one_problem_score_high_and_different_problems_low():
    down = words("宽带断网了", "家里宽带从昨天开始一直断网，连不上")
    again = words("宽带又断网", "宽带昨天开始断网，一直连不上网")
    slow = words("宽带很慢", "家里宽带网速很慢，晚上看视频卡")
    assert similarity(down, again) >= 0.4 > similarity(down, slow)
    assert similarity(down, frozenset()) == 0.0


def test_same_customer_same_service_similar_text(agent, customer, subscription):
    first = _order(agent, customer, subscription, "宽带断网了", "家里宽带从昨天开始一直断网，连不上")
    other_problem = _order(agent, customer, subscription, "话费乱扣费", "这个月话费多扣了20元")
    second = _order(agent, customer, subscription, "宽带又断网", "宽带昨天开始断网，一直连不上网")
    found = duplicates_of(second, user=agent)
    assert [o.pk for o, _s in found] == [first.pk]
    assert other_problem.pk not in [o.pk for o, _s in duplicates_of(first, user=agent)]
    assert found[0][1] >= 0.4


def test_other_service_other_customer_finished_or_old_orders_are_not_duplicates(agent, customer, subscription, settings, make_user):
    from kefu.customers import services as customers

    other_line = customers.create_subscription(agent, customer_id=customer.pk, service_number="02088886666", product="fixed",
                                               opened_on="2024-01-01")
    _order(agent, customer, other_line, "宽带断网了", "一直连不上")
    old = _order(agent, customer, subscription, "宽带断网了", "一直连不上")
    WorkOrder.objects.filter(pk=old.pk).update(created_at=old.created_at - timedelta(hours=settings.KEFU_DUPLICATE_WINDOW_HOURS + 1))
    done = _order(agent, customer, subscription, "宽带断网了", "一直连不上")
    WorkOrder.objects.filter(pk=done.pk).update(status="closed")
    assert likely_duplicates(user=agent, customer_id=customer.pk, subscription_id=subscription.pk, title="宽带断网了", description="一直连不上") == []


def test_merged_pairs_are_not_suggested_again(agent, customer, subscription):
    first = _order(agent, customer, subscription, "宽带断网了", "一直连不上")
    second = _order(agent, customer, subscription, "宽带断网了", "还是连不上")
    third = _order(agent, customer, subscription, "宽带断网了", "一直连不上网")
    services.merge(agent, second.pk, into_id=first.pk, reason="same outage")
    assert second.pk not in [o.pk for o, _s in duplicates_of(third, user=agent)]  # merged: finished
    assert [o.pk for o, _s in duplicates_of(first, user=agent)] == [third.pk]


def test_the_window_can_be_switched_off(agent, customer, subscription, settings):
    _order(agent, customer, subscription, "宽带断网了", "一直连不上")
    settings.KEFU_DUPLICATE_WINDOW_HOURS = 0
    assert likely_duplicates(user=agent, customer_id=customer.pk, subscription_id=subscription.pk, title="宽带断网了") == []


def test_suggest_api_lists_duplicates_before_the_order_exists(agent, customer, subscription, api_client):
    first = _order(agent, customer, subscription, "宽带断网了", "家里宽带从昨天开始一直断网，连不上")
    r = api_client(agent).post("/triage/suggest", {"title": "宽带又断网", "description": "宽带昨天开始断网，一直连不上网",
                                                  "customer_id": customer.pk, "subscription_id": subscription.pk})
    assert r.status_code == 200
    assert [d["number"] for d in r.json()["duplicates"]] == [first.number]
