"""The assignment strategies as pure decisions on candidates."""

from collections import Counter
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from kefu.routing.assignment import Candidate, choose, needed_skills

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def test_round_robin_takes_whoever_waited_longest():
    people = [Candidate(1, "available", 5, last_assigned_at=T0 + timedelta(minutes=5)),
              Candidate(2, "available", 5, last_assigned_at=T0),
              Candidate(3, "available", 5, last_assigned_at=T0 + timedelta(minutes=1))]
    assert choose("round_robin", people).id == 2
    # Someone never assigned goes first, then ids break ties.
    assert choose("round_robin", people + [Candidate(9, "available", 5)]).id == 9
    assert choose("round_robin", [Candidate(4, "available", 5), Candidate(3, "available", 5)]).id == 3


@given(n_people=st.integers(1, 8), n_orders=st.integers(0, 60))
def test_round_robin_is_fair(n_people, n_orders):
    """Replaying the rotation: everyone gets the same number of orders, give or take one."""
    last = {i: None for i in range(1, n_people + 1)}
    got = Counter()
    for k in range(n_orders):
        pick = choose("round_robin", [Candidate(i, "available", 1000, last_assigned_at=t) for i, t in last.items()])
        got[pick.id] += 1
        last[pick.id] = T0 + timedelta(seconds=k)
    counts = [got[i] for i in last]
    assert max(counts) - min(counts) <= 1 and sum(counts) == n_orders


def test_least_loaded_weighs_severity_not_just_counts():
    a = Candidate(1, "available", 10, open=2, load=6)  # two major orders
    b = Candidate(2, "available", 10, open=3, load=3)  # three general ones
    assert choose("least_loaded", [a, b]).id == 2


def test_capacity_and_presence():
    full = Candidate(1, "available", 2, open=2, load=2)
    busy = Candidate(2, "busy", 5, open=4, load=4)
    assert choose("least_loaded", [full, busy]).id == 2  # the busy one, as nobody available has room
    free = Candidate(3, "available", 5, open=4, load=9)
    assert choose("least_loaded", [full, busy, free]).id == 3  # available before busy, even if more loaded
    assert choose("round_robin", [full]) is None
    assert choose("round_robin", [Candidate(4, "available", 0)]) is None  # capacity 0 takes nothing


def test_manual_assigns_nobody():
    assert choose("manual", [Candidate(1, "available", 5)]) is None


def test_skill_strategy_only_gives_to_the_skilled():
    fiber = frozenset({7})
    novice = Candidate(1, "available", 10, load=0)
    expert = Candidate(2, "available", 10, load=5, skills=frozenset({7, 8}))
    assert choose("skill", [novice, expert], fiber).id == 2
    assert choose("skill", [novice], fiber) is None  # it waits for someone who can do it
    assert choose("skill", [novice, expert]).id == 1  # needing nothing: least loaded


def test_needed_skills_follow_kind_and_category_tree():
    skills = [(1, "", (10,)), (2, "fault", ()), (3, "complaint", (10,)), (4, "", ())]
    lineage = {11, 10}  # category 11 sits under 10
    assert needed_skills(skills, "fault", lineage) == {1, 2}
    assert needed_skills(skills, "complaint", lineage) == {1, 3}
    assert needed_skills(skills, "consultation", {99}) == frozenset()  # skill 4 is a label only
