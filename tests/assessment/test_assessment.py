"""Staff assessment (考核): a month's sheets computed from the rollups through the registry, banded,
totalled, ranked overall and in the team; published, frozen and told; each reader sees what their
scope allows; schemes refused field by field."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from kefu.assessment import services
from kefu.assessment.models import Result, Run, Scheme
from kefu.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from kefu.notifications.models import Notification
from kefu.reports import rollups
from kefu.reports.models import Grain
from kefu.staff import roles

MONTH = dt.date(2026, 10, 1)


def figures(person, **measures):
    """Month rows of MEASURES for PERSON, as the rollups hold them (dimension "agent")."""
    rollups._add({(Grain.MONTH, MONTH, person.department_id or 0, "", "agent", str(person.pk), m): v
                  for m, v in measures.items()})


@pytest.fixture
def team(make_user):
    a = make_user(roles.AGENT, "front-office", "zhang")
    b = make_user(roles.AGENT, "front-office", "li")
    c = make_user(roles.AGENT, "complaints", "wang")
    # zhang: satisfied 9 of 10, all limits met, QA 96, no fatal error, 700 contacts, test 92.
    figures(a, **{"score:9": 9, "score:5": 1, "clock_due:resolution": 20, "clock_met:resolution": 20, "qa_done": 2,
                  "qa_points": 1920, "contacts_ended": 700, "fcr": 560, "exam_taken": 1, "exam_points": 920})
    # li: the same but one fatal error (QA 48 on average).
    figures(b, **{"score:9": 9, "score:5": 1, "clock_due:resolution": 20, "clock_met:resolution": 20, "qa_done": 2,
                  "qa_points": 960, "qa_fatal": 1, "contacts_ended": 700, "fcr": 560, "exam_taken": 1, "exam_points": 920})
    # wang: no data but a few contacts.
    figures(c, contacts_ended=150, fcr=90)
    return a, b, c


@pytest.fixture
def manager(make_user):
    return make_user(roles.MANAGER, None, "boss")


def test_a_month_computed_ranked_published_and_frozen(team, supervisor, manager):
    a, b, c = team
    scheme = Scheme.objects.get(role="agent")
    run = services.compute(supervisor, scheme.pk, "2026-10")
    assert run.people == 3
    sheets = {r.person_id: r for r in Result.objects.filter(run=run)}
    za = {i["code"]: i for i in sheets[a.pk].items}
    assert za["satisfaction_rate"]["value"] == 90.0 and za["satisfaction_rate"]["points"] == 25
    assert za["qa_avg_score"]["value"] == 96.0 and za["qa_avg_score"]["points"] == 20
    assert za["qa_fatal_count"]["value"] == 0 and za["qa_fatal_count"]["points"] == 10
    assert za["fcr_rate"]["value"] == 80.0 and za["contacts_handled"]["points"] == 5
    assert sheets[a.pk].total == Decimal("100.0")
    lb = {i["code"]: i for i in sheets[b.pk].items}
    assert lb["qa_avg_score"]["points"] == 0 and lb["qa_fatal_count"]["percent"] == 40.0
    assert sheets[b.pk].total == Decimal("74.0")  # 100 − 20 (QA) − 6 (one fatal error)
    # wang: only what has data counts, scaled to those weights (fcr 60 % → 50 %, 150 contacts → 20 %).
    wc = {i["code"]: i for i in sheets[c.pk].items}
    assert wc["satisfaction_rate"]["points"] is None and wc["qa_fatal_count"]["points"] == 10
    assert sheets[c.pk].total == Decimal(str(round((7.5 + 10 + 1) * 100 / 30, 1)))
    assert [(sheets[p.pk].rank, sheets[p.pk].team_rank, sheets[p.pk].team_size) for p in team] == [(1, 1, 2), (2, 2, 2), (3, 1, 1)]
    # Computing again while a draft replaces the sheets; publishing freezes and tells everyone.
    figures(b, qa_fatal=-1, qa_points=960)
    services.compute(supervisor, scheme.pk, "2026-10")
    assert Result.objects.get(run=run, person=b).total == Decimal("100.0")
    assert Result.objects.get(run=run, person=b).rank == Result.objects.get(run=run, person=a).rank == 1
    with pytest.raises(Forbidden):
        services.publish(a, run.pk)
    services.publish(supervisor, run.pk)
    run.refresh_from_db()
    assert run.status == "published" and run.sha256 == services.digest(run)
    assert Notification.objects.filter(recipient__in=team, link__startswith=f"/assessment/runs/{run.pk}/people/").count() == 3
    with pytest.raises(Conflict):
        services.compute(supervisor, scheme.pk, "2026-10")
    with pytest.raises(ValidationFailed) as bad:
        services.compute(supervisor, scheme.pk, "2026-Q4")
    assert "period" in bad.value.fields


def test_who_reads_which_sheets(team, supervisor, manager):
    a, b, c = team
    scheme = Scheme.objects.get(role="agent")
    run = services.compute(manager, scheme.pk, "2026-10")
    with pytest.raises(NotFound):  # a draft is not shown to those assessed
        services.sheet(a, run.pk, a.pk)
    services.publish(manager, run.pk)
    mine = services.sheet(a, run.pk, a.pk)
    assert mine["result"].person_id == a.pk and sum(d["count"] for d in mine["distribution"]) == 2  # the team, no names
    with pytest.raises(NotFound):
        services.sheet(a, run.pk, b.pk)
    assert [r.person_id for r in services.results(a, run.pk)] == [a.pk]
    assert {r.person_id for r in services.results(supervisor, run.pk)} == {a.pk, b.pk}  # front office only
    with pytest.raises(NotFound):
        services.sheet(supervisor, run.pk, c.pk)
    assert {r.person_id for r in services.results(manager, run.pk)} == {a.pk, b.pk, c.pk}
    assert [r.run_id for r in services.my_sheets(a)] == [run.pk]


def test_schemes_are_checked_field_by_field(manager, supervisor):
    with pytest.raises(Forbidden):
        services.save_scheme(supervisor, name="x", role="agent", period="month", items=[])
    with pytest.raises(ValidationFailed) as bad:
        services.save_scheme(manager, name="", role="nobody", period="week", items=[
            {"indicator": "backlog", "weight": 50, "bands": [[1, 100]]},
            {"indicator": "qa_avg_score", "weight": 0, "bands": [["高", 100]]}])
    assert set(bad.value.fields) == {"name", "role", "period", "items.0.indicator", "items.1.weight", "items.1.bands"}
    with pytest.raises(ValidationFailed) as bad:
        services.save_scheme(manager, name="质检员考核", role="quality_inspector", period="quarter",
                             items=[{"indicator": "qa_inspections", "weight": 60, "bands": [[300, 100]]}])
    assert set(bad.value.fields) == {"items"}
    made = services.save_scheme(manager, name="质检员季度考核", role="quality_inspector", period="quarter",
                                items=[{"indicator": "qa_inspections", "weight": 100, "bands": [[300, 100], [150, 60]]}])
    assert [(i.indicator, i.weight, i.bands) for i in made.items.all()] == [("qa_inspections", 100, [[300.0, 100.0], [150.0, 60.0]])]


def test_the_worker_computes_last_month_and_publishes_it_on_its_day(team, settings):
    settings.KEFU_ASSESSMENT_PUBLISH_DAY = 5
    scheme = Scheme.objects.get(role="agent")
    now = timezone.now()
    assert services.publish_due(today=dt.date(2026, 11, 2), now=now) == []
    run = Run.objects.get(scheme=scheme, first_day=MONTH)
    assert (run.status, run.people, run.publish_on) == ("draft", 3, dt.date(2026, 11, 5))
    published = services.publish_due(today=dt.date(2026, 11, 5), now=now)
    assert [r.pk for r in published] == [run.pk]
    assert services.publish_due(today=dt.date(2026, 11, 6), now=now) == []


def test_the_api(team, supervisor, api_client):
    a = team[0]
    scheme = Scheme.objects.get(role="agent")
    lead = api_client(supervisor)
    made = lead.post("/assessment/runs", {"scheme_id": scheme.pk, "period": "2026-10"})
    assert made.status_code == 201, made.content
    run_id = made.json()["id"]
    assert lead.post("/assessment/runs", {"scheme_id": scheme.pk, "period": "十月"}).status_code == 422
    ranked = lead.get(f"/assessment/runs/{run_id}/results").json()["results"]
    assert [r["person_id"] for r in ranked][:1] == [a.pk] and ranked[0]["items"][0]["code"] == "satisfaction_rate"
    assert api_client(a).get(f"/assessment/runs/{run_id}").status_code == 404  # a draft
    assert lead.post(f"/assessment/runs/{run_id}/publish").json()["status"] == "published"
    sheet = api_client(a).get(f"/assessment/runs/{run_id}/people/{a.pk}")
    assert sheet.status_code == 200 and sheet.json()["result"]["total"] == "100.0"
    assert api_client(a).get(f"/assessment/runs/{run_id}/people/{team[1].pk}").status_code == 404
    assert [r["person_id"] for r in api_client(a).get("/assessment/mine").json()] == [a.pk]
