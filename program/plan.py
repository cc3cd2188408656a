"""What to declare: the checked config with every name resolved to an ID.

Pure apart from the resolver it is given (:class:`~program.directory.Directory`
in a run, any object with the same two methods in tests). Duplicates that only
show after resolution (two target keys for one target, one policy written by
name and by ID) are refused here, before any resource exists.

Resource names depend only on *what* is attached, never on where it is written
in the config: ``<target ID>/<policy ID>``, or ``<target ID>/<stack policy name>``
for a policy this stack creates (its ID is not known before it exists). So
reordering the config, or switching between a name and its ID, changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Optional, Protocol

from .config import AttachmentItem, PolicyKind, PolicyRef, ProgramConfig, TargetEntry, TargetRef, declared_at
from .errors import AmbiguousNameError, ConfigError, NameNotFoundError, PolicyTypeNotEnabledError, ProgramError

NAME_SEPARATOR = "/"


class Resolver(Protocol):
    """Turns references into IDs; raises ProgramError subclasses."""

    def target_id(self, ref: TargetRef) -> str: ...

    def policy_id(self, ref: PolicyRef) -> str: ...

    def policy_type(self, ref: PolicyRef, policy_id: str) -> str:
        """The type of an existing policy; asked only for exclusive targets' items."""
        ...


@dataclass(frozen=True)
class PlannedAttachment:
    """One PolicyAttachment to declare."""

    resource_name: str
    target_id: str
    target_label: str  # the target as written in the config
    policy_label: str  # the policy as written in the config
    policy_id: Optional[str]  # None for a policy this stack creates
    stack_policy: Optional[str]  # its name, for a policy this stack creates
    skip_destroy: bool = False
    adopt: bool = False  # declared with import: true


@dataclass(frozen=True)
class ExclusivePolicy:
    """One policy of an exclusive set: its ID, or the name of the stack policy."""

    label: str  # as written in the config
    policy_id: Optional[str]
    stack_policy: Optional[str]


@dataclass(frozen=True)
class PlannedExclusive:
    """One ExclusivePolicies to declare: the target's set of one policy type."""

    resource_name: str
    target_id: str
    target_label: str
    policy_type: str
    policies: tuple[ExclusivePolicy, ...]
    skip_destroy: bool = False


def resource_name(target_id: str, policy_key: str) -> str:
    """The attachment's Pulumi resource name: ``policy_key`` is the policy's ID,
    or the stack policy's name (which never looks like an ID)."""
    return f"{target_id}{NAME_SEPARATOR}{policy_key}"


@dataclass(frozen=True)
class Unresolved:
    """A config entry (a target key, or one item) whose name resolves to
    nothing, to several things, or to a policy of a type not enabled, in the
    organization as it is now."""

    label: str  # the entry as written: "Root/Sandbox", or "Root/Sandbox: DenyRootUser"
    message: str  # what is wrong, what the stack may still hold for it, what to do


def plan_attachments(config: ProgramConfig, resolver: Resolver, *,
                     unresolved: Optional[list[Unresolved]] = None) -> tuple[PlannedAttachment, ...]:
    """Every (target, policy) pair of the config, resolved, sorted by resource
    name; the items an exclusive target owns are left to :func:`plan_targets`.

    Raises the resolver's NameNotFoundError / AmbiguousNameError /
    OrganizationLookupError with the config key and entry added, and
    ConfigError for two entries that turn out to be the same. Given an
    ``unresolved`` list, a name that matches nothing or several things (or a
    policy whose type is disabled) is appended to it instead (its entry or item
    left out of the plan), with the way forward; lookup failures still raise.
    """
    return plan_targets(config, resolver, unresolved=unresolved)[0]


