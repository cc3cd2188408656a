"""The refusals the provider, the plan-time guard and the AWS layer all raise,
built in one place so that a refusal reads the same at preview and at apply
time, whoever finds it first.

Pure: names and counts in, an error out (no AWS call).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Optional

from . import errors, ids, rules

if TYPE_CHECKING:  # a type only: aws imports this module
    from .aws import TargetFacts


def policy_type_label(policy_type: str) -> str:
    """Human name of a policy type for messages."""
    if policy_type == rules.SERVICE_CONTROL_POLICY:
        return "service control policy (SCP)"
    return policy_type.lower().replace("_", " ")


def last_policy_error(display: str, target_id: str, policy_type: str) -> errors.LastPolicyError:
    """Detaching ``display`` would leave ``target_id`` below the type's minimum."""
    return errors.LastPolicyError(
        policy=display,
        target_id=target_id,
        type_label=policy_type_label(policy_type),
        minimum=max(1, rules.limits_for(policy_type).minimum),
    )


def limit_error(display: str, target_id: str, policy_type: str, count: int,
                others: Sequence[str]) -> errors.PolicyLimitExceededError:
    """Attaching ``display`` would put ``count`` policies of the type on
    ``target_id``; ``others``: how to name the ones besides the new one."""
    return errors.PolicyLimitExceededError(
        policy=display,
        target_id=target_id,
        count=count,
        type_label=policy_type_label(policy_type),
        attached=", ".join(others) or "already at the limit",
        maximum=rules.limits_for(policy_type).maximum,
    )


def lockout_error(
    display: str, target_id: str, remaining: Sequence[str], facts: TargetFacts
) -> Optional[errors.LockoutError]:
    """Detaching ``display`` leaves ``target_id`` SCPs (``remaining``, as named)
    that allow nothing; None when the target is the management account (SCPs
    never restrict it)."""
    if facts.management_account_id == target_id:
        return None
    kind = ids.target_type(target_id)
    target = f"{target_id} ({facts.name})" if facts.name else target_id
    if kind == ids.ACCOUNT:
        scope = f"account {target}"
    else:
        where = "the organization" if kind == ids.ROOT else f"OU {target}"
        count = facts.accounts
        scope = (f"every account of {where}" if count is None
                 else f"the {count} account{'' if count == 1 else 's'} of {where}")
    return errors.LockoutError(
        policy=display, target=target, target_id=target_id,
        remaining=", ".join(remaining), scope=scope,
    )


def exclusive_conflict(display: str, target_id: str, policy_type: str, owner: str) -> errors.ExclusiveConflictError:
    """``display`` is declared as a PolicyAttachment on a (target, type) the exclusive set ``owner`` owns."""
    return errors.ExclusiveConflictError(policy=display, target_id=target_id, exclusive=owner,
                                         type_label=policy_type_label(policy_type))
