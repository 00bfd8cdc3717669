"""The supervisor board: figures in the user's scope, lists, and the JSON the charts redraw from."""

from datetime import timedelta

from django.utils import timezone

from kefu.orders import services as orders
from kefu.orders.models import WorkOrder


def test_board_counts_lists_and_chart_data(client, supervisor, agent, customer):
    made = [orders.create_order(agent, kind=k, title=f"order {i}", customer_id=customer.pk, channel=ch)
            for i, (k, ch) in enumerate([("complaint", "hotline"), ("fault", "hotline"), ("consultation", "wechat")])]
    now = timezone.now()
    WorkOrder.objects.filter(pk=made[0].pk).update(sla_due_at=now - timedelta(minutes=5), sla_warn_at=now - timedelta(minutes=30))
    WorkOrder.objects.filter(pk=made[1].pk).update(sla_due_at=now + timedelta(minutes=20), sla_warn_at=now - timedelta(minutes=1))
    WorkOrder.objects.filter(pk=made[2].pk).update(sla_due_at=now + timedelta(hours=9), sla_warn_at=now + timedelta(hours=8))
    b = orders.board(supervisor)
    assert b["open_total"] == 3 and b["breached_total"] == 1 and b["today"] == 3 and b["this_week"] == 3
    assert [o.pk for o in b["breached"]] == [made[0].pk] and [o.pk for o in b["at_risk"]] == [made[1].pk]
    assert {r["key"]: r["n"] for r in b["by_channel"]} == {"hotline": 2, "wechat": 1}
    assert next(r["n"] for r in b["by_status"] if r["key"] == "new") == 3
    assert len(b["days"]) == 14 and b["created"][-1] == 3

    client.force_login(supervisor)
    page = client.get("/board/").content.decode()
    assert "echarts.min.js" in page and made[0].number in page and 'id="chart-labels"' in page
    partial = client.get("/board/", headers={"HX-Request": "true"}).content.decode()
    assert made[1].number in partial and "<html" not in partial
    from kefu.orders import events

    events.drain("reports")  # as on commit: the lines are the reports' indicators, from the rollups
    data = client.get("/board/data/").json()
    assert data["open_total"] == 3 and data["created"][-1] == 3 and len(data["satisfaction"]) == 14


def test_the_board_keeps_to_the_scope(make_user, agent, customer):
    orders.create_order(agent, kind="complaint", title="not theirs", customer_id=customer.pk, channel="hotline")
    outsider = make_user("supervisor", "billing")
    outsider.data_scope = "department"
    outsider.save()
    assert orders.board(outsider)["open_total"] == 0


def test_one_permission_opens_the_board_in_the_menu_and_by_address(client, make_user, agent, handler, supervisor, auditor):
    # The menu used to hide the board from agents and handlers while its address still served it.
    for user, allowed in [(agent, False), (handler, False), (supervisor, True), (auditor, True)]:
        client.force_login(user)
        assert client.get("/board/").status_code == (200 if allowed else 403), user.username
        assert client.get("/board/data/").status_code == (200 if allowed else 403), user.username
        assert ('href="/board/"' in client.get("/queue/mine/").content.decode()) is allowed, user.username


def test_the_lists_mark_the_title_column_for_the_layout(client, supervisor, agent, customer):
    # kefu.css gives td.title the room left (ellipsis, the whole title on hover) and scrolls
    # .table-scroll sideways: the lists must keep that structure (tests/browser/test_board_layout.py).
    title = '宽带每晚断线 "光猫" <重启无效>'
    made = orders.create_order(agent, kind="complaint", title=title, customer_id=customer.pk, channel="hotline")
    now = timezone.now()
    WorkOrder.objects.filter(pk=made.pk).update(sla_due_at=now + timedelta(minutes=20), sla_warn_at=now - timedelta(minutes=1))
    client.force_login(supervisor)
    html = client.get("/board/", headers={"HX-Request": "true"}).content.decode()
    at_risk = html[html.index('id="at-risk"'):]
    assert '<div class="table-scroll"><table class="board-list">' in at_risk
    assert '<th scope="col" class="title">' in at_risk
    escaped = "宽带每晚断线 &quot;光猫&quot; &lt;重启无效&gt;"
    assert f'<td class="title"><span title="{escaped}">{escaped}</span></td>' in at_risk
