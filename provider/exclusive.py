"""ExclusivePoliciesProvider and ExclusivePolicies: one resource owns the set
of one policy type on one root, OU or account ("exactly these SCPs here").

Why one resource per (target, type) and not one per attachment plus detach
resources: AWS checks its limits (1..5 SCPs) on every call, so whether a
detach is safe depends on the whole set and on the order of every call. Only
a resource that sees the whole set can order them (:mod:`provider.ordering`),
and only a resource whose ``check`` and ``diff`` run in every preview can
notice an attachment made by hand after the last ``up`` (drift): the engine
never calls a provider for attachments that are not in the program.

Lifecycle (the README states the same for users):

* ``check`` (every preview and update): one ListPoliciesForTarget; the plan
  from what is attached to the declared set goes into the inputs ``attach`` /
  ``detach`` as "Name (p-id)", so the preview shows each change, drift included.
  An impossible set (six SCPs) fails here, naming the target and why.
* ``create``: lists the target afresh, records what it found (``found``), and
  applies the planned order. ``update``: the same, keeping ``found``.
* ``read`` (refresh): the actual set in ``attached``.
* ``delete``: gives the target back what the stack found (re-attaches the
  policies it detached, e.g. FullAWSAccess; detaches the declared ones that
  were not there before), keeps whatever else is attached, in a safe order.
  ``skip_destroy`` leaves everything as it is.

The provider object is pickled into state: like PolicyAttachmentProvider it
holds nothing (its runtime is built after unpickling).
"""

from __future__ import annotations

import pickle
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Optional

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    UpdateResult,
)

from . import errors, ids, rules
from .aws import PolicySummary, target_kind
from .inputs import SKIP_DESTROY, TARGET_ID, UNKNOWN, is_engine_unknown, known
from .ordering import ATTACH, Acceptable, Impossible, Step, given_back, plan_order
from .refusals import policy_type_label
from .resource import OrganizationsProvider, _reported

POLICY_TYPE = "policy_type"
POLICY_IDS = "policy_ids"
#: The planned changes, computed by check from AWS's answer (display strings).
ATTACH_KEY = "attach"
DETACH_KEY = "detach"
#: Outputs: what the resource found on the target when it was created, and what is attached.
FOUND = "found"
ATTACHED = "attached"
DEFAULT_POLICY_TYPE = rules.SERVICE_CONTROL_POLICY
ID_SEPARATOR = "/"
#: Input set by ExclusivePolicies in a preview only: check then keeps the plan in
#: ``attach`` / ``detach`` for the preview to show, and in an update leaves them
#: empty, so the inputs stored in state never carry a plan already applied (the
#: CLI shows a diff of stored against new inputs). check always removes it.
SHOW_PLAN = "show_plan"

#: Plans check computed in this process, for diff: one list call per preview.
_checked: dict[tuple[str, str, tuple[str, ...]], bool] = {}
_checked_lock = threading.Lock()


def exclusive_id(target_id: str, policy_type: str) -> str:
    """The resource ID: ``"<target_id>/<policy_type>"``."""
    return f"{target_id}{ID_SEPARATOR}{policy_type}"


def parse_exclusive_id(resource_id: str) -> tuple[str, str]:
    """``(target_id, policy_type)``; InvalidAttachmentIdError unless TARGETID/POLICY_TYPE."""
    target_id, _, policy_type = str(resource_id).partition(ID_SEPARATOR)
    if ids.target_type(target_id) is None or not policy_type:
        raise errors.InvalidAttachmentIdError(resource_id=resource_id)
    return target_id, policy_type


