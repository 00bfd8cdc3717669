from django import template

from kefu.orders.states import ACTION_LABELS

register = template.Library()


@register.filter
def action_label(action: str) -> str:
    """An order action or event as people read it, in their language."""
    return ACTION_LABELS.get(action, action)
