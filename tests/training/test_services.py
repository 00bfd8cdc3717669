"""Knowledge tests from the bank to the score: questions checked, a test built, published and
assigned to a department in one call, taken once before the due date and scored (multiple choice
right only as exactly the right set), expired with 0 when the due date passes first; results in
the supervisor's scope with each question's rate of right answers; audited."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from kefu.audit.models import AuditEntry
from kefu.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from kefu.knowledge.models import Article
from kefu.notifications.models import Notification
from kefu.staff import roles
from kefu.staff.models import User
from kefu.training import services
from kefu.training.models import Exam, ExamAnswer, ExamAssignment, Question


@pytest.fixture
def article(db):
    return Article.objects.create(title="携号转网的条件", body="号码已实名登记、无欠费、不在合约期内……", tags="携号转网")


@pytest.fixture
def bank(supervisor, article):
    """Three questions: single (2 points), multiple (3 points), true or false (1 point)."""
    single = services.create_question(supervisor, text="携号转网前需满足哪项条件？", kind="single",
                                      options=["号码已实名登记", "开通满五年", "办理宽带"], correct=[0], article_id=article.pk,
                                      topic="携号转网")
    multiple = services.create_question(supervisor, text="以下哪些情形不能办理携号转网？", kind="multiple",
                                        options=["有欠费", "在合约期内", "已实名登记", "号码停机"], correct=[3, 0, 1], topic="携号转网")
    true_false = services.create_question(supervisor, text="套餐变更一般次月生效。", kind="true_false", correct=[0],
                                          topic="套餐")
    return single, multiple, true_false


@pytest.fixture
def exam(supervisor, bank):
    single, multiple, true_false = bank
    made = services.create_exam(supervisor, title="十二月业务知识测试", pass_mark=60, questions=[
        {"question_id": single.pk, "points": 2}, {"question_id": multiple.pk, "points": 3},
        {"question_id": true_false.pk, "points": 1}])
    return services.publish_exam(supervisor, made.pk, made.version)


def _due(days=3):
    return timezone.now() + dt.timedelta(days=days)


def test_questions_are_checked_and_each_field_named(supervisor, agent):
    with pytest.raises(ValidationFailed) as bad:
        services.create_question(supervisor, text="", kind="single", options=["唯一选项"], correct=[3])
    assert set(bad.value.fields) == {"text", "options"}
    with pytest.raises(ValidationFailed) as bad:
        services.create_question(supervisor, text="实名制要求？", kind="single", options=["甲", "乙"], correct=[0, 1])
    assert set(bad.value.fields) == {"correct"}
    with pytest.raises(ValidationFailed) as bad:
        services.create_question(supervisor, text="实名制要求？", kind="multiple", options=["甲", "乙"], correct=[2])
    assert set(bad.value.fields) == {"correct"}
    with pytest.raises(ValidationFailed) as bad:
        services.create_question(supervisor, text="实名制要求？", options=["甲", "乙"], correct=[0], article_id=987654)
    assert set(bad.value.fields) == {"article_id"}
    # True or false: the two fixed options, whatever was sent.
    q = services.create_question(supervisor, text="办理入网须实名登记。", kind="true_false", options=["x"], correct=[0])
    assert len(q.options) == 2 and q.correct == [0]
    with pytest.raises(Forbidden):
        services.create_question(agent, text="？", options=["甲", "乙"], correct=[0])


def test_a_draft_is_edited_then_published_and_its_questions_answer_stays(supervisor, bank):
    single, _multiple, _tf = bank
    made = services.create_exam(supervisor, title="测试", questions=[{"question_id": single.pk}])
    with pytest.raises(ValidationFailed) as bad:
        services.update_exam(supervisor, made.pk, made.version, questions=[{"question_id": single.pk},
                                                                           {"question_id": single.pk}, {"question_id": 987654}])
    assert set(bad.value.fields) == {"questions.1", "questions.2"}
    with pytest.raises(Conflict):
        services.update_exam(supervisor, made.pk, made.version + 1, title="过期的版本")
    edited = services.update_exam(supervisor, made.pk, made.version, title="十二月测试", pass_mark=70)
    published = services.publish_exam(supervisor, made.pk, edited.version)
    assert published.status == Exam.Status.PUBLISHED and published.published_at
    with pytest.raises(Conflict):
        services.update_exam(supervisor, made.pk, published.version, title="发布后不再修改")
    with pytest.raises(Conflict):  # its answer was scored on
        services.update_question(supervisor, single.pk, correct=[1])
    assert services.update_question(supervisor, single.pk, explanation="见知识库").explanation == "见知识库"


def test_assigning_a_department_in_one_call_skips_those_assigned_before(supervisor, exam, agent, make_user, django_assert_max_num_queries):
    colleague = make_user(roles.AGENT, "front-office")
    handler = make_user(roles.TECH_SUPPORT, "tech-support")
    first = services.assign(supervisor, exam.pk, person_ids=[agent.pk], due_at=_due())
    assert [a.person_id for a in first.created] == [agent.pk]
    with django_assert_max_num_queries(14):
        done = services.assign(supervisor, exam.pk, department_id=agent.department_id, due_at=_due())
    # The department's takers (the supervisor takes tests too), the agent assigned before.
    assert {a.person_id for a in done.created} == {colleague.pk, supervisor.pk} and done.skipped == 1
    assert handler.pk not in set(ExamAssignment.objects.values_list("person_id", flat=True))
    assert AuditEntry.objects.filter(object_type="training.examassignment", action="create").count() == 3
    told = Notification.objects.filter(link__startswith="/training/assignments/")
    assert sorted(told.values_list("recipient_id", flat=True)) == sorted([agent.pk, colleague.pk, supervisor.pk])
    with pytest.raises(ValidationFailed) as bad:
        services.assign(supervisor, exam.pk, person_ids=[987654], due_at=timezone.now() - dt.timedelta(hours=1))
    assert set(bad.value.fields) == {"person_ids", "due_at"}


def test_a_department_supervisor_assigns_only_within_their_scope(supervisor, exam, make_user):
    User.objects.filter(pk=supervisor.pk).update(data_scope="department")
    supervisor = User.objects.get(pk=supervisor.pk)
    handler = make_user(roles.TECH_SUPPORT, "tech-support")
    with pytest.raises(ValidationFailed) as bad:
        services.assign(supervisor, exam.pk, person_ids=[handler.pk], due_at=_due())
    assert str(handler.pk) in str(bad.value.fields["person_ids"])


def test_scored_once_multiple_choice_only_as_the_exact_set(exam, bank, agent, supervisor):
    single, multiple, true_false = bank
    a = services.assign(supervisor, exam.pk, person_ids=[agent.pk], due_at=_due()).created[0]
    # Unknown questions and options out of range: 422 naming the question, nothing written.
    with pytest.raises(ValidationFailed) as bad:
        services.submit(agent, a.pk, {str(single.pk): [7], "987654": [0]})
    assert set(bad.value.fields) == {f"answers.{single.pk}", "answers.987654"}
    assert not ExamAnswer.objects.exists()
    # Right single (2), the multiple with one right option left out (0), true or false right (1).
    done = services.submit(agent, a.pk, {str(single.pk): [0], str(multiple.pk): [0, 1], str(true_false.pk): [0]})
    assert (done.status, done.score, done.passed) == ("submitted", Decimal("50.0"), False)
    assert dict(ExamAnswer.objects.filter(assignment=a).values_list("question_id", "correct")) == {
        single.pk: True, multiple.pk: False, true_false.pk: True}
    with pytest.raises(Conflict):  # once: a second tab is refused
        services.submit(agent, a.pk, {str(single.pk): [0]})
    assert ExamAnswer.objects.filter(assignment=a).count() == 3
    assert AuditEntry.objects.filter(object_type="training.examassignment", object_id=str(a.pk), reason="submit").exists()


def test_the_whole_set_scores_100_and_another_persons_test_looks_absent(exam, bank, agent, supervisor, make_user):
    single, multiple, true_false = bank
    a = services.assign(supervisor, exam.pk, person_ids=[agent.pk], due_at=_due()).created[0]
    other = make_user(roles.AGENT, "front-office")
    with pytest.raises(NotFound):
        services.submit(other, a.pk, {})
    with pytest.raises(NotFound):
        services.assignment(other, a.pk)
    done = services.submit(agent, a.pk, {str(single.pk): [0], str(multiple.pk): [3, 1, 0], str(true_false.pk): [0]})
    assert (done.score, done.passed) == (Decimal("100.0"), True)
    assert services.my_assignments(agent).get().score == Decimal("100.0")


def test_after_the_due_date_it_expires_with_0(exam, bank, agent, supervisor):
    single = bank[0]
    a = services.assign(supervisor, exam.pk, person_ids=[agent.pk], due_at=_due(1)).created[0]
    later = timezone.now() + dt.timedelta(days=2)
    with pytest.raises(Conflict) as late:
        services.submit(agent, a.pk, {str(single.pk): [0]}, now=later)
    assert "0" in late.value.message
    a.refresh_from_db()
    assert (a.status, a.score, a.passed) == ("expired", Decimal(0), False)


def test_the_worker_expires_overdue_assignments_and_a_time_limit(exam, agent, supervisor, make_user):
    colleague = make_user(roles.AGENT, "front-office")
    Exam.objects.filter(pk=exam.pk).update(time_limit_minutes=30)
    overdue = services.assign(supervisor, exam.pk, person_ids=[agent.pk], due_at=_due(1)).created[0]
    timed = services.assign(supervisor, exam.pk, person_ids=[colleague.pk], due_at=_due(5)).created[0]
    services.start(colleague, timed.pk)
    assert services.expire_overdue() == 0
    assert services.expire_overdue(now=timezone.now() + dt.timedelta(hours=2)) == 1  # the timed one: its 30 minutes
    assert services.expire_overdue(now=timezone.now() + dt.timedelta(days=2)) == 1  # the other: its due date
    assert set(ExamAssignment.objects.values_list("pk", "status", "score")) == {
        (overdue.pk, "expired", Decimal(0)), (timed.pk, "expired", Decimal(0))}


def test_results_in_scope_with_each_questions_rate(exam, bank, agent, supervisor, make_user):
    single, multiple, true_false = bank
    colleague = make_user(roles.AGENT, "front-office")
    late = make_user(roles.AGENT, "front-office")
    made = services.assign(supervisor, exam.pk, department_id=agent.department_id, due_at=_due()).created
    by_person = {a.person_id: a for a in made}
    services.submit(agent, by_person[agent.pk].pk, {str(single.pk): [0], str(multiple.pk): [0, 1, 3], str(true_false.pk): [0]})
    services.submit(colleague, by_person[colleague.pk].pk, {str(single.pk): [1], str(true_false.pk): [0]})
    ExamAssignment.objects.filter(pk=by_person[late.pk].pk).update(due_at=timezone.now() - dt.timedelta(minutes=1))
    services.expire_overdue()
    r = services.results(supervisor, exam.pk)
    assert r.counts == {"assigned": 1, "submitted": 2, "expired": 1}  # the supervisor's own is still to take
    assert r.average == Decimal("38.9")  # (100 + 16.7 + 0) / 3: the expired one counts 0
    assert r.pass_rate == Decimal("33.3")
    rates = {q.item.question_id: (q.answered, q.right) for q in r.questions}
    assert rates == {single.pk: (2, 1), multiple.pk: (2, 1), true_false.pk: (2, 2)}
    assert r.questions[0].item.question.article.title == "携号转网的条件"
    # A manager reads them; an agent does not.
    with pytest.raises(Forbidden):
        services.results(agent, exam.pk)


def test_closing_withdraws_what_was_not_taken(exam, agent, supervisor, make_user):
    colleague = make_user(roles.AGENT, "front-office")
    made = services.assign(supervisor, exam.pk, person_ids=[agent.pk, colleague.pk], due_at=_due()).created
    services.submit(agent, next(a for a in made if a.person_id == agent.pk).pk, {})
    closed = services.close_exam(supervisor, exam.pk, exam.version)
    assert closed.status == "closed"
    assert list(ExamAssignment.objects.values_list("person_id", "status")) == [(agent.pk, "submitted")]
    with pytest.raises(Conflict):
        services.assign(supervisor, exam.pk, person_ids=[colleague.pk], due_at=_due())


def test_questions_of_an_article_are_counted_for_the_bank_keepers(bank, article, supervisor, agent):
    assert services.article_question_count(supervisor, article.pk) == 1
    assert services.article_question_count(agent, article.pk) is None
    assert Question.objects.filter(topic="携号转网").count() == 2
