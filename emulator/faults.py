"""Fault injection: make a share of Organizations calls fail with a transient AWS error.

Roles:
- ``FaultConfig``: what to inject (rate, codes, operations, seed), validated, JSON round-trip.
- ``FaultInjector``: the live setting plus its RNG; ``draw(operation)`` says which error, if any,
  the next call gets. The RNG is ``random.Random(seed)``, re-created on every ``configure``, so a
  seed and a sequence of calls always give the same faults.

The middleware draws before the call reaches moto, so a faulted call changes nothing.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import FAULTS

#: Accepted short names: "TooManyRequests" for "TooManyRequestsException", etc.
FAULT_CODES: tuple[str, ...] = tuple(FAULTS)
_ALIASES: Mapping[str, str] = {
    **{code: code for code in FAULT_CODES},
    **{code.removesuffix("Exception"): code for code in FAULT_CODES},
    "Service": "ServiceException",
}


class FaultConfigError(ValueError):
    """A fault setting that cannot be applied; the message names the field and what is allowed."""


def fault_code(name: str) -> str:
    """The full error code for ``name`` or its short form; FaultConfigError if unknown."""
    try:
        return _ALIASES[name.strip()]
    except KeyError:
        raise FaultConfigError(
            f"unknown fault code {name!r}; use one of {', '.join(FAULT_CODES)}"
            " (or the name without 'Exception')"
        ) from None


@dataclass(frozen=True)
class FaultConfig:
    """Inject ``codes`` (chosen at random) into a ``rate`` share of calls to ``operations``.

    ``operations=None`` means every Organizations operation. ``rate=0`` means off.
    ``limit``: inject at most this many faults, then let every call through ("fail twice,
    then succeed" for retry tests); None means no limit.
    """

    rate: float = 0.0
    codes: tuple[str, ...] = FAULT_CODES
    seed: int = 0
    operations: frozenset[str] | None = None
    limit: int | None = None

    @classmethod
    def build(
        cls,
        rate: float,
        codes: Iterable[str] | None = None,
        seed: int = 0,
        operations: Iterable[str] | None = None,
        known_operations: frozenset[str] | None = None,
        limit: int | None = None,
    ) -> FaultConfig:
        """Validate and normalise; FaultConfigError says which value is wrong and why."""
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
            raise FaultConfigError(f"rate must be a number from 0 to 1, got {rate!r}")
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise FaultConfigError(f"seed must be an integer, got {seed!r}")
        if isinstance(codes, str):
            raise FaultConfigError("codes must be a list of error codes, not a string")
        full_codes = FAULT_CODES if codes is None else tuple(fault_code(c) for c in codes)
        if not full_codes:
            raise FaultConfigError(f"codes must name at least one of {', '.join(FAULT_CODES)}")
        ops = None if operations is None else frozenset(_operations(operations))
        if ops is not None and known_operations is not None and ops - known_operations:
            unknown = ", ".join(sorted(ops - known_operations))
            raise FaultConfigError(
                f"unknown operations: {unknown}; use Organizations operation names "
                "such as AttachPolicy, DetachPolicy, ListPoliciesForTarget"
            )
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)
                                  or limit < 0):
            raise FaultConfigError(f"limit must be null or an integer >= 0, got {limit!r}")
        return cls(float(rate), full_codes, seed, ops, limit)

    @classmethod
    def from_json(
        cls, data: Any, known_operations: frozenset[str] | None = None
    ) -> FaultConfig:
        """Parse the control API's ``{"rate", "codes", "seed", "operations"}`` object."""
        if not isinstance(data, dict):
            raise FaultConfigError('expected a JSON object like {"rate": 0.3, "codes": [...]}')
        unknown = set(data) - {"rate", "codes", "seed", "operations", "limit"}
        if unknown:
            raise FaultConfigError(
                f"unknown fields {sorted(unknown)}; allowed: rate, codes, seed, operations, limit"
            )
        if "rate" not in data:
            raise FaultConfigError("rate is required (0 to 1)")
        return cls.build(
            data["rate"],
            data.get("codes"),
            data.get("seed", 0),
            data.get("operations"),
            known_operations,
            data.get("limit"),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "rate": self.rate,
            "codes": list(self.codes),
            "seed": self.seed,
            "operations": None if self.operations is None else sorted(self.operations),
            "limit": self.limit,
        }


def _operations(operations: Iterable[str]) -> list[str]:
    if isinstance(operations, str) or not all(isinstance(o, str) for o in operations):
        raise FaultConfigError("operations must be null or a list of operation names")
    return list(operations)


OFF = FaultConfig()


class FaultInjector:
    """The live fault setting, shared by the server's threads."""

    def __init__(
        self,
        config: FaultConfig = OFF,
        rng_factory: Callable[[int], random.Random] = random.Random,
    ) -> None:
        self._lock = threading.Lock()
        self._rng_factory = rng_factory
        self.configure(config)

    def state(self) -> dict[str, Any]:
        """The setting as JSON plus ``injected``: faults injected since it was configured."""
        with self._lock:
            return {**self._config.to_json(), "injected": self._injected}

    def configure(self, config: FaultConfig) -> None:
        """Switch to ``config``; restart its random sequence from its seed and its limit."""
        with self._lock:
            self._config = config
            self._rng = self._rng_factory(config.seed)
            self._injected = 0

    def clear(self) -> None:
        self.configure(OFF)

    def draw(self, operation: str) -> str | None:
        """The error code to inject into this call of ``operation``, or None to let it through."""
        with self._lock:
            config = self._config
            if config.rate <= 0:
                return None
            if config.operations is not None and operation not in config.operations:
                return None
            if config.limit is not None and self._injected >= config.limit:
                return None
            # Both draws happen on every eligible call, so the sequence depends only on the
            # seed and on the order of eligible calls.
            hit = self._rng.random() < config.rate
            code = self._rng.choice(config.codes)
            if not hit:
                return None
            self._injected += 1
            return code
