"""AWS's numbers for policy attachments, per policy type: one table, each row
with its source and the day it was checked, and a stack's override of it.

Pure: no AWS call, no Pulumi. The rules (:mod:`provider.rules`) and the planner
(:mod:`provider.ordering`) take a :class:`Limits` as an argument, so the program,
the plan-time guard and the provider's ``check`` and ``delete`` all decide with
the numbers the stack assumes: AWS's as of the table's date, or the stack's own
(``org-policies:limits``) where AWS has moved since, or a partition lags.

Counts are of policies attached *directly* to a root, OU or account; inherited
ones never count (AWS Organizations user guide, "Quotas and service limits").
A number AWS does not publish is None: nothing is refused on a guess, and AWS's
answer at apply time decides (an override can supply one).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Optional

SERVICE_CONTROL_POLICY = "SERVICE_CONTROL_POLICY"
RESOURCE_CONTROL_POLICY = "RESOURCE_CONTROL_POLICY"

#: The stack config key of the override, and its namespace-less name.
CONFIG_KEY = "org-policies:limits"
#: The override's keys per type, in the stack config's camelCase.
MINIMUM, MAXIMUM, DOCUMENT_CHARACTERS = "minimum", "maximum", "documentCharacters"
OVERRIDE_KEYS = (MINIMUM, MAXIMUM, DOCUMENT_CHARACTERS)

_CHECKED = "2026-12-03"
_WHATS_NEW_2026 = ("AWS What's new, 2026-05-15, \"AWS Organizations increased SCP quotas\" "
                   "(10 SCPs per target, was 5; 10,240 characters, was 5,120)")
_GUIDE_TYPES = "AWS Organizations user guide, \"Managing organization policies\", policy types table"
_GUIDE_QUOTAS = "AWS Organizations user guide, \"Quotas and service limits\", maximum size of a policy document"


@dataclass(frozen=True)
class TypeLimits:
    """What AWS allows for one policy type on one root, OU or account."""

    #: policies of the type a target must keep attached at all times
    minimum: int
    #: the most a target may have attached directly; None: not published, not checked here
    maximum: Optional[int]
    #: the most characters of one policy document (whitespace included); None: not checked here
    document_characters: Optional[int]
    #: where the numbers come from, and the day they were last checked against it
    source: str = field(default="", compare=False)
    checked: str = field(default="", compare=False)


#: AWS's numbers per policy type, as of :data:`_CHECKED`.
AWS_LIMITS: Mapping[str, TypeLimits] = MappingProxyType({
    SERVICE_CONTROL_POLICY: TypeLimits(
        1, 10, 10_240, f"{_WHATS_NEW_2026}; minimum: user guide, \"Service control policies\"", _CHECKED),
    RESOURCE_CONTROL_POLICY: TypeLimits(
        0, 5, 5_120, f"{_GUIDE_QUOTAS}; no change reported in 2026 (RCPFullAWSAccess, which AWS never "
                     "detaches, keeps one attached: no minimum is needed here)", _CHECKED),
    "TAG_POLICY": TypeLimits(0, 10, 10_000, f"{_GUIDE_TYPES}; {_GUIDE_QUOTAS}", _CHECKED),
    "BACKUP_POLICY": TypeLimits(0, 10, 10_000, f"{_GUIDE_TYPES}; {_GUIDE_QUOTAS}", _CHECKED),
    "AISERVICES_OPT_OUT_POLICY": TypeLimits(0, 5, 2_500, f"{_GUIDE_TYPES}; {_GUIDE_QUOTAS}", _CHECKED),
    "CHATBOT_POLICY": TypeLimits(0, None, 10_000, f"{_GUIDE_QUOTAS}; no per-target maximum published", _CHECKED),
    "DECLARATIVE_POLICY_EC2": TypeLimits(0, None, 10_000, f"{_GUIDE_QUOTAS}; no per-target maximum published",
                                         _CHECKED),
    "SECURITYHUB_POLICY": TypeLimits(0, None, 10_000, f"{_GUIDE_QUOTAS}; no per-target maximum published",
                                     _CHECKED),
    "SECURITYHUB_CSPM_POLICY": TypeLimits(0, None, 10_000, f"{_GUIDE_QUOTAS} (Security Hub CSPM); no per-target "
                                                           "maximum published", _CHECKED),
})

#: Every other type (AWS adds some every few months): no number is published, none is checked.
UNLISTED = TypeLimits(0, None, None, "not in AWS's published quotas: AWS decides at apply time", _CHECKED)


class LimitsConfigError(ValueError):
    """An ``org-policies:limits`` value this package cannot use; the message names
    the type and the key and says what is accepted."""


@dataclass(frozen=True)
class Limits:
    """AWS's numbers as one stack assumes them: :data:`AWS_LIMITS`, overridden per
    type by the stack's ``org-policies:limits``."""

    overrides: Mapping[str, TypeLimits] = field(default_factory=dict)

    def of(self, policy_type: str) -> TypeLimits:
        """The numbers for ``policy_type``: the stack's, else AWS's, else :data:`UNLISTED`."""
        return self.overrides.get(policy_type) or AWS_LIMITS.get(policy_type, UNLISTED)

    def is_overridden(self, policy_type: str) -> bool:
        """True when the stack's config sets the numbers of ``policy_type``."""
        return policy_type in self.overrides


