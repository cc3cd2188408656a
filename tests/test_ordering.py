"""The exclusive-target planner (provider/ordering.py): exhaustive over every
start and end set within AWS's limits, full slots included, and the impossible
cases."""

from __future__ import annotations

import itertools
from collections import deque

import pytest

from provider import ordering
from provider.limits import Limits, TypeLimits, limits_from_config
from provider.ordering import ATTACH, DETACH, Impossible, Step, plan_order, states

SCP = Limits().of("SERVICE_CONTROL_POLICY")  # 1..10 since 2026-05-15
OLD_SCP = limits_from_config({"SERVICE_CONTROL_POLICY": {"maximum": 5}}).of("SERVICE_CONTROL_POLICY")  # 1..5
TAG = Limits().of("TAG_POLICY")  # 0..10
UNIVERSE = "abcdefg"  # 7 policies: enough for five-to-five swaps with two left over


def sets_within(limits: TypeLimits, universe: str = UNIVERSE, smallest: int = 0) -> list[frozenset[str]]:
    largest = len(universe) if limits.maximum is None else min(limits.maximum, len(universe))
    sizes = range(max(limits.minimum, smallest), largest + 1)
    return [frozenset(c) for n in sizes for c in itertools.combinations(universe, n)]


def assert_valid(start, end, steps, limits, acceptable=lambda s: True):
    assert isinstance(steps, tuple), steps
    seen = states(start, steps)
    assert (seen[-1] if seen else frozenset(start)) == frozenset(end)
    for state in seen:
        assert limits.minimum <= len(state) <= (limits.maximum or len(state)), (start, end, steps)
        assert acceptable(state), (start, end, steps)
    moved = [s.policy_id for s in steps]
    assert len(moved) == len(set(moved)) == len(frozenset(start) ^ frozenset(end))  # each once, nothing else


@pytest.mark.parametrize("limits, universe, smallest", [
    (OLD_SCP, UNIVERSE, 0),  # 1..5 over 7 policies: every set, full slots included
    (SCP, UNIVERSE, 0),  # 1..10 over 7 policies: every set (no full slot)
    (SCP, "abcdefghijk", 8),  # 1..10 over 11 policies, sets of 8 to 10: the full slots of today's limit
], ids=["scp-1..5", "scp-1..10", "scp-1..10-full"])
def test_every_scp_start_and_end_within_limits_has_a_valid_order(limits, universe, smallest):
    sets = sets_within(limits, universe, smallest)
    for start, end in itertools.product(sets, sets):
        steps = plan_order(start, end, limits)
        assert_valid(start, end, steps, limits)
        # attach first whenever a slot is free: a new guardrail is in before an old one goes
        for before, step in zip([frozenset(start), *states(start, steps)], steps, strict=False):
            if step.action == DETACH and len(before) < limits.maximum:
                assert not (frozenset(end) - before), (start, end, steps)


def test_every_tag_policy_start_and_end_including_empty_has_a_valid_order():
    sets = sets_within(TAG, "abcd")
    for start, end in itertools.product(sets, sets):
        assert_valid(start, end, plan_order(start, end, TAG), TAG)


TEN = set("abcdefghij")


@pytest.mark.parametrize("start, end, limits, expected", [
    # replace FullAWSAccess by an allow-list: attach first (never 0 SCPs)
    ({"full"}, {"allow"}, SCP, [(ATTACH, "allow"), (DETACH, "full")]),
    # swap one of ten: detach first (never 11 SCPs)
    (TEN, TEN - {"j"} | {"k"}, SCP, [(DETACH, "j"), (ATTACH, "k")]),
    # five more on a target of five: room since 2026-05-15, attach all first
    (set("abcde"), set("abcdefghij"), SCP, [(ATTACH, p) for p in "fghij"]),
    # the same at the old limit (override): no room for a sixth
    (set("abcde"), set("abcdefghij"), OLD_SCP, None),
    # swap at five under the old limit: detach first (never 6 SCPs)
    ({"a", "b", "c", "d", "e"}, {"a", "b", "c", "d", "f"}, OLD_SCP, [(DETACH, "e"), (ATTACH, "f")]),
    # five to five disjoint under the old limit: alternate
    ({"a", "b", "c", "d", "e"}, {"f", "g", "h", "i", "j"}, OLD_SCP,
     [(DETACH, "a"), (ATTACH, "f"), (DETACH, "b"), (ATTACH, "g"), (DETACH, "c"), (ATTACH, "h"),
      (DETACH, "d"), (ATTACH, "i"), (DETACH, "e"), (ATTACH, "j")]),
    # five to a disjoint five today: all five new in first, then the old ones out
    ({"a", "b", "c", "d", "e"}, {"f", "g", "h", "i", "j"}, SCP,
     [(ATTACH, "f"), (ATTACH, "g"), (ATTACH, "h"), (ATTACH, "i"), (ATTACH, "j"),
      (DETACH, "a"), (DETACH, "b"), (DETACH, "c"), (DETACH, "d"), (DETACH, "e")]),
    ({"a", "b"}, {"a", "b"}, SCP, []),  # nothing to do
    ({"a", "b", "c"}, {"a"}, SCP, [(DETACH, "b"), (DETACH, "c")]),  # drift removed
])
def test_named_orders(start, end, limits, expected):
    result = plan_order(start, end, limits)
    if expected is None:
        assert isinstance(result, Impossible)
    else:
        assert result == tuple(Step(a, p) for a, p in expected)