def _allow_all(_: frozenset[str]) -> bool:
    return True


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
        inputs = dict(news)
        show_plan = inputs.pop(SHOW_PLAN, False) is True
        inputs.setdefault(SKIP_DESTROY, False)
        inputs.setdefault(POLICY_TYPE, DEFAULT_POLICY_TYPE)
        failures = [CheckFailure(p, r) for p, r in _input_failures(inputs)]
        key = _known_key(inputs)
        if failures or key is None:
            inputs[ATTACH_KEY] = inputs[DETACH_KEY] = UNKNOWN
            return CheckResult(inputs, failures)
        target_id, policy_type, declared = key
        try:
            plan = self._plan(target_id, policy_type, declared)
        except errors.PolicyAttachmentError as err:
            message = str(err) if target_id in str(err) else f"The exclusive set of {target_id}: {err}"
            return CheckResult(inputs, [CheckFailure(POLICY_IDS, message)])
        if olds:  # the engine calls diff only for a resource in state
            with _checked_lock:
                _checked[_plan_key(target_id, policy_type, declared)] = bool(plan.steps)
        shown = plan.steps if show_plan else ()
        inputs[ATTACH_KEY] = [plan.names[s.policy_id] for s in shown if s.action == ATTACH]
        inputs[DETACH_KEY] = [plan.names[s.policy_id] for s in shown if s.action != ATTACH]
        return CheckResult(inputs, [])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """A new target or type replaces; a new declared set, skip_destroy, or
        any planned attach/detach (drift included) updates in place."""
        replaces = [key for key in (TARGET_ID, POLICY_TYPE) if olds.get(key) != news.get(key)]
        declared = news.get(POLICY_IDS) or []
        changed = (
            not _all_known(declared)  # a policy created in this update: its ID comes later
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
        with _checked_lock:
            pending = _checked.pop(_plan_key(target_id, policy_type, declared), None)
        if pending is None:
            pending = bool(self._plan(target_id, policy_type, declared).steps)
        return pending

    # -- apply -----------------------------------------------------------------

    @_reported
    def create(self, props: dict[str, Any]) -> CreateResult:
        """Record what the target carries now (``found``), then apply the plan."""
        target_id, policy_type = props[TARGET_ID], props.get(POLICY_TYPE) or DEFAULT_POLICY_TYPE
        return CreateResult(exclusive_id(target_id, policy_type), self._converge(props, found=None))

    @_reported
    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Apply the plan from what is attached now; ``found`` stays as created."""
        return UpdateResult(self._converge(news, list(olds.get(FOUND) or [])))

    @_reported
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

    @_reported
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Give the target back what the stack found, unless skip_destroy."""
        if props.get(SKIP_DESTROY):
            return
        target_id, policy_type = parse_exclusive_id(id_)
        api = self._rt.api
        listed = api.policies_for_target(target_id, policy_type)
        if listed is None:
            return  # the target is gone
        attached = {p.id for p in listed}
        # Give back only policies that still exist.
        found = {p for p in props.get(FOUND) or [] if p in attached or self._rt.lookups.policy(p) is not None}
        end = given_back(attached, found, props.get(POLICY_IDS) or [])
        result = plan_order(attached, end, rules.limits_for(policy_type),
                            acceptable=self.acceptable(policy_type, attached),
                            undetachable=rules.UNDETACHABLE_POLICIES)
        if isinstance(result, Impossible):
            raise errors.ExclusiveRestoreError(
                target_id=target_id, type_label=policy_type_label(policy_type),
                found=", ".join(sorted(found)) or "none", attached=", ".join(sorted(attached)) or "none",
                reason=result.reason)
        self._apply(target_id, result, {p.id: p.display for p in listed})

    # -- helpers ---------------------------------------------------------------

    def acceptable(self, policy_type: str, start: Iterable[str]) -> Acceptable:
        """The lockout rule (:func:`provider.rules.allows_nothing`) as the planner's
        predicate: no step may leave a target only SCPs that allow no action. A
        target that starts that way cannot be made worse, so it is not constrained.
        Documents come from DescribePolicy, cached per policy; a set holding
        FullAWSAccess needs none."""
        if policy_type != rules.SERVICE_CONTROL_POLICY:
            return _allow_all
        lookups = self._rt.lookups

        def allows(policies: frozenset[str]) -> bool:
            if policies & rules.ALLOW_ALL_POLICIES:
                return True
            summaries = (lookups.policy(p) for p in sorted(policies))
            return not rules.allows_nothing(s.content if s else None for s in summaries)

        start_set = frozenset(start)
        locked_out: list[bool] = []  # asked only when a step is planned

        def acceptable(policies: frozenset[str]) -> bool:
            if not locked_out:
                locked_out.append(not allows(start_set))
            return locked_out[0] or allows(policies)

        return acceptable

    def _plan(self, target_id: str, policy_type: str, declared: list[str]) -> _Plan:
        """From AWS's current set (one ListPoliciesForTarget) to the declared one;
        ExclusiveOrderError (or the lookup's error) when no order exists."""
        listed = self._rt.api.policies_for_target(target_id, policy_type)  # afresh: drift must show
        if listed is None:
            raise errors.TargetNotFoundError(target_id=target_id, target_kind=target_kind(target_id))
        names = {p.id: p.display for p in listed}
        for policy_id in declared:
            if policy_id not in names:
                names[policy_id] = self._declared_policy(policy_id, target_id, policy_type).display
        attached = [p.id for p in listed]
        end = frozenset(declared) | (set(attached) & rules.UNDETACHABLE_POLICIES)  # RCPFullAWSAccess stays
        result = plan_order(attached, end, rules.limits_for(policy_type),
                            acceptable=self.acceptable(policy_type, attached),
                            undetachable=rules.UNDETACHABLE_POLICIES)
        if isinstance(result, Impossible):
            limits = rules.limits_for(policy_type)
            raise errors.ExclusiveOrderError(
                declared=", ".join(names[p] for p in sorted(declared)) or "no policies",
                type_label=policy_type_label(policy_type), target_id=target_id,
                attached=", ".join(sorted(p.display for p in listed)) or "none",
                reason=result.reason, minimum=limits.minimum, maximum=limits.maximum)
        return _Plan(attached=tuple(attached), steps=result, names=names, end=end)

    def _declared_policy(self, policy_id: str, target_id: str, policy_type: str) -> PolicySummary:
        policy = self._rt.lookups.policy(policy_id)
        if policy is None:
            raise errors.PolicyNotFoundError(policy_id=policy_id)
        if policy.type != policy_type:
            raise errors.PolicyTypeMismatchError(policy=policy.display, actual_type=policy.type,
                                                 target_id=target_id, policy_type=policy_type)
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
                api.detach_policy(step.policy_id, target_id, policy_display=names.get(step.policy_id, ""))


def _outputs(target_id: str, policy_type: str, declared: list[str], skip_destroy: bool,
             found: list[str], attached: list[str]) -> dict[str, Any]:
    return {
        TARGET_ID: target_id,
        POLICY_TYPE: policy_type,
        POLICY_IDS: sorted(declared),
        SKIP_DESTROY: skip_destroy,
        "target_type": ids.target_type(target_id),
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
            and known(declared, is_engine_unknown)):  # checked by _all_known too; these narrow the types
        return None
    return (target_id, policy_type, declared) if _all_known(target_id, policy_type, declared) else None


def _all_known(*values: Any) -> bool:
    for value in values:
        if not known(value, is_engine_unknown):
            return False
        if isinstance(value, list) and not all(known(v, is_engine_unknown) for v in value):
            return False
    return True


def _input_failures(news: dict[str, Any]) -> list[tuple[str, str]]:
    """``(property, reason)`` for each malformed input; unknown values pass."""
    failures: list[tuple[str, str]] = []
    target_id = news.get(TARGET_ID)
    if not target_id:
        failures.append((TARGET_ID, f"target_id is required: {ids.TARGET_ID_HINT}."))
    elif not is_engine_unknown(target_id) and ids.target_type(target_id) is None:
        failures.append((TARGET_ID, f"target_id {target_id!r} is not a target ID: {ids.TARGET_ID_HINT}."))
    policy_type = news.get(POLICY_TYPE)
    if not is_engine_unknown(policy_type) and not (isinstance(policy_type, str) and policy_type.isupper()):
        failures.append((POLICY_TYPE, f"policy_type must be a policy type such as "
                                      f"SERVICE_CONTROL_POLICY, not {policy_type!r}."))
    declared = news.get(POLICY_IDS)
    if is_engine_unknown(declared):
        pass
    elif not isinstance(declared, list):
        failures.append((POLICY_IDS, f"policy_ids must be a list of policy IDs, not {declared!r}."))
    else:
        bad = [p for p in declared if not is_engine_unknown(p) and not ids.is_policy_id(p)]
        if bad:
            failures.append((POLICY_IDS, f"policy_ids has {bad[0]!r}, which is not a policy ID: "
                                         f"{ids.POLICY_ID_HINT}."))
        plain = [p for p in declared if not is_engine_unknown(p)]
        twice = sorted({p for p in plain if plain.count(p) > 1})
        if twice:
            failures.append((POLICY_IDS, f"policy_ids lists {twice[0]} more than once: keep one."))
    skip_destroy = news.get(SKIP_DESTROY, False)
    if not is_engine_unknown(skip_destroy) and not isinstance(skip_destroy, bool):
        failures.append((SKIP_DESTROY, f"skip_destroy must be true or false, not {skip_destroy!r}."))
    return failures


class ExclusivePolicies(pulumi.dynamic.Resource, module="organizations", name="ExclusivePolicies"):
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

    def __init__(
        self,
        resource_name: str,
        target_id: pulumi.Input[str],
        policy_ids: pulumi.Input[list[pulumi.Input[str]]],
        policy_type: pulumi.Input[str] = DEFAULT_POLICY_TYPE,
        skip_destroy: pulumi.Input[bool] = False,
        opts: Optional[pulumi.ResourceOptions] = None,
    ) -> None:
        props: dict[str, Any] = {
            SHOW_PLAN: pulumi.runtime.is_dry_run(),
            TARGET_ID: target_id,
            POLICY_TYPE: policy_type,
            POLICY_IDS: policy_ids,
            SKIP_DESTROY: skip_destroy,
            ATTACH_KEY: None,
            DETACH_KEY: None,
            "target_type": None,
            FOUND: None,
            ATTACHED: None,
        }
        from . import guard  # the program side only; the provider process never needs it

        guard.record_declared("exclusive", target_id, policy_type, resource_name)
        opts = guard.with_exclusive_hooks(opts)
        # See PolicyAttachment: the SDK's serialize_provider stacks a pickling
        # wrapper per resource (pulumi/pulumi#17803); put back what was there.
        batch_setitems = pickle._Pickler._batch_setitems  # type: ignore[attr-defined]
        try:
            super().__init__(ExclusivePoliciesProvider(), resource_name, props, opts)
        finally:
            pickle._Pickler._batch_setitems = batch_setitems  # type: ignore[attr-defined]
