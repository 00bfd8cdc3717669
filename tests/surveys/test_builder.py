"""The survey builder: questionnaire versions listed with their counts, a new version drafted
from another, a draft's questions changed and checked field by field, publishing; the pages
and the API, as an administrator and as an agent who may not."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kefu.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from kefu.staff import roles
from kefu.surveys import services
from kefu.surveys.models import Instrument, Invitation, Question

QUESTIONS = [
    {"type": "score", "text": "总体而言，您对我们的服务是否满意？", "dimension": "overall"},
    {"type": "single", "text": "问题是否已经解决？", "options": ["已解决", "未解决"]},
    {"type": "text", "text": "其他意见和建议", "required": False},
]


@pytest.fixture
def administrator(make_user):
    return make_user(roles.ADMINISTRATOR, "front-office", "surveys-admin")


def _invite(instrument, customer, status="pending", n=1):
    now = timezone.now()
    for k in range(n):
        Invitation.objects.create(instrument=instrument, customer=customer, channel="sms_link", status=status,
                                  token=f"{instrument.pk}-{status}-{k}-{customer.pk}", created_at=now,
                                  expires_at=now + dt.timedelta(days=1))


# --- services -----------------------------------------------------------------------------

def test_versions_are_listed_with_their_counts_in_three_queries(administrator, customer):
    draft = services.create_draft(administrator, "relationship", "季度调查（第二版）", QUESTIONS)
    first = services.active("relationship")
    _invite(first, customer, "answered", 3)
    _invite(first, customer, "pending", 2)
    _invite(first, customer, "expired", 1)
    with CaptureQueriesContext(connection) as queries:
        found = {v.instrument.pk: v for v in services.versions(administrator)}
    assert len(queries) == 3
    assert (found[first.pk].questions, found[first.pk].invited, found[first.pk].answered) == (6, 6, 3)
    assert found[first.pk].response_rate == 0.5
    assert (found[draft.pk].questions, found[draft.pk].invited, found[draft.pk].response_rate) == (3, 0, None)
    # Every purpose has its default questionnaire; newest first within a purpose.
    purposes = [v.instrument.purpose for v in services.versions(administrator)]
    assert {"post_resolution", "relationship", "visit"} <= set(purposes)
    relationship = [v.instrument.version for v in services.versions(administrator, "relationship")]
    assert relationship == [2, 1]


def test_the_default_questionnaires_of_waves_and_visits(db):
    relationship, visit = services.active("relationship"), services.active("visit")
    assert [(q.type, q.dimension) for q in relationship.questions.all()] == [
        ("score", "overall"), ("score", ""), ("score", ""), ("score", ""), ("recommend", ""), ("text", "")]
    assert [(q.type, q.dimension) for q in visit.questions.all()] == [
        ("single", ""), ("single", ""), ("score", "result"), ("score", "attitude"), ("score", "overall"), ("text", "")]


def test_a_new_version_starts_from_the_active_one_or_another(administrator):
    active = services.active("visit")
    assert services.version_source(administrator, "visit") == active
    values = services.question_values(active)
    assert values[0] == {"type": "single", "text": "是否使用规范的问候语？", "dimension": "", "options": ["是", "否"],
                         "required": True}
    draft = services.create_draft(administrator, "visit", "评分表", values)
    assert services.version_source(administrator, "visit", draft.pk) == draft
    with pytest.raises(NotFound):  # a version of another purpose
        services.version_source(administrator, "relationship", draft.pk)


def test_a_draft_changes_and_a_published_version_does_not(administrator):
    draft = services.create_draft(administrator, "relationship", "季度调查", QUESTIONS)
    services.update_draft(administrator, draft.pk, " 季度调查（修订） ", QUESTIONS[::-1], intro="两分钟")
    draft.refresh_from_db()
    assert (draft.title, draft.intro) == ("季度调查（修订）", "两分钟")
    assert [q.text for q in draft.questions.all()] == [q["text"] for q in QUESTIONS[::-1]]
    with pytest.raises(ValidationFailed) as e:
        services.update_draft(administrator, draft.pk, "", QUESTIONS)
    assert set(e.value.fields) == {"title"}
    with pytest.raises(ValidationFailed) as e:
        services.update_draft(administrator, draft.pk, "季度调查", [
            QUESTIONS[0], {"type": "multiple", "text": "哪些方面", "options": ["网络", "网络"]},
            {"type": "text", "text": "", "dimension": "overall"}])
    assert set(e.value.fields) == {"questions.2.options", "questions.3.text", "questions.3.dimension"}
    assert draft.questions.count() == 3  # nothing changed
    services.publish(administrator, draft.pk)
    with pytest.raises(Conflict):
        services.update_draft(administrator, draft.pk, "季度调查", QUESTIONS)
    with pytest.raises(Conflict):
        services.draft(administrator, draft.pk)


def test_a_score_sheet_needs_an_overall_score(administrator):
    with pytest.raises(ValidationFailed) as e:
        services.create_draft(administrator, "visit", "评分表", QUESTIONS[1:])
    assert set(e.value.fields) == {"questions"}
    services.create_draft(administrator, "relationship", "季度调查", QUESTIONS[1:])  # not asked of a relationship survey


def test_an_agent_may_not_keep_questionnaires(agent):
    with pytest.raises(Forbidden):
        services.versions(agent)
    with pytest.raises(Forbidden):
        services.create_draft(agent, "relationship", "季度调查", QUESTIONS)
    with pytest.raises(Forbidden):
        services.version_source(agent, "relationship")


# --- pages --------------------------------------------------------------------------------

def _editor_post(title, rows, order=None):
    """The editor's form: ROWS (question dicts) under keys 1…n, sent in ORDER of keys."""
    data = {"title": title, "intro": "", "row": [str(k) for k in (order or range(1, len(rows) + 1))]}
    for k, q in enumerate(rows, start=1):
        data |= {f"type-{k}": q["type"], f"text-{k}": q["text"], f"dimension-{k}": q.get("dimension", ""),
                 f"options-{k}": "\n".join(q.get("options", []))}
        if q.get("required", True):
            data[f"required-{k}"] = "yes"
    return data


