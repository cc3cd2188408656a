"""PolicyAttachmentProvider (runs in the provider process) and PolicyAttachment
(the resource a program declares).

The provider object travels in every resource's state as a pickle, so it
holds nothing when pickled: no client, no credential, no configuration. It
builds its AWS layer after unpickling, in ``configure()`` or on first use.
"""

from __future__ import annotations

import copy
import functools
import threading
from collections import defaultdict
from collections.abc import Callable, Set
from typing import Any, Optional, TypeVar

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from . import errors, ids, rules
from .aws import (
    OrganizationsApi,
    PolicySummary,
    policy_display,
    summary_display,
    target_kind,
)
from .inputs import (
    DECLARED_AT,
    DELETES_FIRST,
    IMPORT_ID,
    POLICY_ID,
    SKIP_DESTROY,
    TARGET_ID,
    input_failures,
    is_engine_unknown,
    known,
)
from .lookups import Lookups
from .refusals import last_policy_error, limit_error, lockout_error
from .sdk_compat import pickler_restored
from .settings import stack_settings

OUTPUT_KEYS = ("policy_id", "target_id", "skip_destroy", "target_type", "policy_type", "policy_name")

_RUNTIME_LOCK = threading.Lock()
T = TypeVar("T")


class _Runtime:
    """What a configured provider uses; built after unpickling, never pickled.

    ``approved``: the new attachments this process's ``check`` has passed, per
    (target, type). The engine runs one provider process per operation and
    checks every new attachment of it, in order, before creating it, so these
    are exactly the attaches that will reach the target before this one.
    """

    def __init__(self, api: OrganizationsApi) -> None:
        self.api = api
        self.lookups = Lookups(self.api)
        self.approved: dict[tuple[str, str], set[str]] = defaultdict(set)
        self.approved_lock = threading.Lock()


def _reported(method: Callable[..., T]) -> Callable[..., T]:
    """Present this package's errors to the engine as their message alone.

    The SDK's provider host reports an exception as ``traceback.format_exc()``;
    with the AWS error chained below ours (``raise ... from err``, which the
    library layers keep for callers) a one-line refusal becomes forty lines of
    botocore frames. At this boundary the message already says everything the
    chained error did, so it is raised again without chain or inner frames.
    """

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return method(*args, **kwargs)
        except errors.PolicyAttachmentError as err:
            raise err.with_traceback(None) from None

    return wrapper


class OrganizationsProvider(ResourceProvider):
    """What every provider of this package shares: it pickles to nothing but its
    class reference (state must not carry settings or clients) and builds its
    AWS layer after unpickling, in ``configure`` or on first use."""

    serialize_as_secret_always = False

    def __init__(self) -> None:
        super().__init__()
        self._runtime: Optional[_Runtime] = None

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._runtime = None

    def configure(self, req: ConfigureRequest) -> None:
        """Stack config: ``aws:region``, ``aws:profile``, and the retry limits
        ``policyAttachment:maxAttempts`` / ``baseDelay`` / ``maxDelay`` (seconds)."""
        self._runtime = _Runtime(stack_settings(req.config.get).api())

    @property
    def _rt(self) -> _Runtime:
        if self._runtime is None:
            with _RUNTIME_LOCK:
                if self._runtime is None:
                    self._runtime = _Runtime(OrganizationsApi())
        return self._runtime


