"""Plan-time guard: ``pulumi preview`` fails before a target would lose its
last SCP or be left with SCPs that allow no action at all (a lockout), before
an exclusive set's target could not be given back what it had, and before a
PolicyAttachment and an ExclusivePolicies claim the same policies. (Too many
policies on a target is refused by the provider's ``check``.)

The engine never calls a provider for a resource removed from the program
during preview; it does run ``before_delete`` resource hooks registered with
``on_dry_run=True`` (Pulumi 3.182+). Every PolicyAttachment and ExclusivePolicies
carries one. The hooks *gather* a snapshot and ask :mod:`provider.rules`, the
same decisions the provider's ``delete`` asks at apply time:

* attachment removed -> :meth:`Guard.before_delete`: a
  :class:`~provider.rules.TargetState` of (attached to the target now, one
  ListPoliciesForTarget per target per run) ∪ (attachments the program declares
  on it) − (detaches approved in this run), and
  :func:`~provider.rules.judge_detach`;
* exclusive set removed -> :meth:`Guard.before_delete_exclusive`:
  :func:`~provider.rules.plan_give_back`.

Deletes (and their hooks) run after the program has declared everything and
every create has run, in parallel; approvals are recorded under one lock so
parallel deletes see each other. What the program declares is recorded as it
declares it (:meth:`Guard.record_declared`); the types of declared policies are
looked up only for a target whose detach needs them (adding the declared
policies can only turn a refusal into an approval, so a detach approved
without them is approved).

One :class:`Guard` per engine run owns all of it: the ledger, its lock, the
cached AWS answers, the labels, the hooks and the worker threads. A new run (a
new engine connection) gets a new Guard (:func:`current`); nothing is created
at import.

There is deliberately no ``before_create`` hook: the engine calls a hook once
per resource, and at thousands of attachments those calls alone cost more than
the checks they would make (see the README's Performance section).

The hooks run in the program's process, on its event loop. Their AWS calls
run on worker threads the Guard owns, never on the loop's default executor:
the SDK blocks one of that executor's workers per pending ``RegisterResource``,
so a hook waiting for that executor can deadlock the run once pending
registrations fill it.
"""

from __future__ import annotations

import asyncio
import contextvars
import copy
import functools
import threading
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Optional, TypeVar

import pulumi

from . import errors, refusals, rules
from .inputs import UNKNOWN, is_engine_unknown, known
from .limits import Limits
from .lookups import Lookups, summary_display
from .names import policy_display, policy_type_label
from .ordering import Impossible
from .schema import FOUND, POLICY_ID, POLICY_IDS, POLICY_NAME, POLICY_TYPE, PROVIDER_KEY, SKIP_DESTROY, TARGET_ID
from .settings import StackSettings, stack_settings

BEFORE_DELETE_HOOK = "organizations-policy-attachment-guard-delete"
BEFORE_DELETE_EXCLUSIVE_HOOK = "organizations-exclusive-policies-guard-delete"
#: Worker threads per run for blocking AWS calls; lookups are cached per run, so a few suffice.
AWS_WORKERS = 8

Key = tuple[str, str]  # (target_id, policy_type)
T = TypeVar("T")


@dataclass(frozen=True)
class NewPolicy:
    """A policy the program creates in this update: its ID is unknown in a
    preview, but its type and document are known from the program."""

    name: str
    policy_type: str
    content: str


@dataclass
class Ledger:
    """What one run has declared and approved so far (guarded by ``Guard.lock``)."""

    #: declared policies on targets in ``typed_targets``, by their type
    attaches: dict[Key, set[str]] = field(default_factory=lambda: defaultdict(set))
    typed_targets: set[str] = field(default_factory=set)
    detaches: dict[Key, set[str]] = field(default_factory=lambda: defaultdict(set))
    #: attachments declared with IDs not resolved yet (Outputs): (target, policy, resource name)
    unresolved: list[tuple[Any, Any, str]] = field(default_factory=list)
    settling: Optional[asyncio.Future[None]] = None
    #: targets that get an attachment whose policy ID, type and document are unknown
    unknown_attaches: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    #: policies created in this update, by the resource name of the attachment that attaches them
    new_policies: dict[str, NewPolicy] = field(default_factory=dict)
    #: declared attachments of such policies, whose IDs are unknown in this preview
    new_attaches: dict[Key, list[NewPolicy]] = field(default_factory=lambda: defaultdict(list))
    #: exclusive sets the program declared: (target, type) -> resource name
    owners: dict[Key, str] = field(default_factory=dict)
    #: PolicyAttachments the program declared: target -> {policy ID: resource name}
    declared: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))


