"""The 培训考试 pages: my tests (/training/: those to take with their due dates, those taken with
their scores; for supervisors the tests and their results), taking one (/training/assignments/<id>/:
one form with the questions, then the result with the right answers and their articles), the
tests (/training/exams/, one test's questions, assignment and results) and the question bank
(/training/questions/). Each view reads the request and calls kefu.training.services."""

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.core.errors import Forbidden, NotFound, ServiceError, ValidationFailed
from kefu.training import services as training
from kefu.training.models import Exam, ExamAssignment, Question

from .views import _acts, _fail, _reads

PAGE_SIZE = 30
# The header's sections: tests are built under 质检 (with its tabs) and taken under 我的质检.
SECTION, MINE = "training-admin", "quality-mine"
OPTION_FIELDS = 6  # option inputs on the bank's form


def _allowed(read, *args, **kwargs):
    """READ's result, or None when the user may not read it (the page leaves that part out)."""
    try:
        return read(*args, **kwargs)
    except (Forbidden, NotFound):
        return None


# --- my tests -------------------------------------------------------------------------------------

@_reads
def home(request):
    """我的考试: the tests to take (soonest due first, overdue ones said so), then those taken or
    expired with their scores; for whoever reads results, the tests and their figures."""
    user = request.user
    now = timezone.now()
    mine = _allowed(training.my_assignments, user)
    rows = list(mine) if mine is not None else []
    exams = _allowed(training.exams, user)
    if mine is None and exams is None:
        raise Forbidden()
    to_take = [{"a": a, "open": training.may_take(a, now), "deadline": training.deadline(a)}
               for a in rows if a.status == ExamAssignment.Status.ASSIGNED]
    taken = [a for a in rows if a.status != ExamAssignment.Status.ASSIGNED]
    return render(request, "web/training/home.html", {
        "section": SECTION if exams is not None else MINE, "to_take": to_take, "taken": taken,
        "exams": list(exams[:PAGE_SIZE]) if exams is not None else None})


@_reads
def assignment(request, assignment_id):
    """One test: the start button of a timed test, the form, or the result with the right answers."""
    return _paper_page(request, assignment_id)


def _paper_page(request, assignment_id, *, given=None, errors=None, status=200):
    paper = training.paper(request.user, assignment_id)
    a = paper.assignment
    own = a.person_id == request.user.pk
    may_take = own and training.may_take(a)
    timed = bool(a.exam.time_limit_minutes)
    given = given or {}
    errors = errors or {}
    questions = []
    for item in paper.items:
        q = item.question
        answer = paper.answers.get(q.pk)
        chosen = answer.chosen if answer else given.get(q.pk, [])
        questions.append({
            "item": item, "q": q, "answer": answer, "error": errors.get(f"answers.{q.pk}"),
            "multiple": q.kind == Question.Kind.MULTIPLE,
            "options": [{"n": n, "text": text, "chosen": n in chosen, "right": n in q.correct}
                        for n, text in enumerate(q.options)]})
    return render(request, "web/training/assignment.html", {
        "section": MINE if own else SECTION, "a": a, "exam": a.exam, "paper": paper, "questions": questions, "own": own,
        "may_take": may_take, "show_form": may_take and (not timed or a.started_at is not None),
        "needs_start": may_take and timed and a.started_at is None, "deadline": training.deadline(a),
        "overdue": a.status == ExamAssignment.Status.ASSIGNED and not training.may_take(a),
        "status_label": a.get_status_display()}, status=status)


@_acts(back=lambda assignment_id, **_kw: reverse("web:training-assignment", args=[assignment_id]))
def start(request, assignment_id):
    """开始答题: a timed test's clock runs from here."""
    training.start(request.user, assignment_id)


def _answers(post) -> dict:
    """The form's choices as services.submit takes them: {question id: [option positions]}
    (a value that is no number is passed on as typed, for the service to refuse)."""
    out: dict[int, list] = {}
    for key in post:
        name, _dash, qid = key.partition("-")
        if name != "q" or not qid.isdigit():
            continue
        out[int(qid)] = [int(v) if v.isdigit() else v for v in post.getlist(key)]
    return out


