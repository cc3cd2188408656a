"""AWS's attachment rules as pure decisions: values in, a verdict out.

Nothing here talks to AWS or to Pulumi. The provider (at apply time) and the
plan-time guard (at preview time) both decide through these functions, so a
preview refuses exactly what ``pulumi up`` would.

Limits count policies attached *directly* to a target; inherited ones do not
count (AWS Organizations user guide, "Quotas"). Policy types appear every few
months, so an unknown type gets conservative defaults instead of an error.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Set
from dataclasses import dataclass
from enum import Enum
from typing import Any, Optional

SERVICE_CONTROL_POLICY = "SERVICE_CONTROL_POLICY"

#: AWS-managed policies that AWS refuses to detach at all.
UNDETACHABLE_POLICIES = frozenset({"p-RCPFullAWSAccess"})

#: AWS-managed SCPs whose (immutable) document allows every action: no need to
#: read them to know a target that keeps one is not locked out.
ALLOW_ALL_POLICIES = frozenset({"p-FullAWSAccess"})

#: The only values AWS accepts for a statement's Effect (case-sensitive, per the
#: IAM policy grammar that SCPs use).
_EFFECTS = frozenset({"Allow", "Deny"})


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


#: The most characters AWS accepts in a policy document of each type, whitespace
#: included (AWS Organizations user guide, "Quotas for AWS Organizations": maximum
#: size of a policy document). A type the guide gives no number for (newer ones)
#: is not checked here: AWS's answer at apply time stays authoritative.
CONTENT_LIMITS = {
    SERVICE_CONTROL_POLICY: 5_120,
    "RESOURCE_CONTROL_POLICY": 5_120,
    "DECLARATIVE_POLICY_EC2": 10_000,
    "BACKUP_POLICY": 10_000,
    "TAG_POLICY": 10_000,
    "CHATBOT_POLICY": 10_000,
    "AISERVICES_OPT_OUT_POLICY": 2_500,
    "SECURITYHUB_POLICY": 10_000,
}


def limits_for(policy_type: str) -> PolicyLimits:
    """Per-target limits of ``policy_type``; :data:`DEFAULT_LIMITS` for types not listed."""
    return _LIMITS.get(policy_type, DEFAULT_LIMITS)


def is_undetachable(policy_id: str) -> bool:
    """True for AWS-managed policies that can never be detached (RCPFullAWSAccess)."""
    return policy_id in UNDETACHABLE_POLICIES


def policies_after(
    attached: Iterable[str],
    arriving: Iterable[str],
    leaving: Iterable[str],
) -> frozenset[str]:
    """Policies a target carries after a run's changes: (attached now ∪
    arriving) − leaving, each counted once. Judges detaches (too few left?)
    and attaches (too many?) alike."""
    return frozenset(attached).union(arriving).difference(leaving)


def detach_leaves_too_few(policy_type: str, remaining: Set[str], arriving: int = 0) -> bool:
    """True when a target left with ``remaining`` policies of ``policy_type``
    (plus ``arriving`` whose IDs are not known yet) would be below AWS's
    minimum for that type (an SCP target with no SCP)."""
    return len(remaining) + arriving < limits_for(policy_type).minimum


class Detach(Enum):
    """What a detach needs before it may go ahead (:func:`detach_verdict`)."""

    ALLOWED = "allowed"  # nothing more to know
    TOO_FEW = "too few"  # the target would be left below the type's minimum
    READ_DOCUMENTS = "read documents"  # an SCP target keeps no FullAWSAccess: a lockout?


def detach_verdict(policy_type: str, remaining: Set[str], arriving: int = 0) -> Detach:
    """The one verdict on a detach, shared by the provider's ``delete`` and the
    plan-time guard: ``remaining`` are the policy IDs of ``policy_type`` the
    target keeps, ``arriving`` how many more it gets whose IDs are not known
    yet (policies created in the same update)."""
    if detach_leaves_too_few(policy_type, remaining, arriving):
        return Detach.TOO_FEW
    if policy_type == SERVICE_CONTROL_POLICY and remaining.isdisjoint(ALLOW_ALL_POLICIES):
        return Detach.READ_DOCUMENTS
    return Detach.ALLOWED


def attach_exceeds_maximum(policy_type: str, after_attach: Set[str]) -> bool:
    """True when ``after_attach`` (distinct policy IDs the target would carry,
    the new one included) is more than AWS allows for ``policy_type``."""
    return len(after_attach) > limits_for(policy_type).maximum


# -- lockout: SCPs that allow nothing ------------------------------------------------
#
# SCPs only filter: an action is allowed at a root, OU or account only if some SCP
# attached *directly* to it allows it. A target whose SCPs hold Deny statements only
# denies every action to every account below it (the management account excepted),
# and AWS accepts the detach that gets it there.


def document_allows(document: Optional[str]) -> Optional[bool]:
    """Whether an SCP document allows any action.

    True: some statement has ``"Effect": "Allow"`` and an ``Action`` or
    ``NotAction`` (conditions and resources are not evaluated: an Allow counts).
    False: the document is well formed and every statement denies. None: the
    document is unknown or not one AWS would accept (not JSON, no Statement,
    a statement that is not an object, an Effect other than exactly ``Allow`` or
    ``Deny``): callers must never refuse on such a guess.
    """
    if document is None:
        return None
    try:
        parsed: Any = json.loads(document)
    except (TypeError, ValueError):
        return None
    statements = parsed.get("Statement") if isinstance(parsed, dict) else None
    if isinstance(statements, dict):  # AWS accepts one statement as an object
        statements = [statements]
    if not isinstance(statements, list) or not statements:
        return None
    allows = False
    for statement in statements:
        if not isinstance(statement, dict) or statement.get("Effect") not in _EFFECTS:
            return None
        action, not_action = _actions(statement.get("Action")), _actions(statement.get("NotAction"))
        if action is None or not_action is None or not (action or not_action):
            return None  # AWS requires one of them, as a string or a list of strings
        allows = allows or statement["Effect"] == "Allow"
    return allows


def _actions(value: Any) -> Optional[bool]:
    """True for a non-empty action string or list of strings, False when absent,
    None when malformed."""
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return bool(value)
    return None


def allows_nothing(documents: Iterable[Optional[str]]) -> bool:
    """True when the SCP documents a target keeps, taken together, allow no
    action at all: each is readable and none allows anything. A single unknown
    or unreadable document (None from :func:`document_allows`) makes it False:
    never refuse on a guess. An empty collection allows nothing (True); the
    minimum rule (:func:`detach_leaves_too_few`) refuses that case first.
    """
    return all(document_allows(document) is False for document in documents)


def detach_locks_out(
    policy_id: str,
    remaining: Iterable[str],
    content: Callable[[str], Optional[str]],
    new_documents: Iterable[Optional[str]] = (),
) -> bool:
    """True when detaching the SCP ``policy_id`` takes its target from allowing
    some action to allowing none: the detached SCP allows something and the
    SCPs the target keeps (``remaining`` policy IDs, plus documents of policies
    not created yet) allow nothing (:func:`allows_nothing`).

    Detaching an SCP that allows nothing never takes anything away, even from
    a target that is already locked out, so it is never refused. Documents are
    read through ``content`` (a policy's document, None when it is gone or
    unknown) lazily, stopping as soon as the answer is known; FullAWSAccess is
    never read.
    """
    remaining = sorted(remaining)
    if any(p in ALLOW_ALL_POLICIES for p in remaining):
        return False
    if policy_id not in ALLOW_ALL_POLICIES and document_allows(content(policy_id)) is not True:
        return False
    return allows_nothing(itertools.chain(new_documents, map(content, remaining)))
