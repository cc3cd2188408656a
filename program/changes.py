"""What an update changes in AWS, per target, in the stack's own terms: pure.

The facts come from three exact sources, never from a guess:

* what the previous update declared: the stack's record of it (the
  :class:`~program.removals.RemovalLimit` resource's state), as
  :class:`Declared` entries by resource name;
* what this run declares (the program knows it);
* what the engine does with each declared resource: in a preview a resource
  being created (or replaced) comes back with its outputs unknown, and an
  exclusive set comes back with its planned ``attach`` / ``detach``.

:func:`classify` turns them into :class:`TargetChanges`; :mod:`program.reach`
adds names and the accounts each change reaches; :mod:`program.summary`
renders it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Optional

ATTACHMENT = "attachment"
EXCLUSIVE = "exclusive"


@dataclass(frozen=True)
class Declared:
    """One resource a run declares, as the stack's record keeps it.

    ``key`` is the policy ID, or the name of a policy this stack creates (an
    attachment), or the policy type (an exclusive set).
    """

    name: str
    kind: str
    target_id: str
    target_label: str
    key: str
    policy_label: str
    skip_destroy: bool = False
    adopt: bool = False

    @property
    def label(self) -> str:
        """The entry as written in the config: ``Root/Sandbox: DenyRootUser``."""
        return f"{self.target_label}: {self.policy_label}"

    def to_record(self) -> dict[str, Any]:
        """The compact form the record resource stores."""
        return {"kind": self.kind, "target": self.target_id, "target_label": self.target_label,
                "key": self.key, "label": self.policy_label, "skip_destroy": self.skip_destroy,
                "adopt": self.adopt}

    @classmethod
    def from_record(cls, name: str, value: Any) -> Declared:
        """Read a stored entry; an entry written before the record kept more than
        the label (``"target: policy"``) reads back with what the name says."""
        if isinstance(value, Declared):
            return value
        if isinstance(value, Mapping):
            return cls(name=name, kind=str(value.get("kind", ATTACHMENT)), target_id=str(value.get("target", "")),
                       target_label=str(value.get("target_label", "")), key=str(value.get("key", "")),
                       policy_label=str(value.get("label", "")), skip_destroy=bool(value.get("skip_destroy")),
                       adopt=bool(value.get("adopt")))
        target_id, _, key = name.partition("/")
        target_label, _, policy_label = str(value).partition(": ")
        kind = EXCLUSIVE if policy_label.startswith("exclusive ") else ATTACHMENT
        return cls(name=name, kind=kind, target_id=target_id, target_label=target_label or target_id,
                   key=key, policy_label=policy_label.removeprefix("exclusive ") or key)


class Action(enum.Enum):
    """What happens to one policy on one target, in the order a summary lists them."""

    TAKE_OVER = "take over"  # a target becomes exclusive
    ATTACH = "attach"
    ADOPT = "adopt"  # already attached: recorded, no call to AWS
    REPLACE = "replace"  # the same entry, another policy ID (a policy this stack re-created)
    EXCLUSIVE_ATTACH = "exclusive attach"
    DETACH = "detach"
    EXCLUSIVE_DETACH = "exclusive detach"
    FORGET = "forget"  # removed with skip_destroy: stays attached, the stack stops managing it
    GIVE_BACK = "give back"  # a target stops being exclusive


#: Actions that change what AWS has attached.
IN_AWS = frozenset({Action.ATTACH, Action.REPLACE, Action.DETACH, Action.EXCLUSIVE_ATTACH, Action.EXCLUSIVE_DETACH,
                    Action.GIVE_BACK})


@dataclass(frozen=True)
class Change:
    """One line of a target's changes: ``policy`` as written in the config, or a
    "Name (p-id)" an exclusive plan names; ``policy_id`` when known."""

    action: Action
    policy: str
    policy_id: Optional[str] = None
    entry: Optional[str] = None  # the resource name, for removals the guard may refuse
    policy_type: Optional[str] = None  # when the entry says it (an exclusive set's type)


@dataclass
class TargetChanges:
    """Everything an update changes on one target."""

    target_id: str
    target_label: str
    changes: list[Change] = field(default_factory=list)

    @property
    def leaving(self) -> list[Change]:
        return [c for c in self.changes if c.action in (Action.DETACH, Action.EXCLUSIVE_DETACH)]

    @property
    def arriving(self) -> list[Change]:
        return [c for c in self.changes if c.action in (Action.ATTACH, Action.REPLACE, Action.EXCLUSIVE_ATTACH)]


@dataclass(frozen=True)
class Outcome:
    """What the engine did with one declared resource in this run, as the program saw it."""

    created: bool = False  # created or replaced (a preview's unknown outputs)
    attached_now: Optional[bool] = None  # an import: whether AWS shows the pair attached
    plan_attach: tuple[str, ...] = ()  # an exclusive set's planned calls, "Name (p-id)"
    plan_detach: tuple[str, ...] = ()
    policy_id: Optional[str] = None  # the ID it attaches, when known


def classify(previous: Mapping[str, Declared], current: Mapping[str, Declared],
             outcomes: Mapping[str, Outcome]) -> list[TargetChanges]:
    """The changes per target, in a stable order (target label, then action and
    policy); targets without a change are left out."""
    by_target: dict[str, TargetChanges] = {}

    def target(entry: Declared) -> TargetChanges:
        return by_target.setdefault(entry.target_id, TargetChanges(entry.target_id, entry.target_label))

    for name, entry in current.items():
        outcome = outcomes.get(name, Outcome())
        before = previous.get(name)
        if entry.kind == EXCLUSIVE:
            _exclusive(target(entry), entry, before, outcome)
        elif outcome.created:
            target(entry).changes.append(Change(_attach_action(entry, before, outcome), entry.policy_label,
                                                outcome.policy_id or _id_of(entry), name))
    for name, entry in previous.items():
        if name in current:
            continue
        if entry.kind == EXCLUSIVE:
            if not entry.skip_destroy:
                target(entry).changes.append(Change(Action.GIVE_BACK, entry.key, entry=name, policy_type=entry.key))
        else:
            action = Action.FORGET if entry.skip_destroy else Action.DETACH
            target(entry).changes.append(Change(action, entry.policy_label, _id_of(entry), name))
    found = [t for t in by_target.values() if t.changes]
    for changes in found:
        changes.changes.sort(key=lambda c: (list(Action).index(c.action), c.policy))
    return sorted(found, key=lambda t: (t.target_label, t.target_id))


def _attach_action(entry: Declared, before: Optional[Declared], outcome: Outcome) -> Action:
    if before is not None and before.key != entry.key:
        return Action.REPLACE
    if entry.adopt and outcome.attached_now:
        return Action.ADOPT
    return Action.ATTACH


def _exclusive(changes: TargetChanges, entry: Declared, before: Optional[Declared], outcome: Outcome) -> None:
    if before is None or before.kind != EXCLUSIVE:
        changes.changes.append(Change(Action.TAKE_OVER, entry.key, entry=entry.name, policy_type=entry.key))
    changes.changes += [Change(Action.EXCLUSIVE_ATTACH, p, entry=entry.name, policy_type=entry.key)
                        for p in outcome.plan_attach]
    changes.changes += [Change(Action.EXCLUSIVE_DETACH, p, entry=entry.name, policy_type=entry.key)
                        for p in outcome.plan_detach]


def _id_of(entry: Declared) -> Optional[str]:
    return entry.key if entry.key.startswith("p-") else None


def removed(previous: Mapping[str, Declared], current: Iterable[str]) -> list[Declared]:
    """Entries the previous update declared that this run does not, sorted by label."""
    now = set(current)
    return sorted((e for name, e in previous.items() if name not in now), key=lambda e: e.label)