def test_the_builder_lists_drafts_and_publishes(client, administrator):
    client.force_login(administrator)
    home = client.get("/surveys/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    text = home.content.decode()
    assert home.status_code == 200 and "客户满意度季度调查" in text and "神秘顾客评分表" in text
    assert 'href="/surveys/"' in text  # the header's link
    form = client.get("/surveys/new/relationship/")
    assert form.status_code == 200 and "您对资费（套餐价格、收费透明度）是否满意？" in form.content.decode()

    # A bad row is shown with its error beside it, the rows as they were typed.
    bad = _editor_post("季度调查（第二版）", [QUESTIONS[0], {"type": "single", "text": "只有一个选项", "options": ["是"]}])
    refused = client.post("/surveys/new/relationship/", bad)
    text = refused.content.decode()
    assert refused.status_code == 422 and 'id="options-2-error"' in text and "只有一个选项" in text
    assert not Instrument.objects.filter(purpose="relationship", version=2).exists()

    # Rows sent in another order (moved in the page) are saved in that order; an empty row is left out.
    good = _editor_post("季度调查（第二版）", QUESTIONS, order=[3, 1, 2]) | {"row": ["3", "1", "2", "4"], "text-4": ""}
    saved = client.post("/surveys/new/relationship/", good)
    draft = Instrument.objects.get(purpose="relationship", version=2)
    assert saved.status_code == 302 and saved["Location"] == f"/surveys/versions/{draft.pk}/"
    assert [(q.text, q.required) for q in draft.questions.all()] == [
        ("其他意见和建议", False), ("总体而言，您对我们的服务是否满意？", True), ("问题是否已经解决？", True)]
    assert list(draft.questions.values_list("options", flat=True)) == [[], [], ["已解决", "未解决"]]

    edited = client.post(f"/surveys/versions/{draft.pk}/edit/", _editor_post("季度调查（第二版）", QUESTIONS[:1]))
    assert edited.status_code == 302 and draft.questions.count() == 1

    client.post(f"/surveys/versions/{draft.pk}/publish/")  # not confirmed
    draft.refresh_from_db()
    assert draft.status == "draft"
    client.post(f"/surveys/versions/{draft.pk}/publish/", {"confirm": "yes"})
    draft.refresh_from_db()
    assert draft.status == "active" and services.active("relationship") == draft
    # A published version is not edited: back to its page, with the reason.
    again = client.get(f"/surveys/versions/{draft.pk}/edit/", follow=True)
    assert again.redirect_chain[-1][0] == f"/surveys/versions/{draft.pk}/"
    assert "Only a draft can be changed" in again.content.decode()


def test_an_agent_has_no_builder(client, agent, administrator):
    draft = services.create_draft(administrator, "relationship", "季度调查", QUESTIONS)
    client.force_login(agent)
    assert client.get("/surveys/").status_code == 403
    assert client.get(f"/surveys/versions/{draft.pk}/").status_code == 403
    assert client.get("/surveys/new/relationship/").status_code == 403
    assert client.post("/surveys/new/relationship/", _editor_post("季度调查", QUESTIONS)).status_code == 403
    assert client.post(f"/surveys/versions/{draft.pk}/edit/", _editor_post("改", QUESTIONS)).status_code == 403
    refused = client.post(f"/surveys/versions/{draft.pk}/publish/", {"confirm": "yes"}, follow=True)
    assert "You do not have permission" in refused.content.decode()
    assert 'href="/surveys/"' not in client.get("/").content.decode()
    draft.refresh_from_db()
    assert (draft.status, draft.title) == ("draft", "季度调查")
    assert Instrument.objects.filter(purpose="relationship").count() == 2


# --- API ----------------------------------------------------------------------------------

def test_the_api_drafts_checks_and_publishes(api_client, administrator, agent):
    api = api_client(administrator)
    listed = api.get("/surveys/instruments?purpose=visit").json()
    assert [(v["version"], v["status"], v["questions"]) for v in listed] == [(1, "active", 6)]
    refused = api.post("/surveys/instruments", {"purpose": "visit", "title": "评分表", "questions": [
        {"type": "score", "text": "总体评价", "dimension": "overall"}, {"type": "single", "text": "是否问候", "options": []}]})
    assert refused.status_code == 422
    assert [f["field"] for f in refused.json()["fields"]] == ["questions.2.options"]
    made = api.post("/surveys/instruments", {"purpose": "visit", "title": "评分表", "questions": [
        {"type": "score", "text": "总体评价", "dimension": "overall"}]})
    assert made.status_code == 201 and made.json()["version"] == 2 and made.json()["status"] == "draft"
    pk = made.json()["id"]
    changed = api.put_json(f"/surveys/instruments/{pk}", {"title": "评分表（修订）", "questions": [
        {"type": "score", "text": "总体评价", "dimension": "overall"}, {"type": "text", "text": "说明", "required": False}]})
    assert changed.status_code == 200 and len(changed.json()["questions"]) == 2
    published = api.post(f"/surveys/instruments/{pk}/publish")
    assert published.status_code == 200 and published.json()["status"] == "active"
    assert api.post(f"/surveys/instruments/{pk}/publish").status_code == 409
    assert api.get(f"/surveys/instruments/{pk}").json()["questions"][1]["text"] == "说明"
    assert api.get("/surveys/instruments/987654321").status_code == 404
    assert api_client(agent).get("/surveys/instruments").status_code == 403
    assert Question.objects.filter(instrument_id=pk).count() == 2
