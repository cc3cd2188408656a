"""ExclusivePoliciesProvider and ExclusivePolicies: one resource owns the set
of one policy type on one root, OU or account ("exactly these SCPs here").

Why one resource per (target, type) and not one per attachment plus detach
resources: AWS checks its limits (1..10 SCPs) on every call, so whether a
detach is safe depends on the whole set and on the order of every call. Only
a resource that sees the whole set can order them (:mod:`provider.ordering`),
and only a resource whose ``check`` and ``diff`` run in every preview can
notice an attachment made by hand after the last ``up`` (drift): the engine
never calls a provider for attachments that are not in the program.

Lifecycle (the README states the same for users):

* ``check`` (every preview and update): one ListPoliciesForTarget; the plan
  from what is attached to the declared set goes into the inputs ``attach`` /
  ``detach`` as "Name (p-id)", so the preview shows each change, drift included.
  An impossible set (eleven SCPs) fails here, naming the target and why.
* ``create``: lists the target afresh, records what it found (``found``), and
  applies the planned order. ``update``: the same, keeping ``found``.
* ``read`` (refresh): the actual set in ``attached``.
* ``delete``: gives the target back what the stack found (re-attaches the
  policies it detached, e.g. FullAWSAccess; detaches the declared ones that
  were not there before), keeps whatever else is attached, in a safe order.
  ``skip_destroy`` leaves everything as it is.

Every order comes from :mod:`provider.rules` (``plan_exclusive``,
``plan_give_back``), which the plan-time guard asks too: a give-back the
guard passes at preview is the one ``delete`` makes.

The provider object is pickled into state: like PolicyAttachmentProvider it
holds nothing (its runtime is built after unpickling).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Optional

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult

from . import errors, guard, ids, refusals, rules
from .aws import PolicySummary
from .base import OrganizationsProvider, reported
from .inputs import UNKNOWN, all_known, exclusive_input_failures, is_engine_unknown, known
from .names import target_kind
from .ordering import ATTACH, Impossible, Step
from .schema import (
    ATTACH as ATTACH_KEY,
)
from .schema import (
    ATTACHED,
    EXCLUSIVE_HINTS,
    EXCLUSIVE_NAME,
    FOUND,
    MODULE,
    POLICY_IDS,
    POLICY_TYPE,
    SHOW_PLAN,
    SKIP_DESTROY,
    TARGET_ID,
    TARGET_TYPE,
    without_hints,
)
from .schema import (
    DETACH as DETACH_KEY,
)
from .sdk_compat import pickler_restored

DEFAULT_POLICY_TYPE = rules.SERVICE_CONTROL_POLICY
ID_SEPARATOR = "/"


def exclusive_id(target_id: str, policy_type: str) -> str:
    """The resource ID: ``"<target_id>/<policy_type>"``."""
    return f"{target_id}{ID_SEPARATOR}{policy_type}"


def parse_exclusive_id(resource_id: str) -> tuple[str, str]:
    """``(target_id, policy_type)``; InvalidAttachmentIdError unless TARGETID/POLICY_TYPE."""
    target_id, _, policy_type = str(resource_id).partition(ID_SEPARATOR)
    if ids.target_type(target_id) is None or not policy_type:
        raise errors.InvalidAttachmentIdError(resource_id=resource_id)
    return target_id, policy_type


@dataclass(frozen=True)
class _Plan:
    """What AWS has now, the steps to the declared set, and where they end."""

    attached: tuple[str, ...]
    steps: tuple[Step, ...]
    names: dict[str, str]  # policy ID -> "Name (p-id)"
    end: frozenset[str]


class ExclusivePoliciesProvider(OrganizationsProvider):
    """Makes one target's policies of one type exactly a declared set."""

    # -- plan ------------------------------------------------------------------

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Input formats, then (all values known) one ListPoliciesForTarget and
        the planned ``attach`` / ``detach``; an impossible set is a failure."""
        inputs, hints = without_hints(news, EXCLUSIVE_HINTS)
        inputs.setdefault(SKIP_DESTROY, False)
        inputs.setdefault(POLICY_TYPE, DEFAULT_POLICY_TYPE)
        failures = [CheckFailure(p, r) for p, r in exclusive_input_failures(inputs)]
        key = _known_key(inputs)
        if failures or key is None:
            inputs[ATTACH_KEY] = inputs[DETACH_KEY] = UNKNOWN
            return CheckResult(inputs, failures)
        target_id, policy_type, declared = key
        try:
            plan = self._plan(target_id, policy_type, declared)
        except errors.PolicyAttachmentError as err:
            message = str(err)
            if target_id not in message:  # say which set it is about
                message = f"The exclusive set of {self._rt.lookups.target_display(target_id)}: {message}"
            return CheckResult(inputs, [CheckFailure(POLICY_IDS, message)])
        if olds:  # the engine calls diff only for a resource in state
            with self._rt.lock:
                self._rt.pending_plans[_plan_key(target_id, policy_type, declared)] = bool(plan.steps)
        shown = plan.steps if hints.get(SHOW_PLAN) is True else ()
        inputs[ATTACH_KEY] = [plan.names[s.policy_id] for s in shown if s.action == ATTACH]
        inputs[DETACH_KEY] = [plan.names[s.policy_id] for s in shown if s.action != ATTACH]
        return CheckResult(inputs, [])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """A new target or type replaces; a new declared set, skip_destroy, or
        any planned attach/detach (drift included) updates in place."""
        replaces = [key for key in (TARGET_ID, POLICY_TYPE) if olds.get(key) != news.get(key)]
        declared = news.get(POLICY_IDS) or []
        changed = (
            not all_known(declared)  # a policy created in this update: its ID comes later
            or sorted(olds.get(POLICY_IDS) or []) != sorted(declared)
            or bool(olds.get(SKIP_DESTROY, False)) != news.get(SKIP_DESTROY, False)
            or (not replaces and self._has_plan(news))
        )
        return DiffResult(changes=bool(replaces) or changed, replaces=replaces, stables=[],
                          delete_before_replace=False)

    def _has_plan(self, news: dict[str, Any]) -> bool:
        """Whether AWS's set differs from the declared one: from this process's
        check (no call), else asked afresh (a diff without a check first)."""
        if any(is_engine_unknown(news.get(k)) or news.get(k) for k in (ATTACH_KEY, DETACH_KEY)):
            return True
        key = _known_key(news)
        if key is None:
            return True
        target_id, policy_type, declared = key
        with self._rt.lock:
            pending = self._rt.pending_plans.pop(_plan_key(target_id, policy_type, declared), None)
        if pending is None:
            pending = bool(self._plan(target_id, policy_type, declared).steps)
        return pending

    # -- apply -----------------------------------------------------------------

    @reported
    def create(self, props: dict[str, Any]) -> CreateResult:
        """Record what the target carries now (``found``), then apply the plan."""
        target_id, policy_type = props[TARGET_ID], props.get(POLICY_TYPE) or DEFAULT_POLICY_TYPE
        return CreateResult(exclusive_id(target_id, policy_type), self._converge(props, found=None))

    @reported
    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Apply the plan from what is attached now; ``found`` stays as created."""
        return UpdateResult(self._converge(news, list(olds.get(FOUND) or [])))

    @reported
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """The actual set in ``attached``; the target gone: the resource is gone."""
        target_id, policy_type = parse_exclusive_id(id_)
        attached = self._rt.api.policies_for_target(target_id, policy_type)
        if attached is None:
            return ReadResult("", {})
        declared = sorted(props.get(POLICY_IDS) or [])
        skip_destroy = bool(props.get(SKIP_DESTROY, False))
        outs = _outputs(target_id, policy_type, declared, skip_destroy,
                        list(props.get(FOUND) or []), [p.id for p in attached])
        inputs = {TARGET_ID: target_id, POLICY_TYPE: policy_type, POLICY_IDS: declared,
                  SKIP_DESTROY: skip_destroy, ATTACH_KEY: [], DETACH_KEY: []}
        return ReadResult(id_, outs, inputs)

    @reported
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Give the target back what the stack found, unless skip_destroy, in the
        order :func:`provider.rules.plan_give_back` finds."""
        if props.get(SKIP_DESTROY):
            return
        target_id, policy_type = parse_exclusive_id(id_)
        rt = self._rt
        listed = rt.api.policies_for_target(target_id, policy_type)
        if listed is None:
            return  # the target is gone
        attached = {p.id for p in listed}
        # Give back only policies that still exist.
        found = {p for p in props.get(FOUND) or [] if p in attached or rt.lookups.policy(p) is not None}
        result = rules.plan_give_back(attached, found, props.get(POLICY_IDS) or [], policy_type, rt.limits,
                                      rt.lookups.documents())
        if isinstance(result, Impossible):
            raise refusals.exclusive_restore(rt.lookups.target_display(target_id), policy_type,
                                             [rt.lookups.policy_display(p) for p in found],
                                             [p.display for p in listed], result.reason)
        self._apply(target_id, result, {p.id: p.display for p in listed})

    # -- helpers ---------------------------------------------------------------

    def _plan(self, target_id: str, policy_type: str, declared: list[str]) -> _Plan:
        """From AWS's current set (one ListPoliciesForTarget) to the declared one;
        ExclusiveOrderError (or the lookup's error) when no order exists."""
        rt = self._rt
        listed = rt.api.policies_for_target(target_id, policy_type)  # afresh: drift must show
        if listed is None:
            raise errors.TargetNotFoundError(target_id=target_id, target_kind=target_kind(target_id))
        names = {p.id: p.display for p in listed}
        for policy_id in declared:
            if policy_id not in names:
                names[policy_id] = self._declared_policy(policy_id, target_id, policy_type).display
        attached = [p.id for p in listed]
        result = rules.plan_exclusive(attached, declared, policy_type, rt.limits, rt.lookups.documents())
        if isinstance(result, Impossible):
            raise refusals.exclusive_order(rt.lookups.target_display(target_id), target_id, policy_type,
                                           [names[p] for p in declared], [p.display for p in listed],
                                           result.reason, rt.limits)
        end = frozenset(declared) | (frozenset(attached) & rules.UNDETACHABLE_POLICIES)
        return _Plan(attached=tuple(attached), steps=result, names=names, end=end)

    def _declared_policy(self, policy_id: str, target_id: str, policy_type: str) -> PolicySummary:
        policy = self._rt.lookups.policy(policy_id)
        if policy is None:
            raise errors.PolicyNotFoundError(policy_id=policy_id)
        if policy.type != policy_type:
            raise errors.PolicyTypeMismatchError(policy=policy.display, actual_type=policy.type,
                                                 target=self._rt.lookups.target_display(target_id),
                                                 policy_type=policy_type)
        return policy

    def _converge(self, props: dict[str, Any], found: Optional[list[str]]) -> dict[str, Any]:
        """Plan afresh from AWS (the preview's plan may be stale) and apply it;
        ``found`` None (a create): what AWS has now is what the set found."""
        target_id, policy_type = props[TARGET_ID], props.get(POLICY_TYPE) or DEFAULT_POLICY_TYPE
        declared = sorted(props.get(POLICY_IDS) or [])
        plan = self._plan(target_id, policy_type, declared)
        self._apply(target_id, plan.steps, plan.names)
        return _outputs(target_id, policy_type, declared, bool(props.get(SKIP_DESTROY, False)),
                        list(plan.attached) if found is None else found, sorted(plan.end))

    def _apply(self, target_id: str, steps: Iterable[Step], names: dict[str, str]) -> None:
        api = self._rt.api
        for step in steps:
            if step.action == ATTACH:
                try:
                    api.attach_policy(step.policy_id, target_id)
                except errors.AlreadyAttachedError:
                    pass  # attached meanwhile by someone else: the set is what was asked
            else:
                api.detach_policy(step.policy_id, target_id, policy=names.get(step.policy_id, ""))


def _outputs(target_id: str, policy_type: str, declared: list[str], skip_destroy: bool,
             found: list[str], attached: list[str]) -> dict[str, Any]:
    return {
        TARGET_ID: target_id,
        POLICY_TYPE: policy_type,
        POLICY_IDS: sorted(declared),
        SKIP_DESTROY: skip_destroy,
        TARGET_TYPE: ids.target_type(target_id),
        FOUND: sorted(found),
        ATTACHED: sorted(attached),
        ATTACH_KEY: [],
        DETACH_KEY: [],
    }


def _plan_key(target_id: str, policy_type: str, declared: list[str]) -> tuple[str, str, tuple[str, ...]]:
    return target_id, policy_type, tuple(sorted(declared))


def _known_key(values: dict[str, Any]) -> Optional[tuple[str, str, list[str]]]:
    """The set's (target ID, policy type, declared policy IDs) from its inputs,
    or None while any of them (or any declared ID) is missing or unknown."""
    target_id, policy_type, declared = values.get(TARGET_ID), values.get(POLICY_TYPE), values.get(POLICY_IDS)
    if not (known(target_id, is_engine_unknown) and known(policy_type, is_engine_unknown)
            and known(declared, is_engine_unknown)):  # checked by all_known too; these narrow the types
        return None
    return (target_id, policy_type, declared) if all_known(target_id, policy_type, declared) else None


class ExclusivePolicies(pulumi.dynamic.Resource, module=MODULE, name=EXCLUSIVE_NAME):
    """Makes ``policy_ids`` exactly the policies of ``policy_type`` attached to
    ``target_id``: every other one (FullAWSAccess, or one attached by hand) is
    detached, in an order that keeps the target within AWS's limits.

    Its ID is ``"<target_id>/<policy_type>"``. Deleting it gives the target back
    the policies it had when this resource was created (and detaches the
    declared ones that were not there), unless ``skip_destroy`` is true, in
    which case it leaves everything attached as it is.
    """

    target_id: pulumi.Output[str]
    policy_type: pulumi.Output[str]
    policy_ids: pulumi.Output[list[str]]
    skip_destroy: pulumi.Output[bool]
    target_type: pulumi.Output[str]
    found: pulumi.Output[list[str]]
    attached: pulumi.Output[list[str]]
    #: in a preview, the calls planned ("Name (p-id)"); empty once applied
    attach: pulumi.Output[list[str]]
    detach: pulumi.Output[list[str]]

    def __init__(
        self,
        resource_name: str,
        target_id: pulumi.Input[str],
        policy_ids: pulumi.Input[list[pulumi.Input[str]]],
        policy_type: pulumi.Input[str] = DEFAULT_POLICY_TYPE,
        skip_destroy: pulumi.Input[bool] = False,
        opts: Optional[pulumi.ResourceOptions] = None,
    ) -> None:
        run = guard.current()
        run.record_declared("exclusive", target_id, policy_type, resource_name)
        props: dict[str, Any] = {
            SHOW_PLAN: pulumi.runtime.is_dry_run(),
            TARGET_ID: target_id,
            POLICY_TYPE: policy_type,
            POLICY_IDS: policy_ids,
            SKIP_DESTROY: skip_destroy,
            ATTACH_KEY: None,
            DETACH_KEY: None,
            TARGET_TYPE: None,
            FOUND: None,
            ATTACHED: None,
        }
        with pickler_restored():  # see PolicyAttachment (pulumi/pulumi#17803)
            super().__init__(ExclusivePoliciesProvider(), resource_name, props, run.bind_exclusive_hooks(opts))
