"""The AWS layer as adopt uses it: read-only, and each listing asked once.

:class:`ReadOnlyApi` is the project's :class:`provider.OrganizationsApi` (the same
credential chain, endpoint and one retry layer) with two changes:

* the listings both the scan and the program's name resolution
  (:class:`program.directory.Directory`) ask for (the root, child OUs, accounts,
  policies of a type, one policy) are remembered, so resolving what the stack file
  declares costs no call the scan already made;
* every method that changes the organization raises :class:`WriteRefused` before
  any request: adopt only reads;
* every request it sends is counted, by operation (:attr:`ReadOnlyApi.calls`): the
  listing's budget and the ``--progress`` summary read it.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Optional, TypeVar

from provider import OrganizationsApi, PolicySummary, RootSummary, TargetSummary

T = TypeVar("T")


class WriteRefused(RuntimeError):
    """Raised when code running under adopt tries to change the organization (a bug)."""


@dataclass
class ReadOnlyApi(OrganizationsApi):
    """:class:`provider.OrganizationsApi`, read-only, with its listings remembered."""

    _answers: dict[Hashable, Any] = field(default_factory=dict, init=False, repr=False)
    _answers_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    #: requests sent, by operation (retries included)
    calls: Counter[str] = field(default_factory=Counter, init=False, repr=False)
    _counting: bool = field(default=False, init=False, repr=False)

    @property
    def client(self) -> Any:
        """The AWS layer's client, each request it sends counted in :attr:`calls`."""
        client = super().client
        if not self._counting:
            with self._answers_lock:
                if not self._counting:
                    client.meta.events.register_first("before-call.*.*", self._count)
                    self._counting = True
        return client

    def _count(self, model: Any, **_: Any) -> None:
        with self._answers_lock:
            self.calls[model.name] += 1

    @classmethod
    def like(cls, api: OrganizationsApi) -> ReadOnlyApi:
        """A read-only layer with ``api``'s settings and retry policy."""
        return cls(api.settings, api.retry)

    def root(self) -> RootSummary:
        return self._remembered(("root",), super().root)

    def child_ous(self, parent_id: str) -> list[TargetSummary]:
        return self._remembered(("child_ous", parent_id), lambda: super(ReadOnlyApi, self).child_ous(parent_id))

    def accounts(self) -> list[TargetSummary]:
        return self._remembered(("accounts",), super().accounts)

    def policies(self, policy_type: str) -> list[PolicySummary]:
        return self._remembered(("policies", policy_type), lambda: super(ReadOnlyApi, self).policies(policy_type))

    def describe_policy(self, policy_id: str) -> Optional[PolicySummary]:
        return self._remembered(("describe_policy", policy_id),
                                lambda: super(ReadOnlyApi, self).describe_policy(policy_id))

    def attach_policy(self, policy_id: str, target_id: str) -> None:
        raise WriteRefused(f"adopt is read-only: it must not attach {policy_id} to {target_id}")

    def detach_policy(self, policy_id: str, target_id: str, *, policy: str = "", policy_type: str = "") -> bool:
        raise WriteRefused(f"adopt is read-only: it must not detach {policy_id} from {target_id}")

    def _remembered(self, key: Hashable, ask: Callable[[], T]) -> T:
        """``ask()``'s answer, asked once per key (two threads may both ask; the first answer stays)."""
        with self._answers_lock:
            if key in self._answers:
                return self._answers[key]
        answer = ask()
        with self._answers_lock:
            return self._answers.setdefault(key, answer)
