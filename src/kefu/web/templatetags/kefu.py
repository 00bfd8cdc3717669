from django import template
from django.utils import timezone
from django.utils.html import json_script

from kefu.orders.services import sla_colour
from kefu.orders.states import ACTION_LABELS
from kefu.sla import labels as sla_labels

from ..forms import SLA_LABELS

register = template.Library()


@register.filter
def action_label(action: str) -> str:
    """An order action or event as people read it, in their language."""
    return ACTION_LABELS.get(action, action)


@register.filter
def repeat_reason(data) -> str:
    """Why a create event's order was linked as a repeat complaint, in words ('' if it was not)."""
    from kefu.orders.repeats import because_text

    return because_text(data if isinstance(data, dict) else {})


@register.filter
def metric_label(metric: str, round: int = 0) -> str:
    """A time-limit target by its name (as the notifications name it), not its code."""
    return sla_labels.metric_label(metric, round or 0)


@register.inclusion_tag("web/_sla.html")
def sla_badge(due, warn=None):
    """A limit's state in words and colour, with the countdown kefu.js keeps live (worded here
    too, for the first paint and for browsers without scripts)."""
    colour = sla_colour(due, warn)
    left = sla_labels.time_left_words((due - timezone.now()).total_seconds()) if due else ""
    return {"due": due, "warn": warn, "colour": colour, "label": SLA_LABELS[colour], "left": left}


@register.simple_tag
def sla_labels_script():
    """The state words and the countdown's units for kefu.js, which rewords the badges as time passes."""
    return (json_script({k: str(v) for k, v in SLA_LABELS.items()}, "sla-labels")
            + json_script(sla_labels.countdown_words(), "sla-words"))


@register.filter
def kind_label(code: str) -> str:
    """An order kind by its name (投诉), not its code (complaint)."""
    from kefu.orders.models import Kind

    return _label(Kind, code)


@register.filter
def severity_label(code: str) -> str:
    """A severity by its name (重大), not its code (major)."""
    from kefu.orders.models import Severity

    return _label(Severity, code)


@register.filter
def percent(share) -> str:
    """A confidence or similarity (0–1) as people read it: 63%."""
    try:
        return f"{round(float(share) * 100)}%"
    except (TypeError, ValueError):
        return ""


def _label(choices, code):
    try:
        return str(choices(code).label)
    except ValueError:
        return code


@register.simple_tag(takes_context=True)
def open_call(context):
    """The contact the signed-in user has in progress (contacts.services.open_contact_of), for
    the header's 通话中 link back to it on every page."""
    from kefu.contacts.services import open_contact_of

    user = context.get("user")
    return open_contact_of(user) if user is not None else None


@register.filter
def figure(value, unit: str) -> str:
    """A report figure in its unit's format (kefu.reports: 85.3%, 1,234, 无数据)."""
    from kefu.reports import services as reports

    return reports.format_figure(value, unit)


@register.filter
def change(value, unit: str) -> str:
    from kefu.reports import services as reports

    return reports.format_figure(value, unit, signed=True)


@register.filter
def target_text(row) -> str:
    from kefu.reports import services as reports

    return reports.target_text(row)


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter(name="mask_phone")
def mask_phone_filter(value) -> str:
    """A phone number as staff pages show it (138****5678): never in full in a listing."""
    from kefu.core.masking import mask_phone

    return mask_phone(value or "") if value else "—"


@register.filter(name="mask_name")
def mask_name_filter(value) -> str:
    from kefu.core.masking import mask_name

    return mask_name(value or "")


@register.filter
def seconds(value) -> str:
    """A duration in whole seconds as m:ss (h:mm:ss from an hour); — for none."""
    if value is None or value == "":
        return "—"
    value = int(value)
    hours, rest = divmod(value, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
