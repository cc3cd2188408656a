"""Read the organization for adopt: read-only calls through the project's AWS layer.

:func:`scan` returns a :class:`~program.adopt.snapshot.Snapshot` in these steps, each
call through :class:`~program.adopt.readonly.ReadOnlyApi` (so through the one retry
layer, every listing following every page):

1. ``ListRoots``: the root and the policy types enabled on it;
2. the subtree's root: the organization's, or ``--under``'s OU, found by walking
   ``ListOrganizationalUnitsForParent`` down its path (or ``ListParents`` up from
   its ID);
3. the OU tree below it: one ``ListOrganizationalUnitsForParent`` per OU, a level at
   a time, ``workers`` calls at once;
4. ``ListAccounts`` (account names are global: an ambiguous one needs every account),
   and for a subtree one ``ListAccountsForParent`` per OU in it;
5. ``ListPolicies`` per type enabled on the root (names are searched in all of them);
6. the attachments of the chosen types, per policy or per target, whichever
   :func:`program.adopt.listing.choose` says needs fewer calls.

AWS's refusals become :class:`~program.adopt.errors.ReadDeniedError` (access denied:
one line, naming the action) or :class:`~program.adopt.errors.OrganizationReadError`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Optional, TypeVar

from provider import AccessDeniedError, Limits, PolicyAttachmentError, PolicySummary, TargetSummary, ids

from ..config import OU_SEPARATOR, ROOT_NAME
from ..directory import close_matches
from ..errors import OrganizationLookupError
from . import listing
from .errors import OrganizationReadError, PolicyTypeDisabledError, ReadDeniedError, SubtreeNotFoundError
from .progress import Bar, Progress
from .readonly import ReadOnlyApi
from .snapshot import Snapshot

T = TypeVar("T")
R = TypeVar("R")

#: AWS calls in flight at once. Organizations throttles low; the retry layer absorbs the rest.
WORKERS = 4


@dataclass(frozen=True)
class ScanRequest:
    """What to read: the policy ``types``, the subtree (``under``: None or ``Root``
    for the whole organization, an OU path from the root or an OU ID), and whether
    AWS-managed policies' attachments are needed (``managed``)."""

    types: tuple[str, ...]
    under: Optional[str] = None
    managed: bool = False
    limits: Limits = field(default_factory=Limits)
    workers: int = WORKERS


@contextmanager
def reading() -> Iterator[None]:
    """Turn the AWS layer's failures (directly, or wrapped by the program's name
    resolution) into adopt's errors."""
    try:
        yield
    except OrganizationLookupError as err:
        cause = err.__cause__
        if isinstance(cause, AccessDeniedError):
            raise ReadDeniedError(operation=cause.fields.get("operation", "?")) from err
        raise OrganizationReadError(reason=str(err)) from err
    except AccessDeniedError as err:
        raise ReadDeniedError(operation=err.fields.get("operation", "?")) from err
    except PolicyAttachmentError as err:
        raise OrganizationReadError(reason=str(err)) from err


def scan(api: ReadOnlyApi, request: ScanRequest, progress: Optional[Progress] = None
         ) -> tuple[Snapshot, listing.Listing]:
    """The snapshot ``request`` asks for, and how its attachments were listed."""
    with reading():
        return _Scan(api, request, progress or Progress(False)).run()


