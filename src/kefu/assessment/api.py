"""Staff assessment's API (考核): schemes, each period's assessment computed and published, the
ranked sheets in the caller's scope, one person's sheet with the team's distribution."""

from datetime import date, datetime
from decimal import Decimal

from ninja import Query, Router, Schema
from ninja.responses import Status

from kefu.core.api import ERRORS, Id, Page, PageParams, paginate

from . import services

router = Router(tags=["assessment"])


class SchemeItemSchema(Schema):
    indicator: str
    weight: int
    bands: list[list[float]]


class SchemeOut(Schema):
    id: int
    name: str
    role: str
    period: str
    description: str
    is_active: bool
    items: list[SchemeItemSchema]


class SchemeIn(Schema):
    name: str
    role: str
    period: str = "month"
    description: str = ""
    is_active: bool = True
    items: list[dict]


def _scheme_out(s) -> dict:
    return {"id": s.pk, "name": s.name, "role": s.role, "period": s.period, "description": s.description,
            "is_active": s.is_active, "items": [{"indicator": i.indicator, "weight": i.weight, "bands": i.bands}
                                                for i in s.items.all()]}


@router.get("/schemes", response={200: list[SchemeOut], **ERRORS})
def schemes(request):
    """The assessment schemes (考核方案): per role, weighted indicators of the registry with bands."""
    return [_scheme_out(s) for s in services.schemes(request.user)]


@router.post("/schemes", response={201: SchemeOut, **ERRORS})
def create_scheme(request, payload: SchemeIn):
    """A new scheme. ITEMS: [{"indicator": code, "weight": points, "bands": [[threshold, percent], …]}],
    weights adding up to 100, thresholds in the indicator's unit as shown (85 = 85 %)."""
    return Status(201, _scheme_out(services.save_scheme(request.user, **payload.dict())))


@router.put("/schemes/{int:scheme_id}", response={200: SchemeOut, **ERRORS})
def update_scheme(request, scheme_id: Id, payload: SchemeIn):
    return _scheme_out(services.save_scheme(request.user, scheme_id=scheme_id, **payload.dict()))


class AssessmentRunOut(Schema):
    id: int
    scheme_id: int
    scheme: str
    period: str
    first_day: date
    last_day: date
    status: str
    people: int
    computed_at: datetime
    publish_on: date | None
    published_at: datetime | None
    sha256: str

    @staticmethod
    def resolve_scheme(run) -> str:
        return run.scheme.name

    @staticmethod
    def resolve_period(run) -> str:
        return services.label(run)


class AssessmentComputeIn(Schema):
    scheme_id: Id
    period: str
    publish_on: date | None = None


class SheetRowOut(Schema):
    code: str
    name: str
    value: float | None
    weight: int
    percent: float | None
    points: float | None


class AssessmentResultOut(Schema):
    person_id: int
    person: str
    department: str | None
    total: Decimal | None
    rank: int | None
    team_rank: int | None
    team_size: int
    items: list[SheetRowOut]

    @staticmethod
    def resolve_person(r) -> str:
        return str(r.person)

    @staticmethod
    def resolve_department(r) -> str | None:
        return r.department.name if r.department else None

    @staticmethod
    def resolve_items(r) -> list[dict]:
        return services.described(r.items)


class DistributionOut(Schema):
    low: int
    high: int
    count: int


class AssessmentSheetOut(Schema):
    run: AssessmentRunOut
    result: AssessmentResultOut
    team_mean: Decimal | None
    distribution: list[DistributionOut]


@router.get("/runs", response={200: Page[AssessmentRunOut], **ERRORS})
def runs(request, params: Query[PageParams]):
    """The assessments the caller may open: all for those who compute or publish them, else the
    published ones they were assessed in; newest period first."""
    return paginate(services.runs(request.user), params)


@router.post("/runs", response={201: AssessmentRunOut, **ERRORS})
def compute(request, payload: AssessmentComputeIn):
    """A scheme's assessment of a period (2026-11, or 2026-Q4 for a quarterly scheme) computed
    anew from the rollups as a draft; a published one is frozen (409)."""
    return Status(201, services.compute(request.user, payload.scheme_id, payload.period, publish_on=payload.publish_on))


@router.get("/runs/{int:run_id}", response={200: AssessmentRunOut, **ERRORS})
def get_run(request, run_id: Id):
    return services.run(request.user, run_id)


@router.post("/runs/{int:run_id}/publish", response={200: AssessmentRunOut, **ERRORS})
def publish(request, run_id: Id):
    """Publish to staff: frozen from now on, everyone assessed told."""
    return services.publish(request.user, run_id)


class ResultFilter(PageParams):
    department_id: int | None = None


@router.get("/runs/{int:run_id}/results", response={200: Page[AssessmentResultOut], **ERRORS})
def results(request, run_id: Id, params: Query[ResultFilter]):
    """The sheets in the caller's scope, ranked: management all, a supervisor their team,
    anyone else their own."""
    return paginate(services.results(request.user, run_id, department_id=params.department_id), params)


@router.get("/runs/{int:run_id}/people/{int:person_id}", response={200: AssessmentSheetOut, **ERRORS})
def sheet(request, run_id: Id, person_id: Id):
    """One person's sheet and their team's distribution of totals (no names)."""
    data = services.sheet(request.user, run_id, person_id)
    return {"run": data["run"], "result": data["result"], "team_mean": data["team_mean"], "distribution": data["distribution"]}


@router.get("/mine", response={200: list[AssessmentResultOut], **ERRORS})
def mine(request):
    """The caller's own published sheets, newest first."""
    return list(services.my_sheets(request.user)[:24])
