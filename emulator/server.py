"""The local endpoint's HTTP server: moto's server app behind the emulator middleware, on
127.0.0.1.

Roles:
- ``Endpoint``: the running werkzeug server thread, its URL, IDs and control client.
- ``start_endpoint``: load the seed, build the state (``state.EndpointState``) and the
  middleware in front of moto's app, serve.

moto keeps its model in module globals, so all endpoints in one process would share one
organization; ``start_endpoint`` therefore refuses to start a second one while one runs.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

from .control import EndpointControl
from .faults import OFF, FaultConfig
from .limits import LimitsConfig
from .middleware import EmulatorMiddleware
from .moto_compat import match_aws
from .ratelimit import UNLIMITED, RateLimitConfig
from .seed import BARE_SEED, SAMPLE_SEED, load_seed
from .state import REGION, EndpointState

HOST = "127.0.0.1"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


class _QuietHandler(MotoRequestHandler):
    """moto's request handler without the per-request log line on stderr."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


_active_lock = threading.Lock()
_active: Endpoint | None = None


class Endpoint:
    """A local AWS Organizations endpoint running in this process; stop it with ``stop()``.

    Attributes: ``url`` (``http://127.0.0.1:PORT``), ``port``, ``ids`` (the seeded IDs, updated
    by every reset), ``limits`` (in force now), ``control`` (an ``EndpointControl`` for this
    endpoint).
    """

    def __init__(self, server: BaseWSGIServer, state: EndpointState) -> None:
        self._server = server
        self._state = state
        self.port: int = server.socket.getsockname()[1]
        self.url = f"http://{HOST}:{self.port}"
        self.control = EndpointControl(self.url)
        self._thread = threading.Thread(
            target=server.serve_forever, name=f"organizations-endpoint-{self.port}", daemon=True
        )
        self._thread.start()

    @property
    def ids(self) -> dict[str, Any]:
        return self._state.ids

    @property
    def limits(self) -> LimitsConfig:
        """The limits the endpoint enforces now (see ``control.limits()`` for them as JSON)."""
        return self._state.limits

    def env(self) -> dict[str, str]:
        """Environment variables that point AWS SDKs and Pulumi at this endpoint.

        ``AWS_DEFAULT_REGION`` is there because boto3 reads only that one; Go SDKs (Pulumi's
        AWS provider) read ``AWS_REGION``.
        """
        return {
            "AWS_ENDPOINT_URL_ORGANIZATIONS": self.url,
            **CREDENTIALS,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
        }

    def stop(self) -> None:
        """Stop serving and free the port. Safe to call twice."""
        global _active
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
            self._server.server_close()
        with _active_lock:
            if _active is self:
                _active = None

    def __enter__(self) -> Endpoint:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_endpoint(
    seed: Path | None = SAMPLE_SEED,
    port: int = 0,
    *,
    faults: FaultConfig = OFF,
    rate_limit: RateLimitConfig = UNLIMITED,
    limits: LimitsConfig | None = None,
    ids_out: Path | None = None,
    log_requests: bool = False,
) -> Endpoint:
    """Seed moto's model and serve it on 127.0.0.1:``port`` (0: a free port).

    ``seed=None`` gives the bare organization. ``faults`` and ``rate_limit`` apply from the start
    (until a reset or the control API changes them). ``limits``, if given, replaces the seed
    file's ``limits:``: the seed is checked against it and every reset restores it.
    ``ids_out`` receives the IDs as JSON now and after every reset. Raises SeedError for a bad
    seed file, OSError if the port cannot be bound, and RuntimeError if this process already
    runs an endpoint (moto's state is per process).
    """
    global _active
    if seed is None:
        spec = BARE_SEED if limits is None else replace(BARE_SEED, limits=limits)
    else:
        spec = load_seed(seed, limits)
    with _active_lock:
        if _active is not None:
            raise RuntimeError(
                f"an in-process endpoint already runs at {_active.url}; moto keeps one state "
                "per process, so use that one (or stop it first)"
            )
        match_aws()
        state = EndpointState(spec, on_reset=_writer(ids_out) if ids_out else None)
        state.reset()
        state.faults.configure(faults)
        state.rate_limit.configure(rate_limit)
        app = EmulatorMiddleware(DomainDispatcherApplication(create_backend_app), state)
        # Bound here, not by werkzeug: on a busy port werkzeug prints and calls sys.exit(1).
        with _listening_socket(port) as sock:
            server = make_server(
                HOST,
                port,
                app,
                threaded=True,
                request_handler=MotoRequestHandler if log_requests else _QuietHandler,
                fd=sock.fileno(),  # werkzeug serves a duplicate of it
            )
        _active = Endpoint(server, state)
        return _active


def _listening_socket(port: int) -> socket.socket:
    """A socket listening on HOST:port; OSError (EADDRINUSE, EACCES) if it cannot be had."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((HOST, port))
        sock.listen(128)
    except BaseException:
        sock.close()
        raise
    return sock


def _writer(path: Path) -> Callable[[dict[str, Any]], None]:
    def write(ids: dict[str, Any]) -> None:
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(ids, indent=2) + "\n", encoding="utf-8")
        tmp.replace(path)  # readers never see a half-written file

    return write
