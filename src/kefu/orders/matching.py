"""Matching rules about work orders (SLA policies, dispatch rules) against an order.

A rule names criteria as fields; an empty one matches anything. `category` matches the order's
category and everything below it.
"""

from kefu.core.recent import remember

from .models import Category

CRITERIA = ("kind", "category", "severity", "channel", "segment", "province", "area", "flagged")


def category_parents() -> dict:
    """{category id: parent id}, read at most every few seconds (kefu.core.recent)."""
    return remember("categories", lambda: dict(Category.objects.values_list("id", "parent_id")))


def order_facts(order, parents: dict | None = None) -> dict:
    """What rules match on, read from the order, its customer and its subscription."""
    sub, customer = order.subscription, order.customer
    return {"kind": order.kind, "category": Category.lineage(order.category_id, parents if parents is not None else category_parents()),
            "severity": order.severity, "channel": order.channel, "segment": customer.segment,
            "province": sub.province if sub else customer.province, "area": sub.area if sub else "",
            "flagged": order.flagged}


def matched_criteria(rule, facts: dict) -> dict | None:
    """The criteria RULE set and FACTS met ({criterion: value}), or None if one is not met.
    Criteria the rule's model lacks (e.g. a dispatch rule has no area) count as empty."""
    matched = {}
    for criterion in CRITERIA:
        wanted = getattr(rule, "category_id" if criterion == "category" else criterion, None)
        if wanted in (None, ""):
            continue
        have = facts[criterion]
        if not ((wanted in have) if criterion == "category" else (wanted == have)):
            return None
        matched[criterion] = wanted
    return matched
