"""The organization's names -> IDs, for the names the stack config uses.

:class:`Directory` answers "which root, OU, account or policy is this name?"
through the project's AWS layer (:class:`provider.aws.OrganizationsApi`, whose
listings read every page and retry through its
:class:`~provider.retry.RetryPolicy`, the one retry layer).

Contracts:

* Lazy and minimal: IDs need no call at all; ``Root`` costs one ListRoots; an
  OU path walks ListOrganizationalUnitsForParent down that path only; an
  account name costs one (paginated) ListAccounts; a policy name costs one
  (paginated) ListPolicies per policy type enabled on the root. Each answer is
  asked once per Directory (one per program run; not thread-safe).
* Names match exactly (case included). No match raises
  :class:`~program.errors.NameNotFoundError` with close candidates; several
  matches raise :class:`~program.errors.AmbiguousNameError` listing their IDs.
* AWS failures raise :class:`~program.errors.OrganizationLookupError`, chained
  to the AWS layer's error.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from typing import TypeVar, assert_never

from provider import OrganizationsApi, PolicyAttachmentError, PolicySummary, RootSummary, TargetSummary, ids

from .config import OU_SEPARATOR, ROOT_NAME, PolicyKind, PolicyRef, TargetKind, TargetRef
from .errors import AmbiguousNameError, NameNotFoundError, OrganizationLookupError, PolicyTypeNotEnabledError

T = TypeVar("T")

MAX_CANDIDATES = 5


class Directory:
    """Resolves the config's target and policy references to IDs, asking AWS
    only for the kinds of names that appear, once each."""

    def __init__(self, api: OrganizationsApi) -> None:
        self.api = api
        self._root: RootSummary | None = None
        self._children: dict[str, list[TargetSummary]] = {}
        self._accounts: list[TargetSummary] | None = None
        self._policies: dict[str, list[PolicySummary]] = {}

    # -- references ----------------------------------------------------------------

    def target_id(self, ref: TargetRef) -> str:
        """The ID of the root, OU or account ``ref`` names."""
        match ref.kind:
            case TargetKind.ID:
                return ref.text
            case TargetKind.ROOT:
                return self.root().id
            case TargetKind.OU_PATH:
                return self.ou_id(ref.ou_names)
            case TargetKind.ACCOUNT_NAME:
                return self.account_id(ref.text)
            case _:
                assert_never(ref.kind)

    def policy_id(self, ref: PolicyRef) -> str:
        """The ID of the existing policy ``ref`` names. A policy this stack
        creates has no ID before it is created: ValueError."""
        match ref.kind:
            case PolicyKind.ID:
                return ref.text
            case PolicyKind.AWS_NAME:
                return self.policy(ref.text).id
            case PolicyKind.STACK:
                raise ValueError(f"{ref.text!r} is a policy this stack creates, not an existing one")
            case _:
                assert_never(ref.kind)

    def policy_type(self, ref: PolicyRef, policy_id: str) -> str:
        """The type of the existing policy ``ref`` names (resolved to ``policy_id``):
        from the name's lookup, or one DescribePolicy for an ID. A policy this
        stack creates: ValueError (its type is in the config)."""
        match ref.kind:
            case PolicyKind.AWS_NAME:
                return self.policy(ref.text).type
            case PolicyKind.ID:
                summary = self._ask(f"the policy {policy_id}", lambda: self.api.describe_policy(policy_id))
                if summary is None:
                    raise NameNotFoundError(kind="policy", name=policy_id,
                                            hint="Check the ID: aws organizations list-policies --filter <TYPE>.")
                return summary.type
            case PolicyKind.STACK:
                raise ValueError(f"{ref.text!r} is a policy this stack creates: its type is in the config")
            case _:
                assert_never(ref.kind)

    # -- lookups -------------------------------------------------------------------

    def root(self) -> RootSummary:
        """The organization's root and its enabled policy types (one ListRoots)."""
        if self._root is None:
            self._root = self._ask("the root", self.api.root)
        return self._root

    def ou_id(self, names: tuple[str, ...]) -> str:
        """The ID of the OU at ``Root/<names[0]>/<names[1]>/...``."""
        parent_id, path = self.root().id, ROOT_NAME
        for name in names:
            children = self.children(parent_id, path)
            matches = [child for child in children if child.name == name]
            path = f"{path}{OU_SEPARATOR}{name}"
            if not matches:
                raise NameNotFoundError(
                    kind="organizational unit", name=path,
                    candidates=tuple(f"{path.rsplit(OU_SEPARATOR, 1)[0]}/{n}"
                                     for n in close_matches(name, (c.name for c in children))),
                    hint=_ou_hint(path.rsplit(OU_SEPARATOR, 1)[0], children),
                )
            if len(matches) > 1:
                raise AmbiguousNameError(kind="organizational unit", name=path,
                                         matches=tuple(m.id for m in matches),
                                         plural="organizational units")
            parent_id = matches[0].id
        return parent_id

    def account_id(self, name: str) -> str:
        """The ID of the account called ``name`` (one ListAccounts, all pages)."""
        accounts = self.accounts()
        matches = [account for account in accounts if account.name == name]
        if not matches:
            raise NameNotFoundError(
                kind="account", name=name,
                candidates=close_matches(name, (a.name for a in accounts)),
                hint=(f"The organization's root is written {ROOT_NAME} (capital R)."
                      if name.lower() == ROOT_NAME.lower() else
                      "Give the account's name as AWS shows it, or its 12-digit ID; an OU is "
                      f"written as its path from the root ({ROOT_NAME}/Workloads/Prod)."),
            )
        if len(matches) > 1:
            raise AmbiguousNameError(kind="account", name=name, plural="accounts",
                                     matches=tuple(sorted(m.id for m in matches)))
        return matches[0].id

    def policy(self, name: str) -> PolicySummary:
        """The existing policy called ``name``, searched in every policy type
        enabled on the root (one ListPolicies per type, all pages)."""
        types = sorted(self.root().enabled_types)
        found = [p for policy_type in types for p in self.policies(policy_type)]
        matches = [p for p in found if p.name == name]
        if not matches:
            self._refuse_if_type_disabled(name, types)
            hint = "Give the policy's name as AWS shows it, or its ID (p-...)."
            if name.startswith("p-"):
                hint = f"It is not a policy ID either: {ids.POLICY_ID_HINT}."
            raise NameNotFoundError(
                kind="policy", name=name, candidates=close_matches(name, (p.name for p in found)),
                searched=f" (searched the policy types enabled on its root: {', '.join(types)})",
                hint=hint,
            )
        if len(matches) > 1:
            raise AmbiguousNameError(kind="policy", name=name, plural="policies",
                                     matches=tuple(f"{p.id} ({p.type})" for p in matches))
        return matches[0]

    def _refuse_if_type_disabled(self, name: str, enabled: list[str]) -> None:
        """Raise PolicyTypeNotEnabledError when ``name`` is a policy of a type
        not enabled on the root (asked only on this failure path: one
        ListPolicies per other type botocore knows)."""
        from .config import known_policy_types

        for policy_type in sorted(known_policy_types() - set(enabled)):
            try:
                policies = self.policies(policy_type)
            except OrganizationLookupError:
                continue  # a type this organization or endpoint does not support
            if any(p.name == name for p in policies):
                raise PolicyTypeNotEnabledError(name=name, policy_type=policy_type, root_id=self.root().id)

    # -- listings (every page, asked once) ---------------------------------------------

    def children(self, parent_id: str, path: str) -> list[TargetSummary]:
        """OUs directly under ``parent_id`` (``path`` names it in messages)."""
        if parent_id not in self._children:
            self._children[parent_id] = self._ask(f"the organizational units under {path}",
                                                  lambda: self.api.child_ous(parent_id))
        return self._children[parent_id]

    def accounts(self) -> list[TargetSummary]:
        """Every account of the organization."""
        if self._accounts is None:
            self._accounts = self._ask("the accounts", self.api.accounts)
        return self._accounts

    def policies(self, policy_type: str) -> list[PolicySummary]:
        """Every policy of ``policy_type``, AWS-managed ones included."""
        if policy_type not in self._policies:
            self._policies[policy_type] = self._ask(f"the policies of type {policy_type}",
                                                    lambda: self.api.policies(policy_type))
        return self._policies[policy_type]

    @staticmethod
    def _ask(what: str, fn: Callable[[], T]) -> T:
        """``fn()``, an AWS layer call; its errors (every one a PolicyAttachmentError,
        connection failures included) become OrganizationLookupError naming ``what``."""
        try:
            return fn()
        except PolicyAttachmentError as err:
            raise OrganizationLookupError(what=what, reason=str(err)) from err


def close_matches(name: str, names: Iterable[str]) -> tuple[str, ...]:
    """Up to MAX_CANDIDATES names similar to ``name``; case-insensitive equals first."""
    pool = sorted(set(names))
    same = [n for n in pool if n.lower() == name.lower()]
    by_lower = {n.lower(): n for n in pool}
    similar = [by_lower[n] for n in difflib.get_close_matches(name.lower(), list(by_lower),
                                                              n=MAX_CANDIDATES, cutoff=0.6)]
    return tuple(dict.fromkeys(same + similar))[:MAX_CANDIDATES]


def _ou_hint(parent_path: str, children: list[TargetSummary]) -> str:
    if not children:
        return f"{parent_path} has no child OU. Give the OU's path from the root, or its ID (ou-...)."
    names = sorted(child.name for child in children)
    shown = ", ".join(names[:MAX_CANDIDATES]) + (", ..." if len(names) > MAX_CANDIDATES else "")
    return f"OUs under {parent_path}: {shown}. Or give the OU's ID (ou-...)."
