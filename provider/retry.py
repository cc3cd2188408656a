"""The one retry layer of every Organizations call this package makes.

Roles:

* botocore makes exactly one HTTP request per call: :mod:`provider.aws` builds
  its client with ``total_max_attempts=1``. Its own retry loop would sleep with
  delays no test can inject, and it stacked under this one (botocore's
  standard mode retries HTTP 500, so a ServiceException cost up to 9 x 7
  requests). botocore's *checkers* still decide what is throttling and what is
  a transient transport error: this module reuses them.
* :func:`classify` sorts a failure into one :class:`ErrorClass` (throttling,
  busy organization, service error, connection error) or None: not retried.
* :class:`RetryPolicy` runs a call, sleeping with capped exponential backoff
  and "equal jitter" (half fixed, half random) between attempts, until it
  succeeds, fails with a non-retryable error (raised unchanged), or its class's
  attempts are spent (RetriesExhaustedError / AwsConnectionError naming the
  call, the code, the attempts and the time spent). Time and randomness are
  injected so tests assert the exact schedule without sleeping.

Bounds per API call (defaults; ``policyAttachment:maxAttempts`` / ``baseDelay``
/ ``maxDelay`` change them): at most 7 HTTP requests in all; at most 3 of them
may fail to connect. Waits after attempts 1..6 are capped at 2, 4, 8, 16, 20,
20 s: 35 to 70 s of waiting for a call that fails 7 times.
"""

from __future__ import annotations

import enum
import random as _random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Optional, TypeVar

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError
from botocore.retries.standard import (
    RetryContext,
    ThrottledRetryableChecker,
    ThrottlingStatusCodeChecker,
    TransientRetryableChecker,
)

from .errors import AwsConnectionError, RetriesExhaustedError

T = TypeVar("T")


class ErrorClass(enum.Enum):
    """A family of failures that are worth another attempt, with what it means."""

    THROTTLING = "throttled: too many requests to AWS Organizations at once"
    BUSY = "the organization is busy with other changes (nothing was applied)"
    SERVICE = "AWS had an internal error (the change may have been applied)"
    CONNECTION = "AWS could not be reached or did not answer"


#: Organizations' "busy, nothing changed, try again" codes. botocore's checkers
#: know none of them. CloudFormation's and Terraform's handlers retry the same family.
BUSY_CODES = frozenset(
    {
        "ConcurrentModificationException",
        "PolicyChangesInProgressException",
        "FinalizingOrganizationException",
    }
)
#: Internal errors: the request reached AWS and may or may not have been applied.
SERVICE_CODES = frozenset({"ServiceException", "InternalFailure", "InternalError"})

_THROTTLED = (ThrottledRetryableChecker(), ThrottlingStatusCodeChecker())
_TRANSIENT = TransientRetryableChecker()


@dataclass(frozen=True)
class _Status:
    """The one attribute botocore's status-code checkers read from an HTTP response."""

    status_code: int


def error_code(err: ClientError) -> str:
    """The AWS error code of a botocore ClientError ('' when absent)."""
    return str(err.response.get("Error", {}).get("Code", ""))


def classify(err: BaseException) -> Optional[ErrorClass]:
    """The retryable class of ``err``, or None when another attempt would not help."""
    if isinstance(err, ClientError):
        if error_code(err) in BUSY_CODES:
            return ErrorClass.BUSY
        status = int(err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        context = RetryContext(1, parsed_response=err.response, http_response=_Status(status))
        if any(checker.is_retryable(context) for checker in _THROTTLED):
            return ErrorClass.THROTTLING
        if error_code(err) in SERVICE_CODES or _TRANSIENT.is_retryable(context):
            return ErrorClass.SERVICE
        return None
    if isinstance(err, (BotoConnectionError, HTTPClientError)):
        return ErrorClass.CONNECTION
    return None


def may_have_applied(err: BaseException) -> bool:
    """True when the failed request may have been applied by AWS all the same:
    an internal error, or a connection lost after the request was sent."""
    if classify(err) is ErrorClass.SERVICE:
        return True
    # Connect failures (refused, connect timeout, TLS, proxy) never sent the request;
    # HTTPClientError (closed connection, read timeout) is raised after sending it.
    return isinstance(err, HTTPClientError)


def failure_name(err: BaseException) -> str:
    """The AWS error code, or the botocore exception's class name for a transport error."""
    return error_code(err) if isinstance(err, ClientError) else type(err).__name__


@dataclass
class RetryPolicy:
    """Bounded, jittered retry of every :class:`ErrorClass`.

    ``max_attempts`` bounds the HTTP requests of one call, whatever mix of
    classes failed; ``connection_attempts`` bounds the ones that could not reach
    AWS (a wrong endpoint or a network outage should fail in seconds, not minutes).
    """

    max_attempts: int = 7
    base_delay: float = 2.0
    max_delay: float = 20.0
    connection_attempts: int = 3
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    random: Callable[[], float] = field(default=_random.random, repr=False)
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        capped = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return capped / 2 + self.random() * capped / 2

    def worst_case_wait(self, error_class: ErrorClass = ErrorClass.BUSY) -> float:
        """The longest total wait of one call that fails every attempt with ``error_class``."""
        return sum(min(self.max_delay, self.base_delay * 2 ** (n - 1))
                   for n in range(1, self.attempts_for(error_class)))

    def attempts_for(self, error_class: ErrorClass) -> int:
        """The most HTTP requests one call makes when every one fails with ``error_class``."""
        if error_class is ErrorClass.CONNECTION:
            return min(self.max_attempts, self.connection_attempts)
        return self.max_attempts

    def call(
        self,
        operation: str,
        fn: Callable[[], T],
        on_failure: Optional[Callable[[BaseException], None]] = None,
    ) -> T:
        """Run ``fn`` (one HTTP request) until it succeeds or gives up.

        A non-retryable error is raised unchanged. When the attempts are spent,
        raises RetriesExhaustedError (AWS kept answering an error) or
        AwsConnectionError (AWS could not be reached), chained to the last
        failure. ``on_failure`` sees every failed attempt's exception first.
        """
        started = self.clock()
        attempt = connection_failures = 0
        while True:
            attempt += 1
            try:
                return fn()
            except (ClientError, BotoConnectionError, HTTPClientError) as err:
                if on_failure is not None:
                    on_failure(err)
                error_class = classify(err)
                if error_class is None:
                    raise
                connection_failures += error_class is ErrorClass.CONNECTION
                if attempt >= self.max_attempts or connection_failures >= self.connection_attempts:
                    raise self._exhausted(operation, err, error_class, attempt, started) from err
                self.sleep(self.delay(attempt))

    def _exhausted(self, operation: str, err: BaseException, error_class: ErrorClass,
                   attempts: int, started: float) -> Exception:
        elapsed = self.clock() - started
        if error_class is ErrorClass.CONNECTION:
            return AwsConnectionError(operation=operation, attempts=attempts, elapsed=elapsed,
                                      detail=f"{failure_name(err)}: {err}")
        return RetriesExhaustedError(operation=operation, code=failure_name(err), attempts=attempts,
                                     elapsed=elapsed, meaning=error_class.value,
                                     advice=_ADVICE[error_class])


_ADVICE = {
    ErrorClass.THROTTLING: "Run the update again with fewer operations at once "
                           "(`pulumi up --parallel 4`), or later.",
    ErrorClass.BUSY: "Run the update again in a few minutes, when the other changes are done.",
    ErrorClass.SERVICE: "Run `pulumi refresh` (it records what was applied), then the update again.",
    ErrorClass.CONNECTION: "",
}


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
