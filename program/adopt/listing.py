"""Which calls list the attachments: pure arithmetic on counts a scan already has.

Two ways to learn what is attached where:

* **per target**: one ``ListPoliciesForTarget`` per target in scope and per policy
  type (a target holds at most a type's per-target maximum, within one page of 20 for
  every type AWS publishes a maximum for);
* **per policy**: one ``ListTargetsForPolicy`` per policy of the chosen types, paged
  20 targets at a time (AWS's largest page), whatever the scope (the answer covers
  the whole organization).

The per-target count is exact. The per-policy count depends on how many targets each
policy is on, which nobody knows before asking, so it is bounded from what is known:
at least one call per policy (and ``ceil(T / 20)`` for an AWS-managed one, which is on
every target of the organization), at most that plus ``ceil(T x m / 20)`` for the custom
policies of a type, ``m`` the type's per-target maximum (or the number of its policies,
when AWS publishes none). Three cases:

* the floor is above the per-target count: **per target**;
* the ceiling is no more than the per-target count: **per policy**;
* in between: **per policy within a budget** of the per-target count, one policy after
  the other, falling back to per target once the calls made pass the budget (the calls
  are counted as they are made). So the listing costs the fewer of the two when that is
  certain, and at most twice the per-target count (plus one policy's pages) when not.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Optional

#: AWS's largest page (MaxResults) of ListTargetsForPolicy and ListPoliciesForTarget.
PAGE = 20


@dataclass(frozen=True)
class TypeCounts:
    """What is known of one policy type before listing attachments."""

    #: AWS-managed policies of the type to list (FullAWSAccess: on every target)
    managed: int
    #: other policies of the type to list
    custom: int
    #: the most policies of the type one target may hold (None: no published maximum)
    maximum: Optional[int]


@dataclass(frozen=True)
class Listing:
    """The choice, with the counts it was made on (shown by ``--progress`` and the bench)."""

    per_policy: bool
    #: calls per target: exact
    per_target_calls: int
    #: calls per policy: at least, and at most (see the module docstring)
    per_policy_floor: int
    per_policy_bound: int
    #: per policy is tried within a budget of ``per_target_calls`` (the uncertain case)
    budgeted: bool = False
    #: the budget ran out: listed per target after all
    fell_back: bool = False

    @property
    def name(self) -> str:
        if self.fell_back:
            return "ListPoliciesForTarget per target, after ListTargetsForPolicy passed its budget"
        if self.per_policy:
            return "ListTargetsForPolicy per policy" + (" (within a budget)" if self.budgeted else "")
        return "ListPoliciesForTarget per target"


def choose(*, in_scope: int, in_organization: int, types: Mapping[str, TypeCounts]) -> Listing:
    """The listing for ``in_scope`` targets of an organization of ``in_organization``
    targets (or a lower bound of it), for the policy ``types`` chosen."""
    per_target = in_scope * len(types)
    floor = sum(_per_policy_floor(counts, in_organization) for counts in types.values())
    bound = sum(_per_policy_bound(counts, in_organization) for counts in types.values())
    return Listing(per_policy=floor <= per_target, per_target_calls=per_target, per_policy_floor=floor,
                   per_policy_bound=bound, budgeted=floor <= per_target < bound)


def _per_policy_floor(counts: TypeCounts, targets: int) -> int:
    return counts.managed * max(1, math.ceil(targets / PAGE)) + counts.custom


def _per_policy_bound(counts: TypeCounts, targets: int) -> int:
    if not counts.custom:
        return _per_policy_floor(counts, targets)
    slots = min(counts.maximum, counts.custom) if counts.maximum is not None else counts.custom
    return _per_policy_floor(counts, targets) + math.ceil(targets * slots / PAGE)