class PolicyAttachmentProvider(OrganizationsProvider):
    """Attaches one Organizations policy to one root, OU or account."""

    # -- plan ------------------------------------------------------------------

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Input formats first (no AWS call); then, for a new pair whose IDs are
        known, that the policy and target exist, the type is enabled, the pair
        is not attached already (or is, when imported), and the target stays
        within its type's maximum counting the attachments this operation
        checked before it. AWS answers are cached per process.

        Failures start with where the program declared the resource when it
        said so (:data:`~provider.inputs.DECLARED_AT`, dropped from the inputs).
        """
        inputs = dict(news)
        declared_at = inputs.pop(DECLARED_AT, None)
        deletes_first = inputs.pop(DELETES_FIRST, False) is True
        inputs.setdefault(SKIP_DESTROY, False)
        failures = [CheckFailure(p, r) for p, r in input_failures(inputs, is_engine_unknown)]
        policy_id, target_id = inputs.get(POLICY_ID), inputs.get(TARGET_ID)
        # Only a new pair (create, or the new half of a replace) is looked up: an
        # attachment already in state costs no call; `pulumi refresh` finds its drift.
        new_pair = (olds.get(POLICY_ID), olds.get(TARGET_ID)) != (policy_id, target_id)
        if not failures and new_pair and known(policy_id, is_engine_unknown) and known(target_id, is_engine_unknown):
            try:
                # a replace on the same target that deletes first frees the old policy's slot
                leaving = ({olds[POLICY_ID]} if deletes_first and olds.get(TARGET_ID) == target_id
                           and olds.get(POLICY_ID) else set())
                failures += self._organization_failures(policy_id, target_id, inputs.get(IMPORT_ID), leaving)
            except errors.PolicyAttachmentError as err:  # AWS could not answer: say so on the pair
                failures.append(CheckFailure(POLICY_ID, f"Could not check {policy_id} on {target_id}: {err}"))
        if isinstance(declared_at, str) and declared_at:
            failures = [CheckFailure(f.property, str(errors.DeclaredAtError(where=declared_at, message=f.reason)))
                        for f in failures]
        return CheckResult(inputs, failures)

    def _organization_failures(
        self, policy_id: str, target_id: str, import_id: Optional[str], leaving: Set[str]
    ) -> list[CheckFailure]:
        lookups = self._rt.lookups
        expected_id = ids.attachment_id(target_id, policy_id)
        if import_id and import_id != expected_id:
            return [CheckFailure(IMPORT_ID, str(errors.ImportIdMismatchError(
                import_id=import_id, policy_id=policy_id, target_id=target_id)))]
        policy = lookups.policy(policy_id)
        if policy is None:
            return [CheckFailure(POLICY_ID, str(errors.PolicyNotFoundError(policy_id=policy_id)))]
        attached = lookups.attached(target_id, policy.type)
        if attached is None:
            return [CheckFailure(TARGET_ID, str(errors.TargetNotFoundError(
                target_id=target_id, target_kind=target_kind(target_id))))]
        root = lookups.root()
        if policy.type not in root.enabled_types:
            return [CheckFailure(POLICY_ID, str(errors.PolicyTypeNotEnabledError(
                policy_id=policy_id, target_id=target_id, policy_type=policy.type, root_id=root.id)))]
        is_attached = any(p.id == policy_id for p in attached)
        if is_attached and not import_id:
            return [CheckFailure(POLICY_ID, str(errors.AlreadyAttachedError(policy_id=policy_id, target_id=target_id)))]
        # import_ and not attached: create attaches it. The flag may stay after the
        # adoption, so an attachment found missing later is repaired like any other.
        refusal = self._approve_attach(policy, target_id, attached, leaving)
        return [] if refusal is None else [CheckFailure(POLICY_ID, str(refusal))]

    def _approve_attach(self, policy: PolicySummary, target_id: str, attached: list[PolicySummary],
                        leaving: Set[str]) -> Optional[errors.PolicyLimitExceededError]:
        """Count ``policy`` among the attaches this operation makes on the
        target, or the refusal when that would exceed the type's maximum
        (``leaving``: a policy detached from the target before this attach)."""
        rt, key = self._rt, (target_id, policy.type)
        with rt.approved_lock:
            arriving = rt.approved[key] | {policy.id}
            after = rules.policies_after((p.id for p in attached), arriving, leaving)
            if not rules.attach_exceeds_maximum(policy.type, after):
                rt.approved[key].add(policy.id)
                return None
        names = {p.id: p.display for p in attached}
        shown = sorted(names.get(p) or summary_display(rt.lookups.policy(p), p) for p in after - {policy.id})
        return limit_error(policy.display, target_id, policy.type, len(after), shown)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """policy_id or target_id changed: replace (create before delete);
        only skip_destroy changed: update in place."""
        replaces = [key for key in (POLICY_ID, TARGET_ID) if olds.get(key) != news.get(key)]
        skip_changed = bool(olds.get(SKIP_DESTROY, False)) != news.get(SKIP_DESTROY, False)
        return DiffResult(
            changes=bool(replaces) or skip_changed,
            replaces=replaces,
            stables=[],
            delete_before_replace=False,
        )

    # -- apply -----------------------------------------------------------------

    @_reported
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
            rt.api.attach_policy(policy_id, target_id)
        outs = _outputs(policy_id, target_id, bool(props.get(SKIP_DESTROY, False)), adopted or policy)
        return CreateResult(ids.attachment_id(target_id, policy_id), outs)

    def _adopt(self, policy: PolicySummary, target_id: str) -> Optional[PolicySummary]:
        """The existing attachment's policy, or None when it is not attached
        (the target's list is asked afresh)."""
        attached = self._rt.api.policies_for_target(target_id, policy.type)
        if attached is None:
            raise errors.TargetNotFoundError(target_id=target_id, target_kind=target_kind(target_id))
        return next((p for p in attached if p.id == policy.id), None)

    @_reported
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Works from the ID alone (import). One ListPoliciesForTarget when the
        policy type is known from state; one DescribePolicy more otherwise."""
        target_id, policy_id = ids.parse_attachment_id(id_)
        api = self._rt.api
        policy_type = props.get("policy_type")
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
        outs = _outputs(policy_id, target_id, skip_destroy, found)
        inputs = {POLICY_ID: policy_id, TARGET_ID: target_id, SKIP_DESTROY: skip_destroy}
        return ReadResult(id_, outs, inputs)

    @_reported
    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Only skip_destroy can change in place; nothing in AWS changes."""
        outs = {key: olds.get(key) for key in OUTPUT_KEYS}
        outs[SKIP_DESTROY] = bool(news.get(SKIP_DESTROY, False))
        return UpdateResult(outs)

    @_reported
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Detach, unless skip_destroy. Refuses (without calling DetachPolicy) a
        detach that would leave the target below its type's minimum. Already
        gone is success."""
        if props.get(SKIP_DESTROY):
            return
        target_id, policy_id = _pair(id_, props)
        if rules.is_undetachable(policy_id):
            raise errors.UndetachablePolicyError(policy_id=policy_id, target_id=target_id)
        api = self._rt.api
        policy_type = props.get("policy_type")
        display = policy_display(policy_id, props.get("policy_name"))
        if not policy_type:
            described = api.describe_policy(policy_id)
            if described is None:
                return
            policy_type, display = described.type, described.display
        if rules.limits_for(policy_type).minimum > 0:
            attached = api.policies_for_target(target_id, policy_type)
            if attached is None or all(p.id != policy_id for p in attached):
                return
            remaining = rules.policies_after((p.id for p in attached), (), (policy_id,))
            verdict = rules.detach_verdict(policy_type, remaining)
            if verdict is rules.Detach.TOO_FEW:
                raise last_policy_error(display, target_id, policy_type)
            if verdict is rules.Detach.READ_DOCUMENTS:
                self._refuse_lockout(policy_id, display, target_id, remaining)
        api.detach_policy(policy_id, target_id, policy_display=display)

    def _refuse_lockout(self, policy_id: str, display: str, target_id: str, remaining: frozenset[str]) -> None:
        """Raise LockoutError if this detach leaves the target SCPs that allow
        nothing. Documents are read afresh (an update may have changed them)."""
        api, described = self._rt.api, {}

        def content(pid: str) -> Optional[str]:
            summary = described[pid] = api.describe_policy(pid)
            return summary.content if summary else None

        if rules.detach_locks_out(policy_id, remaining, content):
            shown = [summary_display(described.get(p), p) for p in sorted(remaining)]
            refusal = lockout_error(display, target_id, shown, api.target_facts(target_id))
            if refusal is not None:
                raise refusal


def _pair(id_: str, props: dict[str, Any]) -> tuple[str, str]:
    if props.get(TARGET_ID) and props.get(POLICY_ID):
        return props[TARGET_ID], props[POLICY_ID]
    return ids.parse_attachment_id(id_)



def _outputs(policy_id: str, target_id: str, skip_destroy: bool, policy: Optional[PolicySummary]) -> dict[str, Any]:
    """The outputs create, read and update record (the SDK adds ``__provider``)."""
    return {
        POLICY_ID: policy_id,
        TARGET_ID: target_id,
        SKIP_DESTROY: skip_destroy,
        "target_type": ids.target_type(target_id),
        "policy_type": policy.type if policy else None,
        "policy_name": policy.name if policy else None,
    }


#: For code that records an attachment without the provider (``program.recover``).
attachment_outputs = _outputs


class PolicyAttachment(pulumi.dynamic.Resource, module="organizations", name="PolicyAttachment"):
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
        from . import guard  # the program side only; the provider process never needs it

        props: dict[str, Any] = {
            POLICY_ID: policy_id,
            TARGET_ID: target_id,
            SKIP_DESTROY: skip_destroy,
            "target_type": None,
            "policy_type": None,
            "policy_name": None,
        }
        guard.record_declared("attachment", target_id, policy_id, resource_name)  # starts this run's guard
        # Hints for check, which drops them from the inputs it returns (never stored).
        declared_at = guard.declared_at(resource_name)
        if declared_at is not None:
            props[DECLARED_AT] = declared_at
        if opts is not None and opts.delete_before_replace:
            props[DELETES_FIRST] = True
        if opts is not None and opts.import_:
            props[IMPORT_ID] = opts.import_
            opts = copy.copy(opts)
            opts.import_ = None
        with pickler_restored():  # any number of attachments per run (pulumi/pulumi#17803)
            super().__init__(PolicyAttachmentProvider(), resource_name, props, guard.with_guard_hooks(opts))

