"""Staff assessment's rules (考核): schemes kept by management, each period's results computed from
the rollups through the indicator registry (never from the live tables), ranked, published to
staff and frozen.

Who reads what: management (data scope all) every sheet, supervisors their team's (their
department), everyone else their own sheet and their team's distribution of totals, once
published.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter, defaultdict
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu import scopes
from kefu.audit import services as audit
from kefu.core.errors import Conflict, NotFound, ValidationFailed
from kefu.core.services import get_or_404, require
from kefu.reports import indicators as reg
from kefu.reports import periods, queries
from kefu.staff.models import DataScope, User
from kefu.staff.roles import ROLE_LABELS

from .models import Result, Run, Scheme, SchemeItem

MANAGE = "assessment.change_scheme"
COMPUTE = "assessment.add_run"
PUBLISH = "assessment.publish_run"
BANDS = 10  # the team's distribution: totals in bands of this many points


# --- schemes ----------------------------------------------------------------------------------

def schemes(user) -> QuerySet:
    require(user, "assessment.view_scheme")
    return Scheme.objects.prefetch_related("items").order_by("-is_active", "name")


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, str)):
        return None
    try:
        return float(value)
    except ValueError:
        return None


def check_items(items, *, whole: bool = True) -> tuple[list[dict], dict[str, str]]:
    """ITEMS [{indicator, weight, bands}] as stored, and the errors of each bad one by field
    (items.N.field): a registry indicator that can be read per person, once; whole weights that
    add up to 100 (WHOLE: the scheme's items all given); bands of [threshold, percent 0–100]."""
    errors: dict[str, str] = {}
    clean: list[dict] = []
    if not isinstance(items, list) or not items:
        return [], {"items": _("name at least one indicator")}
    seen = set()
    for n, item in enumerate(items):
        at = f"items.{n}"
        if not isinstance(item, dict):
            errors[at] = _("must be an object with indicator, weight and bands")
            continue
        code = item.get("indicator")
        indicator = reg.REGISTRY.get(code) if isinstance(code, str) else None
        if indicator is None or "agent" not in indicator.dims or indicator.stock:
            errors[f"{at}.indicator"] = _("not an indicator measured per person")
        elif code in seen:
            errors[f"{at}.indicator"] = _("named twice")
        seen.add(code)
        weight = item.get("weight")
        if isinstance(weight, bool) or not isinstance(weight, int) or not 1 <= weight <= 100:
            errors[f"{at}.weight"] = _("must be a whole number from %(low)s to %(high)s") % {"low": 1, "high": 100}
        bands = item.get("bands")
        rows = []
        if not isinstance(bands, list) or not bands:
            errors[f"{at}.bands"] = _("give at least one band of threshold and percent")
        else:
            for band in bands:
                pair = band if isinstance(band, (list, tuple)) and len(band) == 2 else None
                threshold = _number(pair[0]) if pair else None
                percent = _number(pair[1]) if pair else None
                if threshold is None or percent is None or not 0 <= percent <= 100:
                    errors[f"{at}.bands"] = _("each band is a threshold and a percent from 0 to 100")
                    break
                rows.append([threshold, percent])
        clean.append({"indicator": code, "weight": weight, "bands": rows})
    if whole and not errors and sum(i["weight"] for i in clean) != 100:
        errors["items"] = weights_message(sum(i["weight"] for i in clean))
    return clean, errors


def weights_message(total: int) -> str:
    return _("the weights add up to %(sum)s, not 100") % {"sum": total}


@transaction.atomic
def save_scheme(user, *, scheme_id: int | None = None, name: str, role: str, period: str, items,
                description: str = "", is_active: bool = True) -> Scheme:
    """Create or change a scheme with its indicators (all or nothing). A scheme's published
    assessments keep the indicators they were computed with."""
    require(user, MANAGE)
    errors: dict[str, str] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = _("is required")
    if role not in ROLE_LABELS:
        errors["role"] = _("not a role")
    if period not in Scheme.Period.values:
        errors["period"] = _("must be one of: %(values)s") % {"values": ", ".join(Scheme.Period.values)}
    clean, item_errors = check_items(items)
    errors.update(item_errors)
    if errors:
        raise ValidationFailed(_("The assessment scheme is invalid."), fields=errors)
    if scheme_id is None:
        scheme = Scheme.objects.create(name=name[:100], role=role, period=period, description=description, is_active=is_active)
    else:
        scheme = get_or_404(Scheme, scheme_id, lock=True)
        scheme.name, scheme.role, scheme.period, scheme.description, scheme.is_active = (
            name[:100], role, period, description, is_active)
        scheme.save()
        scheme.items.all().delete()
    SchemeItem.objects.bulk_create([SchemeItem(scheme=scheme, position=n, indicator=i["indicator"], weight=i["weight"],
                                               bands=i["bands"]) for n, i in enumerate(clean)])
    audit.record(user, "create" if scheme_id is None else "update", scheme, fields=["name", "role", "period", "items"])
    return scheme


def indicator_name(code: str) -> str:
    return reg.REGISTRY[code].name if code in reg.REGISTRY else code


def bands_text(code: str, bands: list) -> str:
    """A scheme item's bands as people read them: ≥90% → 100%；≥85% → 80%…"""
    indicator = reg.REGISTRY.get(code)
    sign = "≤" if indicator and indicator.direction == reg.LOWER else "≥"
    unit = "%" if indicator and indicator.unit == reg.PERCENT else ""
    return "；".join(f"{sign}{threshold:g}{unit} → {percent:g}%" for threshold, percent in bands)


def described_schemes(user) -> list[dict]:
    """The schemes for their page: each with its role's name and its items named and banded."""
    return [{"scheme": scheme, "role": ROLE_LABELS.get(scheme.role, scheme.role),
             "items": [{"name": indicator_name(i.indicator), "weight": i.weight, "bands": bands_text(i.indicator, i.bands)}
                       for i in scheme.items.all()]}
            for scheme in schemes(user)]


def last_period(scheme: Scheme, today: dt.date | None = None) -> str:
    """The code of SCHEME's last complete period (2026-11, 2026-Q3)."""
    return periods.last_complete(scheme.period, today or timezone.localdate()).code


# --- computing a period ------------------------------------------------------------------------

def shown(indicator: reg.Indicator, value: float | None) -> float | None:
    """VALUE in the unit people read (a percent as 0–100), rounded as the sheet shows it."""
    if value is None:
        return None
    return round(value * 100 if indicator.unit == reg.PERCENT else value, 2)


def band_percent(indicator: reg.Indicator, bands: list, value: float | None) -> float | None:
    """The percent of its weight VALUE (as shown) earns in BANDS; None without a value."""
    if value is None:
        return None
    lower = indicator.direction == reg.LOWER
    for threshold, percent in bands:
        if (value <= threshold) if lower else (value >= threshold):
            return float(percent)
    return 0.0


def period_of(scheme: Scheme, code: str) -> periods.Period:
    period = periods.parse(code)
    if period.kind != scheme.period:
        raise ValidationFailed(_("The period is invalid."), fields={"period": _(
            "this scheme is assessed by %(kind)s: write 2026-11 for a month or 2026-Q4 for a quarter")
            % {"kind": Scheme.Period(scheme.period).label}})
    return period


def assess(items: list[dict], people: list[tuple[int, int | None]], period: periods.Period) -> list[Result]:
    """The sheets of PEOPLE [(id, department id)] on ITEMS over PERIOD: the rollups' sums by
    person read once (whole months from month rows), each indicator computed by the registry,
    its points from its bands; an indicator without data is left out and the total scaled to
    the weights that count. Ranked among all and within each department (ties share a rank)."""
    codes = [i["indicator"] for i in items]
    names, prefixes = reg.measures_of(codes)
    sums = queries.sums(period, queries.Scope(everything=True), names, prefixes, by="agent")
    results = []
    for person_id, department_id in people:
        figures = reg.Figures(sums.get(str(person_id), {}))
        rows, earned, counted = [], 0.0, 0
        for item in items:
            indicator = reg.REGISTRY[item["indicator"]]
            value = shown(indicator, indicator.compute(figures))
            percent = band_percent(indicator, item["bands"], value)
            points = None if percent is None else round(item["weight"] * percent / 100, 1)
            if points is not None:
                earned += points
                counted += item["weight"]
            rows.append({"code": indicator.code, "value": value, "weight": item["weight"], "percent": percent, "points": points})
        total = Decimal(str(round(earned * 100 / counted, 1))) if counted else None
        results.append(Result(person_id=person_id, department_id=department_id, total=total, items=rows))
    _rank(results)
    return results


def _rank(results: list[Result]) -> None:
    """Competition ranking (1, 2, 2, 4) by total, overall and per department; no total, no rank."""
    def ranked(group: list[Result], attr: str) -> None:
        scored = sorted((r for r in group if r.total is not None), key=lambda r: -r.total)  # type: ignore[operator]
        for n, r in enumerate(scored):
            setattr(r, attr, n + 1 if n == 0 or r.total != scored[n - 1].total else getattr(scored[n - 1], attr))
    ranked(results, "rank")
    teams: dict[int | None, list[Result]] = defaultdict(list)
    for r in results:
        teams[r.department_id].append(r)
    for team in teams.values():
        ranked(team, "team_rank")
        for r in team:
            r.team_size = len(team)


def people_of(scheme: Scheme) -> list[tuple[int, int | None]]:
    """The active people holding the scheme's role, with their department."""
    return list(User.objects.filter(is_active=True, groups__name=scheme.role).order_by("pk")
                .values_list("pk", "department_id").distinct())


@transaction.atomic
def compute(user, scheme_id: int, period_code: str, *, publish_on: dt.date | None = None,
            now: dt.datetime | None = None) -> Run:
    """The scheme's assessment of a period, computed anew as a draft (a published one is frozen:
    Conflict). USER None: the worker."""
    if user is not None:
        require(user, COMPUTE)
    now = now or timezone.now()
    scheme = get_or_404(Scheme, scheme_id, lock=True)
    period = period_of(scheme, period_code)
    run, created = Run.objects.select_for_update().get_or_create(
        scheme=scheme, first_day=period.first, defaults={"last_day": period.last, "computed_at": now})
    if run.status == Run.Status.PUBLISHED:
        raise Conflict(_("This assessment was published on %(day)s and is frozen.")
                       % {"day": timezone.localtime(run.published_at).strftime("%Y-%m-%d")})
    items = [{"indicator": i.indicator, "weight": i.weight, "bands": i.bands} for i in scheme.items.order_by("position")]
    results = assess(items, people_of(scheme), period)
    run.results.all()._raw_delete(run.results.db)
    for r in results:
        r.run = run
    Result.objects.bulk_create(results, batch_size=1000)
    run.items, run.people, run.computed_at, run.last_day = items, len(results), now, period.last
    if publish_on is not None:
        run.publish_on = publish_on
    run.definitions_version = reg.definitions_version()
    run.save()
    if user is not None:
        audit.record(user, "create" if created else "update", run, fields=["results"])
    return run


def digest(run: Run) -> str:
    """SHA-256 of the run's results in a canonical JSON form (what publication freezes)."""
    rows = list(run.results.order_by("person_id").values_list("person_id", "department_id", "total", "rank", "team_rank", "items"))
    body = json.dumps({"scheme": run.scheme_id, "first": run.first_day.isoformat(), "last": run.last_day.isoformat(),
                       "items": run.items, "results": [[p, d, str(t) if t is not None else None, r, tr, i] for p, d, t, r, tr, i in rows]},
                      ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


@transaction.atomic
def publish(user, run_id: int, *, now: dt.datetime | None = None) -> Run:
    """Publish a computed assessment to staff: frozen (its digest recorded in the audit chain),
    each person assessed told, their sheet one click away. USER None: the worker."""
    from kefu.notifications import services as notifications

    if user is not None:
        require(user, PUBLISH)
    now = now or timezone.now()
    run = get_or_404(Run, run_id, lock=True, queryset=Run.objects.select_related("scheme"))
    if run.status == Run.Status.PUBLISHED:
        raise Conflict(_("This assessment is already published."))
    if not run.people:
        raise Conflict(_("Nobody was assessed: compute the assessment first."))
    run.status, run.published_at, run.published_by, run.sha256 = Run.Status.PUBLISHED, now, user, digest(run)
    run.save(update_fields=["status", "published_at", "published_by", "sha256"])
    audit.record(user, "update", run, fields=["status"], reason=f"sha256 {run.sha256}")
    message = _("Your assessment for %(period)s (%(scheme)s) is published.") % {
        "period": label(run), "scheme": run.scheme.name}
    notifications.notify_many([(pk, message, f"/assessment/runs/{run.pk}/people/{pk}/")
                               for pk in run.results.values_list("person_id", flat=True)])
    return run


def label(run: Run) -> str:
    return periods.of_kind(run.scheme.period, run.first_day).label


def publish_due(today: dt.date | None = None, now: dt.datetime | None = None) -> list[Run]:
    """The worker's turn: each active scheme's last complete period computed as a draft (again
    each day, so late data counts), published on day KEFU_ASSESSMENT_PUBLISH_DAY after it ends
    (0: never by itself), and drafts whose own publication day has come."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    done = []
    day = settings.KEFU_ASSESSMENT_PUBLISH_DAY
    for scheme in Scheme.objects.filter(is_active=True):
        period = periods.last_complete(scheme.period, today)
        run = Run.objects.filter(scheme=scheme, first_day=period.first).first()
        if run is not None and run.status == Run.Status.PUBLISHED:
            continue
        if run is None or run.computed_at.date() < today:
            publish_on = period.last + dt.timedelta(days=day) if day and (run is None or run.publish_on is None) else None
            run = compute(None, scheme.pk, period.code, publish_on=publish_on, now=now)
        if run.publish_on is not None and run.publish_on <= today and run.people:
            done.append(publish(None, run.pk, now=now))
    return done


# --- reading ----------------------------------------------------------------------------------

def _lead(user) -> bool:
    return user.has_perm(COMPUTE) or user.has_perm(PUBLISH)


def runs(user) -> QuerySet:
    """The assessments USER may open: every one for those who compute or publish them, else the
    published ones USER was assessed in."""
    require(user, "assessment.view_result")
    rows = Run.objects.select_related("scheme").order_by("-first_day", "scheme__name")
    if _lead(user):
        return rows
    return rows.filter(status=Run.Status.PUBLISHED, results__person=user)


def run(user, run_id: int) -> Run:
    return get_or_404(Run, run_id, queryset=runs(user))


def _results_in_scope(user, found: Run) -> QuerySet:
    """Management (data scope all) every sheet, those who assess their department's, anyone
    else their own."""
    rows = found.results.select_related("person", "department")
    if _lead(user) and scopes.scope_of(user) == DataScope.ALL:
        return rows
    if _lead(user) and user.department_id:
        return rows.filter(department_id=user.department_id)
    return rows.filter(person=user)


def results(user, run_id: int, *, department_id: int | None = None) -> QuerySet:
    """A run's sheets in USER's scope (management all, a supervisor their team, anyone else their
    own), ranked."""
    found = run(user, run_id)
    rows = _results_in_scope(user, found)
    if department_id:
        rows = rows.filter(department_id=department_id)
    return rows.order_by("rank", "person_id")


def ranking(user, run_id: int) -> dict:
    """A run as its ranked page shows it: the sheets in USER's scope, the columns' indicator
    names, the distribution of those sheets' totals, and whether USER may publish it now."""
    found = run(user, run_id)
    rows = results(user, run_id)
    totals = [t for t in rows.values_list("total", flat=True) if t is not None]
    return {"results": rows, "columns": [indicator_name(i["indicator"]) for i in found.items],
            "distribution": distribution(totals),
            "may_publish": found.status == Run.Status.DRAFT and user.has_perm(PUBLISH)}


def sheet(user, run_id: int, person_id: int) -> dict:
    """One person's sheet with their team's distribution of totals (counts per band of BANDS
    points, no names). Out of scope looks like not found."""
    found = run(user, run_id)
    result = _results_in_scope(user, found).filter(person_id=person_id).first()
    if result is None:
        raise NotFound(_("%(what)s %(id)s does not exist.") % {"what": _("Assessment result"), "id": person_id})
    totals: list[Decimal] = [t for t in found.results.filter(department_id=result.department_id, total__isnull=False)
                             .values_list("total", flat=True) if t is not None]
    mean = (sum(totals, Decimal(0)) / len(totals)).quantize(Decimal("0.1")) if totals else None
    return {"run": found, "result": result, "rows": described(result.items), "distribution": distribution(totals),
            "team_mean": mean}


def described(items: list[dict]) -> list[dict]:
    """A sheet's rows with their indicator's name, unit and direction (for the page and the API)."""
    out = []
    for row in items:
        indicator = reg.REGISTRY.get(row["code"])
        out.append({**row, "name": indicator.name if indicator else row["code"], "unit": indicator.unit if indicator else "",
                    "lower": bool(indicator and indicator.direction == reg.LOWER)})
    return out


def distribution(totals) -> list[dict]:
    """Counts of TOTALS per band of BANDS points, highest band first (100 falls in the top one)."""
    counts = Counter(min(int(t) // BANDS, 100 // BANDS - 1) for t in totals)
    top = 100 // BANDS
    return [{"low": b * BANDS, "high": (b + 1) * BANDS, "count": counts.get(b, 0)} for b in range(top - 1, -1, -1)]


def my_sheets(user) -> QuerySet:
    """USER's own published sheets, newest first (my quality page)."""
    return (Result.objects.filter(person=user, run__status=Run.Status.PUBLISHED)
            .select_related("run", "run__scheme").order_by("-run__first_day", "run__scheme__name"))
