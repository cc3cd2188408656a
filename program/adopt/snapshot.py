"""What one scan read of the organization: plain values, no AWS call.

:class:`Snapshot` holds the part of the organization the naming and the adoption
decisions need: the OU tree down to the scanned subtree (every parent listed, so each
OU's siblings are known), every account's name (names are global), every policy of
every type enabled on the root, and what is attached to each target in scope.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from provider import PolicySummary, TargetSummary


@dataclass(frozen=True)
class Snapshot:
    """The organization as one scan saw it.

    ``scope`` lists the targets the scan covered, in output order: the subtree's root,
    then its OUs depth-first by name, then its accounts by name. ``attached`` maps each
    of them to the IDs of the policies of the scanned types attached to it directly
    (every one, AWS-managed included, when the scan asked for those; see
    :attr:`managed_listed`).
    """

    root_id: str
    enabled_types: frozenset[str]
    #: every OU the scan listed, by ID (the subtree, and the OUs on the way to it)
    ous: Mapping[str, TargetSummary]
    #: each of those OUs' parent (the root or an OU)
    parents: Mapping[str, str]
    #: parent ID -> IDs of the OUs directly under it, for every parent the scan listed
    children: Mapping[str, tuple[str, ...]]
    #: every account of the organization: ID -> name
    accounts: Mapping[str, str]
    #: every policy of every type enabled on the root
    policies: tuple[PolicySummary, ...]
    scope: tuple[str, ...]
    attached: Mapping[str, tuple[str, ...]]
    #: the policy types scanned
    types: tuple[str, ...]
    #: whether AWS-managed policies' attachments were listed too
    managed_listed: bool = False
    _by_id: dict[str, PolicySummary] = field(default_factory=dict, compare=False, repr=False)

    def policy(self, policy_id: str) -> PolicySummary:
        """The policy with ``policy_id`` (KeyError if the scan did not see it)."""
        if not self._by_id:
            self._by_id.update((p.id, p) for p in self.policies)
        return self._by_id[policy_id]

    def attachment_count(self) -> int:
        """How many (target, policy) attachments the scan found in scope."""
        return sum(len(ids) for ids in self.attached.values())
