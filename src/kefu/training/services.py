"""Knowledge tests' rules (decision 0033): the question bank, tests built from it and published,
assigned to people or a whole department in one call, taken once before the due date and scored
automatically; results per test in the reader's scope of people, with each question's rate of
right answers (which articles to revise). Assignments and submissions are audited."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import (
    Avg,
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kefu import scopes
from kefu.audit import services as audit
from kefu.core.errors import Conflict, Forbidden, ValidationFailed
from kefu.core.services import find, get_or_404, require
from kefu.core.transitions import Machine, begin, finish
from kefu.notifications import services as notifications
from kefu.staff import services as staff
from kefu.staff.models import DataScope, Department, User

from . import states
from .models import Exam, ExamAnswer, ExamAssignment, ExamQuestion, Question

VIEW_BANK, ADD_QUESTION, CHANGE_QUESTION = "training.view_question", "training.add_question", "training.change_question"
VIEW_EXAMS, ADD_EXAM = "training.view_exam", "training.add_exam"
ASSIGN = "training.add_examassignment"
RESULTS = "training.view_examassignment"
TAKE = states.TAKE

MAX_OPTIONS, OPTION_LENGTH, TEXT_LENGTH = 8, 200, 2000
MAX_POINTS, MAX_MINUTES, MAX_QUESTIONS = 100, 600, 200
MAX_DUE = dt.timedelta(days=366)
# A submission this long after a timed test's limit still counts (the page posting, the network).
GRACE = dt.timedelta(minutes=1)
BATCH = 1000
TENTH = Decimal("0.1")


# --- whose tests a reader sees ------------------------------------------------------------------

def people(user, qs: QuerySet | None = None) -> QuerySet:
    """The staff in USER's data scope (kefu.scopes): themselves; their department's with scope
    department or wider; their region's (User.region, else KEFU_REGION) with region; everyone
    with all, or with region in an installation that serves one region."""
    qs = qs if qs is not None else User.objects.all()
    scope = scopes.scope_of(user)
    if user is None or scope == DataScope.ALL:
        return qs
    q = Q(pk=user.pk)
    if scope != DataScope.OWN and user.department_id:
        q |= Q(department_id=user.department_id)
    if scope == DataScope.REGION:
        region = scopes.region_of(user)
        if not region:
            return qs
        q |= Q(region=region)
        if settings.KEFU_REGION == region:
            q |= Q(region="")
    return qs.filter(q)


def takers(user) -> QuerySet:
    """The active people in USER's scope whose roles let them take tests, by name."""
    return people(user, staff.holders("training.take_exam")).order_by("department__code", "username")


def _record(obj, actor, action, from_status, **history):
    if action != "start":
        audit.record(actor, "update", obj, fields=history.get("fields", ["status"]), reason=action)


def _own(user, qs):
    return qs if user is None else qs.filter(person=user)


EXAM = Machine(Exam, states.EXAM_TRANSITIONS, scope=None, record=_record, refusals=states.EXAM_REFUSALS)
ASSIGNMENT = Machine(ExamAssignment, states.ASSIGNMENT_TRANSITIONS, scope=_own, record=_record,
                     refusals=states.ASSIGNMENT_REFUSALS)


# --- the question bank --------------------------------------------------------------------------

def true_false_options() -> list[str]:
    """The two fixed options of a true-or-false question, in the installation's language."""
    with translation.override(settings.LANGUAGE_CODE):
        return [_("True"), _("False")]