@_reads
@require_POST
def submit(request, assignment_id):
    """交卷: scored at once; a refused answer brings the form back with it marked (422)."""
    answers = _answers(request.POST)
    try:
        done = training.submit(request.user, assignment_id, {str(k): v for k, v in answers.items()})
    except NotFound:
        raise
    except ValidationFailed as exc:
        messages.error(request, exc.message)
        return _paper_page(request, assignment_id, given=answers, errors=exc.fields, status=422)
    except ServiceError as exc:
        _fail(request, exc)
        return redirect("web:training-assignment", assignment_id)
    messages.success(request, _("Submitted: your score is %(score)s.") % {"score": done.score})
    return redirect("web:training-assignment", assignment_id)


# --- tests ----------------------------------------------------------------------------------------

@_reads
def exams(request):
    """The tests, newest first, with their figures in the reader's scope; the new test form."""
    page = Paginator(training.exams(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "web/training/exams.html", {"section": SECTION, "page": page, "given": {}, "errors": {}})


@_reads
@require_POST
def new_exam(request):
    given = {k: request.POST.get(k, "").strip() for k in ("title", "description", "pass_mark", "time_limit_minutes")}
    try:
        made = training.create_exam(request.user, title=given["title"], description=given["description"],
                                    pass_mark=_number(given["pass_mark"], 80),
                                    time_limit_minutes=_number(given["time_limit_minutes"], None))
    except ValidationFailed as exc:
        messages.error(request, exc.message)
        page = Paginator(training.exams(request.user), PAGE_SIZE).get_page(1)
        return render(request, "web/training/exams.html",
                      {"section": SECTION, "page": page, "given": given, "errors": exc.fields}, status=422)
    messages.success(request, _("Test created as a draft: choose its questions, then publish it."))
    return redirect("web:training-exam", made.pk)


def _number(text: str, default):
    """TEXT as a whole number, DEFAULT when empty, else as typed (for the service to refuse)."""
    text = (text or "").strip()
    if not text:
        return default
    return int(text) if text.isdigit() else text


@_reads
def exam(request, exam_id):
    """One test: its questions (chosen from the bank while a draft), publishing and closing, the
    assignment form, and its results in the reader's scope with each question's rate."""
    user = request.user
    found = training.exam(user, exam_id)
    items = training.exam_items(found)
    draft = found.status == Exam.Status.DRAFT
    bank = None
    if draft and user.has_perm("training.change_exam"):
        chosen = {i.question_id: i.points for i in items}
        bank = [{"q": q, "chosen": q.pk in chosen, "points": chosen.get(q.pk, 1)}
                for q in training.questions(user, active=True)]
    results = _allowed(training.results, user, exam_id)
    who = _allowed(training.assignable, user) if found.status == Exam.Status.PUBLISHED else None
    rates = sorted(results.questions, key=lambda r: (r.rate is None, r.rate, r.item.position)) if results else []
    return render(request, "web/training/exam.html", {
        "section": SECTION, "exam": found, "items": items, "total": training.total_points(items), "bank": bank,
        "results": results, "rates": rates, "people": list(who[0]) if who else None,
        "departments": list(who[1]) if who else None,
        "can_build": user.has_perm("training.change_exam"),
        "default_due": timezone.localtime(timezone.now() + dt.timedelta(days=7)).strftime("%Y-%m-%dT18:00")})


def _to_exam(exam_id, **_kw):
    return reverse("web:training-exam", args=[exam_id])


@_acts(back=_to_exam)
def exam_questions(request, exam_id):
    """The draft's questions as ticked, in the bank's order, with their points."""
    chosen = []
    for key in request.POST:
        name, _dash, qid = key.partition("-")
        if name == "include" and qid.isdigit():
            chosen.append({"question_id": int(qid), "points": _number(request.POST.get(f"points-{qid}", ""), 1)})
    training.update_exam(request.user, exam_id, _number(request.POST.get("version", ""), 0), questions=chosen)
    messages.success(request, _("Questions saved."))


@_acts(back=_to_exam)
def exam_publish(request, exam_id):
    training.publish_exam(request.user, exam_id, _number(request.POST.get("version", ""), 0))
    messages.success(request, _("Test published: it may now be assigned."))


@_acts(back=_to_exam)
def exam_close(request, exam_id):
    training.close_exam(request.user, exam_id, _number(request.POST.get("version", ""), 0))
    messages.success(request, _("Test closed."))


def _moment(text: str):
    """A datetime-local value in the reader's time zone, or None."""
    try:
        return timezone.make_aware(dt.datetime.fromisoformat(text.strip())) if text.strip() else None
    except ValueError:
        return None


@_acts(back=_to_exam)
def exam_assign(request, exam_id):
    person_ids = [int(v) for v in request.POST.getlist("person_ids") if v.isdigit()]
    department = request.POST.get("department_id", "")
    done = training.assign(request.user, exam_id, person_ids=person_ids,
                           department_id=int(department) if department.isdigit() else None,
                           due_at=_moment(request.POST.get("due_at", "")))
    messages.success(request, _("Assigned to %(n)s people; %(skipped)s had it already.")
                     % {"n": len(done.created), "skipped": done.skipped})


# --- the question bank ----------------------------------------------------------------------------

def _bank_page(request, *, given=None, errors=None, status=200):
    user = request.user
    topic = request.GET.get("topic", "").strip()
    article = request.GET.get("article", "")
    qs = training.questions(user, topic=topic or None, article_id=int(article) if article.isdigit() else None)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    from kefu.knowledge.models import Article

    given = given or {"kind": Question.Kind.SINGLE, "options": [""] * OPTION_FIELDS, "right": []}
    return render(request, "web/training/questions.html", {
        "section": SECTION, "page": page, "topics": training.topics(user), "topic": topic,
        "article": int(article) if article.isdigit() else None,
        "articles": list(Article.objects.order_by("title").only("pk", "title")),
        "kinds": Question.Kind.choices, "given": given, "errors": errors or {},
        "option_rows": [{"n": n, "text": text, "right": n in given["right"]} for n, text in enumerate(given["options"])],
        "can_add": user.has_perm("training.add_question"),
        "query": urlencode({"topic": topic, "article": article}) if topic or article else ""}, status=status)


@_reads
def questions(request):
    """The bank by topic (or one article), and the form to add a question."""
    if request.method == "POST":
        return _add_question(request)
    return _bank_page(request)


def _add_question(request):
    post = request.POST
    texts = [post.get(f"option-{n}", "").strip() for n in range(OPTION_FIELDS)]
    right = [n for n in range(OPTION_FIELDS) if post.get(f"right-{n}")]
    kind = post.get("kind", Question.Kind.SINGLE)
    if kind == Question.Kind.TRUE_FALSE:  # the two fixed options: the box ticked among the first two
        options, correct = [], [n for n in right if n < 2]
    else:  # empty option fields left out, the ticks moved with their options
        kept = [n for n, text in enumerate(texts) if text]
        options, correct = [texts[n] for n in kept], [kept.index(n) for n in right if n in kept]
    article = post.get("article_id", "")
    given = {"text": post.get("text", "").strip(), "kind": kind, "options": texts, "right": right,
             "explanation": post.get("explanation", "").strip(), "topic": post.get("topic", "").strip(),
             "article_id": int(article) if article.isdigit() else None}
    try:
        training.create_question(request.user, text=given["text"], kind=kind, options=options, correct=correct,
                                 explanation=given["explanation"], article_id=given["article_id"], topic=given["topic"])
    except ValidationFailed as exc:
        messages.error(request, exc.message)
        return _bank_page(request, given=given, errors=exc.fields, status=422)
    messages.success(request, _("Question added to the bank."))
    return redirect("web:training-questions")


urlpatterns = [
    path("training/", home, name="training"),
    path("training/assignments/<int:assignment_id>/", assignment, name="training-assignment"),
    path("training/assignments/<int:assignment_id>/start/", start, name="training-start"),
    path("training/assignments/<int:assignment_id>/submit/", submit, name="training-submit"),
    path("training/exams/", exams, name="training-exams"),
    path("training/exams/new/", new_exam, name="training-exam-new"),
    path("training/exams/<int:exam_id>/", exam, name="training-exam"),
    path("training/exams/<int:exam_id>/questions/", exam_questions, name="training-exam-questions"),
    path("training/exams/<int:exam_id>/publish/", exam_publish, name="training-exam-publish"),
    path("training/exams/<int:exam_id>/close/", exam_close, name="training-exam-close"),
    path("training/exams/<int:exam_id>/assign/", exam_assign, name="training-exam-assign"),
    path("training/questions/", questions, name="training-questions"),
]
