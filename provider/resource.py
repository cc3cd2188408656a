"""PolicyAttachmentProvider (runs in the provider process) and PolicyAttachment
(the resource a program declares).

The provider gathers what AWS says about a target (:class:`provider.rules.TargetState`),
asks :mod:`provider.rules` for the verdict and :mod:`provider.refusals` for the
message; it decides nothing itself.
"""

from __future__ import annotations

import copy
from collections.abc import Set
from typing import Any, Optional

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult

from . import errors, guard, ids, refusals, rules
from .aws import PolicySummary
from .base import OrganizationsProvider, reported
from .inputs import input_failures, is_engine_unknown, known
from .lookups import summary_display
from .names import policy_display, policy_type_label, target_kind
from .schema import (
    ATTACHMENT_HINTS,
    ATTACHMENT_NAME,
    ATTACHMENT_OUTPUTS,
    DECLARED_AT,
    DELETES_FIRST,
    IMPORT_ID,
    MODULE,
    POLICY_ID,
    POLICY_NAME,
    POLICY_TYPE,
    SKIP_DESTROY,
    TARGET_ID,
    TARGET_TYPE,
    without_hints,
)
from .sdk_compat import pickler_restored


class PolicyAttachmentProvider(OrganizationsProvider):
    """Attaches one Organizations policy to one root, OU or account."""

    # -- plan ------------------------------------------------------------------

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Input formats first (no AWS call); then, for a new pair whose IDs are
        known, that the policy and target exist, the type is enabled, the pair
        is not attached already (or is, when imported), and the target stays
        within its type's maximum counting the attachments this operation
        checked before it. AWS answers are cached per process.

        Failures name where the program declared the resource when it said so
        (the :data:`~provider.schema.DECLARED_AT` hint, dropped from the inputs).
        """
        inputs, hints = without_hints(news, ATTACHMENT_HINTS)
        inputs.setdefault(SKIP_DESTROY, False)
        where = hints.get(DECLARED_AT) if isinstance(hints.get(DECLARED_AT), str) else None
        failures = [CheckFailure(p, _declared(r, where)) for p, r in input_failures(inputs, is_engine_unknown)]
        policy_id, target_id = inputs.get(POLICY_ID), inputs.get(TARGET_ID)
        # Only a new pair (create, or the new half of a replace) is looked up: an
        # attachment already in state costs no call; `pulumi refresh` finds its drift.
        new_pair = (olds.get(POLICY_ID), olds.get(TARGET_ID)) != (policy_id, target_id)
        if not failures and new_pair and known(policy_id, is_engine_unknown) and known(target_id, is_engine_unknown):
            # a replace on the same target that deletes first frees the old policy's slot
            leaving = ({olds[POLICY_ID]} if hints.get(DELETES_FIRST) is True and olds.get(TARGET_ID) == target_id
                       and olds.get(POLICY_ID) else set())
            try:
                refusal = self._refusal(policy_id, target_id, inputs.get(IMPORT_ID), leaving)
            except errors.PolicyAttachmentError as err:  # AWS could not answer: say so on the pair
                refusal = (POLICY_ID, errors.CheckNotPossibleError(policy_id=policy_id, target_id=target_id,
                                                                    cause=str(err)))
            if refusal is not None:
                failures.append(CheckFailure(refusal[0], _declared(refusal[1], where)))
        return CheckResult(inputs, failures)

    def _refusal(self, policy_id: str, target_id: str, import_id: Optional[str],
                 leaving: Set[str]) -> Optional[tuple[str, errors.PolicyAttachmentError]]:
        """``(property, refusal)`` for a new pair AWS or the limits refuse, else None."""
        rt = self._rt
        lookups = rt.lookups
        expected_id = ids.attachment_id(target_id, policy_id)
        if import_id and import_id != expected_id:
            return (IMPORT_ID, errors.ImportIdMismatchError(
                import_id=import_id, policy_id=policy_id, target_id=target_id))
        policy = lookups.policy(policy_id)
        if policy is None:
            return (POLICY_ID, errors.PolicyNotFoundError(policy_id=policy_id))
        attached = lookups.attached(target_id, policy.type)
        if attached is None:
            return (TARGET_ID, errors.TargetNotFoundError(target_id=target_id,
                                                                  target_kind=target_kind(target_id)))
        root = lookups.root()
        if policy.type not in root.enabled_types:
            return (POLICY_ID, errors.PolicyTypeNotEnabledError(
                policy_id=policy_id, target_id=target_id, policy_type=policy.type, root_id=root.id))
        if any(p.id == policy_id for p in attached) and not import_id:
            return (POLICY_ID, errors.AlreadyAttachedError(
                policy_id=policy_id, target_id=target_id, policy=policy.display,
                target=lookups.target_display(target_id)))
        # import_ and not attached: create attaches it. The flag may stay after the
        # adoption, so an attachment found missing later is repaired like any other.
        refusal = self._approve_attach(policy, target_id, attached, leaving)
        return None if refusal is None else (POLICY_ID, refusal)

    def _approve_attach(self, policy: PolicySummary, target_id: str, attached: list[PolicySummary],
                        leaving: Set[str]) -> Optional[errors.PolicyLimitExceededError]:
        """Count ``policy`` among the attaches this operation makes on the
        target, or the refusal when that would exceed the type's maximum
        (``leaving``: a policy detached from the target before this attach)."""
        rt, key = self._rt, (target_id, policy.type)
        with rt.lock:
            state = rules.TargetState(policy.type, attached=frozenset(p.id for p in attached),
                                      arriving=frozenset(rt.approved[key]), leaving=frozenset(leaving))
            too_many = rules.judge_attach(state, policy.id, rt.limits)
            if too_many is None:
                rt.approved[key].add(policy.id)
                return None
        names = {p.id: p.display for p in attached}
        return refusals.too_many(policy.display, rt.lookups.target_display(target_id), target_id, policy.type,
                                 too_many, lambda p: names.get(p) or rt.lookups.policy_display(p), rt.limits)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """policy_id or target_id changed: replace (create before delete);
        only skip_destroy changed: update in place."""
        replaces = [key for key in (POLICY_ID, TARGET_ID) if olds.get(key) != news.get(key)]
        skip_changed = bool(olds.get(SKIP_DESTROY, False)) != news.get(SKIP_DESTROY, False)
        return DiffResult(changes=bool(replaces) or skip_changed, replaces=replaces, stables=[],
                          delete_before_replace=False)

    # -- apply -----------------------------------------------------------------

    @reported
    def create(self, props: dict[str, Any]) -> CreateResult:
        """Attach; with ``import_id``, adopt the attachment if it exists (no
        AttachPolicy) and attach it otherwise."""
        policy_id, target_id = props[POLICY_ID], props[TARGET_ID]
        rt = self._rt
        # Look the policy up first: a lookup failing after the attach would
        # leave an attachment in AWS that Pulumi does not know about.
        policy = rt.lookups.policy(policy_id)  # usually cached by check
        if policy is None:
            raise errors.PolicyNotFoundError(policy_id=policy_id)
        adopted = self._adopt(policy, target_id) if props.get(IMPORT_ID) else None
        if adopted is None:
            try:
                rt.api.attach_policy(policy_id, target_id)
            except errors.PolicyAttachmentError as err:
                raise self._explained(err, policy, target_id) from err
        outs = attachment_outputs(policy_id, target_id, bool(props.get(SKIP_DESTROY, False)), adopted or policy)
        return CreateResult(ids.attachment_id(target_id, policy_id), outs)

    def _explained(self, err: errors.PolicyAttachmentError, policy: PolicySummary,
                   target_id: str) -> errors.PolicyAttachmentError:
        """``err`` with what this provider can add to AWS's answer to an attach."""
        lookups, limits = self._rt.lookups, self._rt.limits
        target = lookups.target_display(target_id)
        if isinstance(err, errors.AwsLimitExceededError):
            listed = self._rt.api.policies_for_target(target_id, policy.type) or []
            return err.with_fields(
                policy=policy.display, target=target, policy_type=policy.type,
                type_label=policy_type_label(policy.type), assumed=limits.of(policy.type).maximum,
                assumed_source=("this stack's org-policies:limits" if limits.is_overridden(policy.type)
                                else f"AWS's number as of {limits.of(policy.type).checked}"),
                attached=", ".join(sorted(p.display for p in listed)) or "none")
        if isinstance(err, errors.PolicyTypeNotEnabledError):
            return err.with_fields(policy_type=policy.type, root_id=lookups.root().id)
        if isinstance(err, errors.AlreadyAttachedError):
            return err.with_fields(policy=policy.display, target=target)
        return err

    def _adopt(self, policy: PolicySummary, target_id: str) -> Optional[PolicySummary]:
        """The existing attachment's policy, or None when it is not attached
        (the target's list is asked afresh)."""
        attached = self._rt.api.policies_for_target(target_id, policy.type)
        if attached is None:
            raise errors.TargetNotFoundError(target_id=target_id, target_kind=target_kind(target_id))
        return next((p for p in attached if p.id == policy.id), None)

    @reported
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Works from the ID alone (import). One ListPoliciesForTarget when the
        policy type is known from state; one DescribePolicy more otherwise."""
        target_id, policy_id = ids.parse_attachment_id(id_)
        api = self._rt.api
        policy_type = props.get(POLICY_TYPE)
        if not policy_type:
            described = api.describe_policy(policy_id)
            if described is None:
                return ReadResult("", {})
            policy_type = described.type
        attached = api.policies_for_target(target_id, policy_type)
        found = next((p for p in attached or [] if p.id == policy_id), None)
        if found is None:
            return ReadResult("", {})
        skip_destroy = bool(props.get(SKIP_DESTROY, False))
        outs = attachment_outputs(policy_id, target_id, skip_destroy, found)
        inputs = {POLICY_ID: policy_id, TARGET_ID: target_id, SKIP_DESTROY: skip_destroy}
        return ReadResult(id_, outs, inputs)

    @reported
    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Only skip_destroy can change in place; nothing in AWS changes."""
        outs = {key: olds.get(key) for key in ATTACHMENT_OUTPUTS}
        outs[SKIP_DESTROY] = bool(news.get(SKIP_DESTROY, False))
        return UpdateResult(outs)

    @reported
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Detach, unless skip_destroy. Refuses (without calling DetachPolicy) a
        detach :func:`provider.rules.judge_detach` refuses, judged on what AWS
        shows now and documents read afresh. Already gone is success."""
        if props.get(SKIP_DESTROY):
            return
        target_id, policy_id = _pair(id_, props)
        rt = self._rt
        if rules.is_undetachable(policy_id):
            raise errors.UndetachablePolicyError(policy_id=policy_id, target_id=target_id,
                                                 target=rt.lookups.target_display(target_id))
        policy_type, display = props.get(POLICY_TYPE), policy_display(policy_id, props.get(POLICY_NAME))
        if not policy_type:
            described = rt.api.describe_policy(policy_id)
            if described is None:
                return
            policy_type, display = described.type, described.display
        if rt.limits.of(policy_type).minimum > 0 or policy_type == rules.SERVICE_CONTROL_POLICY:
            attached = rt.api.policies_for_target(target_id, policy_type)
            if attached is None or all(p.id != policy_id for p in attached):
                return
            self._refuse_if_judged(rules.TargetState(policy_type, frozenset(p.id for p in attached)),
                                   policy_id, display, target_id)
        try:
            rt.api.detach_policy(policy_id, target_id, policy=display, policy_type=policy_type)
        except errors.LastPolicyError as err:  # AWS refused a race this process did not see
            raise err.with_fields(target=rt.lookups.target_display(target_id)) from err

    def _refuse_if_judged(self, state: rules.TargetState, policy_id: str, display: str, target_id: str) -> None:
        """Raise the refusal of :func:`provider.rules.judge_detach`, if any. Documents
        are read afresh (an update may have changed them), each once."""
        rt = self._rt
        described: dict[str, Optional[PolicySummary]] = {}

        def content(pid: str) -> Optional[str]:
            if pid not in described:
                described[pid] = rt.api.describe_policy(pid)
            summary = described[pid]
            return summary.content if summary else None

        decision = rules.judge_detach(state, policy_id, rt.limits, content)
        if decision.allowed:
            return
        remaining = [summary_display(described.get(p), p) for p in sorted(decision.remaining)]
        facts = (rt.lookups.target_facts(target_id) if decision.verdict is rules.Detach.LOCKS_OUT
                 else refusals.TargetFacts(display=rt.lookups.target_display(target_id)))
        refusal = refusals.detach_refusal(decision, display, target_id, state.policy_type, remaining, facts,
                                          rt.limits)
        if refusal is not None:
            raise refusal


def _declared(reason: str | errors.PolicyAttachmentError, where: Optional[str]) -> str:
    """A check failure's message, naming the config entry that declared the resource when known."""
    if isinstance(reason, errors.PolicyAttachmentError):
        return str(reason.at(where) if where else reason)
    return f"{reason}\nDeclared at: {where}" if where else reason


