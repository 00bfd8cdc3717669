"""Knowledge tests' API: the question bank, tests (built, published, closed, assigned, their
results) and the caller's own tests (started, submitted). The rules are services'."""

from datetime import datetime

from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from kefu.core.api import (
    ERRORS,
    CheckedSchema,
    Id,
    InputSchema,
    Page,
    PageParams,
    Text,
    paginate,
    versioned_changes,
)

from . import services

router = Router(tags=["training"])


# --- the question bank ----------------------------------------------------------------------------

class TrainingQuestionOut(Schema):
    id: int
    text: str
    kind: str
    options: list[str]
    correct: list[int]
    explanation: str
    article_id: int | None
    article_title: str | None
    topic: str
    is_active: bool
    created_at: datetime

    @staticmethod
    def resolve_article_title(q) -> str | None:
        return q.article.title if q.article_id else None


class TrainingQuestionIn(InputSchema):
    text: str = Field(max_length=services.TEXT_LENGTH)
    kind: str = Field("single", max_length=10)
    options: list[str] = Field([], max_length=services.MAX_OPTIONS + 1)
    correct: list[int] = Field(max_length=services.MAX_OPTIONS + 1)
    explanation: str = Field("", max_length=services.TEXT_LENGTH)
    article_id: int | None = None
    topic: str = Field("", max_length=40)
    is_active: bool = True


class TrainingQuestionPatch(InputSchema):
    text: str | None = Field(None, max_length=services.TEXT_LENGTH)
    kind: str | None = Field(None, max_length=10)
    options: list[str] | None = Field(None, max_length=services.MAX_OPTIONS + 1)
    correct: list[int] | None = Field(None, max_length=services.MAX_OPTIONS + 1)
    explanation: str | None = Field(None, max_length=services.TEXT_LENGTH)
    article_id: int | None = None
    topic: str | None = Field(None, max_length=40)
    is_active: bool | None = None


class TrainingQuestionFilter(CheckedSchema):
    topic: Text | None = None
    article_id: Id | None = None
    active: bool | None = None


@router.get("/questions", response={200: Page[TrainingQuestionOut], **ERRORS})
def list_questions(request, filters: Query[TrainingQuestionFilter], params: Query[PageParams]):
    """The question bank by topic, optionally of one topic, one knowledge base article, or active only."""
    return paginate(services.questions(request.user, topic=filters.topic, article_id=filters.article_id,
                                       active=filters.active), params)


@router.post("/questions", response={201: TrainingQuestionOut, **ERRORS})
def create_question(request, payload: TrainingQuestionIn):
    """A question: two options or more (true or false: the two fixed ones, OPTIONS ignored); CORRECT
    the positions of the right options from 0, exactly one for single choice and true or false."""
    return Status(201, services.create_question(request.user, **payload.dict()))


@router.get("/questions/{int:question_id}", response={200: TrainingQuestionOut, **ERRORS})
def get_question(request, question_id: Id):
    return services.question(request.user, question_id)


@router.patch("/questions/{int:question_id}", response={200: TrainingQuestionOut, **ERRORS})
def update_question(request, question_id: Id, payload: TrainingQuestionPatch):
    """Change a question; its kind, options and right options stay once a published test uses it (409)."""
    changes = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None or k == "article_id"}
    return services.question(request.user, services.update_question(request.user, question_id, **changes).pk)


# --- tests ----------------------------------------------------------------------------------------

class ExamItemOut(Schema):
    question_id: int
    position: int
    points: int
    text: str
    kind: str
    options: list[str]


class ExamOut(Schema):
    id: int
    title: str
    description: str
    pass_mark: int
    time_limit_minutes: int | None
    status: str
    version: int
    created_at: datetime
    published_at: datetime | None
    total_points: int
    questions: list[ExamItemOut]


def _exam_out(exam) -> dict:
    items = services.exam_items(exam)
    return {"id": exam.pk, "title": exam.title, "description": exam.description, "pass_mark": exam.pass_mark,
            "time_limit_minutes": exam.time_limit_minutes, "status": exam.status, "version": exam.version,
            "created_at": exam.created_at, "published_at": exam.published_at, "total_points": services.total_points(items),
            "questions": [{"question_id": i.question_id, "position": i.position, "points": i.points, "text": i.question.text,
                           "kind": i.question.kind, "options": i.question.options} for i in items]}


