"""The 培训考试 pages, as their users walk them: the supervisor adds questions to the bank, creates a
test, ticks its questions, publishes it and assigns it to a department; the agent finds it under
/training/, answers the one-page form (a refused answer comes back marked) and reads the result
with the right answers and the article; the supervisor reads the results and which question the
team got wrong. Agents do not build tests, nor read another's. In Chinese, with no raw codes."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from kefu.knowledge.models import Article
from kefu.staff import roles
from kefu.training import services
from kefu.training.models import Exam, ExamAssignment, Question


def _chinese(user):
    user.language = "zh-hans"
    user.save(update_fields=["language"])
    return user


@pytest.fixture
def article(db):
    return Article.objects.create(title="携号转网的条件", body="号码已实名登记、无欠费、不在合约期内、未停机。", tags="携号转网")


@pytest.fixture
def published(supervisor, article):
    single = services.create_question(supervisor, text="携号转网前号码须满足哪项条件？", kind="single",
                                      options=["已实名登记", "开通满五年", "办理了宽带"], correct=[0], article_id=article.pk,
                                      topic="携号转网", explanation="号码须已实名登记、无欠费。")
    multiple = services.create_question(supervisor, text="哪些情形不能携号转网？", kind="multiple",
                                        options=["有欠费", "在合约期内", "已实名登记"], correct=[0, 1], topic="携号转网")
    exam = services.create_exam(supervisor, title="携号转网知识测试", questions=[
        {"question_id": single.pk, "points": 1}, {"question_id": multiple.pk, "points": 1}])
    return services.publish_exam(supervisor, exam.pk, exam.version)


def test_the_supervisor_builds_publishes_and_assigns_a_test(client, supervisor, agent, article):
    _chinese(supervisor)
    client.force_login(supervisor)
    bank = client.get("/training/questions/")
    assert bank.status_code == 200 and "题库" in bank.content.decode()
    form = {"text": "套餐变更何时生效？", "kind": "single", "option-0": "立即生效", "option-1": "次月生效",
            "right-0": "1", "right-1": "1", "topic": "套餐", "article_id": str(article.pk)}
    refused = client.post("/training/questions/", form)
    assert refused.status_code == 422 and 'id="q-options-error"' in refused.content.decode()
    assert 'value="次月生效"' in refused.content.decode()  # what was typed, kept
    del form["right-0"]
    assert client.post("/training/questions/", form).status_code == 302
    question = Question.objects.get()
    assert (question.options, question.correct, question.article_id) == (["立即生效", "次月生效"], [1], article.pk)
    client.post("/training/questions/", {"text": "合约期内的套餐可以降档。", "kind": "true_false", "right-1": "1", "topic": "套餐"})
    tf = Question.objects.get(kind="true_false")
    assert tf.correct == [1] and len(tf.options) == 2
    # A draft test, its questions ticked with points, published.
    made = client.post("/training/exams/new/", {"title": "套餐知识测试", "pass_mark": "60", "time_limit_minutes": ""})
    exam = Exam.objects.get()
    assert made.status_code == 302 and made["Location"] == f"/training/exams/{exam.pk}/"
    page = client.get(made["Location"]).content.decode()
    assert "草稿" in page and f'name="include-{question.pk}"' in page
    client.post(f"/training/exams/{exam.pk}/questions/", {"version": exam.version, f"include-{question.pk}": "1",
                                                           f"points-{question.pk}": "3", f"include-{tf.pk}": "1"})
    assert list(exam.items.values_list("question_id", "points")) == [(question.pk, 3), (tf.pk, 1)]
    exam.refresh_from_db()
    client.post(f"/training/exams/{exam.pk}/publish/", {"version": exam.version})
    exam.refresh_from_db()
    assert exam.status == "published"
    due = timezone.localtime(timezone.now() + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    page = client.get(f"/training/exams/{exam.pk}/").content.decode()
    assert 'name="person_ids"' in page and 'name="department_id"' in page
    done = client.post(f"/training/exams/{exam.pk}/assign/", {"department_id": str(agent.department_id), "due_at": due},
                       follow=True)
    assert set(ExamAssignment.objects.values_list("person_id", flat=True)) == {agent.pk, supervisor.pk}
    html = done.content.decode()
    assert "已布置给 2 人" in html and agent.username in html


def test_the_agent_takes_the_test_and_reads_the_right_answers(client, published, supervisor, agent, article):
    a = services.assign(supervisor, published.pk, person_ids=[agent.pk], due_at=timezone.now() + dt.timedelta(days=2)).created[0]
    single, multiple = (i.question for i in services.exam_items(published))
    _chinese(agent)
    client.force_login(agent)
    home = client.get("/training/").content.decode()
    assert "待参加的考试" in home and f'href="/training/assignments/{a.pk}/"' in home and "携号转网知识测试" in home
    assert "/training/exams/" not in home  # no tests to build
    page = client.get(f"/training/assignments/{a.pk}/").content.decode()
    assert f'name="q-{single.pk}" value="0"' in page and 'type="checkbox"' in page and "正确答案" not in page
    refused = client.post(f"/training/assignments/{a.pk}/submit/", {f"q-{single.pk}": "7"})
    assert refused.status_code == 422 and f'id="q{single.pk}-error"' in refused.content.decode()
    done = client.post(f"/training/assignments/{a.pk}/submit/", {f"q-{single.pk}": "0", f"q-{multiple.pk}": ["0"]}, follow=True)
    a.refresh_from_db()
    assert (a.status, a.score, a.passed) == ("submitted", 50, False)
    html = done.content.decode()
    assert "50" in html and "未通过" in html and "答错" in html and "正确答案" in html
    assert f'href="/knowledge/{article.pk}/"' in html and "号码须已实名登记、无欠费。" in html
    assert f'action="/training/assignments/{a.pk}/submit/"' not in html  # once
    assert not re.search(r">\s*(submitted|assigned|expired|single|multiple)\s*<", html)
    again = client.post(f"/training/assignments/{a.pk}/submit/", {f"q-{single.pk}": "0"}, follow=True)
    assert "只能参加一次" in again.content.decode()
    assert client.get("/training/exams/").status_code == 403
    assert client.get(f"/training/exams/{published.pk}/").status_code == 403


def test_the_supervisor_reads_the_results_and_the_question_to_revise(client, published, supervisor, agent, article):
    a = services.assign(supervisor, published.pk, person_ids=[agent.pk], due_at=timezone.now() + dt.timedelta(days=2)).created[0]
    single, multiple = (i.question for i in services.exam_items(published))
    services.submit(agent, a.pk, {str(single.pk): [1], str(multiple.pk): [0, 1]})
    _chinese(supervisor)
    client.force_login(supervisor)
    html = client.get(f"/training/exams/{published.pk}/").content.decode()
    assert "考试结果" in html and f'href="/training/assignments/{a.pk}/"' in html and "已交卷" in html
    rates = html[html.index("各题正确率"):]
    body = rates.index("<tbody>")
    first = rates[body:rates.index("</tr>", body)]  # the wrong one first, with its article
    assert "携号转网前号码须满足哪项条件？" in first and f'href="/knowledge/{article.pk}/"' in first
    assert "0.0%（1 人中 0 人答对）" in first
    result = client.get(f"/training/assignments/{a.pk}/").content.decode()
    assert "答错" in result and "50" in result
    assert client.get("/training/").status_code == 200


def test_another_agents_test_is_not_found(client, published, supervisor, agent, make_user):
    a = services.assign(supervisor, published.pk, person_ids=[agent.pk], due_at=timezone.now() + dt.timedelta(days=2)).created[0]
    client.force_login(make_user(roles.AGENT, "front-office"))
    assert client.get(f"/training/assignments/{a.pk}/").status_code == 404
    assert client.post(f"/training/assignments/{a.pk}/submit/", {}).status_code == 404


def test_a_timed_test_starts_with_a_button_and_an_overdue_one_is_said(client, published, supervisor, agent):
    Exam.objects.filter(pk=published.pk).update(time_limit_minutes=20)
    a = services.assign(supervisor, published.pk, person_ids=[agent.pk], due_at=timezone.now() + dt.timedelta(days=2)).created[0]
    _chinese(agent)
    client.force_login(agent)
    page = client.get(f"/training/assignments/{a.pk}/").content.decode()
    assert f'action="/training/assignments/{a.pk}/start/"' in page
    assert f'action="/training/assignments/{a.pk}/submit/"' not in page
    client.post(f"/training/assignments/{a.pk}/start/")
    a.refresh_from_db()
    assert a.started_at is not None
    assert f'action="/training/assignments/{a.pk}/submit/"' in client.get(f"/training/assignments/{a.pk}/").content.decode()
    ExamAssignment.objects.filter(pk=a.pk).update(due_at=timezone.now() - dt.timedelta(minutes=1))
    home = client.get("/training/").content.decode()
    assert "已超期" in home and f'href="/training/assignments/{a.pk}/"' not in home


def test_the_pages_show_no_english_in_chinese(client, published, supervisor, agent, settings):
    from django.utils import translation

    from kefu.staff.models import Department
    from tests.web.test_zh_pages import english_in, kefu_english

    Department.objects.filter(code="front-office").update(name="客服中心一线")  # the fixtures name it by its code
    a = services.assign(supervisor, published.pk, person_ids=[agent.pk], due_at=timezone.now() + dt.timedelta(days=2)).created[0]
    english = kefu_english()
    settings.LANGUAGE_CODE = "zh-hans"
    found = {}
    with translation.override("zh-hans"):
        for user, pages in ((agent, ["/training/", f"/training/assignments/{a.pk}/"]),
                            (supervisor, ["/training/", "/training/exams/", f"/training/exams/{published.pk}/",
                                          "/training/questions/", f"/training/assignments/{a.pk}/"])):
            client.force_login(_chinese(user))
            for page in pages:
                r = client.get(page)
                assert r.status_code == 200, page
                found[f"{user.username} {page}"] = english_in(r.content.decode(), english)
        services.submit(agent, a.pk, {})
        client.force_login(agent)
        found["result"] = english_in(client.get(f"/training/assignments/{a.pk}/").content.decode(), english)
    assert {p: w for p, w in found.items() if w} == {}


def test_the_article_page_leads_the_bank_keepers_to_its_questions(client, published, supervisor, agent, article):
    client.force_login(supervisor)
    link = f'href="/training/questions/?article={article.pk}"'
    assert link in client.get(f"/knowledge/{article.pk}/").content.decode()
    bank = client.get(f"/training/questions/?article={article.pk}").content.decode()
    assert "携号转网前号码须满足哪项条件？" in bank and "哪些情形不能携号转网？" not in bank
    client.force_login(agent)
    assert link not in client.get(f"/knowledge/{article.pk}/").content.decode()
