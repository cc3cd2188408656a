"""The WSGI layer in front of moto's app: control API, call accounting, rate limit, faults,
AWS rules.

A request takes one of three paths:
- ``/_emulator/...``: the control API, answered here (moto never sees it).
- An Organizations call (``X-Amz-Target: AWSOrganizationsV20161128.<Operation>``): counted,
  then maybe throttled by the rate limit, then maybe faulted (both before moto, so such a
  call changes nothing), then checked against the
  AWS rules moto lacks and, if none refuses it, passed to moto. The check and moto's handler
  run under the emulator's state lock, so two concurrent attaches cannot both see 4 SCPs.
- Anything else (moto's other services, ``/moto-api``): passed to moto untouched.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from moto.iam.models import get_account_id_from
from moto.organizations.models import organizations_backends
from moto.utilities.utils import get_partition

from . import aws_rules
from .errors import FAULTS, TOO_MANY_REQUESTS, StartResponse
from .faults import FaultConfig, FaultConfigError
from .ratelimit import RateLimitConfig, RateLimitConfigError
from .service_model import TARGET_PREFIX, aws_operation_names

if TYPE_CHECKING:
    from moto.organizations.models import OrganizationsBackend

    from .server import Emulator

WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
CONTROL_PREFIX = "/_emulator/"


class EmulatorMiddleware:
    """Wraps moto's WSGI app; see the module docstring for what it adds."""

    def __init__(self, moto_app: WsgiApp, emulator: Emulator) -> None:
        self.moto_app = moto_app
        self.emulator = emulator
        self.control = ControlRoutes(emulator)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "").startswith(CONTROL_PREFIX):
            return self.control(environ, start_response)
        operation = organizations_operation(environ)
        if operation is None:
            return self.moto_app(environ, start_response)
        return self._organizations_call(operation, environ, start_response)

    def _organizations_call(
        self, operation: str, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        emulator = self.emulator
        # Read even when faulting: an unread body must not be left on a kept-alive connection.
        body = _read_body(environ)
        if not emulator.rate_limit.admit():
            emulator.calls.record(operation, faulted=False, throttled=True)
            return FAULTS[TOO_MANY_REQUESTS](start_response)
        fault = emulator.faults.draw(operation)
        emulator.calls.record(operation, faulted=fault is not None)
        if fault is not None:
            return FAULTS[fault](start_response)
        with emulator.state_lock:
            error = aws_rules.check_request(operation, _json_params(body), backend_for(environ))
            if error is not None:
                return error(start_response)
            # Consume moto's response inside the lock: moto's model is not thread-safe.
            result = self.moto_app(environ, start_response)
            try:
                return [b"".join(result)]
            finally:
                getattr(result, "close", lambda: None)()


def organizations_operation(environ: dict[str, Any]) -> str | None:
    """``AttachPolicy`` for an Organizations JSON call, None for any other request."""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target.startswith(TARGET_PREFIX):
        return target[len(TARGET_PREFIX):]
    return None


def backend_for(environ: dict[str, Any]) -> OrganizationsBackend:
    """The moto backend moto itself will use for this request.

    Same resolution as moto's ``BaseResponse.get_current_account``: MOTO_ACCOUNT_ID, then the
    ``x-moto-account-id`` header, then the account owning the signing access key (default
    123456789012); the partition comes from the signing region.
    """
    scope = _credential_scope(environ.get("HTTP_AUTHORIZATION", ""))
    access_key, region = (scope[0], scope[2]) if scope else ("", "us-east-1")
    account = (
        os.environ.get("MOTO_ACCOUNT_ID")
        or environ.get("HTTP_X_MOTO_ACCOUNT_ID")
        or get_account_id_from(access_key)
    )
    return organizations_backends[account][get_partition(region)]


def _credential_scope(authorization: str) -> list[str]:
    # "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/organizations/aws4_request, ..."
    for part in authorization.replace(",", " ").split():
        if part.startswith("Credential="):
            scope = part[len("Credential="):].split("/")
            return scope if len(scope) == 5 else []
    return []


def _read_body(environ: dict[str, Any]) -> bytes:
    """Read the request body and put it back for moto."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def _json_params(body: bytes) -> dict[str, Any]:
    # A body that is not a JSON object is left for moto to refuse: no rule applies to it.
    try:
        params = json.loads(body or b"{}")
    except ValueError:
        return {}
    return params if isinstance(params, dict) else {}


class ControlRoutes:
    """The control API under ``/_emulator/``: calls, faults, rate-limit, reset, ids.
    JSON in, JSON out."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.routes: dict[tuple[str, str], Callable[[bytes], tuple[int, Any]]] = {
            ("GET", "calls"): lambda _: (200, emulator.calls.snapshot()),
            ("DELETE", "calls"): self._reset_calls,
            ("GET", "faults"): lambda _: (200, emulator.faults.state()),
            ("PUT", "faults"): self._set_faults,
            ("DELETE", "faults"): self._clear_faults,
            ("GET", "rate-limit"): lambda _: (200, emulator.rate_limit.state()),
            ("PUT", "rate-limit"): self._set_rate_limit,
            ("DELETE", "rate-limit"): self._clear_rate_limit,
            ("POST", "reset"): lambda _: (200, emulator.reset()),
            ("GET", "ids"): lambda _: (200, emulator.ids),
        }

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        name = environ["PATH_INFO"][len(CONTROL_PREFIX):].strip("/")
        method = environ.get("REQUEST_METHOD", "GET")
        handler = self.routes.get((method, name))
        if handler is not None:
            status, payload = handler(_read_body(environ))
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
        self.emulator.calls.reset()
        return 200, self.emulator.calls.snapshot()

    def _set_faults(self, body: bytes) -> tuple[int, Any]:
        try:
            config = FaultConfig.from_json(json.loads(body or b"null"), aws_operation_names())
        except ValueError as err:  # FaultConfigError and JSONDecodeError
            message = str(err) if isinstance(err, FaultConfigError) else f"invalid JSON: {err}"
            return 400, {"error": message}
        self.emulator.faults.configure(config)
        return 200, self.emulator.faults.state()

    def _set_rate_limit(self, body: bytes) -> tuple[int, Any]:
        try:
            config = RateLimitConfig.from_json(json.loads(body or b"null"))
        except ValueError as err:  # RateLimitConfigError and JSONDecodeError
            message = str(err) if isinstance(err, RateLimitConfigError) else f"invalid JSON: {err}"
            return 400, {"error": message}
        self.emulator.rate_limit.configure(config)
        return 200, self.emulator.rate_limit.state()

    def _clear_rate_limit(self, _: bytes) -> tuple[int, Any]:
        self.emulator.rate_limit.clear()
        return 200, self.emulator.rate_limit.state()

    def _clear_faults(self, _: bytes) -> tuple[int, Any]:
        self.emulator.faults.clear()
        return 200, self.emulator.faults.state()