class ExamSummaryOut(Schema):
    id: int
    title: str
    status: str
    pass_mark: int
    time_limit_minutes: int | None
    version: int
    created_at: datetime
    question_count: int
    assigned_count: int
    done_count: int
    average: float | None

    @staticmethod
    def resolve_average(exam) -> float | None:
        return round(float(exam.average), 1) if exam.average is not None else None


class ExamItemIn(InputSchema):
    question_id: int
    points: int = Field(1, ge=1, le=services.MAX_POINTS)


class ExamIn(InputSchema):
    title: str = Field(max_length=100)
    description: str = Field("", max_length=services.TEXT_LENGTH)
    pass_mark: int = Field(80, ge=0, le=100)
    time_limit_minutes: int | None = Field(None, ge=1, le=services.MAX_MINUTES)
    questions: list[ExamItemIn] = Field([], max_length=services.MAX_QUESTIONS)


class ExamPatch(InputSchema):
    version: int
    title: str | None = Field(None, max_length=100)
    description: str | None = Field(None, max_length=services.TEXT_LENGTH)
    pass_mark: int | None = Field(None, ge=0, le=100)
    time_limit_minutes: int | None = Field(None, ge=1, le=services.MAX_MINUTES)
    questions: list[ExamItemIn] | None = Field(None, max_length=services.MAX_QUESTIONS)


class ExamVersionIn(InputSchema):
    version: int


class ExamFilter(CheckedSchema):
    status: Text | None = None


@router.get("/exams", response={200: Page[ExamSummaryOut], **ERRORS})
def list_exams(request, filters: Query[ExamFilter], params: Query[PageParams]):
    """The tests, newest first, with their numbers of questions, of assignments in the caller's
    scope of people, of those done, and their average score (expired ones count 0)."""
    return paginate(services.exams(request.user, status=filters.status), params)


@router.post("/exams", response={201: ExamOut, **ERRORS})
def create_exam(request, payload: ExamIn):
    """A draft test; QUESTIONS in order with their points (the total is scaled to 100)."""
    data = payload.dict()
    return Status(201, _exam_out(services.create_exam(request.user, **data)))


@router.get("/exams/{int:exam_id}", response={200: ExamOut, **ERRORS})
def get_exam(request, exam_id: Id):
    return _exam_out(services.exam(request.user, exam_id))


@router.patch("/exams/{int:exam_id}", response={200: ExamOut, **ERRORS})
def update_exam(request, exam_id: Id, payload: ExamPatch):
    """Change a draft at the VERSION read; QUESTIONS, when sent, replaces them all."""
    version, changes = versioned_changes(payload)
    return _exam_out(services.update_exam(request.user, exam_id, version, **changes))


@router.post("/exams/{int:exam_id}/publish", response={200: ExamOut, **ERRORS})
def publish_exam(request, exam_id: Id, payload: ExamVersionIn):
    """Publish a draft (one question or more): it may then be assigned and taken."""
    return _exam_out(services.publish_exam(request.user, exam_id, payload.version))


@router.post("/exams/{int:exam_id}/close", response={200: ExamOut, **ERRORS})
def close_exam(request, exam_id: Id, payload: ExamVersionIn):
    """Close a published test; its assignments not taken yet are withdrawn."""
    return _exam_out(services.close_exam(request.user, exam_id, payload.version))


class ExamAssignIn(InputSchema):
    person_ids: list[int] = Field([], max_length=5000)
    department_id: int | None = None
    due_at: datetime


class ExamAssignedOut(Schema):
    created: int
    skipped: int
    assignment_ids: list[int]


@router.post("/exams/{int:exam_id}/assignments", response={201: ExamAssignedOut, **ERRORS})
def assign(request, exam_id: Id, payload: ExamAssignIn):
    """Assign a published test, due by DUE_AT, to PERSON_IDS and everyone of DEPARTMENT_ID who
    takes tests, within the caller's scope of people; those who have it already are skipped."""
    done = services.assign(request.user, exam_id, person_ids=payload.person_ids, department_id=payload.department_id,
                           due_at=payload.due_at)
    return Status(201, {"created": len(done.created), "skipped": done.skipped,
                        "assignment_ids": [a.pk for a in done.created]})


class ExamAssignmentOut(Schema):
    id: int
    exam_id: int
    exam_title: str
    person_id: int
    person: str
    status: str
    assigned_at: datetime
    due_at: datetime
    started_at: datetime | None
    submitted_at: datetime | None
    score: float | None
    passed: bool | None

    @staticmethod
    def resolve_exam_title(a) -> str:
        return a.exam.title

    @staticmethod
    def resolve_person(a) -> str:
        return str(a.person)

    @staticmethod
    def resolve_score(a) -> float | None:
        return float(a.score) if a.score is not None else None


