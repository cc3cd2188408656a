"""Plan-time guard: ``pulumi preview`` fails before a target would lose its
last SCP, be left with SCPs that allow no action at all (a lockout), or get
more policies than AWS allows.

The engine never calls a provider for a resource removed from the program
during preview; it does run ``before_delete`` resource hooks registered with
``on_dry_run=True`` (Pulumi 3.182+). This module binds two named hooks to
every PolicyAttachment:

* ``before_delete`` -> :func:`guard_before_delete`: for an attachment whose
  type has a minimum (SCP), remaining = (attached to the target now, one
  ListPoliciesForTarget per target per run) ∪ (attachments approved for
  creation on that target in this run) − (detaches approved in this run, this
  one included). Nothing remaining: refuse, with the provider's own message.
  For an SCP, also refuse when the detached SCP allows some action and the
  remaining ones allow none (:func:`provider.resource.detach_locks_out`): their
  documents come from DescribePolicy, once per policy per run, read only until
  the answer is known (FullAWSAccess never); a policy created in the same
  update counts as the document the program handed over
  (:func:`expect_new_policy`).
* ``before_create`` -> :func:`guard_before_create`: refuse an attachment that
  would put more distinct policies of its type on the target than AWS allows.

Creates (and their hooks) run while the program registers resources; deletes
run after every create, in parallel. So by the time a delete hook runs, every
attachment this run adds has been approved, and approvals are recorded under
one lock so that parallel deletes see each other. In a destroy nothing is
created, so nothing counts as a replacement there.

The hooks run in the program's process, on its event loop. Their AWS calls
run on worker threads the guard owns (:data:`_AWS_WORKERS`), never on the
loop's default executor: the SDK blocks one of that executor's workers per
pending ``RegisterResource``, and the engine answers a registration only after
its ``before_create`` hook returned, so a hook waiting for that executor
deadlocks the run as soon as the pending registrations fill it (any stack
larger than ``parallel``).
"""

from __future__ import annotations

import asyncio
import copy
import functools
import threading
from collections import defaultdict
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Optional, TypeVar

import pulumi

from . import errors, ids, ordering, rules
from .aws import AwsSettings, OrganizationsApi, policy_display, policy_type_label
from .inputs import POLICY_ID, SKIP_DESTROY, TARGET_ID, UNKNOWN, is_engine_unknown, known
from .lookups import Lookups
from .resource import PROVIDER_KEY, detach_locks_out, last_policy_error, lockout_error
from .retry import retry_from_config

BEFORE_DELETE_HOOK = "organizations-policy-attachment-guard-delete"
BEFORE_CREATE_HOOK = "organizations-policy-attachment-guard-create"
BEFORE_CREATE_EXCLUSIVE_HOOK = "organizations-exclusive-policies-guard-create"
BEFORE_DELETE_EXCLUSIVE_HOOK = "organizations-exclusive-policies-guard-delete"

Key = tuple[str, str]  # (target_id, policy_type)
T = TypeVar("T")

#: The guard's own threads for blocking AWS calls (see the module docstring for
#: why not asyncio.to_thread). Lookups are cached per run, so a few suffice.
_AWS_WORKERS = ThreadPoolExecutor(max_workers=8, thread_name_prefix="org-policies-guard")


async def _off_loop(fn: Callable[..., T], *args: Any) -> T:
    """Run a blocking call on the guard's own workers and await its result."""
    return await asyncio.wrap_future(_AWS_WORKERS.submit(fn, *args))


@dataclass(frozen=True)
class NewPolicy:
    """A policy the program creates in this update: its ID is unknown in a
    preview, but its type and document are known from the program."""

    name: str
    policy_type: str
    content: str


@dataclass
class Ledger:
    """What one program run has approved so far, and the AWS answers it used."""

    lookups: Lookups
    attaches: dict[Key, set[str]] = field(default_factory=lambda: defaultdict(set))
    detaches: dict[Key, set[str]] = field(default_factory=lambda: defaultdict(set))
    #: targets that get an attachment whose policy ID, type and document are unknown
    unknown_attaches: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    #: policies created in this update, by the resource name of the attachment
    #: that attaches them (see :func:`expect_new_policy`)
    new_policies: dict[str, NewPolicy] = field(default_factory=dict)
    #: approved attachments of such policies, whose IDs are unknown in this preview
    new_attaches: dict[Key, list[NewPolicy]] = field(default_factory=lambda: defaultdict(list))
    #: exclusive sets the program declared: (target, type) -> resource name
    owners: dict[Key, str] = field(default_factory=dict)
    #: PolicyAttachments the program declared: target -> {policy ID: resource name}
    declared: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))
    #: policy ID -> "Name (p-…)" of the attaches approved above, for messages
    names: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


