"""AWS's limits per policy type, as of the date each row was checked, and its AWS-managed
policies.

Roles:
- ``PolicyTypeLimits``: one row: how many policies of a type one root, OU or account must and
  may have *directly* attached (inherited ones never count), and the longest document in
  characters, each with its source and the date it was checked.
- ``AWS_LIMITS``: today's rows for the types AWS publishes numbers for; ``DEFAULT_LIMITS``:
  every other type (``limits_for``). ``None`` means AWS publishes no number, so the endpoint
  enforces none and leaves the call to moto, which accepts it.
- ``LimitsConfig``: today's rows with some numbers replaced, so tests can run under other
  limits (``BEFORE_2026_05_15``: the SCP quotas before AWS raised them). Its JSON has the shape
  of the product's stack config ``org-policies:limits``: policy type -> any of ``minimum``,
  ``maximum``, ``documentCharacters``. ``LimitsConfigError`` names the type and key it refuses.

The endpoint keeps its own copy of these numbers, apart from the product's table, so it models
AWS independently of the code it tests; a product test compares the two. Each row reduces to
``(minimum, maximum, document_characters)`` with ``PolicyTypeLimits.numbers()``, e.g.
``{t: row.numbers() for t, row in AWS_LIMITS.items()}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from .service_model import aws_policy_types

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


#: The override's keys (camelCase, as in the product's stack config) -> PolicyTypeLimits fields.
OVERRIDE_KEYS: Mapping[str, str] = MappingProxyType(
    {"minimum": "minimum", "maximum": "maximum", "documentCharacters": "document_characters"}
)

#: The override that brings back the SCP quotas AWS had until 2026-05-15.
BEFORE_2026_05_15: Mapping[str, Mapping[str, int]] = MappingProxyType(
    {SERVICE_CONTROL_POLICY: MappingProxyType({"maximum": 5, "documentCharacters": 5_120})}
)

_EXAMPLE = '{"SERVICE_CONTROL_POLICY": {"maximum": 5, "documentCharacters": 5120}}'


class LimitsConfigError(ValueError):
    """A limits override that cannot be applied. ``str()`` is one line: the policy type and key
    (``SERVICE_CONTROL_POLICY.maximum``), what is wrong, what to write instead. ``policy_type``
    and ``key`` (None: not about one) let a caller point at the place, e.g. a seed file's line."""

    def __init__(self, problem: str, fix: str, policy_type: str | None = None,
                 key: str | None = None) -> None:
        self.problem, self.fix, self.policy_type, self.key = problem, fix, policy_type, key
        where = ".".join(part for part in (policy_type, key) if part)
        super().__init__(f"{where}: {problem}; {fix}" if where else f"{problem}; {fix}")


@dataclass(frozen=True)
class LimitsConfig:
    """Today's limits with the numbers in ``override`` (policy type -> {key: number}) instead.

    An empty override (``TODAY``) is AWS_LIMITS as they are. Build one with ``from_json``,
    which checks every type, key and number.
    """

    override: Mapping[str, Mapping[str, int]] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Any) -> LimitsConfig:
        """Parse ``{"SERVICE_CONTROL_POLICY": {"maximum": 5}, ...}`` (any keys per type).

        LimitsConfigError for a type not in botocore's model, an unknown key, a number that is
        not a whole number, is negative, a maximum below 1, or a minimum above the maximum.
        """
        if not isinstance(data, Mapping):
            raise LimitsConfigError(f"expected an object of policy types, got {data!r}",
                                    f"write e.g. {_EXAMPLE}")
        override = {}
        for policy_type, numbers in data.items():
            _check_row(policy_type, numbers)
            override[policy_type] = MappingProxyType(dict(numbers))
        return cls(MappingProxyType(override))

    def limits_for(self, policy_type: str) -> PolicyTypeLimits:
        """The limits in force for ``policy_type``: today's, with the override's numbers."""
        return _overridden(policy_type, self.override.get(policy_type, {}))

    def to_json(self) -> dict[str, dict[str, int]]:
        """The override alone, as ``from_json`` reads it."""
        return {policy_type: dict(numbers) for policy_type, numbers in self.override.items()}

    def table_json(self) -> dict[str, Any]:
        """Every type of botocore's model with the numbers in force, in the override's shape
        (``null``: not enforced), and which types the override changes."""
        return {
            "limits": {policy_type: _row_json(self.limits_for(policy_type))
                       for policy_type in aws_policy_types()},
            "overridden": sorted(self.override),
        }


#: No override: AWS's limits as of CHECKED.
TODAY = LimitsConfig()


def _check_row(policy_type: Any, numbers: Any) -> None:
    known = aws_policy_types()
    if policy_type not in known:
        raise LimitsConfigError("unknown policy type", f"use one of: {', '.join(known)}",
                                str(policy_type))
    if not isinstance(numbers, Mapping):
        raise LimitsConfigError(f"expected an object, got {numbers!r}",
                                f"give any of {', '.join(OVERRIDE_KEYS)}, e.g. {{\"maximum\": 5}}",
                                policy_type)
    for key, value in numbers.items():
        if key not in OVERRIDE_KEYS:
            raise LimitsConfigError("unknown key", f"use {', '.join(OVERRIDE_KEYS)}",
                                    policy_type, str(key))
        if isinstance(value, bool) or not isinstance(value, int):
            raise LimitsConfigError(f"must be a whole number, got {value!r}",
                                    "write a number without quotes or decimals", policy_type, key)
        if value < 0:
            raise LimitsConfigError(f"must not be negative, got {value}", "use 0 or more",
                                    policy_type, key)
        if key == "maximum" and value < 1:
            raise LimitsConfigError(f"must be at least 1, got {value}",
                                    "a target must be able to hold one policy of the type",
                                    policy_type, key)
    row = _overridden(policy_type, numbers)
    if row.maximum is not None and row.minimum > row.maximum:
        raise LimitsConfigError(f"the minimum, {row.minimum}, is above the maximum, {row.maximum}",
                                "lower the minimum or raise the maximum", policy_type,
                                "minimum" if "minimum" in numbers else "maximum")


def _overridden(policy_type: str, numbers: Mapping[str, int]) -> PolicyTypeLimits:
    row = limits_for(policy_type)
    if not numbers:
        return row
    return replace(
        row,
        minimum=numbers.get("minimum", row.minimum),
        maximum=numbers.get("maximum", row.maximum),
        document_characters=numbers.get("documentCharacters", row.document_characters),
        source=f"override (today: {row.numbers()})",
    )


def _row_json(row: PolicyTypeLimits) -> dict[str, int | None]:
    return {key: getattr(row, attribute) for key, attribute in OVERRIDE_KEYS.items()}


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
