"""The registry: each service indicator of ../shared/KPIS.md defined once — code, Chinese and
English name, unit, direction, default target, the breakdowns it allows, the rollup measures it
reads and how it is computed from them. Report pages, the board, the exports and the API all
compute through `Indicator.compute`, so they cannot disagree.

Adding an indicator is one `register(...)` here (or in the app that brings its data, from its
`ready()`), with the measures its data adds to the rollups. Empty denominators give None ("no
data"), never 0 % or 100 % (KPIS.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils.translation import get_language

# Units
PERCENT, COUNT, MINUTES, HOURS, SCORE, PER_10K, PER_MILLION, SECONDS = (
    "percent", "count", "minutes", "hours", "score", "per_10k", "per_million", "seconds")
HIGHER, LOWER = "higher", "lower"  # which way is better
# Breakdowns the rollups hold for order figures (department and province are columns).
ORDER_DIMS = ("department", "province", "city", "channel", "kind", "category", "severity", "segment", "agent")
DURATION_DIMS = ("department", "province", "channel", "kind")  # facts.NARROW
CONTACT_DIMS = ("department", "province", "city", "channel", "segment", "agent")  # facts.CONTACT_DIMENSIONS
BACKLOG_DIMS = ("department", "province", "channel", "kind", "severity", "agent")

# Bumped whenever a formula below changes meaning: a closed report records the version it used.
# 2: satisfaction from survey answers (scores at resolution among them), credited to every handler;
# 3: the quality indicators (inspections, corrective actions, knowledge tests);
# 4: the hotline indicators (calls, agents' occupancy).
FORMULAS_VERSION = 4


class Figures:
    """The sums of rollup measures one indicator reads, for one cell of a report (a period, a
    scope, maybe one key of a breakdown), and the figures beside them (subscribers)."""

    def __init__(self, sums: Mapping[str, int], *, subscribers: int | None = None):
        self.sums = sums
        self.subscribers = subscribers

    def get(self, measure: str) -> int:
        return self.sums.get(measure, 0)

    def family(self, prefix: str) -> dict[int, int]:
        """Counts by number of the measures PREFIX:N (scores, duration buckets)."""
        out: dict[int, int] = {}
        for name, value in self.sums.items():
            if name.startswith(prefix) and value:
                try:
                    out[int(name[len(prefix):])] = out.get(int(name[len(prefix):]), 0) + value
                except ValueError:
                    continue
        return out

    def ratio(self, num: int, den: int) -> float | None:
        return num / den if den else None


@dataclass(frozen=True)
class Indicator:
    code: str
    name_zh: str
    name_en: str
    unit: str
    compute: Callable[[Figures], float | None]
    measures: tuple[str, ...]  # names or prefixes ending in ":" that it reads
    direction: str | None = None
    target: Decimal | None = None  # default; percent as percent (85 = 85 %)
    dims: tuple[str, ...] = ORDER_DIMS
    stock: bool = False  # a level at the period's end (backlog), not a flow within it
    complaint: bool = False  # reads the complaint twins of the measures
    group: str = ""  # the group a report shows it under ("hotline"), if not the general one
    definition_zh: str = ""
    definition_en: str = ""

    @property
    def name(self) -> str:
        return self.name_zh if (get_language() or "").lower().startswith("zh") else self.name_en

    @property
    def definition(self) -> str:
        return self.definition_zh if (get_language() or "").lower().startswith("zh") else self.definition_en

    def met(self, value: float | None, target: Decimal | None) -> bool | None:
        """Whether VALUE meets TARGET (None when either is missing or there is no direction)."""
        if value is None or target is None or self.direction is None:
            return None
        shown = Decimal(str(value * 100 if self.unit == PERCENT else value))
        return shown >= target if self.direction == HIGHER else shown <= target


REGISTRY: dict[str, Indicator] = {}


def register(indicator: Indicator) -> Indicator:
    if indicator.code in REGISTRY and REGISTRY[indicator.code] != indicator:
        raise ValueError(f"indicator {indicator.code!r} is defined twice")
    REGISTRY[indicator.code] = indicator
    return indicator


def get(code: str) -> Indicator:
    return REGISTRY[code]


def definitions_version() -> str:
    """What a closed report's figures were computed by: the formulas' version and a digest of
    the registry's codes and units and of the hotline's thresholds (targets are recorded with
    the figures)."""
    parts = [f"{i.code}:{i.unit}:{','.join(i.measures)}" for i in REGISTRY.values()]
    parts.append(f"hotline:{settings.KEFU_HOTLINE_SHORT_ABANDON_SECONDS}:{settings.KEFU_HOTLINE_ANSWER_SECONDS}")
    digest = hashlib.sha256("|".join(parts).encode())
    return f"{FORMULAS_VERSION}.{digest.hexdigest()[:12]}"


# --- the formulas -----------------------------------------------------------------------------

def satisfied_threshold() -> int:
    return settings.KEFU_SATISFIED_SCORE


def _satisfaction(prefix: str):
    def compute(f: Figures) -> float | None:
        scores = f.family(prefix + "score:")
        threshold = satisfied_threshold()
        return f.ratio(sum(n for s, n in scores.items() if s >= threshold), sum(scores.values()))
    return compute


def _mean(prefix: str):
    def compute(f: Figures) -> float | None:
        scores = f.family(prefix)
        total = sum(scores.values())
        return sum(s * n for s, n in scores.items()) / total if total else None
    return compute


_avg_score = _mean("score:")


def _nps(f: Figures) -> float | None:
    """% promoters (9–10) − % detractors (0–6), in points (−100 … 100)."""
    scores = f.family("rec:")
    total = sum(scores.values())
    if not total:
        return None
    promoters = sum(n for s, n in scores.items() if s >= 9)
    detractors = sum(n for s, n in scores.items() if s <= 6)
    return (promoters - detractors) * 100 / total


def _clocks(f: Figures, prefix: str, metrics: tuple[str, ...] | None) -> tuple[int, int]:
    due = met = 0
    for name, value in f.sums.items():
        if name.startswith(prefix + "clock_due:"):
            if metrics is None or name[len(prefix) + 10:] in metrics:
                due += value
        elif name.startswith(prefix + "clock_met:"):
            if metrics is None or name[len(prefix) + 10:] in metrics:
                met += value
    return met, due


def on_time_rate(f: Figures, metrics: tuple[str, ...] | None = None, *, complaint: bool = False) -> float | None:
    """Time limits met / time limits that came due (KPIS.md on_time_rate), over METRICS or all."""
    met, due = _clocks(f, "c:" if complaint else "", metrics)
    return f.ratio(met, due)


def percentile(counts: Mapping[int, int], q: float) -> float | None:
    """The Q-quantile (0..1) of values given as {value: count}: the smallest value with at least
    Q of the counts at or below it (nearest rank)."""
    total = sum(counts.values())
    if not total:
        return None
    rank = max(1, -(-int(q * total * 1_000_000) // 1_000_000))  # ceil(q × total), exact for q·total integral
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        if seen >= rank:
            return float(value)
    return float(max(counts))


def _duration(prefix: str, q: float, divide: int = 1):
    def compute(f: Figures) -> float | None:
        value = percentile(f.family(prefix), q)
        return None if value is None else value / divide
    return compute


def _per(measure: str, scale: int):
    def compute(f: Figures) -> float | None:
        return f.get(measure) * scale / f.subscribers if f.subscribers else None
    return compute


def _rate(num: str, den: str):
    return lambda f: f.ratio(f.get(num), f.get(den))


_T = Decimal
register(Indicator(
    "satisfaction_rate", "满意率", "Satisfaction rate", PERCENT, _satisfaction(""), ("score:",), HIGHER, _T(85),
    definition_zh="评分不低于满意阈值（默认 8 分）的评价数 ÷ 全部评分的评价数，按评价时间计入期间。",
    definition_en="Answers scored at or above the satisfied threshold (default 8 of 10) / all scored answers given in the period."))
register(Indicator(
    "complaint_satisfaction_rate", "投诉处理满意率", "Complaint handling satisfaction", PERCENT, _satisfaction("c:"),
    ("c:score:",), HIGHER, _T(80), complaint=True,
    definition_zh="同满意率，仅计投诉工单的评价。", definition_en="The same, over answers about complaints only."))
register(Indicator(
    "avg_score", "平均满意度", "Average satisfaction score", SCORE, _avg_score, ("score:",), HIGHER,
    definition_zh="期间内评价的平均分（1–10 分）。", definition_en="Mean score (1–10) of answers given in the period."))
register(Indicator(
    "response_rate", "参评率", "Survey response rate", PERCENT, _rate("survey_answered", "survey_sent"),
    ("survey_answered", "survey_sent"), HIGHER,
    definition_zh="回答了的满意度调查邀请数 ÷ 发出的邀请数，按邀请发出时间计入期间（解决时当场评分不计）。",
    definition_en="Survey invitations answered / invitations sent, by the invitation's period (scores given at resolution apart)."))
register(Indicator(
    "nps", "净推荐值", "Net promoter score", SCORE, _nps, ("rec:",), HIGHER,
    definition_zh="推荐意愿题（0–10 分）中 9–10 分的比例减去 0–6 分的比例，以百分点计（−100 至 100）。",
    definition_en="% promoters (9–10) − % detractors (0–6) on the 0–10 recommendation question, in points (−100 to 100)."))
register(Indicator(
    "score_attitude", "服务态度评分", "Agent's attitude (mean score)", SCORE, _mean("sdim:attitude:"), ("sdim:attitude:",), HIGHER,
    definition_zh="问卷中“服务态度”维度题目的平均分（1–10 分），计入处理或答复过该工单的每位员工。",
    definition_en="Mean score (1–10) of the questions on the agent's attitude, credited to everyone who handled or answered the order."))
register(Indicator(
    "score_result", "处理结果评分", "Result (mean score)", SCORE, _mean("sdim:result:"), ("sdim:result:",), HIGHER,
    definition_zh="问卷中“处理结果”维度题目的平均分（1–10 分）。",
    definition_en="Mean score (1–10) of the questions on the result."))
register(Indicator(
    "score_timeliness", "处理及时性评分", "Timeliness (mean score)", SCORE, _mean("sdim:timeliness:"), ("sdim:timeliness:",),
    HIGHER, definition_zh="问卷中“及时性”维度题目的平均分（1–10 分）。",
    definition_en="Mean score (1–10) of the questions on timeliness."))
register(Indicator(
    "followup_done_rate", "回访完成率", "Follow-up completion rate", PERCENT, _rate("followup_done", "followup_due"),
    ("followup_done", "followup_due"), HIGHER,
    definition_zh="期间内到期的回访任务中，有了除“无法联系”以外结果的比例。",
    definition_en="Follow-up tasks due in the period with an outcome other than unreachable / follow-up tasks due in the period."))
register(Indicator(
    "complaint_followup_done_rate", "投诉回访完成率", "Complaint follow-up completion rate", PERCENT,
    _rate("c:followup_done", "c:followup_due"), ("c:followup_done", "c:followup_due"), HIGHER, _T(100), complaint=True,
    definition_zh="同回访完成率，仅计投诉工单的回访。", definition_en="The same, over complaints' follow-up tasks only."))
register(Indicator(
    "on_time_rate", "及时率", "On-time rate", PERCENT, lambda f: on_time_rate(f), ("clock_due:", "clock_met:"), HIGHER,
    dims=ORDER_DIMS + ("policy",),
    definition_zh="期间内到期的时限中按时完成的比例；时限在停止或到期时（取其早者）计入到期。",
    definition_en="Time limits that came due in the period and were met / all that came due (a limit comes due when it stops or its due time passes, whichever is first)."))
register(Indicator(
    "complaint_on_time_rate", "投诉处理及时率", "Complaints handled on time", PERCENT,
    lambda f: on_time_rate(f, ("resolution", "feedback"), complaint=True), ("c:clock_due:", "c:clock_met:"), HIGHER, _T(100),
    dims=ORDER_DIMS + ("policy",), complaint=True,
    definition_zh="投诉工单处理时限与结果反馈时限的及时率。",
    definition_en="On-time rate over complaints' resolution and feedback limits."))
register(Indicator(
    "fcr_rate", "一次性解决率", "First-contact resolution", PERCENT, _rate("fcr", "contacts_ended"), ("fcr", "contacts_ended"),
    HIGHER, _T(70), dims=CONTACT_DIMS,
    definition_zh="期间内结束的来电、来信等接触中，在本次接触内解决（未留下未结工单，或工单在接触中即已解决）且同一客户 7 天内未再次联系的比例。",
    definition_en="Contacts ended in the period whose request was settled within them (no work order left open, or resolved during "
                  "the contact) and with no further contact by the same customer within 7 days / contacts ended in the period."))
register(Indicator(
    "reopen_rate", "重开率", "Reopen rate", PERCENT, _rate("reopened", "resolved"), ("reopened", "resolved"), LOWER,
    definition_zh="期间内重开的工单数 ÷ 期间内解决的工单数。", definition_en="Orders reopened in the period / orders resolved in the period."))
register(Indicator(
    "repeat_complaint_rate", "重复投诉率", "Repeat complaint rate", PERCENT, _rate("c:repeat", "c:registered"),
    ("c:repeat", "c:registered"), LOWER, complaint=True,
    definition_zh="期间内登记、关联为重复投诉的投诉数 ÷ 期间内登记的投诉数。",
    definition_en="Complaints registered in the period linked as a repeat / complaints registered in the period."))
register(Indicator(
    "escalated_complaint_rate", "越级投诉率", "Escalated complaint rate", PERCENT, _rate("c:escalated", "c:registered"),
    ("c:escalated", "c:registered"), LOWER, complaint=True,
    definition_zh="期间内经由或扬言向监管部门、媒体、法院投诉的投诉数 ÷ 期间内的投诉数。",
    definition_en="Complaints in the period that came through or threatened the regulator, media or court / complaints in the period."))
register(Indicator(
    "first_response_time", "首次响应时长（中位数）", "First response time (median)", MINUTES, _duration("frt:", 0.5),
    ("frt:",), LOWER, dims=DURATION_DIMS,
    definition_zh="登记到员工首次对客户可见答复的自然分钟数的中位数（一小时内精确到分钟）。",
    definition_en="Median natural minutes from registration to the first customer-visible word from staff."))
register(Indicator(
    "first_response_time_p90", "首次响应时长（90分位）", "First response time (90th percentile)", MINUTES,
    _duration("frt:", 0.9), ("frt:",), LOWER, dims=DURATION_DIMS,
    definition_zh="同上，第 90 百分位。", definition_en="The same, 90th percentile."))
register(Indicator(
    "first_response_time_working", "首次响应时长（工作时间中位数）", "First response time in working minutes (median)", MINUTES,
    _duration("frtw:", 0.5), ("frtw:",), LOWER, dims=DURATION_DIMS,
    definition_zh="同首次响应时长，按工单时限所用日历的工作时间计（节假日、调休照官方日历）。",
    definition_en="The same in working minutes of the calendar of the order's time limits (official holidays and make-up days)."))
register(Indicator(
    "resolution_time_working", "处理时长（工作时间中位数）", "Resolution time in working hours (median)", HOURS,
    _duration("resw:", 0.5, 60), ("resw:",), LOWER, dims=DURATION_DIMS,
    definition_zh="同处理时长，按工单时限所用日历的工作小时计。",
    definition_en="The same in working hours of the calendar of the order's time limits."))
register(Indicator(
    "resolution_time", "处理时长（中位数）", "Resolution time (median)", HOURS, _duration("res:", 0.5, 60), ("res:",), LOWER, dims=DURATION_DIMS,
    definition_zh="登记到解决的自然小时数的中位数。", definition_en="Median natural hours from registration to resolution."))
register(Indicator(
    "resolution_time_p90", "处理时长（90分位）", "Resolution time (90th percentile)", HOURS, _duration("res:", 0.9, 60),
    ("res:",), LOWER, dims=DURATION_DIMS, definition_zh="同上，第 90 百分位。", definition_en="The same, 90th percentile."))
register(Indicator(
    "backlog", "积压工单", "Backlog", COUNT, lambda f: f.get("open"), ("open",), LOWER, dims=BACKLOG_DIMS, stock=True,
    definition_zh="期末仍未解决的工单数。", definition_en="Open orders at the period's end."))
register(Indicator(
    "overdue_open", "超时未结", "Open past the limit", COUNT, lambda f: f.get("overdue"), ("overdue",), LOWER, _T(0),
    dims=BACKLOG_DIMS, stock=True, definition_zh="期末未结且已超过处理时限的工单数。",
    definition_en="Open orders at the period's end whose resolution limit has passed."))
register(Indicator(
    "orders_registered", "受理量", "Orders registered", COUNT, lambda f: f.get("registered"), ("registered",),
    definition_zh="期间内登记的工单数。", definition_en="Orders registered in the period."))
register(Indicator(
    "complaints", "投诉量", "Complaints", COUNT, lambda f: f.get("c:registered"), ("c:registered",), LOWER, complaint=True,
    definition_zh="期间内登记的投诉数。", definition_en="Complaints registered in the period."))
register(Indicator(
    "orders_resolved", "解决量", "Orders resolved", COUNT, lambda f: f.get("resolved"), ("resolved",),
    definition_zh="期间内解决的工单数（一单多次解决各计一次）。", definition_en="Resolutions in the period."))
register(Indicator(
    "complaints_per_10k", "万户投诉率", "Complaints per 10,000 subscribers", PER_10K, _per("c:registered", 10_000),
    ("c:registered",), LOWER, dims=("province",), complaint=True,
    definition_zh="期间内登记的投诉数 × 10000 ÷ 期间中点的在网用户数。",
    definition_en="Complaints registered in the period × 10,000 / subscriptions active at the period's midpoint."))
register(Indicator(
    "appeals_per_million", "百万用户申诉率", "Appeals per million subscribers", PER_MILLION, _per("regulator", 1_000_000),
    ("regulator",), LOWER, dims=("province",),
    definition_zh="期间内经监管部门转办登记的工单数 × 1000000 ÷ 期间中点的在网用户数。",
    definition_en="Orders registered in the period through the regulator × 1,000,000 / subscriptions active at the period's midpoint."))

# Quality (质检, 整改, 培训考试): records of people, counted for the person (facts.load_inspections …).
QA_DIMS = ("department", "province", "channel", "agent")
PEOPLE_DIMS = ("department", "agent")


def _scaled_mean(points: str, count: str):
    """The mean of scores kept × 10 (one decimal place) as the sum POINTS over COUNT."""
    return lambda f: f.get(points) / 10 / f.get(count) if f.get(count) else None


register(Indicator(
    "qa_avg_score", "质检平均分", "Quality inspection average", SCORE, _scaled_mean("qa_points", "qa_done"),
    ("qa_points", "qa_done"), HIGHER, dims=QA_DIMS,
    definition_zh="期间内结案（申诉期满或申诉裁定后）的质检的最终得分平均值（0–100 分）。",
    definition_en="Mean final score (after appeals) of inspections closed in the period, 0–100."))
register(Indicator(
    "qa_fatal_rate", "致命差错率", "Fatal error rate", PERCENT, _rate("qa_fatal", "qa_done"), ("qa_fatal", "qa_done"), LOWER,
    _T(0), dims=QA_DIMS, definition_zh="期间内结案的质检中有致命项的比例。",
    definition_en="Inspections with a fatal item / inspections closed in the period."))
register(Indicator(
    "qa_pass_rate", "质检合格率", "Quality inspection pass rate", PERCENT, _rate("qa_pass", "qa_done"), ("qa_pass", "qa_done"),
    HIGHER, dims=QA_DIMS, definition_zh="期间内结案的质检中达到合格线的比例。",
    definition_en="Inspections at or above the pass mark / inspections closed in the period."))
register(Indicator(
    "qa_fatal_count", "致命差错数", "Fatal errors", COUNT, lambda f: f.get("qa_fatal"), ("qa_fatal",), LOWER, _T(0),
    dims=QA_DIMS, definition_zh="期间内结案的质检中有致命项的次数。",
    definition_en="Inspections closed in the period with a fatal item."))
register(Indicator(
    "qa_inspections", "质检量", "Inspections closed", COUNT, lambda f: f.get("qa_done"), ("qa_done",), dims=QA_DIMS,
    definition_zh="期间内结案的质检数。", definition_en="Inspections closed in the period."))
register(Indicator(
    "corrective_on_time_rate", "整改按期完成率", "Corrective actions on time", PERCENT, _rate("action_on_time", "action_due"),
    ("action_on_time", "action_due"), HIGHER, _T(100), dims=PEOPLE_DIMS,
    definition_zh="期间内到期的整改措施中，在期限内完成并经验证有效的比例（按整改期限计入期间）。",
    definition_en="Corrective actions done by their deadline and verified effective / corrective actions due in the period."))
register(Indicator(
    "knowledge_score", "培训考试平均分", "Knowledge test average", SCORE, _scaled_mean("exam_points", "exam_taken"),
    ("exam_points", "exam_taken"), HIGHER, dims=PEOPLE_DIMS,
    definition_zh="期间内交卷（或逾期未答按 0 分计）的培训考试平均分（0–100 分）。",
    definition_en="Mean score (0–100) of knowledge tests handed in in the period (those not taken by their due date count 0)."))
register(Indicator(
    "contacts_handled", "接待量", "Contacts handled", COUNT, lambda f: f.get("contacts_ended"), ("contacts_ended",),
    dims=CONTACT_DIMS, definition_zh="期间内结束的呼入、来信等接触数。", definition_en="Inbound contacts ended in the period."))

# The hotline (呼入, KPIS.md "Hotline and live channels"): calls that entered an agent queue, on
# the day and interval they were offered (facts.call_share), and agents' time (facts.time_share).
# Department is the answering agent's (0 for calls nobody answered).
HOTLINE_GROUP = "hotline"
HOTLINE_DIMS = ("department", "province", "channel", "queue", "agent", "interval15", "interval30", "hour")
WAIT_DIMS = tuple(d for d in HOTLINE_DIMS if d != "agent")  # facts.NARROW: waits are not kept by agent
AGENT_TIME_DIMS = ("department", "agent")


def _longest_wait(f: Figures) -> float | None:
    """The longest queue wait: the highest bucket of the wait histogram (facts.wait_bucket)."""
    waits = [w for w, n in f.family("call_wait:").items() if n > 0]
    return float(max(waits)) if waits else None


def _rate_net(num: str, offered: str, short: str):
    """NUM / (OFFERED − SHORT): the calls whose callers gave up at once are left out."""
    return lambda f: f.ratio(f.get(num), f.get(offered) - f.get(short))


def _hotline(code, name_zh, name_en, unit, compute, measures, direction=None, target=None, dims=HOTLINE_DIMS, **kw):
    return register(Indicator(code, name_zh, name_en, unit, compute, measures, direction, target, dims=dims,
                              group=HOTLINE_GROUP, **kw))


_hotline("calls_offered", "呼入量", "Calls offered", COUNT, lambda f: f.get("call_offered"), ("call_offered",),
         definition_zh="期间内进入人工队列的呼入电话数（仅在语音导航中结束的不计），按呼入时间计入期间和时段。",
         definition_en="Calls that entered an agent queue in the period (calls that ended in the IVR apart), "
                       "by the time they were offered.")
_hotline("calls_answered", "接通量", "Calls answered", COUNT, lambda f: f.get("call_answered"), ("call_answered",),
         definition_zh="进入队列后由坐席接听的呼入电话数。", definition_en="Calls offered that an agent answered.")
_hotline("calls_abandoned", "放弃量", "Calls abandoned", COUNT, lambda f: f.get("call_abandoned"), ("call_abandoned",), LOWER,
         definition_zh="在队列中或振铃时放弃、且等待超过短时放弃阈值（默认 5 秒）的呼入电话数；短时放弃另计。",
         definition_en="Calls abandoned in the queue or while ringing after the short-abandon threshold (default 5 s); "
                       "short abandons apart.")
_hotline("answer_rate", "接通率", "Answer rate", PERCENT, _rate("call_answered", "call_offered"),
         ("call_answered", "call_offered"), HIGHER, _T(95),
         definition_zh="接通量 ÷ 呼入量。", definition_en="Calls answered by an agent / calls offered.")
_hotline("abandon_rate", "放弃率", "Abandon rate", PERCENT, _rate_net("call_abandoned", "call_offered", "call_short_abandoned"),
         ("call_abandoned", "call_offered", "call_short_abandoned"), LOWER, _T(5),
         definition_zh="等待超过短时放弃阈值（默认 5 秒）后放弃的呼入电话数 ÷（呼入量 − 短时放弃量）。",
         definition_en="Calls abandoned after the short-abandon threshold (default 5 s) / (calls offered − short abandons).")
_hotline("service_level", "服务水平", "Service level", PERCENT,
         _rate_net("call_answered_sl", "call_offered", "call_short_abandoned"),
         ("call_answered_sl", "call_offered", "call_short_abandoned"), HIGHER, _T(80),
         definition_zh="在服务水平时限（默认 20 秒）内接通的呼入电话数 ÷（呼入量 − 短时放弃量）。",
         definition_en="Calls answered within the service-level time (default 20 s) / (calls offered − short abandons).")
_hotline("asa", "平均应答时长", "Average speed of answer", SECONDS, _rate("call_wait_answered", "call_answered"),
         ("call_wait_answered", "call_answered"), LOWER, _T(30),
         definition_zh="接通电话的平均排队等待秒数（含振铃）。",
         definition_en="Mean queue wait (ringing included) of the calls answered, in seconds.")
_hotline("longest_wait", "最长等待时长", "Longest wait", SECONDS, _longest_wait, ("call_wait:",), LOWER, dims=WAIT_DIMS,
         definition_zh="期间内排队等待最久的呼入电话的等待秒数（接通或放弃）；一分钟内精确到秒，五分钟内到 5 秒，半小时内到 30 秒，其后到 5 分钟。",
         definition_en="The longest queue wait of a call in the period, answered or abandoned, in seconds: to the second "
                       "under a minute, to 5 s under 5 minutes, to 30 s under half an hour, to 5 minutes beyond.")
_hotline("aht", "平均处理时长", "Average handle time", SECONDS, _rate("call_handle_seconds", "call_handled"),
         ("call_handle_seconds", "call_handled"),
         definition_zh="坐席接听并已结束的电话的平均处理秒数（通话 + 保持 + 话后处理，话后处理结束后计入）。",
         definition_en="Mean seconds of talk + hold + after-call work (once it has ended) of the calls answered and ended.")
_hotline("occupancy", "占用率", "Occupancy", PERCENT, _rate("agent_busy_seconds", "agent_available_seconds"),
         ("agent_busy_seconds", "agent_available_seconds"), dims=AGENT_TIME_DIMS,
         definition_zh="坐席通话与话后处理的时间 ÷ 坐席签入且不在未就绪状态（即就绪、通话、话后处理）的时间，按坐席状态的变化计。",
         definition_en="Agents' time on calls and in after-call work / their time signed in and not on a break "
                       "(ready, on a call, after-call work), from their state changes.")
_hotline("transfers", "转接量", "Transfers", COUNT, lambda f: f.get("call_transfers"), ("call_transfers",), LOWER,
         definition_zh="期间内呼入电话的转接次数。", definition_en="Transfers of the calls offered in the period.")

HOTLINE = ("calls_offered", "calls_answered", "calls_abandoned", "answer_rate", "abandon_rate", "service_level", "asa",
           "longest_wait", "aht", "occupancy", "transfers")

# The sections of a report list the headline indicators in this order.
HEADLINE = ("satisfaction_rate", "complaint_satisfaction_rate", "avg_score", "score_attitude", "score_result",
            "score_timeliness", "nps", "response_rate", "followup_done_rate", "complaint_followup_done_rate", "fcr_rate", "on_time_rate",
            "complaint_on_time_rate", "first_response_time", "first_response_time_working", "resolution_time",
            "resolution_time_working", "reopen_rate", "repeat_complaint_rate", "escalated_complaint_rate", "complaints_per_10k", "appeals_per_million", "orders_registered", "complaints", "orders_resolved",
            "backlog", "overdue_open", "qa_avg_score", "qa_fatal_rate", "qa_pass_rate", "corrective_on_time_rate",
            "knowledge_score", *HOTLINE)


def measures_of(codes) -> tuple[list[str], list[str]]:
    """The exact measure names and the prefixes that the indicators CODES read."""
    names, prefixes = set(), set()
    for code in codes:
        for m in REGISTRY[code].measures:
            (prefixes if m.endswith(":") else names).add(m)
    return sorted(names), sorted(prefixes)

