"""Plan-time guard: ``pulumi preview`` fails before a target would lose its
last SCP, or get more policies than AWS allows.

The engine never calls a provider for a resource removed from the program
during preview; it does run ``before_delete`` resource hooks registered with
``on_dry_run=True`` (Pulumi 3.182+). This module binds two named hooks to
every PolicyAttachment:

* ``before_delete`` -> :func:`guard_before_delete`: for an attachment whose
  type has a minimum (SCP), remaining = (attached to the target now, one
  ListPoliciesForTarget per target per run) ∪ (attachments approved for
  creation on that target in this run) − (detaches approved in this run, this
  one included). Nothing remaining: refuse, with the provider's own message.
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

from . import errors, ids, rules
from .aws import AwsSettings, OrganizationsApi, policy_display, policy_type_label
from .inputs import POLICY_ID, SKIP_DESTROY, TARGET_ID, UNKNOWN, is_engine_unknown, known
from .lookups import Lookups
from .retry import retry_from_config
from .resource import PROVIDER_KEY, last_policy_error

BEFORE_DELETE_HOOK = "organizations-policy-attachment-guard-delete"
BEFORE_CREATE_HOOK = "organizations-policy-attachment-guard-create"

Key = tuple[str, str]  # (target_id, policy_type)
T = TypeVar("T")

#: The guard's own threads for blocking AWS calls (see the module docstring for
#: why not asyncio.to_thread). Lookups are cached per run, so a few suffice.
_AWS_WORKERS = ThreadPoolExecutor(max_workers=8, thread_name_prefix="org-policies-guard")


async def _off_loop(fn: Callable[..., T], *args: Any) -> T:
    """Run a blocking call on the guard's own workers and await its result."""
    return await asyncio.wrap_future(_AWS_WORKERS.submit(fn, *args))


@dataclass
class Ledger:
    """What one program run has approved so far, and the AWS answers it used."""

    lookups: Lookups
    attaches: dict[Key, set[str]] = field(default_factory=lambda: defaultdict(set))
    detaches: dict[Key, set[str]] = field(default_factory=lambda: defaultdict(set))
    #: targets that get an attachment whose policy ID is unknown in this preview
    unknown_attaches: dict[str, int] = field(default_factory=lambda: defaultdict(int))
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
    if rules.limits_for(policy_type).minimum == 0:
        return
    attached = await _off_loop(book.lookups.attached, target_id, policy_type)
    if attached is None or all(p.id != policy_id for p in attached):
        return  # target or attachment already gone: nothing will be detached
    key = (target_id, policy_type)
    with book.lock:
        remaining = rules.remaining_after_detach(
            (p.id for p in attached), book.attaches[key], book.detaches[key] | {policy_id}
        )
        if rules.detach_leaves_too_few(policy_type, remaining):
            if book.unknown_attaches[target_id] == 0:
                raise last_policy_error(display, target_id, policy_type)
            pulumi.log.warn(
                f"{display} is the last {policy_type_label(policy_type)} known on {target_id}; "
                f"the update also attaches a policy to {target_id} whose ID is not known until "
                "it is created, and it is counted as the replacement. If it is not of the same "
                "type, the detach will be refused while applying."
            )
        book.detaches[key].add(policy_id)


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
            book.unknown_attaches[target_id] += 1
        return
    if ids.target_type(target_id) is None or not ids.is_policy_id(policy_id):
        return  # the provider's check reports malformed IDs
    summary = await _off_loop(book.lookups.policy, policy_id)
    if summary is None:
        return  # the provider's check reports the unknown policy
    attached = await _off_loop(book.lookups.attached, target_id, summary.type)
    if attached is None:
        return  # the provider's check reports the unknown target
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


# -- registration ----------------------------------------------------------------

_hooks: Optional[tuple[pulumi.ResourceHook, pulumi.ResourceHook]] = None
_hooks_run: Optional[object] = None  # the engine connection (monitor) _hooks were registered with
_hooks_lock = threading.Lock()


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
            _hooks_run = monitor
            with _ledger_lock:
                _ledger = None  # approvals and cached answers belong to one run
        return _hooks


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