_ledger: Optional[Ledger] = None
_ledger_lock = threading.Lock()


def ledger() -> Ledger:
    """This run's ledger, created on first use with the stack's AWS and retry settings."""
    global _ledger
    with _ledger_lock:
        if _ledger is None:
            settings = AwsSettings.from_config(stack_config)
            _ledger = Ledger(Lookups(OrganizationsApi(settings, retry_from_config(stack_config))))
        return _ledger


def stack_config(key: str) -> Any:
    """A namespaced stack config value (``aws:region``), as the provider's configure sees it."""
    namespace, name = key.split(":", 1)
    return pulumi.Config(namespace).get(name)


def reset_ledger(api: Optional[OrganizationsApi] = None) -> Ledger:
    """Start a new run's ledger (tests, or a long-lived Automation API process)."""
    global _ledger
    with _ledger_lock:
        _ledger = Ledger(Lookups(api or OrganizationsApi()))
        return _ledger


def expect_new_policy(attachment_name: str, *, name: str, policy_type: str, content: str) -> None:
    """Tell this run's guard that the PolicyAttachment named ``attachment_name``
    attaches a policy the program creates in the same update (``name``, of
    ``policy_type``, with the document ``content``). In a preview that
    policy's ID is unknown; with this, the guard still counts it as what it
    is: a replacement SCP or not, and one that allows actions or not. Call it
    before declaring the attachment."""
    book = ledger()
    with book.lock:
        book.new_policies[attachment_name] = NewPolicy(name, policy_type, content)


# -- the hooks -------------------------------------------------------------------


async def guard_before_delete(args: pulumi.ResourceHookArgs) -> None:
    """Refuse to delete an attachment whose detach would leave its target
    without the minimum of its policy type (the target's last SCP)."""
    outs = await _plain(args.old_outputs or args.old_inputs or {})
    if outs.get(SKIP_DESTROY) is True:
        return
    target_id, policy_id = outs.get(TARGET_ID), outs.get(POLICY_ID)
    if not (known(target_id, is_engine_unknown) and known(policy_id, is_engine_unknown)):
        return
    if rules.is_undetachable(policy_id):
        raise errors.UndetachablePolicyError(policy_id=policy_id, target_id=target_id)
    book = ledger()
    policy_type, display = outs.get("policy_type"), policy_display(policy_id, outs.get("policy_name"))
    if not policy_type:
        summary = await _off_loop(book.lookups.policy, policy_id)
        if summary is None:
            return  # the policy is gone: the provider's delete is a no-op
        policy_type, display = summary.type, summary.display
    owner = book.owners.get((target_id, policy_type))
    if owner is not None:
        raise errors.ExclusiveTakeoverError(target_id=target_id, type_label=policy_type_label(policy_type),
                                            exclusive=owner, policy=display)
    if rules.limits_for(policy_type).minimum == 0:
        return
    attached = await _off_loop(book.lookups.attached, target_id, policy_type)
    if attached is None or all(p.id != policy_id for p in attached):
        return  # target or attachment already gone: nothing will be detached
    key = (target_id, policy_type)
    attached_ids = [p.id for p in attached]
    while True:
        with book.lock:
            remaining, new, unknown = _after_detach(book, key, attached_ids, policy_id)
            if rules.detach_leaves_too_few(policy_type, remaining) and not new:
                if unknown == 0:
                    raise last_policy_error(display, target_id, policy_type)
                pulumi.log.warn(
                    f"{display} is the last {policy_type_label(policy_type)} known on {target_id}; "
                    f"the update also attaches a policy to {target_id} whose ID is not known until "
                    "it is created, and it is counted as the replacement. If it is not of the same "
                    "type, the detach will be refused while applying."
                )
            if (policy_type != rules.SERVICE_CONTROL_POLICY or unknown  # unknown: never guess
                    or not remaining.isdisjoint(rules.ALLOW_ALL_POLICIES)):  # FullAWSAccess stays
                book.detaches[key].add(policy_id)
                return
        # Reading documents calls AWS: outside the lock, then decided again under
        # it, in case a parallel delete of the same target was approved meanwhile.
        shown = await _off_loop(_lockout, book, policy_id, remaining, new)
        with book.lock:
            if _after_detach(book, key, attached_ids, policy_id) != (remaining, new, unknown):
                continue
            if shown is None:
                book.detaches[key].add(policy_id)
                return
        facts = await _off_loop(book.lookups.api.target_facts, target_id)
        refusal = lockout_error(display, target_id, shown, facts)
        if refusal is not None:
            raise refusal
        with book.lock:  # the management account: SCPs never restrict it
            book.detaches[key].add(policy_id)
            return