def plan_targets(config: ProgramConfig, resolver: Resolver, *, unresolved: Optional[list[Unresolved]] = None
                 ) -> tuple[tuple[PlannedAttachment, ...], tuple[PlannedExclusive, ...]]:
    """The attachments (as :func:`plan_attachments`, ``unresolved`` too) and the
    exclusive sets: one per (exclusive target, type in its ``exclusive_types``),
    holding the listed policies of that type (possibly none), sorted by resource
    name. Items of other types on an exclusive target stay attachments."""
    planned: list[PlannedAttachment] = []
    exclusive: list[PlannedExclusive] = []
    targets: dict[str, str] = {}  # target ID -> the key that named it first
    exclusive_ids: set[str] = set()
    for entry in config.attachments:
        where = declared_at(entry.target.text)
        try:
            target_id = _resolve(where, partial(resolver.target_id, entry.target))
        except (NameNotFoundError, AmbiguousNameError) as err:
            if unresolved is None:
                raise
            unresolved.append(Unresolved(entry.target.text, _vanished_target(err, entry)))
            continue
        first = targets.setdefault(target_id, entry.target.text)
        if first != entry.target.text:
            exclusive_note = (" An exclusive target and a list for the same target would undo each "
                              "other on every update." if entry.exclusive or target_id in exclusive_ids else "")
            raise ConfigError(
                where=where,
                problem=f'"{first}" and "{entry.target.text}" are the same target ({target_id})',
                fix="Merge the two lists under one key." + exclusive_note)
        if entry.exclusive:
            exclusive_ids.add(target_id)
        policies: dict[str, tuple[int, str]] = {}  # policy key -> (position, label)
        owned: dict[str, list[ExclusivePolicy]] = {t: [] for t in entry.exclusive_types}
        for item in entry.items:
            at = f'{where}, item {item.position} ("{item.policy.text}")'
            stack = item.policy.text if item.policy.kind is PolicyKind.STACK else None
            try:
                policy_id = None if stack else _resolve(at, partial(resolver.policy_id, item.policy))
            except (NameNotFoundError, AmbiguousNameError, PolicyTypeNotEnabledError) as err:
                if unresolved is None:
                    raise
                unresolved.append(Unresolved(f"{entry.target.text}: {item.policy.text}",
                                             _vanished_policy(err, item.position, entry.target.text)))
                continue
            key = stack or policy_id or ""
            seen = policies.setdefault(key, (item.position, item.policy.text))
            if seen[0] != item.position:
                raise ConfigError(
                    where=at,
                    problem=f'items {seen[0]} ("{seen[1]}") and {item.position} '
                            f'("{item.policy.text}") are the same policy ({key})',
                    fix="Keep one of them.")
            if entry.exclusive:
                policy_type = _policy_type(at, config, resolver, item, policy_id)
                if policy_type in owned:
                    _refuse_item_flags(at, item, policy_type)
                    owned[policy_type].append(ExclusivePolicy(item.policy.text, policy_id, stack))
                    continue
            planned.append(PlannedAttachment(
                resource_name=resource_name(target_id, key),
                target_id=target_id,
                target_label=entry.target.text,
                policy_label=item.policy.text,
                policy_id=policy_id,
                stack_policy=stack,
                skip_destroy=item.skip_destroy,
                adopt=item.adopt,
            ))
        exclusive += [PlannedExclusive(
            resource_name=resource_name(target_id, policy_type), target_id=target_id,
            target_label=entry.target.text, policy_type=policy_type, policies=tuple(members),
            skip_destroy=entry.skip_destroy) for policy_type, members in owned.items()]
    return (tuple(sorted(planned, key=lambda a: a.resource_name)),
            tuple(sorted(exclusive, key=lambda e: e.resource_name)))


def _policy_type(where: str, config: ProgramConfig, resolver: Resolver, item: AttachmentItem,
                 policy_id: Optional[str]) -> str:
    if item.policy.kind is PolicyKind.STACK:
        return config.policy(item.policy.text).type
    return _resolve(where, lambda: resolver.policy_type(item.policy, policy_id or ""))


def _refuse_item_flags(where: str, item: AttachmentItem, policy_type: str) -> None:
    """Per-item flags mean nothing for a policy an exclusive set owns."""
    if item.adopt:
        raise ConfigError(where=where, problem=f"'import' is not needed for a {policy_type} of an exclusive "
                          "target: it takes over whatever is attached (and gives back what it found "
                          "when removed)", fix="Remove import: true.")
    if item.skip_destroy:
        raise ConfigError(where=where, problem=f"'skip_destroy' on one {policy_type} of an exclusive target "
                          "has no meaning: the target's whole set is managed together",
                          fix="Remove it; to leave the target's policies as they are when the target "
                              "leaves the config, set skip_destroy: true in the target's mapping.")


def summary(plan: tuple[PlannedAttachment, ...],
            exclusive: tuple[PlannedExclusive, ...] = ()) -> dict[str, list[str]]:
    """``{target as written: sorted policies as written}``, sorted by target:
    the stack's readable ``attachments`` output (exclusive sets included)."""
    by_target: dict[str, list[str]] = {}
    for attachment in plan:
        by_target.setdefault(attachment.target_label, []).append(attachment.policy_label)
    for owned in exclusive:
        by_target.setdefault(owned.target_label, []).extend(p.label for p in owned.policies)
    return {target: sorted(by_target[target]) for target in sorted(by_target)}


_DESTROY_NOTE = "`pulumi destroy --run-program` works without this change."


def _vanished_target(err: ProgramError, entry: TargetEntry) -> str:
    if not isinstance(err, NameNotFoundError):  # ambiguous: the message says to use the ID
        return f"{err}\n{_DESTROY_NOTE}"
    listed = ", ".join(item.policy.text for item in entry.items)
    return "\n".join([
        str(err),
        f"If an earlier `pulumi up` applied this entry, the stack still holds its attachments ({listed}).",
        f"If {entry.target.text} was deleted or left the organization, remove this entry: its attachments went "
        "with it, and `pulumi up` drops them from the stack.",
        "If it was renamed or moved, write its new name or path, or its ID.",
        _DESTROY_NOTE])


def _vanished_policy(err: ProgramError, position: int, target: str) -> str:
    if not isinstance(err, NameNotFoundError):  # ambiguous, or its type disabled: said in err
        return f"{err}\n{_DESTROY_NOTE}"
    return "\n".join([
        str(err),
        f"If an earlier `pulumi up` applied this item, the stack still holds that attachment to {target}.",
        f"If the policy was deleted, remove item {position}: its attachments went with it, and `pulumi up` drops "
        "them from the stack.",
        "If it was renamed, write its new name, or its ID (p-...).",
        _DESTROY_NOTE])


def _resolve(where: str, fn: Callable[[], str]) -> str:
    try:
        return fn()
    except ProgramError as err:
        raise err.at(where) from err
