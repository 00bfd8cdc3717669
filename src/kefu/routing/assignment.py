"""Choosing a handler inside a department: plain functions on plain data, no database.

services.py reads the candidates (one query each for people, loads and skills) under the
department's lock and writes the choice; everything here is a pure decision, so strategies
are tested and benchmarked without a database.
"""

from dataclasses import dataclass, field
from datetime import datetime

EPOCH = datetime.min


@dataclass(frozen=True)
class Candidate:
    id: int
    presence: str  # available or busy: away and offline people are never candidates
    capacity: int
    open: int = 0  # open orders they handle
    load: int = 0  # the same, weighted by severity
    last_assigned_at: datetime | None = None
    skills: frozenset = field(default_factory=frozenset)

    @property
    def has_room(self) -> bool:
        return self.open < self.capacity


def _turn(c: Candidate):
    """Round-robin order: whoever has waited longest since their last assignment."""
    return (c.last_assigned_at.replace(tzinfo=None) if c.last_assigned_at else EPOCH, c.id)


STRATEGY_KEYS = {
    "round_robin": _turn,
    "least_loaded": lambda c: (c.load, c.open, *_turn(c)),
    "skill": lambda c: (c.load, c.open, *_turn(c)),
}


def choose(strategy: str, candidates: list[Candidate], needed_skills: frozenset = frozenset()) -> Candidate | None:
    """The handler STRATEGY picks, or None (manual strategy, or nobody with room and skill).

    People with room come first by presence: available before busy. With the skill strategy,
    an order that needs skills goes only to someone with at least one of them; it waits in
    the queue otherwise, rather than landing with someone who cannot handle it.
    """
    key = STRATEGY_KEYS.get(strategy)
    if key is None:
        return None
    pool = [c for c in candidates if c.has_room]
    if strategy == "skill" and needed_skills:
        pool = [c for c in pool if c.skills & needed_skills]
    for presence in ("available", "busy"):
        ready = [c for c in pool if c.presence == presence]
        if ready:
            return min(ready, key=key)
    return None


def needed_skills(skills, kind: str, lineage: set) -> frozenset:
    """The ids of SKILLS ((id, kind, category_ids) triples) an order of KIND in the categories
    LINEAGE needs. A skill without kind and categories is a label only and needs nothing."""
    needed = set()
    for skill_id, skill_kind, category_ids in skills:
        if not skill_kind and not category_ids:
            continue
        if skill_kind and skill_kind != kind:
            continue
        if category_ids and not (set(category_ids) & lineage):
            continue
        needed.add(skill_id)
    return frozenset(needed)