def _check_question(q: Question) -> dict:
    errors: dict[str, str] = {}
    if not (q.text or "").strip():
        errors["text"] = _("is required")
    elif len(q.text) > TEXT_LENGTH:
        errors["text"] = _("must be at most %(n)s characters") % {"n": TEXT_LENGTH}
    if q.kind not in Question.Kind.values:
        errors["kind"] = _("must be one of: %(values)s") % {"values": ", ".join(Question.Kind.values)}
        return errors
    if q.kind == Question.Kind.TRUE_FALSE:
        q.options = true_false_options()
    options = q.options
    if not isinstance(options, list) or not all(isinstance(o, str) for o in options):
        errors["options"] = _("must be a list of texts")
    else:
        q.options = options = [o.strip() for o in options]
        if len(options) < 2 or len(options) > MAX_OPTIONS:
            errors["options"] = _("must have from %(low)s to %(high)s options") % {"low": 2, "high": MAX_OPTIONS}
        elif any(not o or len(o) > OPTION_LENGTH for o in options):
            errors["options"] = _("each option must have from 1 to %(n)s characters") % {"n": OPTION_LENGTH}
        elif len(set(options)) != len(options):
            errors["options"] = _("two options are the same")
    correct = q.correct
    if not isinstance(correct, list) or any(isinstance(i, bool) or not isinstance(i, int) for i in correct):
        errors["correct"] = _("must be a list of option positions, counted from 0")
    elif "options" not in errors:
        if any(not 0 <= i < len(options) for i in correct) or len(set(correct)) != len(correct):
            errors["correct"] = _("must name options from 0 to %(high)s, each once") % {"high": len(options) - 1}
        elif q.kind != Question.Kind.MULTIPLE and len(correct) != 1:
            errors["correct"] = _("a single-choice or true-or-false question has exactly one right option")
        elif not correct:
            errors["correct"] = _("at least one option must be right")
        else:
            q.correct = sorted(correct)
    if len(q.topic or "") > 40:
        errors["topic"] = _("must be at most %(n)s characters") % {"n": 40}
    if len(q.explanation or "") > TEXT_LENGTH:
        errors["explanation"] = _("must be at most %(n)s characters") % {"n": TEXT_LENGTH}
    return errors


def _article_error(article_id) -> dict:
    from kefu.knowledge.models import Article

    if article_id is None or find(Article.objects.all(), pk=article_id) is not None:
        return {}
    return {"article_id": _("no such knowledge base article")}


def _differs(q: Question, name: str, value) -> bool:
    """Whether VALUE changes Q's NAME (the right options in any order are the same)."""
    if name == "correct" and isinstance(value, list) and all(isinstance(v, int) for v in value):
        return sorted(value) != sorted(q.correct)
    return value != getattr(q, name)


QUESTION_FIELDS = ("text", "kind", "options", "correct", "explanation", "article_id", "topic", "is_active")


@transaction.atomic
def create_question(user, *, text: str, kind: str = Question.Kind.SINGLE, options=None, correct=None,
                    explanation: str = "", article_id: int | None = None, topic: str = "", is_active: bool = True,
                    now: dt.datetime | None = None) -> Question:
    """A question of the bank, checked: two options or more (true-or-false: the two fixed ones),
    right options in range, exactly one for single choice and true-or-false."""
    require(user, ADD_QUESTION)
    q = Question(text=(text or "").strip(), kind=kind, options=options if options is not None else [],
                 correct=correct if correct is not None else [], explanation=(explanation or "").strip(),
                 article_id=article_id, topic=(topic or "").strip(), is_active=is_active, created_by=user,
                 created_at=now or timezone.now())
    errors = _check_question(q) | _article_error(article_id)
    if errors:
        raise ValidationFailed(_("The question is invalid."), fields=errors)
    q.save()
    audit.record(user, "create", q, fields=["text", "kind", "options", "correct"])
    return q


