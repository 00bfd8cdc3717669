"""The 报表 pages: a period's report with its charts, the complaints behind a Pareto bar, and
the downloads (the same figures as the API's exports)."""


from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core.errors import ServiceError, ValidationFailed
from kefu.reports import delivery, snapshots
from kefu.reports import services as reports

from .views import _acts, _reads


def _period(request):
    """The period asked for, or last month with the reason the one asked for was refused."""
    try:
        return reports.parse_period(request.GET.get("period", "").strip()), None
    except ValidationFailed as exc:
        return reports.parse_period(None), exc.message


def _choices(current) -> list[dict]:
    return [{"code": p.code, "label": name, "detail": p.label, "current": p == current}
            for p, name in reports.quick_periods(timezone.localdate())]


def _frozen(request, period):
    """The closed report of PERIOD (the version asked for, else the latest) if the reader reads
    closed reports and did not ask for the live figures; its versions either way."""
    if period.kind not in snapshots.CLOSED_KINDS:
        return None, []
    try:
        versions = snapshots.versions_for(request.user, period.kind, period.first)
    except ServiceError:
        return None, []
    if not versions or request.GET.get("live"):
        return None, versions
    version = request.GET.get("version")
    try:
        frozen = snapshots.frozen_report(request.user, period.kind, period.first,
                                         int(version) if version and version.isdigit() else None)
    except ServiceError:
        return None, versions
    return snapshots.thaw(frozen), versions


@_reads
def report(request):
    period, refused = _period(request)
    if refused:
        messages.error(request, refused)
    by = request.GET.get("by", "department")
    if by not in reports.BREAKDOWNS:
        by = "department"
    data, versions = _frozen(request, period)
    if data is None:
        data = reports.report(request.user, period, breakdowns=(by,))
    else:
        data["breakdowns"] = [b for b in data["breakdowns"] if b["dim"] == by]
    charts = {"series": data["series"], "pareto": [{"name": c["name"], "count": c["count"], "cumulative": c["cumulative"]}
                                                   for c in data["complaints"]["pareto"]],
              "labels": {"count": _("Complaints"), "cumulative": _("Cumulative share")}}
    return render(request, "web/reports.html", {
        "section": "reports", "r": data, "period": period, "picks": _choices(period), "by": by,
        "versions": versions, "frozen": data.get("snapshot"), "subscriptions": delivery.subscriptions(request.user),
        "frequencies": delivery.FREQUENCIES,
        "dimensions": [(d, reports.DIMENSION_LABELS[d]()) for d in reports.BREAKDOWNS],
        "charts": reports.jsonable(charts),
        "sections": [(i, t.title) for i, t in enumerate(reports.document(data).sections)],
    })


@_reads
def satisfaction(request):
    """满意度: the satisfaction indicators, one breakdown, the trend and the low-score comments."""
    period, refused = _period(request)
    if refused:
        messages.error(request, refused)
    by = request.GET.get("by", "agent")
    if by not in reports.SATISFACTION_BREAKDOWNS:
        by = "agent"
    data = reports.satisfaction(request.user, period, by=by)
    return render(request, "web/satisfaction.html", {
        "section": "satisfaction", "r": data, "period": period, "picks": _choices(period), "by": by,
        "dimensions": [(d, reports.DIMENSION_LABELS[d]()) for d in reports.SATISFACTION_BREAKDOWNS],
        "charts": reports.jsonable({"series": data["series"]}),
    })


@_reads
def download(request, fmt):
    from urllib.parse import quote

    period, _refused = _period(request)
    try:
        section = int(request.GET.get("section", 0))
    except ValueError:
        section = -1
    try:
        content, content_type, name = reports.export(reports.report(request.user, period), fmt, section)
    except ValidationFailed:
        raise Http404 from None
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


@_reads
def complaint_orders(request):
    """The complaints registered in the period under one cause or category (the Pareto's drill-down)."""
    period, _refused = _period(request)
    category = request.GET.get("category", "")
    title, qs = reports.complaint_orders(request.user, period, cause=request.GET.get("cause"),
                                         category=int(category) if category.isdigit() else None)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "web/report_orders.html", {"section": "reports", "page": page, "title": title,
                                                      "period": period, "query": request.GET.urlencode()})


@_acts(back=lambda **_kw: reverse("web:reports") + "#subscriptions")
def subscribe(request):
    frequency = request.POST.get("frequency", "")
    if request.POST.get("stop"):
        delivery.unsubscribe(request.user, frequency)
        messages.success(request, _("Subscription ended."))
    else:
        delivery.subscribe(request.user, frequency, email=bool(request.POST.get("email")))
        messages.success(request, _("Subscribed: you will receive this report when each period ends."))