@pytest.mark.parametrize("start, end, limits, undetachable, reason", [
    ({"a"}, set("abcdefghijk"), SCP, (), "11 policies are declared and at most 10 are allowed"),
    ({"a"}, set("abcdef"), OLD_SCP, (), "6 policies are declared and at most 5 are allowed"),
    ({"a"}, set(), SCP, (), "at least 1 must stay attached"),
    ({"r", "a"}, {"a"}, Limits().of("RESOURCE_CONTROL_POLICY"), {"r"}, "r can never be detached"),
    ({"a"}, set("bcdefghijkl"), TAG, (), "11 policies are declared and at most 10 are allowed"),
])
def test_impossible_ends_are_refused_with_the_reason(start, end, limits, undetachable, reason):
    result = plan_order(start, end, limits, undetachable=frozenset(undetachable))
    assert isinstance(result, Impossible) and reason in result.reason


def test_a_type_without_a_published_maximum_takes_any_number():
    unlisted = Limits().of("INSPECTOR_POLICY")
    assert plan_order({"a"}, set("abcdefghijklmnop"), unlisted) == tuple(Step(ATTACH, p) for p in "bcdefghijklmnop")


@pytest.mark.parametrize("start, end", [
    ({"a"}, {"a"}),  # an undetachable policy that stays is fine
    ({"a", "b"}, {"a"}),
])
def test_undetachable_policies_may_stay(start, end):
    assert isinstance(plan_order(start, end, SCP, undetachable=frozenset({"a"})), tuple)


# -- the lockout rule plugged in as a predicate ------------------------------------------

ALLOWING = frozenset("ab")  # a, b allow something; c..e deny only


def allows_something(state: frozenset[str]) -> bool:
    return bool(state & ALLOWING)


def reachable(start, end, limits, acceptable) -> bool:
    """Oracle: breadth-first over every order of the same moves."""
    start, end = frozenset(start), frozenset(end)
    queue, seen = deque([start]), {start}
    while queue:
        state = queue.popleft()
        if state == end:
            return True
        for policy in (end - state) | (state - end):
            following = state ^ {policy}
            if following not in seen and limits.minimum <= len(following) <= limits.maximum \
                    and acceptable(following):
                seen.add(following)
                queue.append(following)
    return False


@pytest.mark.parametrize("limits, universe", [(OLD_SCP, "abcde"), (SCP, "abcdef")], ids=["scp-1..5", "scp-1..10"])
def test_with_the_lockout_predicate_an_order_is_found_exactly_when_one_exists(limits, universe):
    sets = sets_within(limits, universe)
    for start, end in itertools.product(sets, sets):
        if not allows_something(start):
            continue  # AWS's state already locked out: outside the planner's contract
        result = plan_order(start, end, limits, acceptable=allows_something)
        if reachable(start, end, limits, allows_something) and allows_something(end):
            assert_valid(start, end, result, limits, allows_something)
        else:
            assert isinstance(result, Impossible), (start, end, result)


@pytest.mark.parametrize("start, end, expected", [
    # the allow-list goes in before FullAWSAccess goes out, whatever the names sort to
    ({"b"}, {"a", "c"}, [(ATTACH, "a"), (ATTACH, "c"), (DETACH, "b")]),
    # full (old limit): the deny-only SCP goes first, the allowing one stays until its replacement is in
    ({"a", "c", "d", "e", "f"}, {"b", "c", "d", "e", "f"}, [(DETACH, "a"), (ATTACH, "b")]),
])
def test_lockout_orders(start, end, expected):
    allowing = frozenset("abf")
    got = plan_order(start, end, OLD_SCP, acceptable=lambda s: bool(s & allowing))
    assert got == tuple(Step(a, p) for a, p in expected)


def test_a_declared_set_that_allows_nothing_is_refused():
    result = plan_order({"a"}, {"c"}, SCP, acceptable=allows_something)
    assert isinstance(result, Impossible) and "allows anything" in result.reason


def test_the_module_is_pure():
    source = open(ordering.__file__).read()
    assert "boto3" not in source and "import pulumi" not in source
