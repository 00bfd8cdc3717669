"""The survey editor's script in a browser (kefu/surveys.js, under the Content-Security-Policy)."""

import pytest

from kefu.staff import roles
from kefu.surveys.models import Instrument

from .conftest import log_in


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_editor_adds_moves_and_removes_rows_in_a_browser(page, live_server, make_user):
    """The editor's script (kefu/surveys.js, under the Content-Security-Policy): a question
    added, moved to the top and another removed are saved in the order the page shows."""
    expect = pytest.importorskip("playwright.sync_api").expect
    user = make_user(roles.ADMINISTRATOR, "front-office", "browser-admin")
    log_in(page, user.username, "pw")
    page.goto("/surveys/new/visit/")
    rows = page.locator("[data-question-row]")
    expect(rows).to_have_count(7)  # the six of the active score sheet and an empty one
    page.get_by_role("button", name="Add a question").click()
    expect(rows).to_have_count(8)
    added = rows.nth(7)
    expect(added.locator("textarea").first).to_be_focused()
    added.locator("textarea").first.fill("营业厅环境是否整洁？")
    for _step in range(7):
        rows.nth(7 - _step).get_by_role("button", name="Move up").click()
    expect(rows.first.locator("[data-position]")).to_have_text("1")
    expect(rows.first.locator("textarea").first).to_have_value("营业厅环境是否整洁？")
    expect(rows.first.get_by_role("button", name="Move up")).to_be_disabled()
    rows.nth(1).get_by_role("button", name="Remove").click()  # the greeting question
    expect(rows).to_have_count(7)
    page.get_by_role("button", name="Save the draft").click()
    page.wait_for_url("**/surveys/versions/*/")
    draft = Instrument.objects.get(purpose="visit", version=2)
    assert [q.text for q in draft.questions.all()] == [
        "营业厅环境是否整洁？", "办理业务前是否按规定核验身份？", "业务解答是否准确、完整？（1–10 分）", "服务态度（1–10 分）",
        "总体评价（1–10 分）", "评分说明（扣分原因、亮点）"]
