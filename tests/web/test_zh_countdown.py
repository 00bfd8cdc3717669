"""Countdowns in the user's language: Chinese units, no minus sign after 已超时, the same words
from the server (sla.labels) and from kefu.js's live countdown."""
import json
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone, translation

from kefu.sla.labels import countdown_words, metric_label, time_left_words

KEFU_JS = Path(__file__).resolve().parents[2] / "src/kefu/web/static/kefu/kefu.js"
OVER = -(3 * 86400 + 4 * 3600 + 16 * 60 + 5)  # 3 days 4 hours 16 minutes 5 seconds overdue


def test_server_words_chinese_units_without_a_sign():
    with translation.override("zh-hans"):
        assert time_left_words(OVER) == "3天4小时"
        assert time_left_words(15 * 60) == "剩余 15分钟"
        assert time_left_words(2 * 3600 + 5 * 60 + 9) == "剩余 2小时5分钟"
        assert time_left_words(42) == "剩余 42秒"
    with translation.override("en"):
        assert time_left_words(OVER) == "3 days 4 hours"
        assert time_left_words(60) == "1 minute left"


def test_targets_are_named_as_the_notifications_name_them():
    with translation.override("zh-hans"):
        assert metric_label("acceptance") == "受理"
        assert metric_label("investigation", 1) == "调查核实（第 1 次重开后）"


def _live_countdown(ms_left, words):
    """What kefu.js writes into a badge due in MS_LEFT milliseconds, run by Node on a stub page."""
    script = """
    const words = WORDS, msLeft = MS_LEFT, now = Date.parse("2026-12-01T00:00:00Z");
    Date.now = () => now;
    const left = {textContent: ""}, said = {textContent: ""};
    const badge = {dataset: {due: new Date(now + msLeft).toISOString()}, className: "",
                   querySelector: (sel) => sel === ".left" ? left : said};
    const nodes = {"sla-labels": {textContent: JSON.stringify({breached: "已超时", warning: "即将超时", on_track: "正常"})},
                   "sla-words": {textContent: JSON.stringify(words)}};
    global.document = {getElementById: (id) => nodes[id] || null, querySelectorAll: () => [badge],
                       addEventListener: (type, fn) => { if (type === "DOMContentLoaded") fn(); }};
    global.setInterval = () => 0;
    require(KEFU_JS);
    console.log(JSON.stringify([said.textContent, left.textContent]));
    """.replace("WORDS", json.dumps(words)).replace("MS_LEFT", str(ms_left)).replace("KEFU_JS", json.dumps(str(KEFU_JS)))
    out = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=20, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js")
def test_live_countdown_words_as_the_server_does():
    with translation.override("zh-hans"):
        words = countdown_words()
        for seconds in (OVER, 15 * 60, 2 * 3600 + 5 * 60 + 9, 42):
            state, left = _live_countdown(seconds * 1000, words)
            assert left == time_left_words(seconds), seconds
            assert state == ("已超时" if seconds < 0 else "正常")


@pytest.mark.django_db
def test_badge_is_worded_before_the_script_runs(agent, order, client, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    agent.language = "zh-hans"
    agent.save(update_fields=["language"])
    client.force_login(agent)
    order.clocks.filter(metric="acceptance").update(due_at=timezone.now() + timedelta(minutes=15, seconds=30))
    page = client.get(f"/orders/{order.pk}/").content.decode()
    assert '<span class="left">剩余 15分钟</span>' in page
