"""The Pulumi CLI as a user runs it: ``pulumi ...`` in a project folder, for the
tests and the benchmark.

A :class:`Project` is a folder with a ``Pulumi.yaml``: a copy of this
repository's files (:meth:`Project.copy`, what ``pulumi preview`` runs in the
project folder) or a small generated program (:meth:`Project.generated`, for
code that uses :mod:`provider` directly, and the benchmark's floor). Commands
run there with the CLI on PATH, which starts Pulumi's Python language host, which
runs ``__main__.py`` in the virtualenv ``Pulumi.yaml`` names: the project's
``.venv``. State goes to a ``file://`` backend of the project's own, with the
passphrase secrets provider (passphrase ``local``); nothing reaches the Pulumi
service or downloads a plugin.

Change counts come from ``--json`` (``pulumi preview --json``'s ``changeSummary``;
the final ``summaryEvent`` of ``up``/``refresh``/``destroy --json``); a refusal
is read from the text a user sees (:meth:`Project.refused`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import yaml

ROOT = Path(__file__).resolve().parent.parent
#: The oldest CLI with resource hooks (before_delete on dry run).
MIN_CLI_VERSION = (3, 182, 0)
LANGUAGE_HOST = "pulumi-language-python"
#: The passphrase of every stack here, the sample stack's (see Pulumi.local.yaml).
PASSPHRASE = "local"
#: A command that takes longer is stuck: the test fails instead of hanging the suite.
TIMEOUT_S = 600
#: The commands that change something ask for confirmation unless given --yes.
_CONFIRMED = {"up", "refresh", "destroy"}


class CliMissingError(RuntimeError):
    """Raised when no usable ``pulumi`` (3.182+, with its Python language host) is on PATH."""


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
    """Raise CliMissingError, saying how to get one, unless a recent ``pulumi`` and
    its Python language host are on PATH (the host beside the CLI, or anywhere on PATH)."""
    version = cli_version()
    if version is None:
        raise CliMissingError("no `pulumi` CLI on PATH. Install Pulumi 3.182 or newer, or run scripts/test "
                              "(scripts/pulumi-path builds one into .tools/bin)")
    if version < MIN_CLI_VERSION:
        raise CliMissingError(f"pulumi {'.'.join(map(str, version))} is too old: resource hooks need 3.182 "
                              "or newer")
    beside = Path(str(shutil.which("pulumi"))).resolve().parent / LANGUAGE_HOST
    if not beside.is_file() and shutil.which(LANGUAGE_HOST) is None:
        raise CliMissingError(f"no {LANGUAGE_HOST} (Pulumi's Python language host) beside the `pulumi` on PATH "
                              "or on PATH: scripts/install-pulumi builds one into .tools/bin")


def engine_env(state_dir: Path) -> dict[str, str]:
    """An offline engine with its state in ``state_dir`` (created)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    return {
        "PULUMI_BACKEND_URL": state_dir.resolve().as_uri(),
        "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
    }


@dataclass(frozen=True)
class Result:
    """What one ``pulumi`` command did: its exit code and what it printed."""

    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str

    @property
    def text(self) -> str:
        """stdout and stderr, every run of whitespace one space (messages wrap)."""
        return re.sub(r"\s+", " ", f"{self.stdout}\n{self.stderr}")

    def documents(self) -> list[Any]:
        """The JSON documents ``--json`` printed, in order (``up`` prints its preview
        first, then one document per engine event)."""
        decoder, text, at = json.JSONDecoder(), self.stdout, 0
        found: list[Any] = []
        while True:
            while at < len(text) and text[at].isspace():
                at += 1
            if at >= len(text):
                return found
            document, at = decoder.raw_decode(text, at)
            found.append(document)

    def changes(self) -> dict[str, int]:
        """Resource changes by kind (``{"create": 7}``), as the command's summary counts
        them: the final ``summaryEvent`` of an update, or a preview's ``changeSummary``."""
        documents = self.documents()
        summaries = [d["summaryEvent"] for d in documents if isinstance(d, dict) and "summaryEvent" in d]
        if summaries:
            return dict(summaries[-1].get("resourceChanges") or {})
        return dict(documents[0].get("changeSummary") or {})

    def errors(self) -> list[str]:
        """The errors ``pulumi preview --json`` reported (its ``diagnostics`` of
        severity error), each message without ``error: ``, whitespace flattened."""
        diagnostics = self.documents()[0].get("diagnostics") or []
        return [re.sub(r"\s+", " ", diag["message"]).strip().removeprefix("error: ")
                for diag in diagnostics if diag.get("severity") == "error"]

    def check(self) -> Result:
        """This result, if the command succeeded; else AssertionError with its output."""
        if self.code != 0:
            raise AssertionError(f"`pulumi {' '.join(self.args)}` exited {self.code}:\n{self.stdout}\n{self.stderr}")
        return self


