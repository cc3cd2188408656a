"""AWS's limits per policy type, as of the date each row was checked, and its AWS-managed
policies.

Roles:
- ``PolicyTypeLimits``: one row: how many policies of a type one root, OU or account must and
  may have *directly* attached (inherited ones never count), and the longest document in
  characters, each with its source and the date it was checked.
- ``AWS_LIMITS``: today's rows for the types AWS publishes numbers for; ``DEFAULT_LIMITS``:
  every other type (``limits_for``). ``None`` means AWS publishes no number, so the endpoint
  enforces none and leaves the call to moto, which accepts it.

The endpoint keeps its own copy of these numbers, apart from the product's table, so it models
AWS independently of the code it tests; a product test compares the two. Each row reduces to
``(minimum, maximum, document_characters)`` with ``PolicyTypeLimits.numbers()``, e.g.
``{t: row.numbers() for t, row in AWS_LIMITS.items()}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

SERVICE_CONTROL_POLICY = "SERVICE_CONTROL_POLICY"
RESOURCE_CONTROL_POLICY = "RESOURCE_CONTROL_POLICY"

#: When the rows below were last compared with their sources.
CHECKED = "2026-12-03"
_USER_GUIDE_QUOTAS = 'AWS Organizations User Guide, "Quotas and service limits"'
_USER_GUIDE_POLICIES = 'AWS Organizations User Guide, "Managing organization policies" (table)'


@dataclass(frozen=True)
class PolicyTypeLimits:
    """AWS's limits for one policy type. ``minimum``/``maximum``: policies of the type directly
    attached to one root, OU or account; ``document_characters``: the longest document,
    whitespace included. ``None``: not published, not enforced by the endpoint."""

    minimum: int
    maximum: int | None
    document_characters: int | None
    source: str
    checked: str = CHECKED

    def numbers(self) -> tuple[int, int | None, int | None]:
        """``(minimum, maximum, document_characters)``: the row without its provenance."""
        return (self.minimum, self.maximum, self.document_characters)


def _published_document_only(policy_type: str) -> tuple[str, PolicyTypeLimits]:
    # The quotas page gives these types a document size but no per-target maximum.
    return policy_type, PolicyTypeLimits(0, None, 10_000, f"{_USER_GUIDE_QUOTAS}; no maximum published")


AWS_LIMITS: Mapping[str, PolicyTypeLimits] = MappingProxyType(
    {
        # Raised on 2026-05-15 in every commercial Region, GovCloud and China (before: 5 and
        # 5,120). The minimum: AWS refuses to detach a target's last SCP.
        SERVICE_CONTROL_POLICY: PolicyTypeLimits(
            1, 10, 10_240,
            'AWS "What\'s new", May 2026, "AWS Organizations increased SCP quotas"; '
            "Landing Zone Accelerator 1.16.0 (its issue #1119)",
        ),
        # Unchanged in May 2026. Minimum 0: RCPFullAWSAccess, which AWS never lets anyone detach,
        # keeps one attached (NON_DETACHABLE_POLICY_IDS), so no count is needed for it.
        RESOURCE_CONTROL_POLICY: PolicyTypeLimits(0, 5, 5_120, _USER_GUIDE_QUOTAS),
        "TAG_POLICY": PolicyTypeLimits(0, 10, 10_000, f"{_USER_GUIDE_POLICIES}; {_USER_GUIDE_QUOTAS}"),
        "BACKUP_POLICY": PolicyTypeLimits(0, 10, 10_000, f"{_USER_GUIDE_POLICIES}; {_USER_GUIDE_QUOTAS}"),
        "AISERVICES_OPT_OUT_POLICY": PolicyTypeLimits(
            0, 5, 2_500, f"{_USER_GUIDE_POLICIES}; {_USER_GUIDE_QUOTAS}"
        ),
        **dict(
            _published_document_only(t)
            for t in ("CHATBOT_POLICY", "DECLARATIVE_POLICY_EC2", "SECURITYHUB_POLICY",
                      "SECURITYHUB_CSPM_POLICY")
        ),
    }
)

#: Every other type of botocore's model (INSPECTOR_POLICY, S3_POLICY, ...) and any type added
#: later: AWS publishes no number for them, so the endpoint enforces none.
DEFAULT_LIMITS = PolicyTypeLimits(
    0, None, None, f"{_USER_GUIDE_QUOTAS}: no numbers published for the type"
)


def limits_for(policy_type: str) -> PolicyTypeLimits:
    """Today's limits for ``policy_type``; unknown or new types get DEFAULT_LIMITS."""
    return AWS_LIMITS.get(policy_type, DEFAULT_LIMITS)


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
