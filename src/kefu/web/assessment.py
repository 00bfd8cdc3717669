"""The 考核 pages: the schemes and each period's assessments (/assessment/: compute a period,
open it, publish it), one assessment ranked in the reader's scope with the distribution of
totals, and one person's sheet. The rules are kefu.assessment.services'."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _

from kefu.assessment import services as assessment

from .views import _acts, _reads

SECTION = "assessment"
PAGE_SIZE = 50


def bars(distribution: list[dict], mine=None) -> list[dict]:
    """The distribution as bars a tenth of the widest wide; MINE: the total whose band is marked."""
    top = max((d["count"] for d in distribution), default=0)
    return [{**d, "width": round(d["count"] * 10 / top) if top else 0,
             "mine": mine is not None and d["low"] <= mine < d["high"] or (mine == 100 and d["high"] == 100)}
            for d in distribution]


@_reads
def home(request):
    """考核: for those who assess, the schemes, the assessments by period and the form to compute
    one; for everyone their own published sheets."""
    user = request.user
    lead = user.has_perm(assessment.COMPUTE)
    schemes = assessment.described_schemes(user) if lead else []
    page = Paginator(assessment.runs(user), PAGE_SIZE).get_page(request.GET.get("page")) if lead else None
    default = next((s["scheme"] for s in schemes if s["scheme"].is_active), None)
    last_month = assessment.last_period(default) if default else ""
    return render(request, "web/assessment/home.html", {
        "section": SECTION, "lead": lead, "schemes": schemes, "page": page, "mine": list(assessment.my_sheets(user)[:24]),
        "default_period": last_month, "label": assessment.label})


@_acts(back=lambda **_kw: reverse("web:assessment"))
def compute(request):
    """计算 (again, while a draft): the scheme's assessment of the period typed."""
    scheme_id = request.POST.get("scheme_id", "")
    if not scheme_id.isdigit():
        messages.error(request, _("Choose an assessment scheme."))
        return None
    run = assessment.compute(request.user, int(scheme_id), request.POST.get("period", ""))
    messages.success(request, _("Computed for %(n)s people from the rollups.") % {"n": run.people})
    return redirect("web:assessment-run", run.pk)


@_reads
def run(request, run_id):
    """One assessment ranked in the reader's scope (a person without leads' rights: their own
    sheet), with each indicator's value and points and the distribution of totals."""
    user = request.user
    found = assessment.run(user, run_id)
    if not user.has_perm(assessment.COMPUTE):
        return redirect("web:assessment-sheet", found.pk, user.pk)
    ranked = assessment.ranking(user, run_id)
    page = Paginator(ranked["results"], PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "web/assessment/run.html", {
        "section": SECTION, "run": found, "label": assessment.label(found), "page": page, "columns": ranked["columns"],
        "rows": [{"r": r, "cells": assessment.described(r.items)} for r in page.object_list],
        "bars": bars(ranked["distribution"]), "can_publish": ranked["may_publish"]})


@_acts(back=lambda run_id, **_kw: reverse("web:assessment-run", args=[run_id]))
def publish(request, run_id):
    if not request.POST.get("confirm"):
        messages.error(request, _("Tick the box to confirm: a published assessment is frozen and shown to everyone assessed."))
        return None
    done = assessment.publish(request.user, run_id)
    messages.success(request, _("Published: %(n)s people were told, and the results are frozen.") % {"n": done.people})
    return None


@_reads
def sheet(request, run_id, person_id):
    """One person's sheet: each indicator's value, band and points, the total, the ranks, and the
    team's distribution of totals with their band marked."""
    data = assessment.sheet(request.user, run_id, person_id)
    result = data["result"]
    return render(request, "web/assessment/sheet.html", {
        "section": SECTION, "run": data["run"], "label": assessment.label(data["run"]), "result": result,
        "rows": data["rows"], "team_mean": data["team_mean"],
        "bars": bars(data["distribution"], float(result.total) if result.total is not None else None)})


urlpatterns = [
    path("assessment/", home, name="assessment"),
    path("assessment/compute/", compute, name="assessment-compute"),
    path("assessment/runs/<int:run_id>/", run, name="assessment-run"),
    path("assessment/runs/<int:run_id>/publish/", publish, name="assessment-publish"),
    path("assessment/runs/<int:run_id>/people/<int:person_id>/", sheet, name="assessment-sheet"),
]