class ConflictingDeclarationsError(pulumi.RunError):
    """An :class:`~provider.errors.ExclusiveConflictError` found while the
    program declares its resources. A RunError: Pulumi prints its message, not
    the program's traceback."""

    def __init__(self, refusal: errors.ExclusiveConflictError) -> None:
        self.refusal = refusal
        super().__init__(str(refusal))


class Guard:
    """The plan-time guard of one engine run.

    ``settings`` gives the AWS layer and the limits (default: the running
    stack's config, read on first use); tests pass their own.
    """

    def __init__(self, monitor: object = None,
                 settings: Optional[Callable[[], StackSettings]] = None) -> None:
        self.monitor = monitor
        self._settings_source = settings or stack_settings
        self._settings: Optional[StackSettings] = None
        self._lookups: Optional[Lookups] = None
        self._executor: Optional[ThreadPoolExecutor] = None
        self.lock = threading.Lock()  # the ledger's, and this object's lazily built parts
        self.ledger = Ledger()
        #: resource name -> where the program declared it (e.g. its stack config entry)
        self.labels: dict[str, str] = {}
        #: the removals a change summary listed (None: no summary); a delete hook names any other
        self.summarised_removals: Optional[frozenset[str]] = None
        self._hooks: Optional[tuple[pulumi.ResourceHook, pulumi.ResourceHook]] = None

    # -- what the run owns, built on first use ------------------------------------------

    @property
    def settings(self) -> StackSettings:
        with self.lock:
            if self._settings is None:
                self._settings = self._settings_source()
            return self._settings

    @property
    def limits(self) -> Limits:
        return self.settings.limits

    @property
    def lookups(self) -> Lookups:
        settings = self.settings
        with self.lock:
            if self._lookups is None:
                self._lookups = Lookups(settings.api())
            return self._lookups

    def hooks(self) -> tuple[pulumi.ResourceHook, pulumi.ResourceHook]:
        """This run's delete hooks (PolicyAttachment's, ExclusivePolicies'),
        registered with the engine on first use."""
        with self.lock:
            if self._hooks is None:
                dry_run = pulumi.ResourceHookOptions(on_dry_run=True)
                self._hooks = (
                    pulumi.ResourceHook(BEFORE_DELETE_HOOK, self._labelled(self.before_delete), dry_run),
                    pulumi.ResourceHook(BEFORE_DELETE_EXCLUSIVE_HOOK, self._labelled(self.before_delete_exclusive),
                                        dry_run),
                )
            return self._hooks

    async def _off_loop(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a blocking call on this run's own workers and await its result."""
        with self.lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=AWS_WORKERS, thread_name_prefix="org-policies-guard")
            executor = self._executor
        return await asyncio.wrap_future(executor.submit(in_caller_context(fn), *args))

    # -- what the program tells the guard --------------------------------------------------

    def label_resources(self, labels: Mapping[str, str]) -> None:
        """Have refusals name where each resource was declared (``labels``:
        resource name -> e.g. the stack config entry)."""
        self.labels.update(labels)

    def declared_at(self, resource_name: str) -> Optional[str]:
        """Where the program declared ``resource_name``, when it said (:meth:`label_resources`)."""
        return self.labels.get(resource_name)

    def expect_new_policy(self, attachment_name: str, *, name: str, policy_type: str, content: str) -> None:
        """Tell the guard that the PolicyAttachment named ``attachment_name``
        attaches a policy the program creates in the same update (``name``, of
        ``policy_type``, with the document ``content``). In a preview that
        policy's ID is unknown; with this, the guard still counts it as what it
        is: a replacement SCP or not, and one that allows actions or not. Call
        it before declaring the attachment."""
        with self.lock:
            self.ledger.new_policies[attachment_name] = NewPolicy(name, policy_type, content)

    def record_declared(self, kind: str, target_id: Any, key: Any, resource_name: str) -> None:
        """Note a resource the program declares: ``kind`` "attachment" (key: its
        policy ID) or "exclusive" (key: its policy type).

        Attachments count as what their target keeps when a delete hook decides;
        IDs given as Outputs are recorded once settled. An exclusive set and an
        attachment of its type on the same target would undo each other:
        declaring the second of the two raises :class:`ConflictingDeclarationsError`
        (one DescribePolicy per policy on such a target, only there). Exclusive
        sets with Output values are not recorded: those conflicts surface when
        applying, as each resource undoes the other.
        """
        book = self.ledger
        plain = all(isinstance(v, str) and not is_engine_unknown(v) for v in (target_id, key))
        with self.lock:
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
            summary = self.lookups.policy(policy_id)  # blocking, and only where a set and attachments meet
            if summary is not None and summary.type in owners:
                refusal = refusals.exclusive_conflict(summary.display, self.lookups.target_display(target_id),
                                                      summary.type, owners[summary.type])
                where = self.labels.get(attachment)
                raise ConflictingDeclarationsError(refusal.at(where) if where else refusal)

    # -- binding ------------------------------------------------------------------------

    def bind_attachment_hooks(self, opts: Optional[pulumi.ResourceOptions]) -> pulumi.ResourceOptions:
        """``opts`` with the PolicyAttachment's delete hook bound, keeping the user's own hooks."""
        return _with_hook(opts, self.hooks()[0])

    def bind_exclusive_hooks(self, opts: Optional[pulumi.ResourceOptions]) -> pulumi.ResourceOptions:
        """``opts`` with the ExclusivePolicies' delete hook bound, keeping the user's own hooks."""
        return _with_hook(opts, self.hooks()[1])

    def _labelled(self, hook: Callable[[pulumi.ResourceHookArgs], Awaitable[None]]
                  ) -> Callable[[pulumi.ResourceHookArgs], Awaitable[None]]:
        """``hook``, its refusals naming where the resource was declared, when known."""

        @functools.wraps(hook)
        async def labelled(args: pulumi.ResourceHookArgs) -> None:
            try:
                await hook(args)
            except errors.PolicyAttachmentError as err:
                where = self.labels.get(args.name)
                if where is None:
                    raise
                raise err.at(where) from err

        return labelled

    # -- the hooks ------------------------------------------------------------------------

    async def before_delete(self, args: pulumi.ResourceHookArgs) -> None:
        """Refuse to delete an attachment whose detach :func:`provider.rules.judge_detach`
        refuses (the target's last SCP, or a lockout), or that an exclusive set
        declared in this update takes over."""
        outs = await _plain(args.old_outputs or args.old_inputs or {})
        target_id, policy_id = outs.get(TARGET_ID), outs.get(POLICY_ID)
        if self.summarised_removals is not None and args.name not in self.summarised_removals:
            pulumi.log.info(f"org-policies change summary: also removes {args.name} from the stack, left there by an "
                            "earlier update that did not finish" + ("" if outs.get(SKIP_DESTROY) is not True else
                                                                    " (skip_destroy: it stays attached in AWS)"))
        if outs.get(SKIP_DESTROY) is True:
            return
        if not (known(target_id, is_engine_unknown) and known(policy_id, is_engine_unknown)):
            return
        lookups = self.lookups
        if rules.is_undetachable(policy_id):
            raise errors.UndetachablePolicyError(policy_id=policy_id, target_id=target_id,
                                                 target=await self._off_loop(lookups.target_display, target_id))
        policy_type, display = outs.get(POLICY_TYPE), policy_display(policy_id, outs.get(POLICY_NAME))
        if not policy_type:
            summary = await self._off_loop(lookups.policy, policy_id)
            if summary is None:
                return  # the policy is gone: the provider's delete is a no-op
            policy_type, display = summary.type, summary.display
        owner = self.ledger.owners.get((target_id, policy_type))
        if owner is not None:
            raise errors.ExclusiveTakeoverError(target=await self._off_loop(lookups.target_display, target_id),
                                                type_label=policy_type_label(policy_type), exclusive=owner,
                                                policy=display)
        limits = self.limits
        if limits.of(policy_type).minimum == 0 and policy_type != rules.SERVICE_CONTROL_POLICY:
            return
        attached = await self._off_loop(lookups.attached, target_id, policy_type)
        if attached is None or all(p.id != policy_id for p in attached):
            return  # target or attachment already gone: nothing will be detached
        await self._settle()
        decision = await self._decide(target_id, policy_type, frozenset(p.id for p in attached), policy_id)
        if decision.verdict is rules.Detach.ALLOWED_IF_UNKNOWN_REPLACES:
            pulumi.log.warn(
                f"{display} is the last {policy_type_label(policy_type)} known on {target_id}: its removal counts "
                "on a policy this update attaches there whose ID is not known yet.\n"
                "If that policy is not of the same type, the detach will be refused while applying.")
        if decision.allowed:
            return
        refusal = await self._off_loop(self._detach_refusal, decision, display, target_id, policy_type)
        if refusal is not None:
            raise refusal
        with self.lock:  # the management account: SCPs never restrict it
            self.ledger.detaches[(target_id, policy_type)].add(policy_id)

    def _detach_refusal(self, decision: rules.DetachDecision, display: str, target_id: str,
                        policy_type: str) -> Optional[errors.PolicyAttachmentError]:
        """The refusal of a decision, with the names and counts it gives. Blocking."""
        lookups = self.lookups
        facts = (lookups.target_facts(target_id) if decision.verdict is rules.Detach.LOCKS_OUT
                 else refusals.TargetFacts(display=lookups.target_display(target_id)))
        with self.lock:
            created = [f"{n.name} (created in this update)"
                       for n in self.ledger.new_attaches.get((target_id, policy_type), ())]
        remaining = [summary_display(lookups.policy(p), p) for p in sorted(decision.remaining)] + created
        return refusals.detach_refusal(decision, display, target_id, policy_type, remaining, facts, self.limits)

    async def _decide(self, target_id: str, policy_type: str, attached: frozenset[str],
                      policy_id: str) -> rules.DetachDecision:
        """Judge the detach on this run's snapshot of the target, recording it when
        allowed. Documents are read (off the loop) only when the rules need them;
        the snapshot is taken again under the lock before an approval is recorded,
        in case a parallel delete of the same target was approved meanwhile."""
        key, limits = (target_id, policy_type), self.limits
        while True:
            with self.lock:
                state = self._state(key, attached)
                typed = target_id in self.ledger.typed_targets
                needs_documents = rules.detach_needs_documents(state, policy_id, limits)
                if not needs_documents:
                    decision = rules.judge_detach(state, policy_id, limits)
                    if decision.allowed or typed:
                        if decision.allowed:
                            self.ledger.detaches[key].add(policy_id)
                        return decision
            if not typed:  # what the program declares on the target may settle it: look it up, decide again
                await self._off_loop(self._type_declared, target_id)
                continue
            decision = await self._off_loop(rules.judge_detach, state, policy_id, limits, self.lookups.documents())
            with self.lock:
                if self._state(key, attached) != state:
                    continue
                if decision.allowed:
                    self.ledger.detaches[key].add(policy_id)
                return decision

    def _state(self, key: Key, attached: frozenset[str]) -> rules.TargetState:
        """The run's snapshot of one target (call under ``self.lock``)."""
        book = self.ledger
        return rules.TargetState(
            policy_type=key[1], attached=attached, arriving=frozenset(book.attaches[key]),
            leaving=frozenset(book.detaches[key]),
            new_documents=tuple(n.content for n in book.new_attaches[key]),
            unknowns=book.unknown_attaches[key[0]])

    def _type_declared(self, target_id: str) -> None:
        """Sort the policies the program declares on ``target_id`` by type (one
        DescribePolicy per policy per run, cached), into the ledger. Blocking."""
        with self.lock:
            if target_id in self.ledger.typed_targets:
                return
            policy_ids = sorted(self.ledger.declared.get(target_id, {}))
        summaries = [self.lookups.policy(p) for p in policy_ids]
        with self.lock:
            for summary in summaries:
                if summary is not None:  # gone: the provider's check refuses that attachment
                    self.ledger.attaches[(target_id, summary.type)].add(summary.id)
            self.ledger.typed_targets.add(target_id)

    async def _settle(self) -> None:
        """Record the attachments declared with Output IDs, once their values are
        settled (a delete hook runs after the program declared everything). A
        policy ID still unknown counts as a policy the update creates:
        :meth:`expect_new_policy`'s, or one of unknown type and document."""
        book = self.ledger
        with self.lock:
            items, book.unresolved = book.unresolved, []
            if items:  # after any earlier settling, so that awaiting the last one awaits all
                book.settling = asyncio.ensure_future(self._record_resolved(items, book.settling))
            settling = book.settling
        if settling is not None:
            await settling

    async def _record_resolved(self, items: list[tuple[Any, Any, str]],
                               earlier: Optional[asyncio.Future[None]]) -> None:
        if earlier is not None:
            await earlier
        book = self.ledger
        for target, policy, name in items:
            try:
                values = await _plain({TARGET_ID: target, POLICY_ID: policy})
            except Exception:  # an input whose resource failed: that attachment never comes
                continue
            target_id, policy_id = values[TARGET_ID], values[POLICY_ID]
            if not known(target_id, is_engine_unknown):
                continue  # a target the update creates carries nothing to detach
            with self.lock:
                if known(policy_id, is_engine_unknown):
                    book.declared[target_id][policy_id] = name
                    book.typed_targets.discard(target_id)
                elif (new := book.new_policies.get(name)) is not None:
                    book.new_attaches[(target_id, new.policy_type)].append(new)
                else:
                    book.unknown_attaches[target_id] += 1

    def judge_removals(self, target_id: str, policy_type: str, leaving: Iterable[str],
                       new_documents: tuple[str, ...] = ()) -> Optional[errors.PolicyAttachmentError]:
        """What this run's delete hooks will say when the update removes ``leaving``
        from the target: the refusal one of them gets, or None. The snapshot is the
        one the hooks build (the same cached answers; declared attachments typed the
        same way; ``new_documents``: policies this update creates for the target).
        Order does not matter: of several removals the guard refuses one exactly when
        what the target keeps after all of them breaks a rule, whichever comes last.
        Blocking (AWS calls): for the change summary, off the event loop."""
        listed = self.lookups.attached(target_id, policy_type)
        gone = sorted(set(leaving) & {p.id for p in listed or ()})
        if not gone or (self.limits.of(policy_type).minimum == 0 and policy_type != rules.SERVICE_CONTROL_POLICY):
            return None
        self._type_declared(target_id)
        with self.lock:
            arriving = frozenset(self.ledger.attaches[(target_id, policy_type)])
        attached = frozenset(p.id for p in listed or ())
        documents = self.lookups.documents()
        for last in gone:
            state = rules.TargetState(policy_type, attached, arriving, leaving=frozenset(gone) - {last},
                                      new_documents=new_documents)
            decision = rules.judge_detach(state, last, self.limits, documents)
            if not decision.allowed:
                return self._detach_refusal(decision, self.lookups.policy_display(last), target_id, policy_type)
        return None

    async def before_delete_exclusive(self, args: pulumi.ResourceHookArgs) -> None:
        """Refuse, at preview, deleting an exclusive set when giving its target
        back what it found is impossible (:func:`provider.rules.plan_give_back`,
        the order the provider's ``delete`` then follows), or when this update
        hands the target's policies of that type to PolicyAttachments (deleting
        the set would detach theirs). skip_destroy: nothing to check."""
        outs = await _plain(args.old_outputs or args.old_inputs or {})
        target_id, policy_type = outs.get(TARGET_ID), outs.get(POLICY_TYPE)
        if outs.get(SKIP_DESTROY) is True or not (
                known(target_id, is_engine_unknown) and known(policy_type, is_engine_unknown)):
            return
        lookups = self.lookups
        await self._settle()
        await self._off_loop(self._type_declared, target_id)
        with self.lock:
            handed_over = sorted(self.ledger.attaches.get((target_id, policy_type), ()))
        if handed_over:
            raise errors.ExclusiveHandoverError(target=await self._off_loop(lookups.target_display, target_id),
                                                type_label=policy_type_label(policy_type),
                                                policies=", ".join(handed_over))
        # In a preview, the change summary cannot know what the set found: the calls are said here.
        plan = await self._off_loop(self._give_back, target_id, policy_type, outs, pulumi.runtime.is_dry_run())
        if isinstance(plan, errors.PolicyAttachmentError):
            raise plan
        if plan:
            pulumi.log.info(plan)

    def _give_back(self, target_id: str, policy_type: str, outs: dict[str, Any],
                   describe: bool) -> errors.PolicyAttachmentError | str:
        """The refusal of giving the target back what its set found, or (``describe``)
        the calls it makes, as a line for the change summary; else ''. Blocking."""
        lookups = self.lookups
        listed = lookups.attached(target_id, policy_type)
        if listed is None:
            return ""  # the target is gone: nothing to give back
        attached = {p.id for p in listed}
        found = {p for p in outs.get(FOUND) or [] if p in attached or lookups.policy(p) is not None}
        result = rules.plan_give_back(attached, found, outs.get(POLICY_IDS) or [], policy_type, self.limits,
                                      lookups.documents())
        if isinstance(result, Impossible):
            return refusals.exclusive_restore(lookups.target_display(target_id), policy_type,
                                              [lookups.policy_display(p) for p in found],
                                              [p.display for p in listed], result.reason)
        if not describe:
            return ""
        calls = [f"{step.action} {lookups.policy_display(step.policy_id)}" for step in result]
        return (f"org-policies change summary: {lookups.target_display(target_id)} stops being exclusive for "
                f"{policy_type_label(policy_type)}s and gets back what the stack found: "
                f"{', '.join(calls) or 'no call needed'}.")


