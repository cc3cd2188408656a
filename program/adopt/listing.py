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
an AWS-managed policy is on every target of the organization (``ceil(T / 20)`` pages);
the custom policies of a type together are on at most ``T x m`` targets, ``m`` the
type's per-target maximum (or the number of its policies, when AWS publishes none).
Per policy is chosen only when that bound is no more than the per-target count, so the
choice never costs more calls than per target, and over a whole organization (T in the
thousands, tens of policies) it costs a small fraction of them.
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
    """The choice, with the counts it was made on (shown in the bench and ``--verbose``)."""

    per_policy: bool
    #: calls per target: exact
    per_target_calls: int
    #: calls per policy: an upper bound (see the module docstring)
    per_policy_bound: int

    @property
    def name(self) -> str:
        return "ListTargetsForPolicy per policy" if self.per_policy else "ListPoliciesForTarget per target"


def choose(*, in_scope: int, in_organization: int, types: Mapping[str, TypeCounts]) -> Listing:
    """The listing for ``in_scope`` targets of an organization of ``in_organization``
    targets (or a lower bound of it), for the policy ``types`` chosen."""
    per_target = in_scope * len(types)
    bound = sum(_per_policy_bound(counts, in_organization) for counts in types.values())
    return Listing(per_policy=bound <= per_target, per_target_calls=per_target, per_policy_bound=bound)


def _per_policy_bound(counts: TypeCounts, targets: int) -> int:
    managed = counts.managed * max(1, math.ceil(targets / PAGE))
    if not counts.custom:
        return managed
    slots = min(counts.maximum, counts.custom) if counts.maximum is not None else counts.custom
    return managed + counts.custom + math.ceil(targets * slots / PAGE)
