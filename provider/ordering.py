"""The order of attaches and detaches that takes a target from one set of
policies of a type to another without ever breaking AWS's rules: pure, no AWS
call, no Pulumi.

AWS checks its per-target limits on every single call (a target keeps at least
the minimum of a type, 1 SCP, and at most the maximum, 10 SCPs since 2026-05-15),
so going from ``{FullAWSAccess}`` to ``{AllowListCore}`` must attach first, and
swapping one of ten SCPs must detach first. :func:`plan_order` finds an order in which the
target's set after *every* step is within ``[minimum, maximum]`` and passes an
optional predicate (``acceptable``): the lockout rule plugs in there ("never
keep only SCPs that allow nothing", a function of the documents of the set).

Among the valid orders it prefers, at every step, attaching while there is a
free slot (a new guardrail is in place before the old one goes, and a
replacement FullAWSAccess-style allow is there before the old one leaves),
then detaching. Each policy is attached or detached at most once. The search
backtracks only for predicates that the greedy choice cannot satisfy, and
remembers states it has seen, so it is bounded by 2^moves and in practice
linear.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Set
from dataclasses import dataclass
from typing import Optional

from .limits import TypeLimits

ATTACH = "attach"
DETACH = "detach"

#: A set of policy IDs the target may carry at some moment; True when allowed.
Acceptable = Callable[[frozenset[str]], bool]


@dataclass(frozen=True)
class Step:
    """One call: attach or detach ``policy_id``."""

    action: str  # ATTACH or DETACH
    policy_id: str


@dataclass(frozen=True)
class Impossible:
    """No order exists; ``reason`` says why, for a message that names the target."""

    reason: str


def _always(_: frozenset[str]) -> bool:
    return True


def plan_order(
    start: Iterable[str],
    end: Iterable[str],
    limits: TypeLimits,
    *,
    acceptable: Acceptable = _always,
    undetachable: Set[str] = frozenset(),
) -> tuple[Step, ...] | Impossible:
    """The steps from ``start`` (attached now) to ``end`` (wanted), or Impossible.

    Contract: every set reached after a step (``end`` included) has between
    ``limits.minimum`` and ``limits.maximum`` policies (no upper bound when the
    maximum is None), is ``acceptable``, and no policy of ``undetachable`` is
    detached. ``start`` itself is taken as it
    is (AWS's current state). No steps when ``start == end``.
    """
    current, wanted = frozenset(start), frozenset(end)
    kept = (current - wanted) & undetachable
    if kept:
        return Impossible(f"{', '.join(sorted(kept))} can never be detached (AWS attaches it "
                          "automatically and refuses to detach it)")
    if limits.maximum is not None and len(wanted) > limits.maximum:
        return Impossible(f"{len(wanted)} policies are declared and at most {limits.maximum} are allowed "
                          "on one target")
    if len(wanted) < limits.minimum:
        return Impossible(f"{len(wanted)} policies are declared and at least {limits.minimum} must stay "
                          "attached to every target at all times")
    if current != wanted and not acceptable(wanted):
        return Impossible("the declared set would leave the target with no policy that allows "
                          "anything (every principal below it locked out)")
    steps = _search(current, sorted(wanted - current), sorted(current - wanted), limits, acceptable)
    if steps is None:
        return Impossible(f"no order of the {len(wanted - current)} attaches and "
                          f"{len(current - wanted)} detaches keeps the target within "
                          f"{_bounds(limits)} policies and allowing something at every step")
    return steps


def _search(
    current: frozenset[str],
    attaches: list[str],
    detaches: list[str],
    limits: TypeLimits,
    acceptable: Acceptable,
) -> Optional[tuple[Step, ...]]:
    """Depth-first over the remaining moves, preferred move first; None if none works."""
    dead: set[frozenset[str]] = set()

    def valid(state: frozenset[str]) -> bool:
        return (limits.minimum <= len(state) and (limits.maximum is None or len(state) <= limits.maximum)
                and acceptable(state))

    def walk(state: frozenset[str], to_attach: tuple[str, ...], to_detach: tuple[str, ...]) -> Optional[list[Step]]:
        if not to_attach and not to_detach:
            return []
        if state in dead:
            return None
        for step in _candidates(state, to_attach, to_detach, limits):
            following = state | {step.policy_id} if step.action == ATTACH else state - {step.policy_id}
            if not valid(following):
                continue
            rest = walk(following,
                        tuple(p for p in to_attach if p != step.policy_id) if step.action == ATTACH else to_attach,
                        tuple(p for p in to_detach if p != step.policy_id) if step.action == DETACH else to_detach)
            if rest is not None:
                return [step, *rest]
        dead.add(state)  # the remaining moves are determined by the state: no need to retry it
        return None

    found = walk(current, tuple(attaches), tuple(detaches))
    return tuple(found) if found is not None else None


def _candidates(state: frozenset[str], to_attach: tuple[str, ...], to_detach: tuple[str, ...],
                limits: TypeLimits) -> list[Step]:
    """Moves in order of preference: attach while there is room, detach otherwise."""
    attaches = [Step(ATTACH, p) for p in to_attach]
    detaches = [Step(DETACH, p) for p in to_detach]
    return detaches + attaches if _full(len(state), limits) else attaches + detaches


def _full(count: int, limits: TypeLimits) -> bool:
    """True when a target with ``count`` policies has no free slot."""
    return limits.maximum is not None and count >= limits.maximum


def _bounds(limits: TypeLimits) -> str:
    return f"{limits.minimum}..{limits.maximum}" if limits.maximum is not None else f"{limits.minimum} or more"


def given_back(attached: Iterable[str], found: Iterable[str], declared: Iterable[str]) -> frozenset[str]:
    """What a target carries after its exclusive set is deleted: what the set
    found when it was created, plus whatever is attached now that the set did
    not declare (attached by hand since); the declared policies that were not
    there before go."""
    attached, found = frozenset(attached), frozenset(found)
    return found | (attached - frozenset(declared))


def states(start: Iterable[str], steps: Iterable[Step]) -> list[frozenset[str]]:
    """The target's set after each step (for messages and tests)."""
    state = frozenset(start)
    seen = []
    for step in steps:
        state = state | {step.policy_id} if step.action == ATTACH else state - {step.policy_id}
        seen.append(state)
    return seen
