"""Plan-time guard: ``pulumi preview`` fails before a target would lose its
last SCP or be left with SCPs that allow no action at all (a lockout), and
before a PolicyAttachment and an ExclusivePolicies claim the same policies.
(Too many policies on a target is refused by the provider's ``check``.)

The engine never calls a provider for a resource removed from the program
during preview; it does run ``before_delete`` resource hooks registered with
``on_dry_run=True`` (Pulumi 3.182+). Every PolicyAttachment carries one:

* ``before_delete`` -> :func:`guard_before_delete`: for an attachment whose
  type has a minimum (SCP), remaining = (attached to the target now, one
  ListPoliciesForTarget per target per run) ∪ (attachments the program
  declares on that target) − (detaches approved in this run, this one
  included). Nothing remaining: refuse, with the provider's own message.
  For an SCP, also refuse when the detached SCP allows some action and the
  remaining ones allow none (:func:`provider.rules.detach_locks_out`): their
  documents come from DescribePolicy, once per policy per run, read only until
  the answer is known (FullAWSAccess never); a policy created in the same
  update counts as the document the program handed over
  (:func:`expect_new_policy`).

Deletes (and their hooks) run after the program has declared everything and
every create has run, in parallel; approvals are recorded under one lock so
that parallel deletes see each other. What the program declares is recorded
as it declares it (:func:`record_declared`); the types of declared policies are
looked up only for a target whose detach needs them (FullAWSAccess staying
settles most detaches without them).

There is deliberately no ``before_create`` hook: the engine calls a hook once
per resource, and at thousands of attachments those calls alone cost more than
the checks they would make (see the README's Performance section). The
provider's ``check`` makes the create-side checks in the provider process.

The hooks run in the program's process, on its event loop. Their AWS calls
run on worker threads the guard owns (:data:`_AWS_WORKERS`), never on the
loop's default executor: the SDK blocks one of that executor's workers per
pending ``RegisterResource``, so a hook waiting for that executor can deadlock
the run once pending registrations fill it.
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

from . import errors, ordering, rules
from .aws import OrganizationsApi, policy_display, summary_display
from .inputs import POLICY_ID, PROVIDER_KEY, SKIP_DESTROY, TARGET_ID, UNKNOWN, is_engine_unknown, known
from .lookups import Lookups
from .refusals import exclusive_conflict, last_policy_error, lockout_error, policy_type_label
from .settings import stack_settings

BEFORE_DELETE_HOOK = "organizations-policy-attachment-guard-delete"
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
    #: declared policies on targets in ``typed_targets``, by their type
    attaches: dict[Key, set[str]] = field(default_factory=lambda: defaultdict(set))
    typed_targets: set[str] = field(default_factory=set)
    detaches: dict[Key, set[str]] = field(default_factory=lambda: defaultdict(set))
    #: attachments declared with IDs not resolved yet (Outputs): (target, policy, resource name)
    unresolved: list[tuple[Any, Any, str]] = field(default_factory=list)
    settling: Optional[asyncio.Future[None]] = None
    #: targets that get an attachment whose policy ID, type and document are unknown
    unknown_attaches: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    #: policies created in this update, by the resource name of the attachment
    #: that attaches them (see :func:`expect_new_policy`)
    new_policies: dict[str, NewPolicy] = field(default_factory=dict)
    #: declared attachments of such policies, whose IDs are unknown in this preview
    new_attaches: dict[Key, list[NewPolicy]] = field(default_factory=lambda: defaultdict(list))
    #: exclusive sets the program declared: (target, type) -> resource name
    owners: dict[Key, str] = field(default_factory=dict)
    #: PolicyAttachments the program declared: target -> {policy ID: resource name}
    declared: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))
    lock: threading.Lock = field(default_factory=threading.Lock)


_ledger: Optional[Ledger] = None
_ledger_lock = threading.Lock()


def ledger() -> Ledger:
    """This run's ledger, created on first use with the stack's AWS and retry settings."""
    global _ledger
    with _ledger_lock:
        if _ledger is None:
            _ledger = Ledger(Lookups(stack_settings().api()))
        return _ledger


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
    without the minimum of its policy type (the target's last SCP), or with
    SCPs that allow nothing."""
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
    await _settle(book)
    key = (target_id, policy_type)
    attached_ids = [p.id for p in attached]
    while True:
        with book.lock:
            remaining, new, unknown = _after_detach(book, key, attached_ids, policy_id)
            verdict = rules.detach_verdict(policy_type, remaining, arriving=len(new))
            typed = target_id in book.typed_targets
            if verdict is rules.Detach.ALLOWED:
                book.detaches[key].add(policy_id)
                return
            if typed and verdict is rules.Detach.TOO_FEW:
                if unknown == 0:
                    raise last_policy_error(display, target_id, policy_type)
                pulumi.log.warn(
                    f"{display} is the last {policy_type_label(policy_type)} known on {target_id}; "
                    f"the update also attaches a policy to {target_id} whose ID is not known until "
                    "it is created, and it is counted as the replacement. If it is not of the same "
                    "type, the detach will be refused while applying."
                )
                book.detaches[key].add(policy_id)
                return
            if typed and unknown:  # a policy of unknown document arrives: never guess a lockout
                book.detaches[key].add(policy_id)
                return
        if not typed:  # what the program declares on the target may settle it: look it up, decide again
            await _off_loop(_type_declared, book, target_id)
            continue
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
    """What the target keeps if the program's declarations, this run's
    approved detaches and this detach happen: policy IDs, policies created in
    this update, and how many attachments of unknown policies it gets. Call
    under ``book.lock``."""
    remaining = rules.policies_after(attached, book.attaches[key], book.detaches[key] | {policy_id})
    return remaining, tuple(book.new_attaches[key]), book.unknown_attaches[key[0]]


