"""Routing: which desk gets an order (dispatch rules, 派单), who there handles it (the
department's assignment strategy), people's statuses and what happens to their orders when
they step away, and moving orders between tiers.

By concern; callers import from here (`from kefu.routing import services as routing`), which
names the public face:

- dispatching.py — dispatch rules, the strategy's picks, `auto_assign`, `drain`, `route_many`,
  and the department lock every routing transaction takes first
- people.py — people's statuses and the offline policy, handlers' load, capacity and skills
- actions.py — the orders actions routing carries on (tiers, 派单 by hand, 转派) and `intake`
- config.py — dispatch rules, skills and departments configured as the admin would

Names starting with an underscore are the package's own, imported by its modules from where
they are defined.
"""

from .actions import assign, deescalate, escalate, intake, register, transfer
from .config import (
    CHOICE_CRITERIA,
    DEPARTMENT_FIELDS,
    RULE_FIELDS,
    SKILL_FIELDS,
    configure_department,
    delete_rule,
    list_rules,
    list_skills,
    save_rule,
    save_skill,
)
from .dispatching import (
    MANUAL,
    QUEUED,
    SEVERITY_FIRST,
    active_rules,
    auto_assign,
    candidates,
    dispatch,
    drain,
    order_needs,
    route,
    route_many,
)
from .people import STEPPED_AWAY, agents, set_presence, takes_work, update_agent

__all__ = [
    # dispatching
    "MANUAL", "QUEUED", "SEVERITY_FIRST", "active_rules", "auto_assign", "candidates", "dispatch", "drain",
    "order_needs", "route", "route_many",
    # people
    "STEPPED_AWAY", "agents", "set_presence", "takes_work", "update_agent",
    # actions
    "assign", "deescalate", "escalate", "intake", "register", "transfer",
    # config
    "CHOICE_CRITERIA", "DEPARTMENT_FIELDS", "RULE_FIELDS", "SKILL_FIELDS", "configure_department", "delete_rule",
    "list_rules", "list_skills", "save_rule", "save_skill",
]
