"""What adopt writes: pure decisions on a snapshot, the names and what is declared.

:func:`entries` turns what is attached now into ``org-policies:attachments``
entries, leaving out what the stack file already declares (:mod:`.declared`):

* **list form** (the default): each attachment found becomes
  ``{policy: <name>, import: true}``, which the next ``pulumi up`` records without
  calling AttachPolicy. AWS-managed policies (FullAWSAccess, RCPFullAWSAccess), which
  AWS attaches to every target by itself, are left out unless asked for; then they
  carry ``skip_destroy: true`` too, so that removing them from the stack never
  detaches them.
* **exclusive form** (``exclusive``): each target with something to adopt becomes
  ``{exclusive: true, policies: [...]}`` listing *every* policy of the chosen types
  attached to it, AWS-managed ones included (an exclusive set owns every policy of its
  types on its target: one left out would be detached by the next ``up``), with no
  per-item flag (the program refuses ``import`` there; the set takes over what it
  finds). A target the file declares in list form is left as it is and noted (moving
  it to an exclusive set takes two updates: README, Exclusive targets).

A target already in the file gets its new items under its own key (two keys for one
target are refused by the program); a policy type an exclusive set of the file owns
there gets nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from provider import SERVICE_CONTROL_POLICY, PolicySummary

from .declared import Declared
from .snapshot import Snapshot

#: The program's default ``exclusive_types``: left unwritten.
DEFAULT_EXCLUSIVE_TYPES = (SERVICE_CONTROL_POLICY,)


@dataclass(frozen=True)
class Options:
    """What to adopt: policy ``types``, AWS-managed policies too (``managed``), and
    in which form (``exclusive``)."""

    types: tuple[str, ...] = (SERVICE_CONTROL_POLICY,)
    managed: bool = False
    exclusive: bool = False

    @property
    def lists_managed(self) -> bool:
        """Whether the scan must list AWS-managed policies' attachments too."""
        return self.managed or self.exclusive


@dataclass(frozen=True)
class Item:
    """One policy of an entry, written ``policy`` (its name or ID)."""

    policy: str
    policy_id: str
    adopt: bool = True  # import: true
    skip_destroy: bool = False


@dataclass(frozen=True)
class Entry:
    """Items for one target, under ``key``: a new key, or one the file has (``existing``)."""

    target_id: str
    key: str
    items: tuple[Item, ...]
    existing: bool = False
    exclusive: bool = False
    #: for a new exclusive entry: its types, when not the program's default
    exclusive_types: tuple[str, ...] = ()


@dataclass(frozen=True)
class Note:
    """A target adopt left as it is, and why."""

    key: str
    reason: str


#: A stack file that declares no attachment yet.
NOTHING_DECLARED = Declared()

LIST_DECLARED = ("declared in list form: left as it is (a switch to an exclusive set takes two updates; "
                 "README, Exclusive targets)")


def entries(snapshot: Snapshot, targets: Mapping[str, str], policies: Mapping[str, str], options: Options,
            declared: Declared = NOTHING_DECLARED) -> tuple[tuple[Entry, ...], tuple[Note, ...]]:
    """The entries to write for ``snapshot`` (``targets`` and ``policies``: ID -> how to
    write it, see :mod:`.naming`), in the snapshot's target order, and the notes."""
    written: list[Entry] = []
    notes: list[Note] = []
    for target_id in snapshot.scope:
        attached = sorted((snapshot.policy(p) for p in snapshot.attached.get(target_id, ())),
                          key=lambda p: (p.type, policies[p.id], p.id))
        if not any(options.managed or not p.aws_managed for p in attached):
            continue  # nothing but what AWS attaches everywhere
        known = declared.targets.get(target_id)
        key = known.key if known else _free_key(targets.get(target_id, target_id), target_id, declared)
        if options.exclusive and known is None:
            written.append(Entry(target_id, key, tuple(Item(policies[p.id], p.id, adopt=False) for p in attached),
                                 exclusive=True, exclusive_types=_types_written(options.types)))
            continue
        if options.exclusive and known is not None and not known.exclusive:
            notes.append(Note(key, LIST_DECLARED))
            continue
        new = [_item(p, policies) for p in attached
               if (options.managed or not p.aws_managed) and not declared.has(target_id, p.id, p.type)]
        if new:
            written.append(Entry(target_id, key, tuple(new), existing=known is not None))
    return tuple(written), tuple(notes)


def count(written: Sequence[Entry]) -> int:
    """How many attachments ``written`` declares."""
    return sum(len(entry.items) for entry in written)


def _item(policy: PolicySummary, policies: Mapping[str, str]) -> Item:
    return Item(policies[policy.id], policy.id, adopt=True, skip_destroy=policy.aws_managed)


def _free_key(text: str, target_id: str, declared: Declared) -> str:
    """``text``, unless the file already uses it as a key for something else (a name
    that resolves to nothing now): then the ID."""
    return target_id if text in declared.keys else text


def _types_written(types: tuple[str, ...]) -> tuple[str, ...]:
    return () if tuple(types) == DEFAULT_EXCLUSIVE_TYPES else tuple(types)