class ExamQuestionRateOut(Schema):
    question_id: int
    position: int
    text: str
    article_id: int | None
    article_title: str | None
    answered: int
    right: int
    rate: float | None


class ExamResultsOut(Schema):
    exam_id: int
    counts: dict[str, int]
    average: float | None
    pass_rate: float | None
    assignments: list[ExamAssignmentOut]
    questions: list[ExamQuestionRateOut]


@router.get("/exams/{int:exam_id}/results", response={200: ExamResultsOut, **ERRORS})
def results(request, exam_id: Id):
    """The test's results among the people in the caller's scope: each assignment, counts by
    status, average score and pass rate (expired ones count 0), and each question's rate of right
    answers with its article (which to revise)."""
    r = services.results(request.user, exam_id)
    return {"exam_id": r.exam.pk, "counts": r.counts,
            "average": float(r.average) if r.average is not None else None,
            "pass_rate": float(r.pass_rate) if r.pass_rate is not None else None,
            "assignments": list(r.assignments),
            "questions": [{"question_id": q.item.question_id, "position": q.item.position, "text": q.item.question.text,
                           "article_id": q.item.question.article_id,
                           "article_title": q.item.question.article.title if q.item.question.article_id else None,
                           "answered": q.answered, "right": q.right,
                           "rate": float(q.rate) if q.rate is not None else None} for q in r.questions]}


# --- my tests -------------------------------------------------------------------------------------

@router.get("/assignments", response={200: Page[ExamAssignmentOut], **ERRORS})
def my_assignments(request, params: Query[PageParams]):
    """The caller's own tests: those to take first (soonest due first), then those taken or expired."""
    return paginate(services.my_assignments(request.user).select_related("person"), params)


class PaperQuestionOut(Schema):
    question_id: int
    position: int
    points: int
    text: str
    kind: str
    options: list[str]
    chosen: list[int] | None = None
    correct: list[int] | None = None
    right: bool | None = None
    explanation: str | None = None
    article_id: int | None = None
    article_title: str | None = None


class PaperOut(Schema):
    assignment: ExamAssignmentOut
    title: str
    description: str
    pass_mark: int
    time_limit_minutes: int | None
    total_points: int
    may_take: bool
    deadline: datetime
    questions: list[PaperQuestionOut]


def _paper_out(p: services.Paper) -> dict:
    a, submitted = p.assignment, p.submitted
    rows = []
    for i in p.items:
        q = i.question
        row = {"question_id": q.pk, "position": i.position, "points": i.points, "text": q.text, "kind": q.kind,
               "options": q.options}
        if submitted:  # the right answers only once the person has submitted theirs
            answer = p.answers.get(q.pk)
            row |= {"chosen": answer.chosen if answer else [], "correct": q.correct, "right": bool(answer and answer.correct),
                    "explanation": q.explanation, "article_id": q.article_id,
                    "article_title": q.article.title if q.article_id else None}
        rows.append(row)
    return {"assignment": a, "title": a.exam.title, "description": a.exam.description, "pass_mark": a.exam.pass_mark,
            "time_limit_minutes": a.exam.time_limit_minutes, "total_points": p.total, "may_take": services.may_take(a),
            "deadline": services.deadline(a), "questions": rows}


@router.get("/assignments/{int:assignment_id}", response={200: PaperOut, **ERRORS})
def get_assignment(request, assignment_id: Id):
    """One's own test (or, for a reader of results, one in scope): its questions and, once
    submitted, what was chosen, the right answers, why and the article."""
    return _paper_out(services.paper(request.user, assignment_id))


@router.post("/assignments/{int:assignment_id}/start", response={200: PaperOut, **ERRORS})
def start(request, assignment_id: Id):
    """Start one's own test: a time limit runs from the first start."""
    services.start(request.user, assignment_id)
    return _paper_out(services.paper(request.user, assignment_id))


class ExamSubmitIn(InputSchema):
    answers: dict[str, list[int]] = Field(default_factory=dict, description='{"question id": [option positions from 0]}')


@router.post("/assignments/{int:assignment_id}/submit", response={200: PaperOut, **ERRORS})
def submit(request, assignment_id: Id, payload: ExamSubmitIn):
    """Submit one's answers, once, before the deadline; scored at once (points earned / points
    possible × 100). A question left out is wrong. Unknown questions or options out of range: 422."""
    services.submit(request.user, assignment_id, payload.answers)
    return _paper_out(services.paper(request.user, assignment_id))
