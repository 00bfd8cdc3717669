from django import template
from django.utils.html import json_script

from kefu.orders.services import sla_colour
from kefu.orders.states import ACTION_LABELS

from ..forms import SLA_LABELS

register = template.Library()


@register.filter
def action_label(action: str) -> str:
    """An order action or event as people read it, in their language."""
    return ACTION_LABELS.get(action, action)


@register.inclusion_tag("web/_sla.html")
def sla_badge(due, warn=None):
    """A limit's state in words and colour, with the countdown kefu.js keeps live."""
    colour = sla_colour(due, warn)
    return {"due": due, "warn": warn, "colour": colour, "label": SLA_LABELS[colour]}


@register.simple_tag
def sla_labels_script():
    """The state words for kefu.js, which recolours and relabels the badges as time passes."""
    return json_script({k: str(v) for k, v in SLA_LABELS.items()}, "sla-labels")
