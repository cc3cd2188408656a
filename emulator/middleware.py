"""The WSGI layer in front of moto's app: call accounting, rate limit, faults, AWS rules.

A request takes one of three paths:
- ``/_emulator/...``: the control API, handed to ``control.ControlRoutes`` (moto never sees it).
- An Organizations call (``X-Amz-Target: AWSOrganizationsV20161128.<Operation>``): counted,
  then maybe throttled by the rate limit, then maybe faulted (both before moto, so such a
  call changes nothing), then checked against the AWS rules moto lacks and, if none refuses
  it, passed to moto. The check and moto's handler run under the endpoint state's lock, so
  two concurrent attaches cannot both see 9 SCPs, nor a change of the limits come in between.
- Anything else (moto's other services, ``/moto-api``): passed to moto untouched.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from typing import Any

from moto.iam.models import get_account_id_from
from moto.organizations.models import OrganizationsBackend, organizations_backends
from moto.utilities.utils import get_partition

from . import aws_rules
from .control import CONTROL_PREFIX, ControlRoutes
from .errors import FAULTS, TOO_MANY_REQUESTS
from .service_model import TARGET_PREFIX
from .state import EndpointState
from .wsgi import StartResponse, WsgiApp, read_body


class EmulatorMiddleware:
    """Wraps moto's WSGI app; see the module docstring for what it adds."""

    def __init__(self, moto_app: WsgiApp, state: EndpointState) -> None:
        self.moto_app = moto_app
        self.state = state
        self.control = ControlRoutes(state)

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
        state = self.state
        # Read even when faulting: an unread body must not be left on a kept-alive connection.
        body = read_body(environ)
        if not state.rate_limit.admit():
            state.calls.record(operation, faulted=False, throttled=True)
            return FAULTS[TOO_MANY_REQUESTS](start_response)
        fault = state.faults.draw(operation)
        state.calls.record(operation, faulted=fault is not None)
        if fault is not None:
            return FAULTS[fault](start_response)
        with state.lock:
            error = aws_rules.check_request(operation, _json_params(body), backend_for(environ),
                                            state.limits)
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


def _json_params(body: bytes) -> dict[str, Any]:
    # A body that is not a JSON object is left for moto to refuse: no rule applies to it.
    try:
        params = json.loads(body or b"{}")
    except ValueError:
        return {}
    return params if isinstance(params, dict) else {}