class _Scan:
    def __init__(self, api: ReadOnlyApi, request: ScanRequest, progress: Progress) -> None:
        self.api, self.request, self.progress = api, request, progress
        self.ous: dict[str, TargetSummary] = {}
        self.parents: dict[str, str] = {}
        self.children: dict[str, tuple[str, ...]] = {}

    def run(self) -> tuple[Snapshot, listing.Listing]:
        root = self.api.root()
        for policy_type in self.request.types:
            if policy_type not in root.enabled_types:
                raise PolicyTypeDisabledError(policy_type=policy_type, root_id=root.id,
                                              enabled=", ".join(sorted(root.enabled_types)) or "none")
        top = self._subtree_root(root.id)
        subtree = self._walk(top)
        accounts = {a.id: a.name for a in self.api.accounts()}
        in_scope_accounts = accounts if top == root.id else self._accounts_in(subtree)
        ou_order = _depth_first(top, self.children, self.ous)
        scope = (top, *ou_order, *sorted(in_scope_accounts, key=lambda a: (in_scope_accounts[a], a)))
        policies = tuple(p for t in sorted(root.enabled_types) for p in self.api.policies(t))
        listed = [p for p in policies if p.type in self.request.types and (self.request.managed or not p.aws_managed)]
        choice = listing.choose(
            in_scope=len(scope), in_organization=1 + len(self.ous) + len(accounts),
            types={t: listing.TypeCounts(managed=sum(p.aws_managed for p in listed if p.type == t),
                                         custom=sum(not p.aws_managed for p in listed if p.type == t),
                                         maximum=self.request.limits.of(t).maximum)
                   for t in self.request.types})
        attached: Optional[dict[str, tuple[str, ...]]] = None
        if choice.per_policy:
            attached = self._per_policy(listed, scope, budget=choice.per_target_calls if choice.budgeted else None)
            choice = replace(choice, fell_back=attached is None)
        if attached is None:
            attached = self._per_target(scope, listed)
        snapshot = Snapshot(root_id=root.id, enabled_types=root.enabled_types, ous=dict(self.ous),
                            parents=dict(self.parents), children=dict(self.children), accounts=accounts,
                            policies=policies, scope=scope, attached=attached, types=self.request.types,
                            managed_listed=self.request.managed)
        return snapshot, choice

    # -- the tree ------------------------------------------------------------------

    def _list_children(self, parent_id: str) -> list[str]:
        found = self.api.child_ous(parent_id)
        for child in found:
            self.ous[child.id], self.parents[child.id] = child, parent_id
        self.children[parent_id] = tuple(c.id for c in found)
        return [c.id for c in found]

    def _subtree_root(self, root_id: str) -> str:
        under = self.request.under
        if under in (None, ROOT_NAME, root_id):
            return root_id
        assert under is not None
        kind = ids.target_type(under)
        if kind == ids.ORGANIZATIONAL_UNIT:
            return self._ou_by_id(under, root_id)
        if kind is not None:
            problem = "is an account, not an OU" if kind == ids.ACCOUNT else "is not this organization's root"
            raise SubtreeNotFoundError(under=under, problem=problem,
                                       hint="give an OU: its path from the root (Root/Workloads) or its ID (ou-...).")
        if not under.startswith(ROOT_NAME + OU_SEPARATOR):
            raise SubtreeNotFoundError(under=under, problem="is not an OU path from the root",
                                       hint=f"write it as {ROOT_NAME}/<OU>/<child OU>, or give the OU's ID (ou-...).")
        parent, path = root_id, ROOT_NAME
        for name in under.split(OU_SEPARATOR)[1:]:
            children = self._list_children(parent)
            matches = [c for c in children if self.ous[c].name == name]
            path = f"{path}{OU_SEPARATOR}{name}"
            if not matches:
                close = close_matches(name, (self.ous[c].name for c in children))
                raise SubtreeNotFoundError(
                    under=under, problem=f"names no OU: there is no {path}",
                    hint=(f"close candidates: {', '.join(path.rsplit(OU_SEPARATOR, 1)[0] + '/' + c for c in close)}."
                          if close else "check the path (names are case-sensitive), or give the OU's ID (ou-...)."))
            if len(matches) > 1:
                raise SubtreeNotFoundError(under=under, problem=f"names {len(matches)} OUs ({', '.join(matches)})",
                                           hint="give the ID of the one you mean.")
            parent = matches[0]
        return parent

    def _ou_by_id(self, ou_id: str, root_id: str) -> str:
        """``ou_id`` after listing every OU on its way from the root (for its path)."""
        chain = [ou_id]
        while chain[-1] != root_id:
            parent = self.api.parent_id(chain[-1])
            if parent is None:
                raise SubtreeNotFoundError(under=ou_id, problem="is no OU of this organization",
                                           hint="check the ID (aws organizations list-parents --child-id <ID>).")
            chain.append(parent)
        for parent in reversed(chain[1:]):
            self._list_children(parent)
        return ou_id

    def _walk(self, top: str) -> list[str]:
        """``top`` and every OU below it, listing each one's children once."""
        found, level = [top], [top]
        with self.progress.phase("OUs listed", unit="OU") as bar:
            while level:
                below = self._each(level, self._list_children, bar)
                level = [child for children in below for child in children]
                found += level
        return found

    def _accounts_in(self, parents: Sequence[str]) -> dict[str, str]:
        with self.progress.phase("accounts listed by OU", total=len(parents), unit="OU") as bar:
            lists = self._each(parents, self.api.accounts_in, bar)
        return {a.id: a.name for accounts in lists for a in accounts}

    # -- attachments ------------------------------------------------------------------

    def _per_policy(self, policies: Sequence[PolicySummary], scope: Sequence[str], budget: Optional[int] = None
                    ) -> Optional[dict[str, tuple[str, ...]]]:
        """Per policy, ``workers`` at once; with a ``budget``, one policy after the other
        until the calls made pass it (then None: list per target instead)."""
        wanted = set(scope)
        found: dict[str, list[str]] = {t: [] for t in scope}
        with self.progress.phase("attachments (per policy)", total=len(policies), unit="policy") as bar:
            if budget is None:
                lists = self._each([p.id for p in policies], self.api.targets_for_policy, bar)
            else:
                lists, start = [], self.api.calls["ListTargetsForPolicy"]
                for policy in policies:
                    if self.api.calls["ListTargetsForPolicy"] - start >= budget:
                        return None
                    lists.append(self.api.targets_for_policy(policy.id))
                    bar.update(1)
        for policy, targets in zip(policies, lists, strict=True):
            for target in targets:
                if target.id in wanted:
                    found[target.id].append(policy.id)
        return {t: tuple(sorted(p)) for t, p in found.items()}

    def _per_target(self, scope: Sequence[str], policies: Sequence[PolicySummary]) -> dict[str, tuple[str, ...]]:
        wanted = {p.id for p in policies}
        pairs = [(t, policy_type) for t in scope for policy_type in self.request.types]
        with self.progress.phase("attachments (per target)", total=len(pairs), unit="target") as bar:
            lists = self._each(pairs, lambda pair: self.api.policies_for_target(*pair), bar)
        found: dict[str, list[str]] = {t: [] for t in scope}
        for (target, _), attached in zip(pairs, lists, strict=True):
            found[target] += [p.id for p in attached or () if p.id in wanted]  # None: gone since listed
        return {t: tuple(sorted(p)) for t, p in found.items()}

    def _each(self, items: Sequence[T], ask: Callable[[T], R], bar: Bar) -> list[R]:
        """``ask(item)`` for every item, ``workers`` at once, answers in order."""
        def one(item: T) -> R:
            answer = ask(item)
            bar.update(1)
            return answer

        if len(items) <= 1 or self.request.workers <= 1:
            return [one(item) for item in items]
        with ThreadPoolExecutor(max_workers=self.request.workers, thread_name_prefix="adopt-scan") as pool:
            return list(pool.map(one, items))


def _depth_first(top: str, children: dict[str, tuple[str, ...]], ous: dict[str, TargetSummary]) -> list[str]:
    """The OUs below ``top``, depth-first, siblings by name."""
    order: list[str] = []

    def visit(parent: str) -> None:
        for child in _by_name(children.get(parent, ()), ous):
            order.append(child)
            visit(child)

    visit(top)
    return order


def _by_name(found: Iterable[str], ous: dict[str, TargetSummary]) -> list[str]:
    return sorted(found, key=lambda o: (ous[o].name, o))
