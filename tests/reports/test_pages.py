"""The report as people get it — the page, the API, the Excel file, the PDF — showing the same
figures as brute force from the raw rows, each reader within their scope."""

import io
import re

import pytest
from django.utils import translation

from kefu.reports import periods
from kefu.staff import roles
from kefu.staff.models import User

from .test_rollups import brute

PERIOD = "2026-03"


@pytest.fixture
def manager(seeded):
    return User.objects.get(username="manager")  # the demo's service manager (roles.MANAGER)


def _zh(client, user):
    user.language = "zh-hans"
    user.save(update_fields=["language"])


def _pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_page_api_excel_and_pdf_show_the_brute_force_figures(client, manager, api_client):
    from openpyxl import load_workbook

    expected = brute(periods.parse(PERIOD))
    with translation.override("zh-hans"):
        from kefu.reports import services
        shown = {code: services.format_figure(expected[code], unit) for code, unit in
                 [("satisfaction_rate", "percent"), ("reopen_rate", "percent"), ("complaints", "count"),
                  ("orders_registered", "count"), ("avg_score", "score")]}
    assert expected["satisfaction_rate"] is not None and expected["complaints"] > 0

    _zh(client, manager)
    client.force_login(manager)
    page = client.get(f"/reports/?period={PERIOD}").content.decode()
    for code, text in shown.items():
        row = re.search(rf'data-indicator="{code}".*?</tr>', page, re.S).group(0)
        assert f'<td class="num">{text}</td>' in row, (code, text, row)
    assert "满意率" in page and "投诉分析" in page

    api = api_client(manager)
    data = api.get(f"/reports/report?period={PERIOD}").json()
    values = {i["code"]: i["value"] for i in data["indicators"]}
    for code in shown:
        assert values[code] == pytest.approx(expected[code])

    workbook = load_workbook(io.BytesIO(client.get(f"/reports/download.xlsx?period={PERIOD}").content))
    sheet = workbook["指标"]
    rows = {r[0]: r[1] for r in sheet.iter_rows(values_only=True) if r and r[0]}
    assert rows["满意率"] == pytest.approx(expected["satisfaction_rate"])
    assert rows["投诉量"] == expected["complaints"]

    text = _pdf_text(client.get(f"/reports/download.pdf?period={PERIOD}").content)
    assert "满意率" in text and shown["satisfaction_rate"] in text
    assert "投诉原因" in text or "投诉" in text


def test_an_agent_sees_their_own_row_and_the_team_average_never_a_colleague(client, seeded):
    agent = User.objects.get(username="agent")
    colleague = User.objects.exclude(pk=agent.pk).filter(department=agent.department, groups__name=roles.AGENT).first()
    _zh(client, agent)
    client.force_login(agent)
    page = client.get(f"/reports/?period={PERIOD}").content.decode()
    assert "我的" in page or str(agent) in page
    if colleague is not None:
        assert f">{colleague}<" not in page
    from kefu.reports import services

    data = services.report(agent, periods.parse(PERIOD))
    assert data["own"] and [r["key"] for r in data["league"]["rows"]] == [str(agent.pk)]
    assert data["breakdowns"] == []
    assert all(i["unit"] not in ("per_10k", "per_million") for i in data["indicators"])


def test_who_may_read_reports(client, seeded, make_user, api_client):
    auditor = make_user(roles.AUDITOR, None, "auditor1")
    client.force_login(auditor)
    assert client.get("/reports/").status_code == 403
    assert api_client(auditor).get("/reports/report").status_code == 403


def test_a_period_written_wrong_is_refused_naming_the_field(manager, api_client):
    response = api_client(manager).get("/reports/report?period=2026-13")
    assert response.status_code == 422
    assert response.json()["fields"][0]["field"] == "period"
    assert api_client(manager).get("/reports/report?period=2026-03-10..2026-03-01").status_code == 422


def test_the_pareto_drills_down_to_the_complaints(client, manager):
    from kefu.reports import services

    client.force_login(manager)
    data = services.report(manager, periods.parse(PERIOD))
    cause = data["complaints"]["pareto"][0]
    page = client.get(f"/reports/complaints/?period={PERIOD}&cause={cause['code']}").content.decode()
    assert page.count('href="/orders/') == min(cause["count"], 50)


def test_targets_are_versioned_from_a_date(manager, make_user, api_client):
    admin = User.objects.create_superuser("boss", password="pw")
    api = api_client(admin)
    assert api.post("/reports/targets", {"indicator": "satisfaction_rate", "value": 90, "valid_from": "2026-03-01"}).status_code == 201
    report = api_client(manager).get(f"/reports/report?period={PERIOD}").json()
    assert next(i for i in report["indicators"] if i["code"] == "satisfaction_rate")["target"] == 90
    assert next(i for i in report["indicators"] if i["code"] == "satisfaction_rate")["target_value"] == 0.9
    earlier = api_client(manager).get("/reports/report?period=2026-02").json()
    assert next(i for i in earlier["indicators"] if i["code"] == "satisfaction_rate")["target"] == 85
    assert api_client(manager).post("/reports/targets", {"indicator": "satisfaction_rate", "value": 1,
                                                         "valid_from": "2026-03-01"}).status_code == 403
    bad = api.post("/reports/targets", {"indicator": "nonsense", "value": 1, "valid_from": "2026-03-01"})
    assert bad.status_code == 422 and bad.json()["fields"][0]["field"] == "indicator"