def _type_declared(book: Ledger, target_id: str) -> None:
    """Sort the policies the program declares on ``target_id`` by type (one
    DescribePolicy per policy per run, cached), into ``book.attaches``. Blocking."""
    with book.lock:
        if target_id in book.typed_targets:
            return
        policy_ids = sorted(book.declared.get(target_id, {}))
    summaries = [book.lookups.policy(p) for p in policy_ids]
    with book.lock:
        for summary in summaries:
            if summary is not None:  # gone: the provider's check refuses that attachment
                book.attaches[(target_id, summary.type)].add(summary.id)
        book.typed_targets.add(target_id)


async def _settle(book: Ledger) -> None:
    """Record the attachments declared with Output IDs, once their values are
    settled (a delete hook runs after the program declared everything). A
    policy ID still unknown counts as a policy the update creates:
    :func:`expect_new_policy`'s, or one of unknown type and document."""
    with book.lock:
        items, book.unresolved = book.unresolved, []
        if items:  # after any earlier settling, so that awaiting the last one awaits all
            book.settling = asyncio.ensure_future(_record_resolved(book, items, book.settling))
        settling = book.settling
    if settling is not None:
        await settling


async def _record_resolved(book: Ledger, items: list[tuple[Any, Any, str]],
                           earlier: Optional[asyncio.Future[None]]) -> None:
    if earlier is not None:
        await earlier
    for target, policy, name in items:
        try:
            values = await _plain({TARGET_ID: target, POLICY_ID: policy})
        except Exception:  # an input whose resource failed: that attachment never comes
            continue
        target_id, policy_id = values[TARGET_ID], values[POLICY_ID]
        if not known(target_id, is_engine_unknown):
            continue  # a target the update creates carries nothing to detach
        with book.lock:
            if known(policy_id, is_engine_unknown):
                book.declared[target_id][policy_id] = name
                book.typed_targets.discard(target_id)
            elif (new := book.new_policies.get(name)) is not None:
                book.new_attaches[(target_id, new.policy_type)].append(new)
            else:
                book.unknown_attaches[target_id] += 1


def _lockout(
    book: Ledger, policy_id: str, remaining: frozenset[str], new: tuple[NewPolicy, ...]
) -> Optional[list[str]]:
    """None unless detaching ``policy_id`` leaves the target SCPs that allow
    nothing; then how to name those in the refusal. One DescribePolicy per
    policy per run, at most."""
    def content(pid: str) -> Optional[str]:
        summary = book.lookups.policy(pid)
        return summary.content if summary else None  # gone: unknown, never a lockout

    if not rules.detach_locks_out(policy_id, remaining, content, (n.content for n in new)):
        return None
    summaries = {p: book.lookups.policy(p) for p in sorted(remaining)}  # cached by now
    return [summary_display(s, p) for p, s in summaries.items()] + [
        f"{n.name} (created in this update)" for n in new]


# -- where a refused resource was declared -------------------------------------------

#: resource name -> where the program declared it (e.g. a config key and entry), this run
_labels: dict[str, str] = {}


