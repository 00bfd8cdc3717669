"""How people read time limits: the one place that names a target (order pages, notifications,
escalation messages) and words the time left or overdue, in the user's language. kefu.js words
its live countdown with the same strings (countdown_words), so page and script agree."""
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import Metric


def metric_label(metric: str, round: int = 0) -> str:
    """A target's name, e.g. 调查核实; a clock of a reopened order says after which reopening."""
    try:
        label = str(Metric(metric).label)
    except ValueError:
        return metric
    if round:
        return _("%(target)s (after reopening %(n)s)") % {"target": label, "n": round}
    return label


def _unit(name: str, n: int) -> str:
    forms = {"day": ngettext("%(n)s day", "%(n)s days", n), "hour": ngettext("%(n)s hour", "%(n)s hours", n),
             "minute": ngettext("%(n)s minute", "%(n)s minutes", n),
             "second": ngettext("%(n)s second", "%(n)s seconds", n)}
    return forms[name] % {"n": n}


def duration_words(seconds: float) -> str:
    """A span as people say it, at most two units, biggest first: 3天4小时, 2小时5分钟, 15分钟;
    seconds only under a minute. Never signed: the words around it say left or overdue."""
    s = int(abs(seconds))
    days, hours, minutes = s // 86400, s % 86400 // 3600, s % 3600 // 60
    if days:
        parts = [_unit("day", days)] + ([_unit("hour", hours)] if hours else [])
    elif hours:
        parts = [_unit("hour", hours)] + ([_unit("minute", minutes)] if minutes else [])
    elif minutes:
        parts = [_unit("minute", minutes)]
    else:
        parts = [_unit("second", s)]
    if len(parts) == 1:
        return parts[0]
    # Chinese writes units together (3天4小时), English with a space (3 days 4 hours).
    return _("%(bigger)s %(smaller)s") % {"bigger": parts[0], "smaller": parts[1]}


def time_left_words(seconds: float) -> str:
    """What a running limit's badge says after its state word: 剩余 15分钟, or 3天4小时 when overdue
    (the state word 已超时 already says so: no minus sign, no double negative)."""
    span = duration_words(seconds)
    return span if seconds < 0 else _("%(time)s left") % {"time": span}


def countdown_words() -> dict:
    """The strings kefu.js needs to word the live countdown exactly as time_left_words does."""
    def both(name):
        return [_unit(name, 1).replace("1", "%(n)s", 1), _unit(name, 2).replace("2", "%(n)s", 1)]

    return {"day": both("day"), "hour": both("hour"), "minute": both("minute"), "second": both("second"),
            "pair": _("%(bigger)s %(smaller)s"), "left": _("%(time)s left")}