def _after_detach(
    book: Ledger, key: Key, attached: list[str], policy_id: str
) -> tuple[frozenset[str], tuple[NewPolicy, ...], int]:
    """What the target keeps if this run's approved changes and this detach
    happen: policy IDs, policies created in this update, and how many
    attachments of unknown policies it gets. Call under ``book.lock``."""
    remaining = rules.remaining_after_detach(attached, book.attaches[key], book.detaches[key] | {policy_id})
    return remaining, tuple(book.new_attaches[key]), book.unknown_attaches[key[0]]


def _lockout(
    book: Ledger, policy_id: str, remaining: frozenset[str], new: tuple[NewPolicy, ...]
) -> Optional[list[str]]:
    """None unless detaching ``policy_id`` leaves the target SCPs that allow
    nothing; then how to name those in the refusal. One DescribePolicy per
    policy per run, at most."""
    if not detach_locks_out(policy_id, remaining, book.lookups.policy, (n.content for n in new)):
        return None
    summaries = {p: book.lookups.policy(p) for p in sorted(remaining)}  # cached by now
    return [s.display if s else p for p, s in summaries.items()] + [
        f"{n.name} (created in this update)" for n in new]


async def guard_before_create(args: pulumi.ResourceHookArgs) -> None:
    """Refuse an attachment that would put more policies of its type on the
    target than AWS allows, counting this run's earlier approvals."""
    ins = await _plain(args.new_inputs or {})
    target_id, policy_id = ins.get(TARGET_ID), ins.get(POLICY_ID)
    book = ledger()
    if not known(target_id, is_engine_unknown):
        return
    if not known(policy_id, is_engine_unknown):
        with book.lock:
            new = book.new_policies.get(args.name)
            if new is None:
                book.unknown_attaches[target_id] += 1
            else:
                book.new_attaches[(target_id, new.policy_type)].append(new)
        return
    if ids.target_type(target_id) is None or not ids.is_policy_id(policy_id):
        return  # the provider's check reports malformed IDs
    summary = await _off_loop(book.lookups.policy, policy_id)
    if summary is None:
        return  # the provider's check reports the unknown policy
    attached = await _off_loop(book.lookups.attached, target_id, summary.type)
    if attached is None:
        return  # the provider's check reports the unknown target
    owner = book.owners.get((target_id, summary.type))
    if owner is not None:
        raise exclusive_conflict(summary.display, target_id, summary.type, owner)
    key = (target_id, summary.type)
    with book.lock:
        after = rules.remaining_after_detach(
            (p.id for p in attached), book.attaches[key] | {policy_id}, book.detaches[key]
        )
        if rules.attach_exceeds_maximum(summary.type, after):
            names = {p.id: p.display for p in attached} | book.names
            raise errors.PolicyLimitExceededError(
                policy=summary.display,
                target_id=target_id,
                count=len(after),
                type_label=policy_type_label(summary.type),
                attached=", ".join(sorted(names.get(p, p) for p in after - {policy_id})),
                maximum=rules.limits_for(summary.type).maximum,
            )
        book.attaches[key].add(policy_id)
        book.names[policy_id] = summary.display


# -- where a refused resource was declared -------------------------------------------

#: resource name -> where the program declared it (e.g. a config key and entry), this run
_labels: dict[str, str] = {}