@transaction.atomic
def update_question(user, question_id: int, **changes) -> Question:
    """Change a question. What decides its answer (kind, options, right options) stays as it is
    once a published or closed test uses it: its answers were scored on it (add a new question
    and retire this one instead)."""
    require(user, CHANGE_QUESTION)
    q = get_or_404(Question, question_id, lock=True)
    unknown = set(changes) - set(QUESTION_FIELDS)
    if unknown:
        raise ValidationFailed(_("The question is invalid."), fields={f: _("unknown field") for f in sorted(unknown)})
    scored = [f for f in ("kind", "options", "correct") if f in changes and _differs(q, f, changes[f])]
    if scored and ExamQuestion.objects.filter(question=q).exclude(exam__status=Exam.Status.DRAFT).exists():
        raise Conflict(_("A published test uses this question: its answer is no longer changed. Add a new question and retire this one."))
    for name, value in changes.items():
        setattr(q, name, value.strip() if isinstance(value, str) and name != "kind" else value)
    errors = _check_question(q) | (_article_error(changes["article_id"]) if "article_id" in changes else {})
    if errors:
        raise ValidationFailed(_("The question is invalid."), fields=errors)
    q.save()
    audit.record(user, "update", q, fields=sorted(changes))
    return q


def questions(user, *, topic: str | None = None, article_id: int | None = None, active: bool | None = None) -> QuerySet:
    """The bank, by topic then age, with their articles."""
    require(user, VIEW_BANK)
    qs = Question.objects.select_related("article").order_by("topic", "pk")
    if topic:
        qs = qs.filter(topic=topic)
    if article_id is not None:
        qs = qs.filter(article_id=article_id)
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs


def question(user, question_id: int) -> Question:
    require(user, VIEW_BANK)
    return get_or_404(Question, question_id, queryset=Question.objects.select_related("article"))


def topics(user) -> list[str]:
    require(user, VIEW_BANK)
    return list(Question.objects.exclude(topic="").order_by("topic").values_list("topic", flat=True).distinct())


def article_question_count(user, article_id: int) -> int | None:
    """How many active questions test ARTICLE (for the article's page), None for whoever does not
    keep the bank."""
    if not user.has_perm(VIEW_BANK):
        return None
    return Question.objects.filter(article_id=article_id, is_active=True).count()


# --- tests --------------------------------------------------------------------------------------

def _check_exam(exam: Exam) -> dict:
    errors: dict[str, str] = {}
    if not (exam.title or "").strip():
        errors["title"] = _("is required")
    elif len(exam.title) > 100:
        errors["title"] = _("must be at most %(n)s characters") % {"n": 100}
    if len(exam.description or "") > TEXT_LENGTH:
        errors["description"] = _("must be at most %(n)s characters") % {"n": TEXT_LENGTH}
    if isinstance(exam.pass_mark, bool) or not isinstance(exam.pass_mark, int) or not 0 <= exam.pass_mark <= 100:
        errors["pass_mark"] = _("must be a whole number from %(low)s to %(high)s") % {"low": 0, "high": 100}
    limit = exam.time_limit_minutes
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_MINUTES):
        errors["time_limit_minutes"] = _("must be a whole number from %(low)s to %(high)s") % {"low": 1, "high": MAX_MINUTES}
    return errors


def _items(given) -> tuple[list[tuple[int, int]], dict]:
    """GIVEN ([{"question_id", "points"}] in order) as [(question id, points)], or the errors
    naming each bad entry (questions.<n>)."""
    errors: dict[str, str] = {}
    if not isinstance(given, list):
        return [], {"questions": _("must be a list")}
    if len(given) > MAX_QUESTIONS:
        return [], {"questions": _("must have at most %(n)s questions") % {"n": MAX_QUESTIONS}}
    items: list[tuple[int, int]] = []
    for n, entry in enumerate(given):
        entry = entry if isinstance(entry, dict) else {}
        qid, points = entry.get("question_id"), entry.get("points", 1)
        if isinstance(qid, bool) or not isinstance(qid, int):
            errors[f"questions.{n}"] = _("names no question")
        elif isinstance(points, bool) or not isinstance(points, int) or not 1 <= points <= MAX_POINTS:
            errors[f"questions.{n}"] = _("points must be a whole number from %(low)s to %(high)s") % {"low": 1, "high": MAX_POINTS}
        else:
            items.append((qid, points))
    active = set(Question.objects.filter(pk__in=[q for q, _p in items], is_active=True).values_list("pk", flat=True))
    seen: set[int] = set()
    for n, (qid, _p) in enumerate(items):
        if qid not in active:
            errors.setdefault(f"questions.{n}", _("question %(id)s does not exist or is retired") % {"id": qid})
        elif qid in seen:
            errors.setdefault(f"questions.{n}", _("question %(id)s is in the test twice") % {"id": qid})
        seen.add(qid)
    return items, errors