# -- one Guard per engine run -------------------------------------------------------------

_current: Optional[Guard] = None
_current_lock = threading.Lock()


def current() -> Guard:
    """This run's Guard. An engine knows only the hooks registered during its
    own run, and one process can serve several runs (Automation API inline
    programs, tests), so a new engine connection gets a new Guard."""
    global _current
    monitor = pulumi.runtime.settings.get_monitor()
    with _current_lock:
        if _current is None or _current.monitor is not monitor:
            _current = Guard(monitor)
        return _current


def in_caller_context(fn: Callable[..., T]) -> Callable[..., T]:
    """``fn``, to be called on worker threads, each call in a copy of the caller's
    context as it is now.

    The SDK keeps a run's settings (its engine connection, preview or update) in
    context variables, which a new thread does not inherit: without this, a worker
    asking for :func:`current` would see another run's engine, or none, and start
    a second Guard with its own ledger and cache.
    """
    context = contextvars.copy_context()
    return lambda *args: context.copy().run(fn, *args)


def start_run(settings: Optional[StackSettings] = None) -> Guard:
    """Start a new run's Guard now, whatever ran before: for tests, and for
    callers that give their own settings (AWS layer, retries, limits)."""
    global _current
    guard = Guard(pulumi.runtime.settings.get_monitor(), (lambda: settings) if settings is not None else None)
    with _current_lock:
        _current = guard
    return guard


