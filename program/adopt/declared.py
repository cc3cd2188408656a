"""What the stack file already declares, resolved as the program resolves it.

The file's ``org-policies:*`` values are checked by :func:`program.config.check_keys`
and :func:`program.config.parse_config`, and its names resolved by
:func:`program.plan.plan_targets` against a :class:`program.directory.Directory`: the
program's own reading, so an attachment declared by name, by path or by ID, under any
key, is recognised as the same attachment adopt found.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Optional

from ..config import (
    ALLOW_EMPTY_KEY,
    ATTACHMENTS_KEY,
    LIMITS_KEY,
    MAX_REMOVALS_KEY,
    POLICIES_KEY,
    ProgramConfig,
    check_keys,
    parse_config,
)
from ..directory import Directory
from ..errors import AmbiguousNameError, NameNotFoundError, PolicyTypeNotEnabledError
from ..plan import Unresolved, plan_targets


@dataclass(frozen=True)
class DeclaredTarget:
    """A key of ``org-policies:attachments`` and its form."""

    key: str
    exclusive: bool = False
    exclusive_types: tuple[str, ...] = ()


@dataclass(frozen=True)
class Declared:
    """The file's attachments, by ID."""

    #: target ID -> the key that declares it
    targets: Mapping[str, DeclaredTarget] = field(default_factory=dict)
    #: (target ID, policy ID) declared as attachments
    pairs: frozenset[tuple[str, str]] = frozenset()
    #: (target ID, policy type) whose policies an exclusive set owns
    owned: frozenset[tuple[str, str]] = frozenset()
    #: entries whose names resolve to nothing or to several things now
    unresolved: tuple[Unresolved, ...] = ()
    #: every key of ``org-policies:attachments`` as written, resolved or not
    keys: frozenset[str] = frozenset()

    def has(self, target_id: str, policy_id: str, policy_type: str) -> bool:
        """Whether the file already declares that attachment (or owns its type there)."""
        return (target_id, policy_id) in self.pairs or (target_id, policy_type) in self.owned


def program_config(values: Mapping[str, Any], *, adopting: bool = True) -> ProgramConfig:
    """The file's ``org-policies:*`` values checked as the program checks them.

    ``adopting``: a file that declares no attachment yet (the key missing or ``{}``)
    is where adoption starts, not a mistake, so it is read as declaring none.
    Raises :class:`~program.errors.ConfigError` (a ProgramError)."""
    check_keys(values)
    attachments = values.get(ATTACHMENTS_KEY)
    allow_empty = values.get(ALLOW_EMPTY_KEY)
    if adopting and not attachments:
        attachments, allow_empty = {}, True
    return parse_config(values.get(POLICIES_KEY), attachments, allow_empty=allow_empty,
                        max_removals=values.get(MAX_REMOVALS_KEY), limits=values.get(LIMITS_KEY))


def resolve(config: ProgramConfig, directory: Directory, policy_named: Callable[[str], Optional[str]]) -> Declared:
    """What ``config`` declares, by ID. ``policy_named`` gives the ID of the AWS policy
    of a stack policy's name, if it exists yet (its attachments are then declared too).
    Raises what :func:`program.plan.plan_targets` raises for a config the program
    refuses (two keys for one target, say); names that resolve to nothing are listed
    in :attr:`Declared.unresolved` instead."""
    unresolved: list[Unresolved] = []
    planned, exclusive = plan_targets(config, directory, unresolved=unresolved)
    targets: dict[str, DeclaredTarget] = {}
    for entry in config.attachments:
        try:
            target_id = directory.target_id(entry.target)
        except (NameNotFoundError, AmbiguousNameError, PolicyTypeNotEnabledError):
            continue  # in unresolved already
        targets[target_id] = DeclaredTarget(entry.target.text, entry.exclusive, entry.exclusive_types)
    pairs = set()
    for attachment in planned:
        policy_id = attachment.policy_id or policy_named(attachment.stack_policy or "")
        if policy_id:
            pairs.add((attachment.target_id, policy_id))
    owned = frozenset((e.target_id, e.policy_type) for e in exclusive)
    return Declared(targets=targets, pairs=frozenset(pairs), owned=owned, unresolved=tuple(unresolved),
                    keys=frozenset(entry.target.text for entry in config.attachments))


def check_result(values: Mapping[str, Any], directory: Directory) -> None:
    """Refuse (raise :class:`~program.errors.ProgramError`) a config the program would refuse at preview:
    its checks, then its resolution (two keys for one target, flags an exclusive
    set refuses). Names that no longer resolve are the file's own, not adopt's."""
    config = program_config(values, adopting=False)
    plan_targets(config, directory, unresolved=[])

