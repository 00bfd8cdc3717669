"""The supervisor board's layout in Chromium, at a common office screen (1280×800) in zh-Hans: the
lists keep each order on one line with room for its title, and the channel chart's labels, ten
Chinese channel names, are all drawn without running into each other or off the chart."""

from datetime import timedelta

import pytest
from django.utils import timezone

from kefu.contacts.models import Channel
from kefu.orders import services as orders
from kefu.orders.models import WorkOrder
from kefu.staff import roles

from .conftest import log_in

expect = pytest.importorskip(
    "playwright.sync_api",
    reason="browser tests need the playwright package (pip install -e '.[test]') and a Chromium "
           "(apt-get install chromium, or set KEFU_CHROMIUM=/path/to/chromium)",
).expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

LONG_TITLE = "投诉家中长期信号差，多次报修仍未解决，要求减免本月全部月租并书面答复处理结果"

# Every text ECharts drew on a chart's canvas, with its box in the canvas' pixels.
CHART_TEXTS = """(key) => {
  const chart = echarts.getInstanceByDom(document.querySelector(`[data-chart="${key}"]`));
  const texts = [];
  chart.getZr().storage.getDisplayList(true).forEach(e => {
    if (!e.style || typeof e.style.text !== 'string' || !e.style.text) return;
    const r = e.getBoundingRect().clone(), m = e.getComputedTransform();
    if (m) r.applyTransform(m);
    texts.push({text: e.style.text, x: r.x, y: r.y, w: r.width, h: r.height});
  });
  return {width: chart.getWidth(), height: chart.getHeight(), texts};
}"""


@pytest.fixture
def board(make_user, agent, customer):
    """A supervisor, and an open order from each channel: the first breached, the next five at
    risk, one of them with a long title."""
    supervisor = make_user(roles.SUPERVISOR, "front-office", "supervisor")
    supervisor.language = "zh-hans"
    supervisor.save(update_fields=["language"])
    made = [orders.create_order(agent, kind="complaint", title=LONG_TITLE if i == 1 else f"宽带故障{i}", customer_id=customer.pk,
                                channel=channel) for i, channel in enumerate(Channel.values)]
    now = timezone.now()
    WorkOrder.objects.filter(pk=made[0].pk).update(sla_warn_at=now - timedelta(hours=3), sla_due_at=now - timedelta(hours=1))
    for i, o in enumerate(made[1:6]):
        WorkOrder.objects.filter(pk=o.pk).update(sla_warn_at=now - timedelta(hours=1), sla_due_at=now + timedelta(minutes=20 + 37 * i))
    return supervisor


def test_the_board_lists_give_titles_room_and_charts_labels_do_not_overlap(page, live_server, board):
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page, board.username, "pw")
    page.goto("/board/")
    page.wait_for_function("() => document.getElementById('board').dataset.loaded !== undefined")

    at_risk = page.locator("section[aria-labelledby=at-risk]")
    expect(at_risk.locator("tbody tr")).to_have_count(5)
    for section in ("breached", "at-risk"):
        rows = page.locator(f"section[aria-labelledby={section}] tbody tr")
        for i in range(rows.count()):
            title = rows.nth(i).locator("td").nth(2)  # time left, number, title
            box = title.bounding_box()
            assert box["width"] > 100, f"{section}: the title column is squeezed to {box['width']}px"
            assert box["height"] < 48, f"{section}: a row wraps onto several lines ({box['height']}px)"
    # The long title ends in … and shows in full on hover; the card scrolls rather than overflow.
    long = at_risk.locator("td.title span", has_text=LONG_TITLE[:6])
    assert long.get_attribute("title") == LONG_TITLE
    assert long.evaluate("e => getComputedStyle(e).textOverflow === 'ellipsis' && e.scrollWidth > e.clientWidth")
    card = at_risk.bounding_box()
    table = at_risk.locator("table").bounding_box()
    assert table["x"] + table["width"] <= card["x"] + card["width"] + 1

    for key in ("by_channel", "by_department", "by_status"):
        drawn = page.evaluate(CHART_TEXTS, key)
        texts = drawn["texts"]
        if key == "by_channel":  # every channel named, none skipped to make room
            names = [t["text"] for t in texts if not t["text"].isdigit()]
            assert len(names) == len(Channel.values), names
        for t in texts:
            assert t["x"] >= 0 and t["y"] >= 0 and t["x"] + t["w"] <= drawn["width"] + 1 and t["y"] + t["h"] <= drawn["height"] + 1, \
                f"{key}: {t['text']!r} is drawn off the chart"
        for i, a in enumerate(texts):
            for b in texts[i + 1:]:
                overlap = min(a["x"] + a["w"], b["x"] + b["w"]) - max(a["x"], b["x"]) > 1 and \
                    min(a["y"] + a["h"], b["y"] + b["h"]) - max(a["y"], b["y"]) > 1
                assert not overlap, f"{key}: labels {a['text']!r} and {b['text']!r} overlap"
