"""Mystery shopper (神秘顾客): an evaluator scores a visit to a store or a call to the hotline or
an agent on the active visit questionnaire; the answers are a "shopper" invitation's, checked as
every channel's; the visits with their overall scores on the page and in the API."""

import datetime as dt

import pytest
from django.utils import timezone

from kefu.core.errors import Conflict, Forbidden, ValidationFailed
from kefu.staff import roles
from kefu.surveys import services
from kefu.surveys.models import Answer, Instrument, Invitation, ShopperVisit


@pytest.fixture
def evaluator(make_user):
    return make_user(roles.SUPERVISOR, "front-office", "evaluator")


def _sheet(**scores):
    """A filled-in default score sheet: {question id: value}; SCORES overrides by dimension."""
    values = {}
    for q in services.active("visit").questions.all():
        if q.type == "single":
            values[q.pk] = q.options[0]
        elif q.type == "score":
            values[q.pk] = scores.get(q.dimension, 8)
        else:
            values[q.pk] = "开场问候规范，办理高效"
    return values


def _q(dimension):
    return services.active("visit").questions.get(dimension=dimension)


def test_a_visit_is_scored_on_the_active_sheet(evaluator, agent):
    when = timezone.now() - dt.timedelta(hours=2)
    visit = services.record_visit(evaluator, "agent", visited_at=when, agent_id=agent.pk,
                                  answers=_sheet(overall=6, attitude=9), note="致电10000号暗访")
    sheet = visit.invitation
    assert (sheet.channel, sheet.customer_id, sheet.order_id, sheet.status) == ("shopper", None, None, "answered")
    assert sheet.instrument == services.active("visit")
    assert services.dimension_scores(sheet) == {"result": 8, "attitude": 9, "overall": 6}
    assert (visit.evaluator, visit.agent, visit.visited_at) == (evaluator, agent, when)
    listed = services.visits(evaluator)
    assert [(v.pk, v.overall) for v in listed] == [(visit.pk, 6)]
    assert services.visits(evaluator, target_kind="store") == []
    assert [v.pk for v in services.visits(evaluator, agent_id=agent.pk)] == [visit.pk]
    found, answers = services.visit(evaluator, visit.pk)
    assert [a.score for q, a in answers if q.type == "score"] == [8, 9, 6]


def test_every_refusal_is_named_at_once_and_nothing_is_kept(evaluator):
    answers = _sheet()
    answers[_q("overall").pk] = 11
    del answers[_q("attitude").pk]
    with pytest.raises(ValidationFailed) as e:
        services.record_visit(evaluator, "store", visited_at=timezone.now() + dt.timedelta(days=1), answers=answers)
    assert set(e.value.fields) == {"target_name", "visited_at", f"answers.{_q('overall').pk}",
                                   f"answers.{_q('attitude').pk}"}
    with pytest.raises(ValidationFailed) as e:
        services.record_visit(evaluator, "agent", visited_at=timezone.now(), answers=_sheet())
    assert set(e.value.fields) == {"agent_id"}
    with pytest.raises(ValidationFailed) as e:
        services.record_visit(evaluator, "mall", visited_at=None, agent_id=987654321, answers=_sheet())
    assert set(e.value.fields) == {"target_kind", "visited_at", "agent_id"}
    assert not ShopperVisit.objects.exists() and not Invitation.objects.filter(channel="shopper").exists()
    assert not Answer.objects.filter(invitation__channel="shopper").exists()


def test_only_evaluators_record_visits(agent, evaluator):
    with pytest.raises(Forbidden):
        services.record_visit(agent, "hotline", visited_at=timezone.now(), answers=_sheet())
    with pytest.raises(Forbidden):
        services.visits(agent)
    Instrument.objects.filter(purpose="visit").update(status="retired")
    with pytest.raises(Conflict):
        services.record_visit(evaluator, "hotline", visited_at=timezone.now(), answers={})