def label_resources(labels: Mapping[str, str]) -> None:
    """Have this run's refusals name where each resource was declared (``labels``:
    resource name -> e.g. the stack config entry). Call after :func:`register_guard`."""
    _labels.update(labels)


def _labelled(hook: Callable[[pulumi.ResourceHookArgs], Any]) -> Callable[[pulumi.ResourceHookArgs], Any]:
    """``hook``, its refusals prefixed with where the resource was declared, when known."""

    @functools.wraps(hook)
    async def labelled(args: pulumi.ResourceHookArgs) -> None:
        try:
            await hook(args)
        except errors.PolicyAttachmentError as err:
            where = _labels.get(args.name)
            if where is None:
                raise
            raise errors.DeclaredAtError(where=where, message=str(err)) from err

    return labelled


async def guard_exclusive_before_create(args: pulumi.ResourceHookArgs) -> None:
    """Refuse a new exclusive set on a (target, type) that a PolicyAttachment
    declared in the same program also attaches to (the two would undo each
    other). The reverse case is refused by :func:`guard_before_create`."""
    ins = await _plain(args.new_inputs or {})
    target_id, policy_type = ins.get(TARGET_ID), ins.get("policy_type")
    if not (known(target_id, is_engine_unknown) and known(policy_type, is_engine_unknown)):
        return
    book = ledger()
    for policy_id in sorted(book.declared.get(target_id, {})):
        summary = await _off_loop(book.lookups.policy, policy_id)
        if summary is not None and summary.type == policy_type:
            raise exclusive_conflict(summary.display, target_id, policy_type, args.name)


async def guard_exclusive_before_delete(args: pulumi.ResourceHookArgs) -> None:
    """Refuse, at preview, deleting an exclusive set when giving its target
    back what it found is impossible (AWS's limits), or when this update hands
    the target's policies of that type to PolicyAttachments (deleting the set
    would detach theirs). skip_destroy: nothing is detached, nothing to check."""
    outs = await _plain(args.old_outputs or args.old_inputs or {})
    target_id, policy_type = outs.get(TARGET_ID), outs.get("policy_type")
    if outs.get(SKIP_DESTROY) is True or not (
            known(target_id, is_engine_unknown) and known(policy_type, is_engine_unknown)):
        return
    book = ledger()
    with book.lock:
        handed_over = sorted(book.attaches.get((target_id, policy_type), ()))
    if handed_over:
        raise errors.ExclusiveHandoverError(target_id=target_id, type_label=policy_type_label(policy_type),
                                            policies=", ".join(handed_over))
    listed = await _off_loop(book.lookups.attached, target_id, policy_type)
    if listed is None:
        return  # the target is gone: nothing to give back
    attached = {p.id for p in listed}
    found = set()
    for policy_id in outs.get("found") or []:
        if policy_id in attached or await _off_loop(book.lookups.policy, policy_id) is not None:
            found.add(policy_id)
    result = ordering.plan_order(attached, ordering.given_back(attached, found, outs.get("policy_ids") or []),
                                 rules.limits_for(policy_type), undetachable=rules.UNDETACHABLE_POLICIES)
    if isinstance(result, ordering.Impossible):
        raise errors.ExclusiveRestoreError(
            target_id=target_id, type_label=policy_type_label(policy_type),
            found=", ".join(sorted(found)) or "none", attached=", ".join(sorted(attached)) or "none",
            reason=result.reason)


def exclusive_conflict(policy: str, target_id: str, policy_type: str, owner: str) -> errors.ExclusiveConflictError:
    return errors.ExclusiveConflictError(policy=policy, target_id=target_id, exclusive=owner,
                                         type_label=policy_type_label(policy_type))


def record_declared(kind: str, target_id: Any, key: Any, resource_name: str) -> None:
    """Note a resource the program declares, for the conflict checks above:
    ``kind`` "attachment" (key: policy ID) or "exclusive" (key: policy type).
    Values not known yet (Outputs) are not recorded: those conflicts surface
    when applying, as each resource undoes the other."""
    if not (isinstance(target_id, str) and isinstance(key, str)):
        return
    if in_program_run():
        register_guard()  # a new run starts a new ledger: record into that one
    book = ledger()
    with book.lock:
        if kind == "exclusive":
            book.owners[(target_id, key)] = resource_name
        else:
            book.declared[target_id][key] = resource_name