def _pair(id_: str, props: dict[str, Any]) -> tuple[str, str]:
    if props.get(TARGET_ID) and props.get(POLICY_ID):
        return props[TARGET_ID], props[POLICY_ID]
    return ids.parse_attachment_id(id_)


def attachment_outputs(policy_id: str, target_id: str, skip_destroy: bool,
                       policy: Optional[PolicySummary]) -> dict[str, Any]:
    """The outputs create, read and update record (the SDK adds ``__provider``);
    also what ``program.recover`` records for an attach a killed update made."""
    return {
        POLICY_ID: policy_id,
        TARGET_ID: target_id,
        SKIP_DESTROY: skip_destroy,
        TARGET_TYPE: ids.target_type(target_id),
        POLICY_TYPE: policy.type if policy else None,
        POLICY_NAME: policy.name if policy else None,
    }


class PolicyAttachment(pulumi.dynamic.Resource, module=MODULE, name=ATTACHMENT_NAME):
    """Attaches one Organizations policy to one root, OU or account.

    Its ID is ``"<target_id>:<policy_id>"``. Deleting it detaches the policy,
    unless ``skip_destroy`` is true. The plan-time guard hooks are bound
    automatically, next to any hooks given in ``opts``.

    Importing: ``opts=pulumi.ResourceOptions(import_="<target_id>:<policy_id>")``
    adopts an existing attachment. The Python SDK's dynamic-provider host
    cannot serve the engine's import read (it sends no ``__provider``), so this
    class takes ``import_`` out of the options and has ``create`` adopt the
    attachment instead of attaching it: the preview shows a create, and the
    update calls no AttachPolicy when the attachment exists, or attaches it when
    it does not (so ``import_`` can stay: an attachment refresh found missing is
    re-attached). An ``import_`` naming another pair fails the preview.
    """

    policy_id: pulumi.Output[str]
    target_id: pulumi.Output[str]
    skip_destroy: pulumi.Output[bool]
    target_type: pulumi.Output[str]
    policy_type: pulumi.Output[str]
    policy_name: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        policy_id: pulumi.Input[str],
        target_id: pulumi.Input[str],
        skip_destroy: pulumi.Input[bool] = False,
        opts: Optional[pulumi.ResourceOptions] = None,
    ) -> None:
        run = guard.current()
        run.record_declared("attachment", target_id, policy_id, resource_name)
        props: dict[str, Any] = {POLICY_ID: policy_id, TARGET_ID: target_id, SKIP_DESTROY: skip_destroy,
                                 TARGET_TYPE: None, POLICY_TYPE: None, POLICY_NAME: None}
        # Hints for check, which drops them from the inputs it returns (never stored).
        declared_at = run.declared_at(resource_name)
        if declared_at is not None:
            props[DECLARED_AT] = declared_at
        if opts is not None and opts.delete_before_replace:
            props[DELETES_FIRST] = True
        if opts is not None and opts.import_:
            props[IMPORT_ID] = opts.import_
            opts = copy.copy(opts)
            opts.import_ = None
        with pickler_restored():  # any number of attachments per run (pulumi/pulumi#17803)
            super().__init__(PolicyAttachmentProvider(), resource_name, props, run.bind_attachment_hooks(opts))