def test_the_visit_pages(client, evaluator, agent):
    client.force_login(evaluator)
    form = client.get("/surveys/visits/new/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert form.status_code == 200 and "是否使用规范的问候语？" in form.content.decode()
    overall, attitude = _q("overall"), _q("attitude")
    data = {"target_kind": "store", "target_name": "天河营业厅", "agent_id": "", "visited_at": "2026-01-05T10:30",
            "note": "排队 5 分钟"}
    for q in services.active("visit").questions.all():
        data[f"q{q.pk}"] = q.options[0] if q.type == "single" else "7" if q.type == "score" else ""
    missing = client.post("/surveys/visits/new/", data | {f"q{attitude.pk}": "", "target_name": ""})
    text = missing.content.decode()
    assert missing.status_code == 422 and f'id="q{attitude.pk}-error"' in text and 'id="target_name-error"' in text
    assert "排队 5 分钟" in text  # what was typed stays
    bad_date = client.post("/surveys/visits/new/", data | {"visited_at": "昨天"})
    assert bad_date.status_code == 422 and 'id="visited_at-error"' in bad_date.content.decode()
    done = client.post("/surveys/visits/new/", data | {f"q{overall.pk}": "4"})
    visit = ShopperVisit.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/surveys/visits/{visit.pk}/"
    assert (visit.target_name, visit.note, visit.agent) == ("天河营业厅", "排队 5 分钟", None)
    assert timezone.localtime(visit.visited_at).strftime("%Y-%m-%d %H:%M") == "2026-01-05 10:30"
    listed = client.get("/surveys/visits/?kind=store").content.decode()
    assert "天河营业厅" in listed and "<strong>4</strong>" in listed
    assert "天河营业厅" not in client.get("/surveys/visits/?kind=hotline").content.decode()
    assert "天河营业厅" in client.get("/surveys/").content.decode()
    assert "排队 5 分钟" in client.get(f"/surveys/visits/{visit.pk}/").content.decode()

    client.force_login(agent)
    assert client.get("/surveys/visits/").status_code == 403
    assert client.get("/surveys/visits/new/").status_code == 403
    assert client.post("/surveys/visits/new/", data).status_code == 403
    assert client.get(f"/surveys/visits/{visit.pk}/").status_code == 403
    assert ShopperVisit.objects.count() == 1


def test_the_visits_api(api_client, evaluator, agent):
    api = api_client(evaluator)
    answers = {str(k): v for k, v in _sheet(overall=9).items()}
    made = api.post("/surveys/visits", {"target_kind": "hotline", "target_name": "10000", "agent_id": agent.pk,
                                        "visited_at": (timezone.now() - dt.timedelta(hours=1)).isoformat(),
                                        "answers": answers})
    body = made.json()
    assert made.status_code == 201 and (body["overall"], body["agent_id"], body["target_kind"]) == (9, agent.pk, "hotline")
    assert len(body["answers"]) == 6
    refused = api.post("/surveys/visits", {"target_kind": "store", "visited_at": timezone.now().isoformat(),
                                           "answers": answers | {str(_q("overall").pk): "十"}})
    assert refused.status_code == 422
    assert {f["field"] for f in refused.json()["fields"]} == {"target_name", f"answers.{_q('overall').pk}"}
    assert [v["overall"] for v in api.get(f"/surveys/visits?agent_id={agent.pk}").json()] == [9]
    assert api.get(f"/surveys/visits/{body['id']}").json()["evaluator_id"] == evaluator.pk
    assert api_client(agent).get("/surveys/visits").status_code == 403
    assert api_client(agent).post("/surveys/visits", {"target_kind": "hotline", "visited_at": timezone.now().isoformat(),
                                                      "answers": answers}).status_code == 403


def test_the_survey_pages_are_chinese(client, settings, make_user, agent, customer):
    """Every survey page a zh-Hans supervisor reads shows no English word of Kefu's catalogue."""
    from django.utils import translation

    from tests.web.test_zh_pages import _staff, english_in, kefu_english

    supervisor = make_user(roles.SUPERVISOR, "front-office", "zhsupervisor")
    visit = services.record_visit(supervisor, "agent", visited_at=timezone.now(), agent_id=agent.pk, answers=_sheet())
    draft = services.create_draft(supervisor, "relationship", "季度调查", [
        {"type": "score", "text": "总体满意度", "dimension": "overall"}])
    wave = services.send_wave(services.create_wave(supervisor, "2026Q4", 1, seed=1).pk)
    settings.LANGUAGE_CODE = "zh-hans"
    with translation.override("zh-hans"):
        english = kefu_english()
        web = _staff(client, supervisor)
        paths = ["/surveys/", f"/surveys/versions/{draft.pk}/", "/surveys/new/visit/", f"/surveys/versions/{draft.pk}/edit/",
                 "/surveys/visits/", "/surveys/visits/new/", f"/surveys/visits/{visit.pk}/", f"/surveys/waves/{wave.pk}/"]
        found = {}
        for path in paths:
            r = web.get(path, HTTP_ACCEPT_LANGUAGE="zh-hans")
            assert r.status_code == 200, path
            found[path] = english_in(r.content.decode(), english)
        refused = web.post("/surveys/visits/new/", {"target_kind": "store"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
        found["refused visit"] = english_in(refused.content.decode(), english)
    assert {p: w for p, w in found.items() if w} == {}


def test_the_admin_shows_visits_and_waves_read_only(client, evaluator, agent, customer):
    from kefu.staff.models import User

    visit = services.record_visit(evaluator, "agent", visited_at=timezone.now(), agent_id=agent.pk, answers=_sheet())
    wave = services.create_wave(evaluator, "2026Q4", 1, seed=1)
    client.force_login(User.objects.create_superuser("surveys-root", password="pw"))
    for path in ["/admin/surveys/shoppervisit/", f"/admin/surveys/shoppervisit/{visit.pk}/change/",
                 "/admin/surveys/surveywave/", f"/admin/surveys/surveywave/{wave.pk}/change/",
                 f"/admin/surveys/invitation/{visit.invitation_id}/change/"]:
        r = client.get(path)
        assert r.status_code == 200, path
        assert 'name="_save"' not in r.content.decode(), path  # read-only: made through the services
    assert client.get("/admin/surveys/shoppervisit/add/").status_code == 403