# -- registration ----------------------------------------------------------------

_hooks: Optional[tuple[pulumi.ResourceHook, pulumi.ResourceHook]] = None
_hooks_run: Optional[object] = None  # the engine connection (monitor) _hooks were registered with
_hooks_lock = threading.Lock()
_exclusive_hooks: list[pulumi.ResourceHook] = []  # registered with _hooks, for ExclusivePolicies


def register_guard() -> tuple[pulumi.ResourceHook, pulumi.ResourceHook]:
    """Register the guard hooks with this run's engine, once per run, and
    return them.

    Every run of a program that uses this package must register them, even a
    run that declares no PolicyAttachment any more: the engine looks the
    hooks up by name to delete resources that carry them. An engine knows only
    the hooks registered during its own run, and one process can serve several
    runs (Automation API inline programs, tests), so a new run (a new engine
    connection) gets new hooks and a new ledger.
    """
    global _hooks, _hooks_run, _ledger
    monitor = pulumi.runtime.settings.get_monitor()
    with _hooks_lock:
        if _hooks is None or monitor is not _hooks_run:
            dry_run = pulumi.ResourceHookOptions(on_dry_run=True)
            _labels.clear()
            _hooks = (
                pulumi.ResourceHook(BEFORE_DELETE_HOOK, _labelled(guard_before_delete), dry_run),
                pulumi.ResourceHook(BEFORE_CREATE_HOOK, _labelled(guard_before_create), dry_run),
            )
            # The delete hook on every run (the engine looks it up by name to delete a
            # set that left the program); the create hook with the first set of the run.
            _exclusive_hooks[:] = [pulumi.ResourceHook(
                BEFORE_DELETE_EXCLUSIVE_HOOK, guard_exclusive_before_delete, dry_run)]
            _hooks_run = monitor
            with _ledger_lock:
                _ledger = None  # approvals and cached answers belong to one run
        return _hooks


def with_exclusive_hooks(opts: Optional[pulumi.ResourceOptions]) -> pulumi.ResourceOptions:
    """``opts`` with the exclusive sets' conflict check bound, keeping the user's hooks."""
    register_guard()
    with _hooks_lock:
        # Registered only in runs that declare an exclusive set: a create hook is
        # looked up only while its resource registers (delete hooks are the ones
        # the engine needs on every run).
        if len(_exclusive_hooks) == 1:
            _exclusive_hooks.append(pulumi.ResourceHook(
                BEFORE_CREATE_EXCLUSIVE_HOOK, guard_exclusive_before_create,
                pulumi.ResourceHookOptions(on_dry_run=True)))
        before_delete, before_create = _exclusive_hooks
    ours = pulumi.ResourceHookBinding(before_delete=[before_delete], before_create=[before_create])
    opts = copy.copy(opts) if opts is not None else pulumi.ResourceOptions()
    opts.hooks = pulumi.ResourceHookBinding.merge(opts.hooks, ours)
    return opts


def with_guard_hooks(opts: Optional[pulumi.ResourceOptions]) -> pulumi.ResourceOptions:
    """``opts`` with the guard hooks bound, keeping the user's own hooks."""
    before_delete, before_create = register_guard()
    ours = pulumi.ResourceHookBinding(before_delete=[before_delete], before_create=[before_create])
    opts = copy.copy(opts) if opts is not None else pulumi.ResourceOptions()
    # Set, not ResourceOptions.merge: merge would add the user's hooks a second time.
    opts.hooks = pulumi.ResourceHookBinding.merge(opts.hooks, ours)
    return opts


def in_program_run() -> bool:
    """True inside a Pulumi program run (an engine or mocks is attached), False
    in the provider process and in plain imports."""
    return pulumi.runtime.settings.get_monitor() is not None


async def _plain(values: Mapping[str, Any]) -> dict[str, Any]:
    """The hook's values as plain Python: secrets (which the SDK hands to hooks
    as secret Outputs) unwrapped, unknowns as the engine's unknown marker."""
    plain: dict[str, Any] = {}
    for key, value in values.items():
        if key == PROVIDER_KEY:
            continue
        if isinstance(value, pulumi.Output):
            value = await value.future() if await value.is_known() else UNKNOWN
        plain[key] = value
    return plain
