"""HTTP ↔ reports: the indicator registry, a period's report and its figures by breakdown, and
the exports (Excel, PDF, CSV), each within the reader's scope."""

from datetime import date

from django.http import HttpResponse
from ninja import Router, Schema
from ninja.responses import Status

from kefu.core.api import ERRORS

from . import indicators as reg
from . import services

router = Router(tags=["reports"])


class IndicatorOut(Schema):
    code: str
    name: str
    name_zh: str
    name_en: str
    unit: str
    direction: str | None
    target: float | None
    dimensions: list[str]
    definition: str


class TargetIn(Schema):
    indicator: str
    value: float
    valid_from: date
    note: str = ""


class TargetOut(Schema):
    indicator: str
    value: float
    valid_from: date


def _period(period: str | None):
    return services.parse_period(period)


@router.get("/indicators", response={200: list[IndicatorOut], **ERRORS})
def indicators(request, on: date | None = None):
    """The registry: every indicator's definition and the target in force on ON (default today)."""
    services.scope_for(request.user)  # readers of reports only
    targets = services.targets_for(on or date.today())
    return [{"code": i.code, "name": i.name, "name_zh": i.name_zh, "name_en": i.name_en, "unit": i.unit,
             "direction": i.direction, "target": float(targets[i.code]) if targets.get(i.code) is not None else None,
             "dimensions": list(i.dims), "definition": i.definition} for i in reg.REGISTRY.values()]


@router.post("/targets", response={201: TargetOut, **ERRORS})
def set_target(request, payload: TargetIn):
    """A new version of an indicator's target from a date on (administrators)."""
    target = services.set_target(request.user, payload.indicator, payload.value, payload.valid_from, payload.note)
    return Status(201, {"indicator": target.indicator, "value": float(target.value), "valid_from": target.valid_from})


@router.get("/report", response={200: dict, **ERRORS})
def report(request, period: str | None = None):
    """A period's report (2026-11, 2026-Q4, 2026, 2026-W45, 2026-11-05, 2026-11-01..2026-11-20;
    default last month): every indicator against its target, previous period and last year,
    breakdowns, complaint analysis, time limits, backlog, league table, chart series. Percent
    figures are fractions (0.85); each indicator's "target" is as administrators set it (percent
    targets in percent: 85) and "target_value" the figure its value is compared with (0.85)."""
    return services.jsonable(services.report(request.user, _period(period)))


@router.get("/satisfaction", response={200: dict, **ERRORS})
def satisfaction(request, period: str | None = None, by: str = "agent"):
    """The satisfaction page's figures: the satisfaction indicators (rates, the scores of the
    agent's attitude, the result and timeliness, NPS, response rate, follow-up completion) against
    targets and earlier periods, one breakdown BY (agent, department, channel, kind, category,
    segment), the trend, and the latest low-score comments in the reader's scope."""
    return services.jsonable(services.satisfaction(request.user, _period(period), by=by))


@router.get("/figures", response={200: dict, **ERRORS})
def figures(request, indicator: str, period: str | None = None, by: str = ""):
    """One indicator (its code) over a period, in total or by one breakdown dimension."""
    return services.figures(request.user, indicator, _period(period), by)


def _download(request, period: str | None, fmt: str, section: int = 0) -> HttpResponse:
    from urllib.parse import quote

    data = services.report(request.user, _period(period))
    content, content_type, name = services.export(data, fmt, section)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


@router.get("/export.xlsx", response={200: None, **ERRORS})
def export_xlsx(request, period: str | None = None):
    return _download(request, period, "xlsx")


@router.get("/export.pdf", response={200: None, **ERRORS})
def export_pdf(request, period: str | None = None):
    return _download(request, period, "pdf")


@router.get("/export.csv", response={200: None, **ERRORS})
def export_csv(request, period: str | None = None, section: int = 0):
    """One section of the report (0: the indicators) as CSV."""
    return _download(request, period, "csv", section)
