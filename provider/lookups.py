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

import threading
from collections.abc import Callable, Hashable
from typing import Any, Optional

from .aws import OrganizationsApi, PolicySummary, RootSummary


class Lookups:
    """Memoized DescribePolicy, ListRoots and ListPoliciesForTarget."""

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
