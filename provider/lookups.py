"""Cached answers about the organization, for checks that run many times.

A preview of N attachments must not make N copies of the same call: the
provider's ``check`` and the plan-time guard ask through :class:`Lookups`,
which remembers each answer for the life of one engine operation (one
provider process, or one program run). Concurrent askers of the same key
wait for one call instead of making their own.

Never use these answers to decide a detach at apply time: the provider's
``delete`` asks AWS afresh.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Hashable
from typing import Any, Optional

from . import ids
from .aws import OrganizationsApi, PolicySummary, RootSummary, TargetSummary
from .names import ROOT_NAME, ou_path, policy_display, target_display
from .refusals import TargetFacts
from .rules import Documents

#: How deep OUs nest at most in AWS (root, then 5 levels): a path walk never goes further.
MAX_OU_DEPTH = 5


class Lookups:
    """Memoized DescribePolicy, ListRoots and ListPoliciesForTarget, and the
    names and counts messages use (best effort: a name that cannot be learnt is
    left out, never an error)."""

    def __init__(self, api: OrganizationsApi) -> None:
        self.api = api
        self._values: dict[Hashable, Any] = {}
        self._key_locks: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()

    def policy(self, policy_id: str) -> Optional[PolicySummary]:
        """The policy's summary, or None when it does not exist."""
        return self._once(("policy", policy_id), lambda: self.api.describe_policy(policy_id))

    def root(self) -> RootSummary:
        """The root and its enabled policy types."""
        return self._once(("root",), self.api.root)

    def attached(self, target_id: str, policy_type: str) -> Optional[list[PolicySummary]]:
        """Policies of the type attached to the target when first asked (None: no such target)."""
        return self._once(
            ("attached", target_id, policy_type),
            lambda: self.api.policies_for_target(target_id, policy_type),
        )

    def _once(self, key: Hashable, fetch: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._values:
                return self._values[key]
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._values:
                    return self._values[key]
            value = fetch()  # errors are not cached: the next asker tries again
            with self._lock:
                self._values[key] = value
            return value

    # -- for decisions -------------------------------------------------------------

    def documents(self) -> Documents:
        """Policy documents by ID, for :mod:`provider.rules` (None: gone)."""
        def content(policy_id: str) -> Optional[str]:
            summary = self.policy(policy_id)
            return summary.content if summary else None

        return content

    # -- the tree, for what a change reaches --------------------------------------------

    def ancestors(self, target_id: str) -> list[str]:
        """The roots and OUs above a target, nearest first, the root last (one
        ListParents per level, once per run); [] for the root."""
        found: list[str] = []
        current = target_id
        for _ in range(MAX_OU_DEPTH + 1):
            if ids.target_type(current) == ids.ROOT:
                break
            parent = self._once(("parent", current), functools.partial(self.api.parent_id, current))
            if parent is None:
                break
            found.append(parent)
            current = parent
        return found

    def accounts_below(self, target_id: str) -> list[TargetSummary]:
        """Every account at or below a target, sorted by name: the root's are the
        organization's (ListAccounts); an OU's are found walking the OUs below it
        (one ListOrganizationalUnitsForParent and one ListAccountsForParent per
        OU, every page); an account is itself. Once per target per run."""
        return self._once(("below", target_id), functools.partial(self._accounts_below, target_id))

    def _accounts_below(self, target_id: str) -> list[TargetSummary]:
        kind = ids.target_type(target_id)
        if kind == ids.ROOT:
            found = self.api.accounts()
        elif kind == ids.ACCOUNT:
            found = [TargetSummary(target_id, self.target_name(target_id) or target_id)]
        else:
            found, parents = [], [target_id]
            while parents:
                parent = parents.pop()
                found += self.api.accounts_in(parent)
                parents += [ou.id for ou in self.api.child_ous(parent)]
        return sorted(found, key=lambda a: (a.name, a.id))

    # -- for messages (never raise) --------------------------------------------------

    def policy_display(self, policy_id: str) -> str:
        """"Name (p-id)" when the policy can be described, else the ID."""
        try:
            summary = self.policy(policy_id)
        except Exception:  # noqa: BLE001 - a name for a message
            return policy_id
        return summary.display if summary else policy_id

    def target_name(self, target_id: str) -> Optional[str]:
        """``Root``, the OU's path from the root (``Root/Workloads/Prod``), or the
        account's name; None when it cannot be learnt. An OU's path costs one
        ListParents and one DescribeOrganizationalUnit per level, once per run."""
        kind = ids.target_type(target_id)
        try:
            if kind == ids.ROOT:
                return ROOT_NAME
            if kind == ids.ACCOUNT:
                return self._once(("account name", target_id), lambda: self.api.account_name(target_id))
            if kind == ids.ORGANIZATIONAL_UNIT:
                return self._once(("ou path", target_id), lambda: self._ou_path(target_id))
        except Exception:  # noqa: BLE001 - a name for a message
            return None
        return None

    def _ou_path(self, ou_id: str) -> Optional[str]:
        names: list[str] = []
        current: Optional[str] = ou_id
        for _ in range(MAX_OU_DEPTH + 1):
            if current is None or ids.target_type(current) != ids.ORGANIZATIONAL_UNIT:
                break
            name: Optional[str] = self._once(("ou name", current), functools.partial(self.api.ou_name, current))
            if name is None:
                return None
            names.insert(0, name)
            current = self._once(("parent", current), functools.partial(self.api.parent_id, current))
        return ou_path(names) if current is not None and ids.target_type(current) == ids.ROOT else None

    def target_display(self, target_id: str) -> str:
        """The target as messages name it: its path or account name, and its ID."""
        return target_display(target_id, self.target_name(target_id))

    def target_facts(self, target_id: str) -> TargetFacts:
        """What a lockout refusal says about a target: its name, the accounts its SCPs
        govern (when a few calls can count them), the management account."""
        def management() -> Optional[str]:
            try:
                return self._once(("management",), self.api.management_account_id)
            except Exception:  # noqa: BLE001 - without it the refusal stands
                return None

        accounts = 1 if ids.target_type(target_id) == ids.ACCOUNT else self.api.count_accounts_under(target_id)
        return TargetFacts(display=self.target_display(target_id), accounts=accounts,
                           management_account_id=management())


def summary_display(summary: Optional[PolicySummary], policy_id: str) -> str:
    """How messages name ``policy_id``: its summary's display, or the bare ID
    when it could not be described (gone, or the lookup failed)."""
    return summary.display if summary else policy_display(policy_id, None)