def _set_items(exam: Exam, items: list[tuple[int, int]]) -> None:
    ExamQuestion.objects.filter(exam=exam).delete()
    ExamQuestion.objects.bulk_create([ExamQuestion(exam=exam, question_id=qid, position=n, points=points)
                                      for n, (qid, points) in enumerate(items, start=1)])


EXAM_FIELDS = ("title", "description", "pass_mark", "time_limit_minutes")


@transaction.atomic
def create_exam(user, *, title: str, description: str = "", pass_mark: int = 80, time_limit_minutes: int | None = None,
                questions=None, now: dt.datetime | None = None) -> Exam:
    """A draft test, with its questions in order and their points when given."""
    require(user, ADD_EXAM)
    exam = Exam(title=(title or "").strip(), description=(description or "").strip(), pass_mark=pass_mark,
                time_limit_minutes=time_limit_minutes, created_by=user, created_at=now or timezone.now())
    items, item_errors = _items(questions if questions is not None else [])
    errors = _check_exam(exam) | item_errors
    if errors:
        raise ValidationFailed(_("The test is invalid."), fields=errors)
    exam.save()
    _set_items(exam, items)
    audit.record(user, "create", exam, fields=["title", "pass_mark", "time_limit_minutes"])
    return exam


@transaction.atomic
def update_exam(user, exam_id: int, version: int, **changes) -> Exam:
    """Change a draft test at the VERSION the caller read; QUESTIONS, when given, replaces its
    questions ([{"question_id", "points"}] in order)."""
    exam = begin(EXAM, user, exam_id, "edit", version=version)
    unknown = set(changes) - set(EXAM_FIELDS) - {"questions"}
    if unknown:
        raise ValidationFailed(_("The test is invalid."), fields={f: _("unknown field") for f in sorted(unknown)})
    given = changes.pop("questions", None)
    for name, value in changes.items():
        setattr(exam, name, value.strip() if isinstance(value, str) else value)
    items, item_errors = _items(given) if given is not None else ([], {})
    errors = _check_exam(exam) | item_errors
    if errors:
        raise ValidationFailed(_("The test is invalid."), fields=errors)
    if given is not None:
        _set_items(exam, items)
    return finish(EXAM, exam, user, "edit", fields=sorted(changes) + (["questions"] if given is not None else []))


@transaction.atomic
def publish_exam(user, exam_id: int, version: int, *, now: dt.datetime | None = None) -> Exam:
    """Publish a draft with at least one question, all still active: it may then be assigned."""
    exam = begin(EXAM, user, exam_id, "publish", version=version)
    rows = list(ExamQuestion.objects.filter(exam=exam).values_list("question__is_active", flat=True))
    if not rows:
        raise ValidationFailed(_("The test is invalid."), fields={"questions": _("a test needs at least one question")})
    if not all(rows):
        raise ValidationFailed(_("The test is invalid."), fields={"questions": _("a retired question is in the test")})
    exam.published_at = now or timezone.now()
    return finish(EXAM, exam, user, "publish", fields=["status"])


@transaction.atomic
def close_exam(user, exam_id: int, version: int) -> Exam:
    """Close a published test: nobody takes it any more. Its assignments not taken yet are
    withdrawn (deleted, audited): not having taken a test that was closed is nobody's failure."""
    exam = begin(EXAM, user, exam_id, "close", version=version)
    pending = list(ExamAssignment.objects.filter(exam=exam, status=ExamAssignment.Status.ASSIGNED).only("pk"))
    if pending:
        audit.record_many(user, "delete", pending, fields=["status"], reason="exam closed")
        ExamAssignment.objects.filter(pk__in=[a.pk for a in pending]).delete()
    return finish(EXAM, exam, user, "close", fields=["status"])


