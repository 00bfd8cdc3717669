"""Searches on the staff pages say what is wrong with what was typed, naming the field, instead
of dropping the filter (the queue listed every open order) or showing nothing (the lookup)."""

from kefu.orders import services


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_a_queue_search_too_long_is_refused_naming_the_field(client, agent, customer):
    services.create_order(agent, kind="complaint", title="宽带断网", customer_id=customer.pk, channel="hotline")
    client.force_login(agent)
    r = client.get("/queue/open/", {"q": "宽" * 101})
    assert r.status_code == 200
    assert list(r.context["page"].object_list) == []  # not every open order
    assert any("Number or words" in m and "100" in m for m in _messages(r)), _messages(r)
    # With htmx the rows would be swapped in without the message: the whole page is asked for.
    r = client.get("/queue/open/", {"q": "宽" * 101}, headers={"HX-Request": "true"})
    assert r["HX-Redirect"].startswith("/queue/open/?q=")


def test_a_queue_search_within_the_limit_filters(client, agent, customer):
    order = services.create_order(agent, kind="complaint", title="宽带断网", customer_id=customer.pk, channel="hotline")
    services.create_order(agent, kind="complaint", title="话费多扣", customer_id=customer.pk, channel="hotline")
    client.force_login(agent)
    r = client.get("/queue/open/", {"q": "宽带 断网"})
    assert [o.pk for o in r.context["page"].object_list] == [order.pk]
    assert _messages(r) == []


def test_a_customer_lookup_too_long_is_refused_naming_the_field(client, agent, customer):
    client.force_login(agent)
    for path in ("/customers/", "/contacts/"):
        r = client.get(path, {"q": "1" * 500})
        assert r.status_code == 200
        assert any("Phone or service number" in m and "100" in m for m in _messages(r)), (path, _messages(r))
