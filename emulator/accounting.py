"""Per-operation call counts, for tests that assert how many API calls code made."""

from __future__ import annotations

import threading
from collections import Counter


class CallCounter:
    """Counts every Organizations request that reached the endpoint, and separately the
    faulted ones and the throttled ones (refused by the rate limit).

    A call refused by an AWS rule or by moto still counts: AWS would have received (and
    throttled, and billed quota for) it too.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: Counter[str] = Counter()
        self._faulted: Counter[str] = Counter()
        self._throttled: Counter[str] = Counter()

    def record(self, operation: str, faulted: bool, throttled: bool = False) -> None:
        with self._lock:
            self._calls[operation] += 1
            if faulted:
                self._faulted[operation] += 1
            if throttled:
                self._throttled[operation] += 1

    def snapshot(self) -> dict[str, dict[str, int]]:
        """``{"calls": {op: n}, "faulted": {op: n}, "throttled": {op: n}}``, sorted by name."""
        with self._lock:
            return {
                "calls": dict(sorted(self._calls.items())),
                "faulted": dict(sorted(self._faulted.items())),
                "throttled": dict(sorted(self._throttled.items())),
            }

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()
            self._faulted.clear()
            self._throttled.clear()
