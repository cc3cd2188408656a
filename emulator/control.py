"""``EndpointControl``: a small HTTP client of the endpoint's control API (``/_emulator/``).

Uses only urllib, so tests and scripts outside this process (or a Pulumi program's test
harness) can drive a running endpoint without extra dependencies.
"""

from __future__ import annotations

import contextlib
import json
import urllib.error
import urllib.request
from collections.abc import Iterable
from typing import Any


class ControlError(RuntimeError):
    """The control API refused a request or could not be reached; the message says which."""


class EndpointControl:
    """Drive the endpoint at ``url`` (``http://127.0.0.1:PORT``): counts, faults, rate limit,
    reset."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"EndpointControl({self.url!r})"

    def calls(self) -> dict[str, int]:
        """Calls per Organizations operation since the last reset, faulted ones included."""
        return self._request("GET", "calls")["calls"]

    def faulted(self) -> dict[str, int]:
        """Calls per operation that got an injected fault instead of reaching moto."""
        return self._request("GET", "calls")["faulted"]

    def reset_calls(self) -> None:
        self._request("DELETE", "calls")

    def faults(self) -> dict[str, Any]:
        """The live setting: ``{"rate", "codes", "seed", "operations", "limit", "injected"}``."""
        return self._request("GET", "faults")

    def set_faults(
        self,
        rate: float,
        codes: Iterable[str],
        seed: int = 0,
        operations: Iterable[str] | None = None,
        limit: int | None = None,
    ) -> dict[str, Any]:
        """Inject ``codes`` into a ``rate`` share of calls to ``operations`` (None: all).

        ``limit``: at most that many faults, then calls pass. Restarts the seeded sequence.
        """
        payload = {
            "rate": rate,
            "codes": list(codes),
            "seed": seed,
            "operations": None if operations is None else list(operations),
            "limit": limit,
        }
        return self._request("PUT", "faults", payload)

    def clear_faults(self) -> None:
        self._request("DELETE", "faults")

    def throttled(self) -> dict[str, int]:
        """Calls per operation the rate limit answered with TooManyRequestsException."""
        return self._request("GET", "calls")["throttled"]

    def rate_limit(self) -> dict[str, Any]:
        """The live limit: ``{"rate", "burst", "throttled"}`` (rate None: no limit)."""
        return self._request("GET", "rate-limit")

    def set_rate_limit(self, rate: float, burst: float | None = None) -> dict[str, Any]:
        """Throttle Organizations calls beyond ``rate`` per second (``burst`` at once)."""
        return self._request("PUT", "rate-limit", {"rate": rate, "burst": burst})

    def clear_rate_limit(self) -> None:
        self._request("DELETE", "rate-limit")

    def reset(self) -> dict[str, Any]:
        """Fresh seed organization, counts and faults cleared; returns the new IDs."""
        return self._request("POST", "reset")

    def ids(self) -> dict[str, Any]:
        return self._request("GET", "ids")

    def _request(self, method: str, route: str, payload: Any = None) -> Any:
        url = f"{self.url}/_emulator/{route}"
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(url, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as err:
            detail = err.read().decode(errors="replace")
            with contextlib.suppress(ValueError, KeyError, TypeError):
                detail = json.loads(detail)["error"]  # the control API's own message
            raise ControlError(f"{method} {url} failed with {err.code}: {detail}") from err
        except urllib.error.URLError as err:
            raise ControlError(
                f"{method} {url}: cannot reach the endpoint ({err.reason}); is it running?"
            ) from err
