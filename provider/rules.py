"""AWS's attachment rules as pure decisions: values in, a verdict out.

Nothing here talks to AWS or to Pulumi. The provider (at apply time) and the
plan-time guard (at preview time) both decide through these functions, so a
preview refuses exactly what ``pulumi up`` would.

Limits count policies attached *directly* to a target; inherited ones do not
count (AWS Organizations user guide, "Quotas"). Policy types appear every few
months, so an unknown type gets conservative defaults instead of an error.
"""

from __future__ import annotations

from collections.abc import Iterable, Set
from dataclasses import dataclass

SERVICE_CONTROL_POLICY = "SERVICE_CONTROL_POLICY"
RESOURCE_CONTROL_POLICY = "RESOURCE_CONTROL_POLICY"

#: AWS-managed policies that AWS refuses to detach at all.
UNDETACHABLE_POLICIES = frozenset({"p-RCPFullAWSAccess"})


@dataclass(frozen=True)
class PolicyLimits:
    """How many policies of one type a single target must and may have attached."""

    minimum: int
    maximum: int


_LIMITS: dict[str, PolicyLimits] = {
    SERVICE_CONTROL_POLICY: PolicyLimits(minimum=1, maximum=5),
    "TAG_POLICY": PolicyLimits(minimum=0, maximum=10),
    "BACKUP_POLICY": PolicyLimits(minimum=0, maximum=10),
    "AISERVICES_OPT_OUT_POLICY": PolicyLimits(minimum=0, maximum=5),
}

#: Types not in the table above (RCPs and every newer type): AWS documents a
#: maximum of 5 for most of them and no minimum; the apply-time answer from
#: AWS stays the backstop if a future type differs.
DEFAULT_LIMITS = PolicyLimits(minimum=0, maximum=5)


def limits_for(policy_type: str) -> PolicyLimits:
    """Per-target limits of ``policy_type``; :data:`DEFAULT_LIMITS` for types not listed."""
    return _LIMITS.get(policy_type, DEFAULT_LIMITS)


def is_undetachable(policy_id: str) -> bool:
    """True for AWS-managed policies that can never be detached (RCPFullAWSAccess)."""
    return policy_id in UNDETACHABLE_POLICIES


def remaining_after_detach(
    attached: Iterable[str],
    declared: Iterable[str],
    detached: Iterable[str],
) -> frozenset[str]:
    """Policies a target carries after a run: (attached now ∪ declared to stay or
    arrive) − detached, each counted once. Judges detaches (too few left?) and
    attaches (too many?) alike."""
    return frozenset(attached).union(declared).difference(detached)


def detach_leaves_too_few(policy_type: str, remaining: Set[str]) -> bool:
    """True when a target left with ``remaining`` policies of ``policy_type`` would
    be below AWS's minimum for that type (an SCP target with no SCP)."""
    return len(remaining) < limits_for(policy_type).minimum


def attach_exceeds_maximum(policy_type: str, after_attach: Set[str]) -> bool:
    """True when ``after_attach`` (distinct policy IDs the target would carry,
    the new one included) is more than AWS allows for ``policy_type``."""
    return len(after_attach) > limits_for(policy_type).maximum
