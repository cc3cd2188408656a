"""The endpoint's control API (``/_emulator/``), both sides: JSON over HTTP on the endpoint's port.

Roles:
- ``CONTROL_PREFIX``: the path under which both sides meet.
- ``EndpointControl``: the client, one method per route. It uses only urllib: tests and
  scripts in another process (or a Pulumi program's test harness) drive a running endpoint
  with no extra dependency, as curl could.
- ``ControlError``: what the client raises when a request is refused or cannot be sent.
- ``ControlRoutes``: the server side, a WSGI app that reads and changes the ``EndpointState``
  (call counts, faults, rate limit, limits, reset, IDs). The middleware hands it every request under
  the prefix.

The routes and their JSON are listed in the package README ("Control API").
"""

from __future__ import annotations

import contextlib
import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from http import HTTPStatus
from typing import Any

from .faults import FaultConfig, FaultConfigError
from .limits import LimitsConfig, LimitsConfigError
from .ratelimit import RateLimitConfig, RateLimitConfigError
from .service_model import aws_operation_names
from .state import EndpointState
from .wsgi import StartResponse, read_body

CONTROL_PREFIX = "/_emulator/"

#: A route's handler: request body in, HTTP status and JSON-serialisable payload out.
Handler = Callable[[bytes], tuple[int, Any]]


class ControlError(RuntimeError):
    """The control API refused a request or could not be reached; the message says which."""


class EndpointControl:
    """Drive the endpoint at ``url`` (``http://127.0.0.1:PORT``): counts, faults, rate limit,
    limits, reset."""

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

    def limits(self) -> dict[str, Any]:
        """The limits in force: ``{"limits": {type: {"minimum", "maximum",
        "documentCharacters"}}, "overridden": [types]}`` for every type (null: not enforced)."""
        return self._request("GET", "limits")

    def set_limits(self, override: Mapping[str, Mapping[str, int]]) -> dict[str, Any]:
        """Enforce today's limits with ``override``'s numbers instead, e.g.
        ``{"SERVICE_CONTROL_POLICY": {"maximum": 5}}`` (``limits.BEFORE_2026_05_15``); it
        replaces any earlier override. Returns what ``limits()`` returns."""
        return self._request("PUT", "limits", {t: dict(n) for t, n in override.items()})

    def clear_limits(self) -> None:
        """Back to the seed's limits (today's, unless the seed file sets ``limits:``)."""
        self._request("DELETE", "limits")

    def reset(self) -> dict[str, Any]:
        """Fresh seed organization, counts and faults cleared, the seed's limits in force;
        returns the new IDs."""
        return self._request("POST", "reset")

    def ids(self) -> dict[str, Any]:
        return self._request("GET", "ids")

    def _request(self, method: str, route: str, payload: Any = None) -> Any:
        url = f"{self.url}{CONTROL_PREFIX}{route}"
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


class ControlRoutes:
    """The control API's server side, for requests under ``CONTROL_PREFIX``: calls, faults,
    rate-limit, limits, reset, ids. JSON in, JSON out; an unknown route answers 404 and a known route
    with another method 405, each naming what exists."""

    def __init__(self, state: EndpointState) -> None:
        self.state = state
        self.routes: dict[tuple[str, str], Handler] = {
            ("GET", "calls"): lambda _: (200, state.calls.snapshot()),
            ("DELETE", "calls"): self._reset_calls,
            ("GET", "faults"): lambda _: (200, state.faults.state()),
            ("PUT", "faults"): self._set_faults,
            ("DELETE", "faults"): self._clear_faults,
            ("GET", "rate-limit"): lambda _: (200, state.rate_limit.state()),
            ("PUT", "rate-limit"): self._set_rate_limit,
            ("DELETE", "rate-limit"): self._clear_rate_limit,
            ("GET", "limits"): lambda _: (200, state.limits_state()),
            ("PUT", "limits"): self._set_limits,
            ("DELETE", "limits"): self._clear_limits,
            ("POST", "reset"): lambda _: (200, state.reset()),
            ("GET", "ids"): lambda _: (200, state.ids),
        }

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        name = environ["PATH_INFO"][len(CONTROL_PREFIX):].strip("/")
        method = environ.get("REQUEST_METHOD", "GET")
        handler = self.routes.get((method, name))
        if handler is not None:
            status, payload = handler(read_body(environ))
        elif any(route_name == name for _, route_name in self.routes):
            allowed = sorted(m for m, n in self.routes if n == name)
            status, payload = 405, {"error": f"{method} not allowed on {CONTROL_PREFIX}{name}; "
                                    f"use {', '.join(allowed)}"}
        else:
            names = sorted({n for _, n in self.routes})
            status, payload = 404, {"error": f"no control route {CONTROL_PREFIX}{name}; "
                                    f"routes: {', '.join(names)}"}
        body = json.dumps(payload).encode()
        start_response(
            f"{status} {HTTPStatus(status).phrase}",
            [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
        )
        return [body]

    def _reset_calls(self, _: bytes) -> tuple[int, Any]:
        self.state.calls.reset()
        return 200, self.state.calls.snapshot()

    def _set_faults(self, body: bytes) -> tuple[int, Any]:
        faults = self.state.faults
        return _configured(body, lambda data: faults.configure(FaultConfig.from_json(data, aws_operation_names())),
                           FaultConfigError, faults.state)

    def _set_rate_limit(self, body: bytes) -> tuple[int, Any]:
        rate_limit = self.state.rate_limit
        return _configured(body, lambda data: rate_limit.configure(RateLimitConfig.from_json(data)),
                           RateLimitConfigError, rate_limit.state)

    def _clear_rate_limit(self, _: bytes) -> tuple[int, Any]:
        self.state.rate_limit.clear()
        return 200, self.state.rate_limit.state()

    def _set_limits(self, body: bytes) -> tuple[int, Any]:
        state = self.state
        return _configured(body, lambda data: state.set_limits(LimitsConfig.from_json(data)),
                           LimitsConfigError, state.limits_state)

    def _clear_limits(self, _: bytes) -> tuple[int, Any]:
        self.state.set_limits(None)
        return 200, self.state.limits_state()

    def _clear_faults(self, _: bytes) -> tuple[int, Any]:
        self.state.faults.clear()
        return 200, self.state.faults.state()


def _configured(body: bytes, configure: Callable[[Any], None], config_error: type[ValueError],
                state: Callable[[], Any]) -> tuple[int, Any]:
    """Parse ``body`` as JSON and hand it to ``configure``: 200 and the new
    ``state()``, or 400 naming what was wrong (``config_error``'s message, or the JSON)."""
    try:
        configure(json.loads(body or b"null"))
    except ValueError as err:  # config_error and JSONDecodeError
        message = str(err) if isinstance(err, config_error) else f"invalid JSON: {err}"
        return 400, {"error": message}
    return 200, state()

