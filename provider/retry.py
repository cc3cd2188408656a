"""A small bounded retry for the Organizations errors botocore does not retry.

Roles:

* botocore's ``standard`` retry mode handles throttling
  (``TooManyRequestsException``) and transport errors; it is configured on the
  client in :mod:`provider.aws`.
* :class:`TransientErrorChecker` names the extra codes that mean "the
  organization is busy, nothing was applied, try again":
  ConcurrentModification, PolicyChangesInProgress, FinalizingOrganization,
  Service. CloudFormation's Organizations handler and Terraform retry the same
  family.
* :class:`RetryPolicy` sleeps with capped exponential backoff and "equal
  jitter" (half fixed, half random) between attempts. Time and randomness are
  injected so tests assert the exact schedule without sleeping.

The defaults ride out a busy organization: 7 attempts, waits of 2, 4, 8, 16,
20 and 20 seconds at most (35 to 70 s in all).
"""

from __future__ import annotations

import random as _random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from .errors import RetriesExhaustedError

T = TypeVar("T")


class TransientErrorChecker:
    """Decides whether an AWS error is a "try again later" that changed nothing."""

    _TRANSIENT_CODES = frozenset(
        {
            "ConcurrentModificationException",
            "PolicyChangesInProgressException",
            "FinalizingOrganizationException",
            "ServiceException",
        }
    )

    def is_retryable(self, err: BaseException) -> bool:
        return isinstance(err, ClientError) and error_code(err) in self._TRANSIENT_CODES


def error_code(err: ClientError) -> str:
    """The AWS error code of a botocore ClientError ('' when absent)."""
    return str(err.response.get("Error", {}).get("Code", ""))


@dataclass
class RetryPolicy:
    """Bounded, jittered retry of :class:`TransientErrorChecker` errors."""

    max_attempts: int = 7
    base_delay: float = 2.0
    max_delay: float = 20.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    random: Callable[[], float] = field(default=_random.random, repr=False)
    checker: TransientErrorChecker = field(default_factory=TransientErrorChecker, repr=False)
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        capped = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return capped / 2 + self.random() * capped / 2

    def call(self, operation: str, fn: Callable[[], T]) -> T:
        """Run ``fn`` until it succeeds, fails with a non-transient error (raised
        unchanged), or ``max_attempts`` transient failures have happened
        (:class:`RetriesExhaustedError`, chained to the last AWS error)."""
        started = self.clock()
        for attempt in range(1, self.max_attempts + 1):
            try:
                return fn()
            except ClientError as err:
                if not self.checker.is_retryable(err):
                    raise
                if attempt == self.max_attempts:
                    raise RetriesExhaustedError(
                        operation=operation,
                        code=error_code(err),
                        attempts=attempt,
                        elapsed=self.clock() - started,
                    ) from err
                self.sleep(self.delay(attempt))
        raise AssertionError("unreachable: the loop returns or raises")


CONFIG_NAMESPACE = "policyAttachment"


def retry_from_config(get: Callable[[str], Any]) -> RetryPolicy:
    """A RetryPolicy from stack config (``policyAttachment:maxAttempts``,
    ``policyAttachment:baseDelay``, ``policyAttachment:maxDelay``); defaults for
    keys not set. Raises ValueError naming the key for a value that is not a
    positive number."""
    defaults = RetryPolicy()
    values: dict[str, Any] = {}
    for key, cast, default in (
        ("maxAttempts", int, defaults.max_attempts),
        ("baseDelay", float, defaults.base_delay),
        ("maxDelay", float, defaults.max_delay),
    ):
        raw = get(f"{CONFIG_NAMESPACE}:{key}")
        try:
            value = default if raw is None else cast(raw)
        except (TypeError, ValueError):
            value = -1
        if value <= 0 or (key == "maxAttempts" and value > 50):
            raise ValueError(
                f"config {CONFIG_NAMESPACE}:{key} must be a positive number"
                f"{' (at most 50)' if key == 'maxAttempts' else ''}, not {raw!r}"
            )
        values[key] = value
    return RetryPolicy(
        max_attempts=values["maxAttempts"], base_delay=values["baseDelay"], max_delay=values["maxDelay"]
    )
