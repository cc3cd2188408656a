"""Run this project's program through Pulumi's Automation API, as an inline
program, against any Organizations endpoint.

Why inline: the ``pulumi`` CLI alone can run it (the Python SDK then serves
the language runtime itself), which matters where Pulumi's Python language
host is not installed (it cannot be built from the Go module proxy). Only the
``pulumi-resource-pulumi-python`` launcher must sit next to the CLI, for the
dynamic provider. The end-to-end tests and ``python -m program.local`` use
this module; with a complete Pulumi installation, ``pulumi up`` in the project
folder runs the very same ``program.run``.

State goes to a local ``file://`` backend with a passphrase secrets provider:
no Pulumi Cloud account, no update check, no plugin download.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Optional

import yaml
from pulumi import automation as auto
from pulumi.automation import _server
from pulumi.automation import _stack as _stack_module

from .stack import PROJECT_DIR, run

PROJECT_NAME = "org-policies"
#: The oldest CLI with resource hooks (before_delete on dry run).
MIN_CLI_VERSION = (3, 182, 0)
#: The SDK's error for a registration pending when the engine shut the monitor down
#: (pulumi.runtime.settings.grpc_error_to_exception).
MONITOR_TERMINATED = "Resource monitor has terminated, shutting down"


class CliMissingError(RuntimeError):
    """Raised when no usable ``pulumi`` CLI is on PATH."""


class _ReportedOnceLanguageServer(_server.LanguageServer):
    """The SDK's inline-program language server, answering a failed run with
    ``bail`` instead of ``error``.

    The SDK's server logs a failed program's message as an error and *also*
    returns it as the run's error, which the engine prints a second time as
    "an unhandled error occurred: ..." (and counts as a second error). Every
    path of its ``Run`` that sets ``error`` has logged that message already,
    which is what ``RunResponse.bail`` means: reported, stop, print nothing
    more. The vendor's own Python language host does the same for a
    ``RunError`` (exit code 32).
    """

    def Run(self, request: Any, context: Any) -> Any:
        saved = _server.log
        # the SDK's server reads its private module-level `log`; the stand-in has the same methods
        _server.log = _QuietShutdownLog(saved)  # type: ignore[assignment]
        try:
            result = super().Run(request, context)
        finally:
            _server.log = saved
        if result.error:
            result.error, result.bail = "", True
        return result


class _QuietShutdownLog:
    """``pulumi.log`` for the inline server, minus the "monitor has terminated"
    error: the engine closes the monitor because it already reported a failure
    (a refused check, say), and the SDK turns the program's pending
    registrations into one more error for the stack. The SDK's own server means
    to stay silent then (it logs a raw UNAVAILABLE at debug level)."""

    def __init__(self, log: Any) -> None:
        self._log = log

    def error(self, msg: str, *args: Any, **kwargs: Any) -> None:
        if msg == MONITOR_TERMINATED:
            self._log.debug(msg)
        else:
            self._log.error(msg, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._log, name)


# Stack.up/preview/destroy build their server from this module-level name on each call.
_stack_module.LanguageServer = _ReportedOnceLanguageServer  # type: ignore[misc]  # replacing the SDK's private class


def cli_version() -> Optional[tuple[int, int, int]]:
    """The version of the ``pulumi`` on PATH, or None if there is none."""
    pulumi_bin = shutil.which("pulumi")
    if pulumi_bin is None:
        return None
    out = subprocess.run([pulumi_bin, "version"], capture_output=True, text=True, timeout=60).stdout
    parts = out.strip().lstrip("v").split("-")[0].split(".")
    try:
        return int(parts[0]), int(parts[1]), int(parts[2])
    except (IndexError, ValueError):
        return None


def require_cli() -> None:
    """Raise CliMissingError, saying how to get one, unless a recent CLI is on PATH."""
    version = cli_version()
    if version is None:
        raise CliMissingError(
            "No `pulumi` CLI on PATH. Install Pulumi 3.182 or newer, or build it here with "
            "scripts/install-pulumi and put the folder it prints on PATH."
        )
    if version < MIN_CLI_VERSION:
        raise CliMissingError(
            f"pulumi {'.'.join(map(str, version))} is too old: resource hooks need 3.182 or newer."
        )


def engine_env(state_dir: Path, passphrase: str = "local") -> dict[str, str]:
    """Environment for an offline engine with local state in ``state_dir``."""
    state_dir.mkdir(parents=True, exist_ok=True)
    pythonpath = os.pathsep.join(p for p in (str(PROJECT_DIR), os.environ.get("PYTHONPATH", "")) if p)
    return {
        "PULUMI_BACKEND_URL": state_dir.resolve().as_uri(),
        "PULUMI_CONFIG_PASSPHRASE": passphrase,
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        # The dynamic provider's launcher runs `python -m pulumi.dynamic`: give it this
        # interpreter (it has pulumi and boto3) and make `provider` importable from it.
        "PULUMI_PYTHON_CMD": sys.executable,
        "PYTHONPATH": pythonpath,
    }


def open_stack(
    stack_name: str,
    work_dir: Path,
    config: Mapping[str, Any],
    env: Optional[Mapping[str, str]] = None,
) -> auto.Stack:
    """Create or select ``stack_name`` of this project, with ``config`` (structured
    values allowed) as its stack config, state under ``work_dir/state``."""
    require_cli()
    work_dir.mkdir(parents=True, exist_ok=True)
    write_config(work_dir, stack_name, config)
    options = auto.LocalWorkspaceOptions(
        work_dir=str(work_dir),
        env_vars={**engine_env(work_dir / "state"), **(env or {})},
        project_settings=auto.ProjectSettings(name=PROJECT_NAME, runtime="python"),
    )
    return auto.create_or_select_stack(
        stack_name=stack_name, project_name=PROJECT_NAME, program=run, opts=options
    )


def write_config(work_dir: Path, stack_name: str, config: Mapping[str, Any]) -> None:
    """Write the stack's settings file (``Pulumi.<stack>.yaml``) with ``config``."""
    path = work_dir / f"Pulumi.{stack_name}.yaml"
    path.write_text(yaml.dump({"config": dict(config)}, Dumper=_ConfigDumper, sort_keys=True))


class _ConfigDumper(yaml.SafeDumper):
    """Quotes every string made of digits. PyYAML (YAML 1.1) leaves ``038655601561`` plain,
    since it is no valid octal; Pulumi's Go YAML (1.2) then reads that account ID as a number."""


def _quoted_if_numeric(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = "'" if _NUMERIC.fullmatch(data) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_NUMERIC = re.compile(r"[-+]?[0-9][0-9_.eE+-]*")
_ConfigDumper.add_representer(str, _quoted_if_numeric)


def stack_config_file(path: Path) -> dict[str, Any]:
    """The ``config:`` mapping of a stack settings file such as Pulumi.local.yaml."""
    return dict(yaml.safe_load(path.read_text()).get("config") or {})
