"""Registers the stack's resources from a checked, resolved plan.

Nothing here can fail on the config any more: everything that can be wrong
was refused by :mod:`program.config`, :mod:`program.documents` and
:mod:`program.plan` before this module registers the first resource.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import pulumi

from provider import ExclusivePolicies, PolicyAttachment, expect_new_policy

from .config import PolicySpec
from .plan import PlannedAttachment, PlannedExclusive, summary


def declare_policies(specs: Sequence[PolicySpec], documents: Mapping[str, str]) -> dict[str, Any]:
    """One ``aws.organizations.Policy`` per spec, named as in the config;
    returns ``{name: the policy's ID output}``.

    pulumi_aws is imported only when there is a policy to create: its
    provider plugin is a separate binary, unavailable offline, and a stack
    that only attaches existing policies must not need it.
    """
    if not specs:
        return {}
    import pulumi_aws as aws

    created = {}
    for spec in specs:
        policy = aws.organizations.Policy(
            spec.name,
            name=spec.name,
            type=spec.type,
            content=documents[spec.name],
            description=spec.description or None,
        )
        created[spec.name] = policy.id
    return created


def declare_attachments(plan: Sequence[PlannedAttachment],
                        stack_policy_ids: Mapping[str, Any]) -> dict[str, PolicyAttachment]:
    """One PolicyAttachment per planned pair (the guard hooks come with it);
    returns them by resource name."""
    declared = {}
    for attachment in plan:
        # the plan resolves policy_id for every policy this stack does not create
        policy_id = (stack_policy_ids[attachment.stack_policy] if attachment.stack_policy
                     else cast(str, attachment.policy_id))
        opts = (pulumi.ResourceOptions(import_=f"{attachment.target_id}:{policy_id}")
                if attachment.adopt else None)
        declared[attachment.resource_name] = PolicyAttachment(
            attachment.resource_name,
            policy_id=policy_id,
            target_id=attachment.target_id,
            skip_destroy=attachment.skip_destroy,
            opts=opts,
        )
    return declared


def expect_new_policies(specs: Sequence[PolicySpec], documents: Mapping[str, str],
                        plan: Sequence[PlannedAttachment]) -> None:
    """Hand the guard the type and document of each policy this stack creates,
    for the attachments of it: in a preview its ID is unknown, yet whether it
    replaces a target's SCP, and allows any action, follows from its file."""
    by_name = {spec.name: spec for spec in specs}
    for attachment in plan:
        if attachment.stack_policy:
            spec = by_name[attachment.stack_policy]
            expect_new_policy(attachment.resource_name, name=spec.name, policy_type=spec.type,
                                    content=documents[spec.name])


def declare_exclusive(plan: Sequence[PlannedExclusive],
                      stack_policy_ids: Mapping[str, Any]) -> dict[str, ExclusivePolicies]:
    """One ExclusivePolicies per exclusive (target, type); returns them by resource name."""
    declared = {}
    for owned in plan:
        policy_ids = [stack_policy_ids[p.stack_policy] if p.stack_policy else cast(str, p.policy_id)
                      for p in owned.policies]
        declared[owned.resource_name] = ExclusivePolicies(
            owned.resource_name,
            target_id=owned.target_id,
            policy_ids=policy_ids,
            policy_type=owned.policy_type,
            skip_destroy=owned.skip_destroy,
        )
    return declared


@dataclass(frozen=True)
class Registered:
    """What :func:`declare` registered: the policies' ID outputs (by name, sorted),
    the attachments and the exclusive sets (by resource name)."""

    policy_ids: dict[str, Any]
    attachments: dict[str, PolicyAttachment]
    exclusive: dict[str, ExclusivePolicies]


def declare(specs: Sequence[PolicySpec], documents: Mapping[str, str],
            plan: Sequence[PlannedAttachment], exclusive: Sequence[PlannedExclusive] = ()) -> Registered:
    """Register the policies, then the attachments and exclusive sets."""
    stack_policy_ids = declare_policies(specs, documents)
    expect_new_policies(specs, documents, plan)
    attachments = declare_attachments(plan, stack_policy_ids)
    sets = declare_exclusive(exclusive, stack_policy_ids)
    return Registered(dict(sorted(stack_policy_ids.items())), attachments, sets)


def export(plan: Sequence[PlannedAttachment], exclusive: Sequence[PlannedExclusive], policy_ids: Any,
           creates_policies: bool) -> None:
    """Export the summary: ``attachments`` (target -> policies as written in the
    config, exclusive sets included) and, when the stack creates policies,
    ``policies`` (name -> ID). Exports must be made while the program runs, not
    in an ``apply``."""
    pulumi.export("attachments", summary(tuple(plan), tuple(exclusive)))
    if creates_policies:
        pulumi.export("policies", policy_ids)