class Project:
    """A Pulumi project folder, its state and environment; ``pulumi(...)`` runs the CLI there."""

    def __init__(self, folder: Path, state_dir: Path, env: Optional[Mapping[str, str]] = None) -> None:
        self.folder = folder
        self.state_dir = state_dir
        #: What the commands run with: this process's environment (the endpoint's AWS_*
        #: variables included), the offline engine's, then ``env``. PULUMI_HOME (the
        #: CLI's selected stacks and caches) is the project's own, so that runs leave
        #: nothing behind in the user's ~/.pulumi.
        self.env = {**os.environ, **engine_env(state_dir), "PULUMI_HOME": str(state_dir / "pulumi-home"),
                    **(env or {})}

    @classmethod
    def copy(cls, work: Path, env: Optional[Mapping[str, str]] = None) -> Project:
        """This repository's files as git has them (tracked, and new ones not ignored) in
        ``work/project``, with ``.venv`` linked to the repository's virtualenv, as
        ``Pulumi.yaml`` names it; state in ``work/state``."""
        folder = work / "project"
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                                cwd=ROOT, capture_output=True, check=True, timeout=60).stdout
        for name in sorted(set(filter(None, listed.decode().split("\0")))):
            source = ROOT / name
            if source.is_file() and not source.is_symlink():  # a file deleted but not yet staged is gone
                (folder / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, folder / name)
        (folder / ".venv").symlink_to((ROOT / ".venv").resolve(), target_is_directory=True)
        return cls(folder, work / "state", env)

    @classmethod
    def generated(cls, work: Path, name: str, main: str, env: Optional[Mapping[str, str]] = None) -> Project:
        """A project ``name`` in ``work/name`` whose ``__main__.py`` is ``main``, run in this
        repository's virtualenv with this repository importable (``provider``, ``program``,
        ``bench``); state in ``work/name-state``."""
        folder = work / name
        folder.mkdir(parents=True)
        settings = {"name": name, "runtime": {"name": "python", "options": {
            "toolchain": "pip", "virtualenv": str((ROOT / ".venv").resolve())}}}
        (folder / "Pulumi.yaml").write_text(yaml.safe_dump(settings, sort_keys=False))
        (folder / "__main__.py").write_text(main)
        pythonpath = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
        return cls(folder, work / f"{name}-state", {"PYTHONPATH": pythonpath, **(env or {})})

    # -- commands ------------------------------------------------------------------

    def pulumi(self, *args: str, timeout: float = TIMEOUT_S, env: Optional[Mapping[str, str]] = None) -> Result:
        """``pulumi <args>`` in the project folder (``--yes`` added to commands that
        ask for confirmation, as in CI), with ``env`` added to the project's; the
        result, whatever the exit code."""
        argv = (*args, "--yes") if args and args[0] in _CONFIRMED and "--yes" not in args else args
        done = subprocess.run(["pulumi", *argv], cwd=self.folder, env={**self.env, **(env or {})}, capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        return Result(tuple(argv), done.returncode, done.stdout, done.stderr)

    def select(self, stack: str, config: Optional[Mapping[str, Any]] = None) -> None:
        """``pulumi stack select --create <stack>``, after writing ``config`` (if given)
        as the stack's settings file."""
        if config is not None:
            self.write_config(stack, config)
        self.pulumi("stack", "select", "--create", stack).check()

    def preview(self, *args: str) -> dict[str, int]:
        """``pulumi preview``, which must succeed: its change summary."""
        return self.pulumi("preview", "--json", *args).check().changes()

    def up(self, *args: str) -> dict[str, int]:
        """``pulumi up``, which must succeed: the update's resource changes."""
        return self.pulumi("up", "--json", *args).check().changes()

    def refresh(self, *args: str) -> dict[str, int]:
        """``pulumi refresh``, which must succeed: its resource changes."""
        return self.pulumi("refresh", "--json", *args).check().changes()

    def destroy(self, *args: str) -> dict[str, int]:
        """``pulumi destroy <args>`` (say ``--run-program``), which must succeed: its changes."""
        return self.pulumi("destroy", "--json", *args).check().changes()

    def refused(self, *args: str) -> str:
        """``pulumi <args>``, which must fail (non-zero exit): the text it printed,
        whitespace flattened."""
        result = self.pulumi(*args)
        assert result.code != 0, f"`pulumi {' '.join(result.args)}` succeeded:\n{result.stdout}"
        return result.text

    def outputs(self) -> dict[str, Any]:
        """``pulumi stack output --json``: the stack's outputs."""
        return dict(json.loads(self.pulumi("stack", "output", "--json").check().stdout))

    def export(self) -> dict[str, Any]:
        """``pulumi stack export``: the stack's deployment (``resources``, ``pending_operations``)."""
        return dict(json.loads(self.pulumi("stack", "export").check().stdout)["deployment"])

    # -- stack settings ------------------------------------------------------------

    def write_config(self, stack: str, config: Mapping[str, Any]) -> None:
        """Make ``config`` (structured values allowed) the whole ``config:`` of
        ``Pulumi.<stack>.yaml``, as a user edits it; the secrets provider's salt stays."""
        path = self.folder / f"Pulumi.{stack}.yaml"
        kept = {k: v for k, v in (_read_yaml(path) or {}).items() if k != "config"}
        path.write_text(yaml.dump({**kept, "config": dict(config)}, Dumper=_ConfigDumper, sort_keys=True))

    def config_file(self, stack: str) -> dict[str, Any]:
        """The ``config:`` mapping of ``Pulumi.<stack>.yaml``."""
        return dict((_read_yaml(self.folder / f"Pulumi.{stack}.yaml") or {}).get("config") or {})


def _read_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text()) if path.is_file() else None


class _ConfigDumper(yaml.SafeDumper):
    """Quotes every string made of digits. PyYAML (YAML 1.1) leaves ``038655601561`` plain,
    since it is no valid octal; Pulumi's Go YAML (1.2) then reads that account ID as a number."""


def _quoted_if_numeric(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = "'" if _NUMERIC.fullmatch(data) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_NUMERIC = re.compile(r"[-+]?[0-9][0-9_.eE+-]*")
_ConfigDumper.add_representer(str, _quoted_if_numeric)
