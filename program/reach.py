"""Who a change reaches, in the organization's own names: the facts a reviewer
needs next to each changed target (blocking: AWS calls, run off the event loop).

For each :class:`~program.changes.TargetChanges` it learns, through the run's
cached lookups (the ones the plan-time guard shares, so nothing is asked twice):

* the target's path or account name, and each changed policy's name and type;
* the accounts at or below the target (every one, for the root);
* for SCPs, what those accounts lose and gain at that level, what the target
  keeps, and where else on their path a lost policy is attached;
* the guard's verdict on the removals (:func:`provider.judge_removals`, the
  decision the delete hooks will take), so a refused removal is marked as such.

Calls grow with the changed targets and the OUs below them, never with the size
of the organization (except for the root, whose change reaches every account);
a run with no change makes none.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Optional

from provider import SERVICE_CONTROL_POLICY, Lookups, PolicyAttachmentError, ids, judge_removals, names

from .changes import Action, Change, TargetChanges

#: Account names a summary shows for one target before "and N more".
SHOWN_ACCOUNTS = 5


@dataclass(frozen=True)
class Line:
    """One changed policy, as a reviewer reads it."""

    action: Action
    policy: str  # "Name (p-id)", or the config's label when no ID is known yet
    policy_type: Optional[str]
    refused: Optional[str] = None  # the guard's refusal, headline only


@dataclass(frozen=True)
class Reach:
    """The accounts at or below a target."""

    count: int
    shown: tuple[str, ...]
    everything: bool  # the root: every account of the organization


@dataclass
class TargetReport:
    """One changed target, named, with its lines, its reach and (SCPs) their effect."""

    target_id: str
    target: str  # names.target_display
    lines: list[Line]
    reach: Reach
    effects: list[str] = field(default_factory=list)

    @property
    def refused(self) -> list[Line]:
        return [line for line in self.lines if line.refused]


def report(changes: TargetChanges, lookups: Lookups, *, policy_types: Mapping[str, str],
           new_documents: Mapping[str, tuple[str, ...]],
           judge: Callable[..., Optional[PolicyAttachmentError]] = judge_removals) -> TargetReport:
    """The report of one target. ``policy_types``: the type of each changed entry
    whose policy has no ID yet (a policy this stack creates), by resource name;
    ``new_documents``: documents of such policies arriving on this target, by type."""
    target_id = changes.target_id
    lines = [_line(change, lookups, policy_types) for change in changes.changes]
    refusals = _refusals(changes, lines, new_documents, judge)
    lines = [Line(line.action, line.policy, line.policy_type, refusals.get(change.policy_id or ""))
             if change in changes.leaving else line for change, line in zip(changes.changes, lines, strict=True)]
    accounts = lookups.accounts_below(target_id)
    reach = Reach(count=len(accounts), shown=tuple(a.name for a in accounts[:SHOWN_ACCOUNTS]),
                  everything=ids.target_type(target_id) == ids.ROOT)
    target = lookups.target_display(target_id)
    return TargetReport(target_id, target, lines, reach, _scp_effects(changes, lines, lookups, reach, target))


def _line(change: Change, lookups: Lookups, policy_types: Mapping[str, str]) -> Line:
    if change.policy_id is not None:
        summary = lookups.policy(change.policy_id)
        shown = summary.display if summary else change.policy_id
        return Line(change.action, shown, summary.type if summary else None)
    if change.action in (Action.TAKE_OVER, Action.GIVE_BACK):
        return Line(change.action, names.policy_type_label(change.policy), change.policy)
    return Line(change.action, change.policy, change.policy_type or policy_types.get(change.entry or ""))


def _refusals(changes: TargetChanges, lines: list[Line], new_documents: Mapping[str, tuple[str, ...]],
              judge: Callable[..., Optional[PolicyAttachmentError]]) -> dict[str, str]:
    """Policy ID -> headline of the refusal the guard will give, per type of removal."""
    leaving: dict[str, list[str]] = {}
    for change, line in zip(changes.changes, lines, strict=True):
        if change.action is Action.DETACH and change.policy_id and line.policy_type:
            leaving.setdefault(line.policy_type, []).append(change.policy_id)
    refused: dict[str, str] = {}
    for policy_type, policy_ids in leaving.items():
        refusal = judge(changes.target_id, policy_type, policy_ids, new_documents.get(policy_type, ()))
        if refusal is not None:
            policy_id = next((p for p in policy_ids if p in str(refusal)), policy_ids[-1])
            refused[policy_id] = refusal.headline_text
    return refused


def _scp_effects(changes: TargetChanges, lines: list[Line], lookups: Lookups, reach: Reach,
                 target: str) -> list[str]:
    """For SCPs: what the reached accounts lose and gain at the target's level, what
    the target keeps, and where else on their path a lost SCP is attached."""
    scp = [(c, line) for c, line in zip(changes.changes, lines, strict=True)
           if line.policy_type == SERVICE_CONTROL_POLICY and c.action not in (Action.ADOPT, Action.FORGET)]
    lost = {c.policy_id: line.policy for c, line in scp
            if c.action in (Action.DETACH, Action.EXCLUSIVE_DETACH) and not line.refused and c.policy_id}
    for c, line in scp:
        shown_id = _id_in(line.policy)
        if c.action is Action.EXCLUSIVE_DETACH and shown_id:
            lost[shown_id] = line.policy
    gained = sorted(line.policy for c, line in scp if c.action in (Action.ATTACH, Action.REPLACE,
                                                                  Action.EXCLUSIVE_ATTACH))
    if not lost and not gained:
        return []
    who = (f"every account of the organization ({reach.count})" if reach.everything
           else f"the {reach.count} account{'' if reach.count == 1 else 's'} at or below it")
    one = reach.count == 1 and not reach.everything
    parts = ([f"{'loses' if one else 'lose'} {_joined(sorted(lost.values()))}"] if lost else []) + (
        [f"{'gains' if one else 'gain'} {_joined(gained)}"] if gained else [])
    effects = ([f"SCPs: {who} {' and '.join(parts)} at this level."] if reach.count or reach.everything
               else ["SCPs: no account is at or below it today, so no account's permissions change."])
    attached = lookups.attached(changes.target_id, SERVICE_CONTROL_POLICY) or []
    kept = {p.id: p.display for p in attached if p.id not in lost}
    kept.update({_id_in(g) or g: g for g in gained})
    effects.append(f"{target} keeps {_joined(sorted(kept.values())) or 'no SCP'}.")
    for policy_id, shown in sorted(lost.items(), key=lambda item: item[1]):
        above = [a for a in lookups.ancestors(changes.target_id)
                 if any(p.id == policy_id for p in lookups.attached(a, SERVICE_CONTROL_POLICY) or [])]
        if above:
            where = _joined([lookups.target_display(a) for a in above])
            effects.append(f"{shown} stays attached above it, to {where}.")
    return effects


def _id_in(shown: str) -> Optional[str]:
    """The policy ID of a "Name (p-id)" display, or of a bare ID."""
    if shown.startswith("p-"):
        return shown
    if shown.endswith(")") and " (p-" in shown:
        return shown[shown.rindex("(p-") + 1:-1]
    return None


def _joined(items: list[str]) -> str:
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + f" and {items[-1]}"


def shown_accounts(reach: Reach) -> str:
    """"every account of the organization (12)" or "3 accounts: a, b, c" or "7 accounts: a, ... and 2 more"."""
    if reach.everything:
        return f"every account of the organization ({reach.count})"
    if reach.count == 0:
        return "no account"
    listed = ", ".join(reach.shown)
    more = f" and {reach.count - len(reach.shown)} more" if reach.count > len(reach.shown) else ""
    return f"{reach.count} account{'' if reach.count == 1 else 's'}: {listed}{more}"

