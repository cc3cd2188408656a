"""AWS's per-target policy attachment limits and its AWS-managed policies.

These are the emulator's own copy of AWS's rules, kept apart from the provider under test so the
endpoint models AWS independently of the code it checks. Source: docs/aws-organizations.md
("Per-target limits"); the counts are of *directly* attached policies, inherited ones never count.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

SERVICE_CONTROL_POLICY = "SERVICE_CONTROL_POLICY"
RESOURCE_CONTROL_POLICY = "RESOURCE_CONTROL_POLICY"


@dataclass(frozen=True)
class AttachmentLimits:
    """How many policies of one type a single root, OU or account may have directly attached."""

    minimum: int
    maximum: int


LIMITS: Mapping[str, AttachmentLimits] = MappingProxyType(
    {
        SERVICE_CONTROL_POLICY: AttachmentLimits(minimum=1, maximum=5),
        "TAG_POLICY": AttachmentLimits(minimum=0, maximum=10),
        "BACKUP_POLICY": AttachmentLimits(minimum=0, maximum=10),
        "AISERVICES_OPT_OUT_POLICY": AttachmentLimits(minimum=0, maximum=5),
    }
)

#: RCPs and every newer type: AWS publishes no number the docs could verify; 5 is the common one.
#: The RCP floor is kept by NON_DETACHABLE_POLICY_IDS rather than by a minimum.
DEFAULT_LIMITS = AttachmentLimits(minimum=0, maximum=5)


@dataclass(frozen=True)
class ManagedPolicy:
    """A policy AWS creates and attaches to every root, OU and account by itself."""

    name: str
    policy_id: str
    policy_type: str
    detachable: bool


#: Moto creates both and attaches them everywhere; AWS does the same once the type is enabled.
AWS_MANAGED_POLICIES: tuple[ManagedPolicy, ...] = (
    ManagedPolicy("FullAWSAccess", "p-FullAWSAccess", SERVICE_CONTROL_POLICY, detachable=True),
    # User guide: "You cannot detach this policy."
    ManagedPolicy(
        "RCPFullAWSAccess", "p-RCPFullAWSAccess", RESOURCE_CONTROL_POLICY, detachable=False
    ),
)

NON_DETACHABLE_POLICY_IDS: frozenset[str] = frozenset(
    p.policy_id for p in AWS_MANAGED_POLICIES if not p.detachable
)


def limits_for(policy_type: str) -> AttachmentLimits:
    """The per-target limits for ``policy_type``; unknown or new types get DEFAULT_LIMITS."""
    return LIMITS.get(policy_type, DEFAULT_LIMITS)


#: The most characters a policy document of each type may have, whitespace included
#: (AWS Organizations user guide, "Quotas": maximum size of a policy document). Types the
#: guide gives no number for are not limited here.
CONTENT_LIMITS: Mapping[str, int] = MappingProxyType(
    {
        SERVICE_CONTROL_POLICY: 5_120,
        RESOURCE_CONTROL_POLICY: 5_120,
        "DECLARATIVE_POLICY_EC2": 10_000,
        "BACKUP_POLICY": 10_000,
        "TAG_POLICY": 10_000,
        "CHATBOT_POLICY": 10_000,
        "AISERVICES_OPT_OUT_POLICY": 2_500,
        "SECURITYHUB_POLICY": 10_000,
    }
)