def label_resources(labels: Mapping[str, str]) -> None:
    """Have this run's refusals name where each resource was declared (``labels``:
    resource name -> e.g. the stack config entry). Call after :func:`register_guard`."""
    _labels.update(labels)


def declared_at(resource_name: str) -> Optional[str]:
    """Where the program declared ``resource_name``, when it said (:func:`label_resources`)."""
    return _labels.get(resource_name)


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
    await _settle(book)
    await _off_loop(_type_declared, book, target_id)
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


class ConflictingDeclarationsError(pulumi.RunError):
    """An :class:`~provider.errors.ExclusiveConflictError` found while the
    program declares its resources. A RunError: Pulumi prints its message, not
    the program's traceback."""

    def __init__(self, refusal: errors.ExclusiveConflictError, where: Optional[str]) -> None:
        self.refusal = refusal
        message = str(refusal) if where is None else str(errors.DeclaredAtError(where=where, message=str(refusal)))
        super().__init__(message)


def record_declared(kind: str, target_id: Any, key: Any, resource_name: str) -> None:
    """Note a resource the program declares: ``kind`` "attachment" (key: its
    policy ID) or "exclusive" (key: its policy type).

    Attachments count as what their target keeps when a delete hook decides
    (:func:`guard_before_delete`); IDs given as Outputs are recorded once
    settled. An exclusive set and an attachment of its type on the same target
    would undo each other: declaring the second of the two raises
    :class:`ConflictingDeclarationsError` (one DescribePolicy per policy on such
    a target, only there). Exclusive sets with Output values are not recorded:
    those conflicts surface when applying, as each resource undoes the other.
    """
    if in_program_run():
        register_guard()  # a new run starts a new ledger: record into that one
    book = ledger()
    plain = all(isinstance(v, str) and not is_engine_unknown(v) for v in (target_id, key))
    with book.lock:
        if kind == "exclusive":
            if not plain:
                return
            book.owners[(target_id, key)] = resource_name
        elif not plain:
            book.unresolved.append((target_id, key, resource_name))
            return
        else:
            book.declared[target_id][key] = resource_name
            book.typed_targets.discard(target_id)
        owners = {ptype: name for (target, ptype), name in book.owners.items() if target == target_id}
        attachments = sorted(book.declared.get(target_id, {}).items()) if owners else []
    for policy_id, attachment in attachments:
        summary = book.lookups.policy(policy_id)  # blocking, and only where a set and attachments meet
        if summary is not None and summary.type in owners:
            refusal = exclusive_conflict(summary.display, target_id, summary.type, owners[summary.type])
            raise ConflictingDeclarationsError(refusal, _labels.get(attachment))


# -- registration ----------------------------------------------------------------

_hooks: Optional[tuple[pulumi.ResourceHook, pulumi.ResourceHook]] = None  # attachments', sets'
_hooks_run: Optional[object] = None  # the engine connection (monitor) _hooks were registered with
_hooks_lock = threading.Lock()


def register_guard() -> tuple[pulumi.ResourceHook, pulumi.ResourceHook]:
    """Register the guard's delete hooks with this run's engine, once per run,
    and return them (PolicyAttachment's, ExclusivePolicies').

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
                pulumi.ResourceHook(BEFORE_DELETE_EXCLUSIVE_HOOK, guard_exclusive_before_delete, dry_run),
            )
            _hooks_run = monitor
            with _ledger_lock:
                _ledger = None  # approvals and cached answers belong to one run
        return _hooks


def with_guard_hooks(opts: Optional[pulumi.ResourceOptions]) -> pulumi.ResourceOptions:
    """``opts`` with the PolicyAttachment's delete hook bound, keeping the user's own hooks."""
    return _with_hook(opts, register_guard()[0])


def with_exclusive_hooks(opts: Optional[pulumi.ResourceOptions]) -> pulumi.ResourceOptions:
    """``opts`` with the ExclusivePolicies' delete hook bound, keeping the user's own hooks."""
    return _with_hook(opts, register_guard()[1])


def _with_hook(opts: Optional[pulumi.ResourceOptions], before_delete: pulumi.ResourceHook) -> pulumi.ResourceOptions:
    opts = copy.copy(opts) if opts is not None else pulumi.ResourceOptions()
    # Set, not ResourceOptions.merge: merge would add the user's hooks a second time.
    opts.hooks = pulumi.ResourceHookBinding.merge(opts.hooks, pulumi.ResourceHookBinding(before_delete=[before_delete]))
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