def register_guard() -> tuple[pulumi.ResourceHook, pulumi.ResourceHook]:
    """Register the guard's delete hooks with this run's engine, once per run,
    and return them (PolicyAttachment's, ExclusivePolicies').

    Every run of a program that uses this package must register them, even a
    run that declares no PolicyAttachment any more: the engine looks the hooks
    up by name to delete resources that carry them.
    """
    return current().hooks()


def judge_removals(target_id: str, policy_type: str, leaving: Iterable[str],
                   new_documents: tuple[str, ...] = ()) -> Optional[errors.PolicyAttachmentError]:
    """The refusal this run's guard will give removing ``leaving`` from the target,
    or None (:meth:`Guard.judge_removals`). Blocking."""
    return current().judge_removals(target_id, policy_type, leaving, new_documents)


def summarised_removals(names: Iterable[str]) -> None:
    """Tell this run's delete hooks which removals the change summary listed: a
    delete of any other attachment (one an earlier update left half done) is then
    named in the preview's output too."""
    current().summarised_removals = frozenset(names)


def run_lookups() -> Lookups:
    """This run's cached answers about the organization (shared with the guard's hooks)."""
    return current().lookups


async def off_loop(fn: Callable[..., T], *args: Any) -> T:
    """Run a blocking call on this run's guard workers, never on the event loop's
    default executor (see the module docstring), and await it."""
    return await current()._off_loop(fn, *args)


def label_resources(labels: Mapping[str, str]) -> None:
    """Have this run's refusals name where each resource was declared (``labels``:
    resource name -> e.g. the stack config entry)."""
    current().label_resources(labels)


def expect_new_policy(attachment_name: str, *, name: str, policy_type: str, content: str) -> None:
    """Tell this run's guard the type and document of a policy the program creates
    and attaches in the same update (:meth:`Guard.expect_new_policy`)."""
    current().expect_new_policy(attachment_name, name=name, policy_type=policy_type, content=content)


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