def exams(user, *, status: str | None = None) -> QuerySet:
    """The tests, newest first, each with its number of questions and, in USER's scope of people,
    of assignments, of those taken and their average score (expired ones count 0)."""
    require(user, VIEW_EXAMS)
    scoped = people(user).values("pk")
    mine = Q(assignments__person__in=scoped)
    done = mine & Q(assignments__status__in=[ExamAssignment.Status.SUBMITTED, ExamAssignment.Status.EXPIRED])
    items = (ExamQuestion.objects.filter(exam=OuterRef("pk")).order_by().values("exam")
             .annotate(n=Count("pk")).values("n"))
    qs = Exam.objects.annotate(
        question_count=Coalesce(Subquery(items, output_field=IntegerField()), 0),
        assigned_count=Count("assignments", filter=mine),
        done_count=Count("assignments", filter=done),
        average=Avg("assignments__score", filter=done),
    ).order_by("-created_at", "-pk")
    if status:
        qs = qs.filter(status=status)
    return qs


def exam(user, exam_id: int) -> Exam:
    require(user, VIEW_EXAMS)
    return get_or_404(Exam, exam_id)


def exam_items(exam: Exam) -> list[ExamQuestion]:
    """EXAM's questions in order, with their articles."""
    return list(ExamQuestion.objects.filter(exam=exam).select_related("question", "question__article").order_by("position"))


def total_points(items) -> int:
    return sum(i.points for i in items)


# --- assigning ----------------------------------------------------------------------------------

@dataclass
class Assigned:
    created: list[ExamAssignment]
    skipped: int  # assigned before


