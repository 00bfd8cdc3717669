"""The knowledge tests' API walks the same story: the supervisor builds, publishes and assigns a
test, the agent reads it without the answers, submits once and reads the right answers after;
refusals come as 422 naming the field or the question, 409 and 404."""

import datetime as dt

import pytest
from django.utils import timezone

from kefu.knowledge.models import Article


@pytest.fixture
def article(db):
    return Article.objects.create(title="套餐变更规则", body="套餐变更次月生效；合约期内只能升档。", tags="套餐")


def test_build_assign_take_and_read_the_results(api_client, supervisor, agent, article):
    boss, me = api_client(supervisor), api_client(agent)
    bad = boss.post("/training/questions", {"text": "套餐变更何时生效？", "kind": "single", "options": ["当月"], "correct": [2]})
    assert bad.status_code == 422 and {f["field"] for f in bad.json()["fields"]} == {"options"}
    q1 = boss.post("/training/questions", {"text": "套餐变更何时生效？", "kind": "single", "options": ["立即", "次月"],
                                           "correct": [1], "article_id": article.pk, "topic": "套餐",
                                           "explanation": "套餐变更次月生效。"})
    assert q1.status_code == 201 and q1.json()["article_title"] == "套餐变更规则"
    q2 = boss.post("/training/questions", {"text": "合约期内可以降档。", "kind": "true_false", "correct": [1], "topic": "套餐"}).json()
    assert boss.get("/training/questions?topic=套餐").json()["count"] == 2
    exam = boss.post("/training/exams", {"title": "套餐知识", "questions": [{"question_id": q1.json()["id"], "points": 3},
                                                                          {"question_id": q2["id"]}]}).json()
    assert exam["status"] == "draft" and exam["total_points"] == 4
    due = (timezone.now() + dt.timedelta(days=2)).isoformat()
    assert boss.post(f"/training/exams/{exam['id']}/assignments", {"person_ids": [agent.pk], "due_at": due}).status_code == 409
    assert boss.post(f"/training/exams/{exam['id']}/publish", {"version": exam["version"] + 1}).status_code == 409
    published = boss.post(f"/training/exams/{exam['id']}/publish", {"version": exam["version"]}).json()
    assert published["status"] == "published"
    assigned = boss.post(f"/training/exams/{exam['id']}/assignments", {"person_ids": [agent.pk], "due_at": due})
    assert assigned.status_code == 201 and assigned.json()["created"] == 1
    aid = assigned.json()["assignment_ids"][0]
    # The agent: their test, without the right answers before submitting.
    mine = me.get("/training/assignments").json()
    assert [r["id"] for r in mine["results"]] == [aid] and mine["results"][0]["status"] == "assigned"
    paper = me.get(f"/training/assignments/{aid}").json()
    assert paper["may_take"] and all(q["correct"] is None for q in paper["questions"])
    assert me.post("/training/questions", {"text": "？", "options": ["甲", "乙"], "correct": [0]}).status_code == 403
    bad = me.post(f"/training/assignments/{aid}/submit", {"answers": {str(q2["id"]): [5], "987654": [0]}})
    assert bad.status_code == 422
    assert {f["field"] for f in bad.json()["fields"]} == {f"answers.{q2['id']}", "answers.987654"}
    done = me.post(f"/training/assignments/{aid}/submit", {"answers": {str(q1.json()["id"]): [1], str(q2["id"]): [0]}})
    assert done.status_code == 200
    body = done.json()
    assert body["assignment"]["score"] == 75.0 and body["assignment"]["passed"] is False
    first = body["questions"][0]
    assert (first["right"], first["correct"], first["article_title"]) == (True, [1], "套餐变更规则")
    assert me.post(f"/training/assignments/{aid}/submit", {"answers": {}}).status_code == 409
    # The supervisor's results: the question the team got wrong, and its article.
    results = boss.get(f"/training/exams/{exam['id']}/results").json()
    assert results["counts"]["submitted"] == 1 and results["average"] == 75.0
    assert [(q["right"], q["answered"]) for q in results["questions"]] == [(1, 1), (0, 1)]
    assert me.get(f"/training/exams/{exam['id']}/results").status_code == 403


def test_someone_elses_assignment_is_not_found(api_client, supervisor, agent, make_user):
    from kefu.staff import roles
    from kefu.training import services

    q = services.create_question(supervisor, text="实名登记需要什么证件？", options=["有效身份证件", "工作证"], correct=[0])
    exam = services.create_exam(supervisor, title="实名制", questions=[{"question_id": q.pk}])
    exam = services.publish_exam(supervisor, exam.pk, exam.version)
    a = services.assign(supervisor, exam.pk, person_ids=[agent.pk], due_at=timezone.now() + dt.timedelta(days=1)).created[0]
    other = api_client(make_user(roles.AGENT, "front-office"))
    missing = other.post("/training/assignments/987654/submit", {"answers": {}})
    theirs = other.post(f"/training/assignments/{a.pk}/submit", {"answers": {}})
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json()["message"].replace(str(a.pk), "987654") == missing.json()["message"]
