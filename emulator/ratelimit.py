"""An optional request-rate limit: AWS Organizations throttles each account's requests.

Roles:
- ``RateLimitConfig``: requests per second and burst, validated, JSON round-trip. ``rate=None``
  means no limit (the default).
- ``RateLimiter``: a token bucket shared by the server's threads. It holds ``burst`` tokens,
  refilled at ``rate`` per second; a request takes one or, finding none, is answered with
  TooManyRequestsException (AWS's shape, ``errors.FAULTS``) before it reaches moto, so a
  throttled call changes nothing. The clock is injected so tests need not wait.

AWS does not publish Organizations' rates; a limit here models "a few requests per second
per account", the order seen in practice.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class RateLimitConfigError(ValueError):
    """A rate-limit setting that cannot be applied; the message names the field and the range."""


def _positive(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise RateLimitConfigError(f"{name} must be a number above 0, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class RateLimitConfig:
    """At most ``rate`` requests per second on average, ``burst`` at once (default: ``rate``,
    at least 1). ``rate=None``: no limit."""

    rate: float | None = None
    burst: float | None = None

    @classmethod
    def build(cls, rate: float | None, burst: float | None = None) -> RateLimitConfig:
        """Validate; RateLimitConfigError says which value is wrong and why."""
        if rate is None:
            if burst is not None:
                raise RateLimitConfigError("burst needs a rate")
            return cls()
        rate = _positive("rate", rate)
        burst = max(1.0, rate) if burst is None else _positive("burst", burst)
        if burst < 1:
            raise RateLimitConfigError(f"burst must be at least 1 request, got {burst!r}")
        return cls(rate, burst)

    @classmethod
    def from_json(cls, data: Any) -> RateLimitConfig:
        """Parse the control API's ``{"rate": 10, "burst": 10}`` object."""
        if not isinstance(data, dict):
            raise RateLimitConfigError('expected a JSON object like {"rate": 10}')
        unknown = set(data) - {"rate", "burst"}
        if unknown:
            raise RateLimitConfigError(f"unknown fields {sorted(unknown)}; allowed: rate, burst")
        if "rate" not in data:
            raise RateLimitConfigError("rate is required (requests per second, or null for none)")
        return cls.build(data["rate"], data.get("burst"))

    def to_json(self) -> dict[str, Any]:
        return {"rate": self.rate, "burst": self.burst}


UNLIMITED = RateLimitConfig()


class RateLimiter:
    """The live limit and its bucket; ``admit()`` is called once per Organizations request."""

    def __init__(self, config: RateLimitConfig = UNLIMITED,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self.configure(config)

    def configure(self, config: RateLimitConfig) -> None:
        """Switch to ``config`` with a full bucket; the throttled count restarts."""
        with self._lock:
            self._config = config
            self._tokens = config.burst or 0.0
            self._last = self._clock()
            self._throttled = 0

    def clear(self) -> None:
        self.configure(UNLIMITED)

    def state(self) -> dict[str, Any]:
        """The setting as JSON plus ``throttled``: requests refused since it was configured."""
        with self._lock:
            return {**self._config.to_json(), "throttled": self._throttled}

    def admit(self) -> bool:
        """True if this request may go on; False if it is to be throttled."""
        with self._lock:
            config = self._config
            if config.rate is None or config.burst is None:
                return True
            now = self._clock()
            self._tokens = min(config.burst, self._tokens + (now - self._last) * config.rate)
            self._last = now
            if self._tokens >= 1:
                self._tokens -= 1
                return True
            self._throttled += 1
            return False
