"""The refusals of :mod:`provider.rules`' verdicts, built in one place, so a refusal
reads the same at preview (the guard, ``check``) and at apply time (``delete``),
whoever finds it first.

Pure: a verdict and the names the caller looked up in, an error out. Callers
gather names (a policy's "Name (p-id)", a target's path or account name) with
their own lookups; nothing here calls AWS.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Optional

from . import errors, ids, rules
from .limits import Limits
from .names import policy_type_label


@dataclass(frozen=True)
class TargetFacts:
    """What a refusal says about a target; each field None when unknown."""

    #: the target as messages name it (names.target_display)
    display: Optional[str] = None
    #: accounts at or below the target (the management account included), when counting them was cheap
    accounts: Optional[int] = None
    management_account_id: Optional[str] = None


def last_policy(policy: str, target: str, target_id: str, policy_type: str, limits: Limits) -> errors.LastPolicyError:
    """Detaching ``policy`` (as named) would leave ``target`` below its type's minimum."""
    return errors.LastPolicyError(policy=policy, target=target, target_id=target_id,
                                  type_label=policy_type_label(policy_type),
                                  minimum=max(1, limits.of(policy_type).minimum))


def too_many(policy: str, target: str, target_id: str, policy_type: str, refusal: rules.TooMany,
             name: Callable[[str], str], limits: Limits) -> errors.PolicyLimitExceededError:
    """Attaching ``policy`` would exceed the type's maximum; ``name`` shows a policy ID."""
    overridden = limits.is_overridden(policy_type)
    return errors.PolicyLimitExceededError(
        policy=policy, target=target, target_id=target_id, count=refusal.count,
        type_label=policy_type_label(policy_type), maximum=refusal.maximum, policy_type=policy_type,
        attached=", ".join(sorted(name(p) for p in refusal.attached)) or "none",
        arriving=", ".join(sorted(name(p) for p in refusal.arriving)) or None,
        limit_source=limit_source(policy_type, limits),
        overridden_maximum=refusal.maximum if overridden else None, aws_maximum=None if overridden else refusal.maximum)


def limit_source(policy_type: str, limits: Limits) -> str:
    """"AWS allows at most 10" or, under an override, "this stack's org-policies:limits allow at most 5"."""
    maximum = limits.of(policy_type).maximum
    if limits.is_overridden(policy_type):
        return f"this stack's org-policies:limits allow at most {maximum}"
    return f"AWS allows at most {maximum} (as of {limits.of(policy_type).checked})"


def lockout(policy: str, target_id: str, remaining: Sequence[str], facts: TargetFacts) -> Optional[errors.LockoutError]:
    """Detaching ``policy`` leaves ``target_id`` SCPs (``remaining``, as named) that
    allow nothing; None for the management account, which SCPs never restrict."""
    if not rules.lockout_applies(target_id, facts.management_account_id):
        return None
    target = facts.display or target_id
    kind = ids.target_type(target_id)
    if kind == ids.ACCOUNT:
        scope = f"account {target}" if not target.startswith("account ") else target
    else:
        where = "the organization" if kind == ids.ROOT else target
        count = facts.accounts
        scope = (f"every account of {where}" if count is None
                 else f"the {count} account{'' if count == 1 else 's'} of {where}")
    return errors.LockoutError(policy=policy, target=target, target_id=target_id,
                               remaining=", ".join(remaining) or "none", scope=scope)


def detach_refusal(decision: rules.DetachDecision, policy: str, target_id: str, policy_type: str,
                   remaining: Sequence[str], facts: TargetFacts, limits: Limits
                   ) -> Optional[errors.PolicyAttachmentError]:
    """The error for a refused :func:`provider.rules.judge_detach` decision, None
    when it allows the detach (or the lockout is of the management account)."""
    if decision.verdict is rules.Detach.TOO_FEW:
        return last_policy(policy, facts.display or target_id, target_id, policy_type, limits)
    if decision.verdict is rules.Detach.LOCKS_OUT:
        return lockout(policy, target_id, remaining, facts)
    return None


def exclusive_order(target: str, target_id: str, policy_type: str, declared: Iterable[str],
                    attached: Iterable[str], reason: str, limits: Limits) -> errors.ExclusiveOrderError:
    """No order reaches the declared set of an exclusive target."""
    return errors.ExclusiveOrderError(
        target=target, target_id=target_id, type_label=policy_type_label(policy_type), reason=reason,
        declared=", ".join(sorted(declared)) or "no policies", attached=", ".join(sorted(attached)) or "none",
        limits=limits_text(policy_type, limits))


def exclusive_restore(target: str, policy_type: str, found: Iterable[str], attached: Iterable[str],
                      reason: str) -> errors.ExclusiveRestoreError:
    """Deleting an exclusive set cannot give the target back what it found."""
    return errors.ExclusiveRestoreError(target=target, type_label=policy_type_label(policy_type), reason=reason,
                                        found=", ".join(sorted(found)) or "none",
                                        attached=", ".join(sorted(attached)) or "none")


def limits_text(policy_type: str, limits: Limits) -> str:
    """"1 to 10 service control policy (SCP)s per target (AWS, as of ...)" for messages."""
    numbers = limits.of(policy_type)
    bounds = (f"{numbers.minimum} to {numbers.maximum}" if numbers.maximum is not None
              else f"at least {numbers.minimum}")
    source = ("this stack's org-policies:limits" if limits.is_overridden(policy_type)
              else f"AWS, as of {numbers.checked}")
    return f"{bounds} per target ({source})"


def exclusive_conflict(policy: str, target: str, policy_type: str, owner: str) -> errors.ExclusiveConflictError:
    """``policy`` is declared as a PolicyAttachment on a (target, type) the exclusive set ``owner`` owns."""
    return errors.ExclusiveConflictError(policy=policy, target=target, exclusive=owner,
                                         type_label=policy_type_label(policy_type))