@transaction.atomic
def assign(user, exam_id: int, *, person_ids=(), department_id: int | None = None, due_at: dt.datetime | None = None,
           now: dt.datetime | None = None) -> Assigned:
    """Assign a published test, due by DUE_AT, to PERSON_IDS and everyone of DEPARTMENT_ID who
    takes tests, within USER's scope of people, in one INSERT; those who have it already are
    skipped. Anyone named who is unknown, out of scope or takes no tests is refused (422)."""
    require(user, ASSIGN)
    now = now or timezone.now()
    exam = get_or_404(Exam, exam_id, lock=True)  # serialises assignments of one test
    errors: dict[str, str] = {}
    if due_at is None:
        errors["due_at"] = _("is required")
    elif due_at <= now:
        errors["due_at"] = _("must be in the future")
    elif due_at > now + MAX_DUE:
        errors["due_at"] = _("must be within a year")
    ids = {int(pk) for pk in person_ids or ()}
    if not ids and department_id is None:
        errors["person_ids"] = _("name people or a department")
    eligible = takers(user)
    targets = set(eligible.filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
    if missing := sorted(ids - targets):
        errors["person_ids"] = _("unknown, outside your scope or taking no tests: %(ids)s") % {
            "ids": ", ".join(map(str, missing))}
    if department_id is not None:
        if find(Department.objects.all(), pk=department_id) is None:
            errors["department_id"] = _("no such department")
        else:
            members = set(eligible.filter(department_id=department_id).values_list("pk", flat=True))
            if not members:
                errors["department_id"] = _("nobody in this department takes tests within your scope")
            targets |= members
    if errors:
        raise ValidationFailed(_("The assignment is invalid."), fields=errors)
    if exam.status != Exam.Status.PUBLISHED:
        raise Conflict(_("Only a published test is assigned."))
    assert due_at is not None
    before = set(ExamAssignment.objects.filter(exam=exam, person_id__in=targets).values_list("person_id", flat=True))
    created = ExamAssignment.objects.bulk_create([
        ExamAssignment(exam=exam, person_id=pk, assigned_by=user, assigned_at=now, due_at=due_at)
        for pk in sorted(targets - before)], batch_size=BATCH)
    audit.record_many(user, "create", created, fields=["exam", "person", "due_at"])
    due = timezone.localtime(due_at).strftime("%Y-%m-%d %H:%M")
    notifications.notify_many([(a.person_id, _("A knowledge test was assigned to you: %(title)s, due %(due)s.")
                                % {"title": exam.title, "due": due}, f"/training/assignments/{a.pk}/") for a in created])
    return Assigned(created, len(before))


# --- taking a test ------------------------------------------------------------------------------

def deadline(a: ExamAssignment) -> dt.datetime:
    """When A may no longer be submitted: its due date, or sooner its time limit from its start."""
    limit = a.exam.time_limit_minutes
    if limit and a.started_at:
        return min(a.due_at, a.started_at + dt.timedelta(minutes=limit) + GRACE)
    return a.due_at


def may_take(a: ExamAssignment, now: dt.datetime | None = None) -> bool:
    """Whether A can be taken now: to be taken, its test published, before its deadline."""
    return (a.status == ExamAssignment.Status.ASSIGNED and a.exam.status == Exam.Status.PUBLISHED
            and (now or timezone.now()) <= deadline(a))


def _expire(a: ExamAssignment, actor, now: dt.datetime) -> None:
    a.status, a.score, a.passed, a.version = ExamAssignment.Status.EXPIRED, Decimal(0), False, a.version + 1
    a.save(update_fields=["status", "score", "passed", "version", "updated_at"])
    audit.record(actor, "update", a, fields=["status", "score"], reason="expired")


def _late(a: ExamAssignment) -> Conflict:
    return Conflict(_("Time is up: the test was due by %(at)s. It counts as not taken, with a score of 0.")
                    % {"at": timezone.localtime(deadline(a)).strftime("%Y-%m-%d %H:%M")})


def _begin_taking(user, assignment_id: int, action: str, now: dt.datetime) -> tuple[ExamAssignment, bool]:
    """The person's own assignment, locked and checked for ACTION; expired on the spot (True)
    when its deadline has passed."""
    a = begin(ASSIGNMENT, user, assignment_id, action)
    if a.exam.status != Exam.Status.PUBLISHED:
        raise Conflict(_("The test is closed."))
    if now > deadline(a):
        _expire(a, user, now)
        return a, True
    return a, False


def start(user, assignment_id: int, *, now: dt.datetime | None = None) -> ExamAssignment:
    """The person opens their test: its time limit, if any, runs from the first start."""
    now = now or timezone.now()
    with transaction.atomic():
        a, late = _begin_taking(user, assignment_id, "start", now)
        if not late and a.started_at is None:
            a.started_at = now
            finish(ASSIGNMENT, a, user, "start")
    if late:
        raise _late(a)
    return a


def _chosen(raw, item: ExamQuestion) -> tuple[list[int] | None, str]:
    """RAW (a list of option positions, or one) as a sorted list, or why it is refused."""
    q = item.question
    values = [raw] if isinstance(raw, int) and not isinstance(raw, bool) else raw
    if values is None:
        return [], ""
    if not isinstance(values, list) or any(isinstance(v, bool) or not isinstance(v, int) for v in values):
        return None, _("must be a list of option positions, counted from 0")
    chosen = sorted(set(values))
    if any(not 0 <= v < len(q.options) for v in chosen):
        return None, _("question %(id)s has options from 0 to %(high)s only") % {"id": q.pk, "high": len(q.options) - 1}
    if q.kind != Question.Kind.MULTIPLE and len(chosen) > 1:
        return None, _("question %(id)s takes one option") % {"id": q.pk}
    return chosen, ""


def score_of(earned: int, possible: int) -> Decimal:
    """Points earned out of possible, scaled to 100, to one decimal place."""
    if possible <= 0:
        return Decimal(0)
    return (Decimal(earned) * 100 / Decimal(possible)).quantize(TENTH, rounding=ROUND_HALF_UP)


def submit(user, assignment_id: int, answers: dict, *, now: dt.datetime | None = None) -> ExamAssignment:
    """The person's answers to their own test ({question id: [option positions]}), once, before
    its deadline: each question right only when exactly its right options are chosen (one left
    out is wrong); score = points earned / points possible × 100. The assignment's row is
    locked, so a second submission (another tab) waits and is refused (409). Unknown question
    ids and options out of range are refused (422, naming the question). A submission after
    the deadline expires the assignment (score 0) and is refused (409)."""
    now = now or timezone.now()
    if not isinstance(answers, dict):
        raise ValidationFailed(_("The answers are invalid."), fields={"answers": _("must map question ids to options")})
    with transaction.atomic():
        a, late = _begin_taking(user, assignment_id, "submit", now)
        if not late:
            return _score(user, a, answers, now)
    raise _late(a)


def _score(user, a: ExamAssignment, answers: dict, now: dt.datetime) -> ExamAssignment:
    items = {i.question_id: i for i in ExamQuestion.objects.filter(exam_id=a.exam_id).select_related("question")}
    errors: dict[str, str] = {}
    given: dict[int, list[int]] = {}
    for key, raw in answers.items():
        try:
            qid = int(key)
        except (TypeError, ValueError):
            qid = None
        if qid not in items:
            errors[f"answers.{key}"] = _("question %(id)s is not in this test") % {"id": key}
            continue
        assert qid is not None
        chosen, why = _chosen(raw, items[qid])
        if chosen is None:
            errors[f"answers.{qid}"] = why
        else:
            given[qid] = chosen
    if errors:
        raise ValidationFailed(_("The answers are invalid."), fields=errors)
    rows, earned = [], 0
    for qid, item in items.items():
        chosen = given.get(qid, [])
        right = chosen == sorted(item.question.correct)
        earned += item.points if right else 0
        rows.append(ExamAnswer(assignment=a, question_id=qid, chosen=chosen, correct=right, points=item.points if right else 0))
    ExamAnswer.objects.bulk_create(rows)
    a.score = score_of(earned, total_points(items.values()))
    a.passed = a.score >= a.exam.pass_mark
    a.submitted_at = now
    a.started_at = a.started_at or now
    return finish(ASSIGNMENT, a, user, "submit", fields=["status", "score", "passed"])


def expire_overdue(now: dt.datetime | None = None) -> int:
    """The worker's turn: assignments not taken by their deadline (the due date, or a timed
    test's limit from its start) expire with a score of 0, in batches of rows nobody holds
    (a submission in progress keeps its row). Returns how many expired."""
    now = now or timezone.now()
    pending = ExamAssignment.objects.filter(status=ExamAssignment.Status.ASSIGNED)
    due = Q(due_at__lt=now)
    timed = list(pending.filter(started_at__isnull=False, exam__time_limit_minutes__isnull=False, due_at__gte=now)
                 .select_related("exam").only("pk", "due_at", "started_at", "exam__time_limit_minutes"))
    late = [a.pk for a in timed if now > deadline(a)]
    if late:
        due |= Q(pk__in=late)
    total = 0
    while True:
        with transaction.atomic():
            rows = list(pending.filter(due).select_for_update(skip_locked=True).only("pk")[:BATCH])
            if not rows:
                return total
            ExamAssignment.objects.filter(pk__in=[r.pk for r in rows]).update(
                status=ExamAssignment.Status.EXPIRED, score=Decimal(0), passed=False, version=F("version") + 1,
                updated_at=now)
            audit.record_many(None, "update", rows, fields=["status", "score"], reason="expired")
            total += len(rows)


# --- reading assignments ------------------------------------------------------------------------

def my_assignments(user) -> QuerySet:
    """USER's own tests (my tests, my quality): those to take first, soonest due first, then those
    taken or expired, latest first; each with its test (exam, due_at, status, score, passed)."""
    require(user, TAKE)
    pending = Case(When(status=ExamAssignment.Status.ASSIGNED, then=Value(0)), default=Value(1),
                   output_field=IntegerField())
    return (ExamAssignment.objects.filter(person=user).select_related("exam")
            .annotate(pending=pending).order_by("pending", "due_at", "-submitted_at", "-pk"))


def assignment(user, assignment_id: int) -> ExamAssignment:
    """One assignment as its person reads it, or a reader of results whose scope holds its person;
    others' look absent."""
    qs = ExamAssignment.objects.select_related("exam", "person")
    if user.has_perm(RESULTS):
        qs = qs.filter(Q(person=user) | Q(person__in=people(user).values("pk")))
    elif user.has_perm(TAKE):
        qs = qs.filter(person=user)
    else:
        raise Forbidden()
    return get_or_404(ExamAssignment, assignment_id, queryset=qs)


@dataclass
class Paper:
    """A test as its person sees it: the questions in order and, once submitted, their answers."""

    assignment: ExamAssignment
    items: list[ExamQuestion]
    answers: dict[int, ExamAnswer] = field(default_factory=dict)
    total: int = 0

    @property
    def submitted(self) -> bool:
        return self.assignment.status == ExamAssignment.Status.SUBMITTED


def paper(user, assignment_id: int) -> Paper:
    """ASSIGNMENT's questions (with their articles) and, once submitted, what was chosen."""
    a = assignment(user, assignment_id)
    items = exam_items(a.exam)
    answers = {x.question_id: x for x in ExamAnswer.objects.filter(assignment=a)} if a.status == ExamAssignment.Status.SUBMITTED else {}
    return Paper(a, items, answers, total_points(items))


@dataclass
class QuestionRate:
    item: ExamQuestion
    answered: int
    right: int

    @property
    def rate(self) -> Decimal | None:
        return score_of(self.right, self.answered) if self.answered else None


@dataclass
class Results:
    exam: Exam
    assignments: QuerySet
    counts: dict  # status -> n
    average: Decimal | None  # of the submitted and the expired (0)
    pass_rate: Decimal | None
    questions: list[QuestionRate]


def results(user, exam_id: int) -> Results:
    """A test's results among the people in USER's scope: each assignment, the counts by status,
    the average score (expired ones count 0), the pass rate, and each question's rate of right
    answers (lowest first shows which articles to revise), in four queries."""
    require(user, RESULTS)
    found = exam(user, exam_id)
    scoped = ExamAssignment.objects.filter(exam=found, person__in=people(user).values("pk"))
    done = [ExamAssignment.Status.SUBMITTED, ExamAssignment.Status.EXPIRED]
    counts = dict(scoped.order_by().values_list("status").annotate(n=Count("pk")))
    summary = scoped.filter(status__in=done).aggregate(average=Avg("score"), n=Count("pk"),
                                                      passed=Count("pk", filter=Q(passed=True)))
    rates = {row["question"]: row for row in ExamAnswer.objects.filter(assignment__in=scoped.values("pk"))
             .values("question").annotate(answered=Count("pk"), right=Count("pk", filter=Q(correct=True))).order_by()}
    none: dict[str, int] = {}
    rows = [QuestionRate(item, rates.get(item.question_id, none).get("answered", 0), rates.get(item.question_id, none).get("right", 0))
            for item in exam_items(found)]
    average = summary["average"]
    return Results(
        exam=found,
        assignments=scoped.select_related("exam", "person", "person__department").order_by("person__department__code", "person__username"),
        counts={s: counts.get(s, 0) for s in ExamAssignment.Status.values},
        average=Decimal(average).quantize(TENTH, rounding=ROUND_HALF_UP) if average is not None else None,
        pass_rate=score_of(summary["passed"], summary["n"]) if summary["n"] else None,
        questions=rows,
    )


def assignable(user) -> tuple[QuerySet, QuerySet]:
    """(people, departments) USER may assign tests to: the takers in their scope and the
    departments those belong to."""
    require(user, ASSIGN)
    who = takers(user).select_related("department")
    return who, Department.objects.filter(pk__in=who.values("department_id")).order_by("code")