#: AWS's numbers with no override.
DEFAULT = Limits()


def limits_from_config(raw: Any, known_types: Optional[frozenset[str]] = None) -> Limits:
    """The :class:`Limits` an ``org-policies:limits`` value says: None (not set),
    a mapping, or its JSON text (as the engine hands stack config to a provider).

    Shape: ``{POLICY_TYPE: {minimum: n, maximum: n, documentCharacters: n}}``,
    any subset of the keys per type; what a type leaves out keeps AWS's number.
    ``known_types`` (the policy types of botocore's model) refuses a misspelt
    type. Raises LimitsConfigError naming the type and key."""
    if raw is None or raw == "":
        return DEFAULT
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise LimitsConfigError(f"{CONFIG_KEY} must be a mapping of policy type -> "
                                    f"{{{', '.join(OVERRIDE_KEYS)}}}, not {raw!r}") from None
    if not isinstance(raw, Mapping):
        raise LimitsConfigError(f"{CONFIG_KEY} must be a mapping of policy type -> "
                                f"{{{', '.join(OVERRIDE_KEYS)}}}, not {type(raw).__name__}")
    return Limits({policy_type: _type_override(policy_type, numbers, known_types)
                   for policy_type, numbers in raw.items()})


def _type_override(policy_type: Any, numbers: Any, known_types: Optional[frozenset[str]]) -> TypeLimits:
    where = f"{CONFIG_KEY}.{policy_type}"
    if not isinstance(policy_type, str) or (known_types is not None and policy_type not in known_types):
        raise LimitsConfigError(f"{where}: unknown policy type {policy_type!r}; use one of "
                                f"{', '.join(sorted(known_types or AWS_LIMITS))}")
    if not isinstance(numbers, Mapping):
        raise LimitsConfigError(f"{where} must be a mapping with keys {', '.join(OVERRIDE_KEYS)}, "
                                f"not {numbers!r}")
    unknown = sorted(str(key) for key in numbers if key not in OVERRIDE_KEYS)
    if unknown:
        raise LimitsConfigError(f"{where}: unknown key {unknown[0]!r}; the keys are {', '.join(OVERRIDE_KEYS)}")
    for key, value in numbers.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < (1 if key != MINIMUM else 0):
            floor = "0 or more" if key == MINIMUM else "1 or more"
            raise LimitsConfigError(f"{where}.{key} must be a whole number, {floor}, not {value!r}")
    aws = AWS_LIMITS.get(policy_type, UNLISTED)
    merged = replace(aws, minimum=numbers.get(MINIMUM, aws.minimum),
                     maximum=numbers.get(MAXIMUM, aws.maximum),
                     document_characters=numbers.get(DOCUMENT_CHARACTERS, aws.document_characters),
                     source=f"stack config {CONFIG_KEY}", checked="")
    if merged.maximum is not None and merged.minimum > merged.maximum:
        raise LimitsConfigError(f"{where}: minimum {merged.minimum} is more than maximum {merged.maximum}")
    return merged


def describe(limits: TypeLimits) -> dict[str, Optional[int]]:
    """``{minimum, maximum, documentCharacters}`` of one row, in the override's keys."""
    return {MINIMUM: limits.minimum, MAXIMUM: limits.maximum, DOCUMENT_CHARACTERS: limits.document_characters}
