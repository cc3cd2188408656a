"""A stack settings file, ``Pulumi.<stack>.yaml``: read for its plain config, written back whole.

Keys are read as Pulumi reads them: ``namespace:key``, a key without a namespace
being the project's (``org-policies``). Secure values (``{secure: ...}``) are never
decrypted: adopt needs none, and reads them as not set. :meth:`StackFile.write`
replaces the file in one step (a new file renamed over it), keeping its mode.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError

from ..config import NAMESPACE
from . import yamlfile
from .errors import StackFileNotFoundError, StackFileUnreadableError

CONFIG = "config"


def path_of(project_dir: Path, stack: str) -> Path:
    """Where the settings of ``stack`` are: ``<project_dir>/Pulumi.<stack>.yaml``
    (for an organization's stack ``org/project/stack``, its last part)."""
    return project_dir / f"Pulumi.{stack.rsplit('/', 1)[-1]}.yaml"


@dataclass
class StackFile:
    """One stack settings file, loaded for a round trip."""

    path: Path
    stack: str
    text: str
    document: CommentedMap

    @classmethod
    def load(cls, project_dir: Path, stack: str) -> StackFile:
        """The file of ``stack`` in ``project_dir``; StackFileNotFoundError or
        StackFileUnreadableError when it cannot be used."""
        path = path_of(project_dir, stack)
        if not path.is_file():
            raise StackFileNotFoundError(path=path, stack=stack)
        text = path.read_text(encoding="utf-8")
        try:
            document = yamlfile.load(text)
        except YAMLError as err:
            raise StackFileUnreadableError(path=path, problem=" ".join(str(err).split())) from err
        if document is None:
            document = CommentedMap()
        if not isinstance(document, CommentedMap) or not isinstance(document.get(CONFIG) or {}, Mapping):
            raise StackFileUnreadableError(path=path, problem="it is not a mapping with a 'config:' mapping")
        return cls(path, stack, text, document)

    @property
    def config(self) -> CommentedMap:
        """The ``config:`` mapping (created, empty, when the file has none)."""
        if self.document.get(CONFIG) is None:
            self.document[CONFIG] = CommentedMap()
        node: CommentedMap = self.document[CONFIG]
        return node

    def key_written(self, key: str) -> Optional[str]:
        """How the file spells the namespaced ``key`` (``org-policies:attachments``, or
        ``attachments`` in the project's namespace), or None when it is not set."""
        short = key.removeprefix(f"{NAMESPACE}:")
        for written in (key, short) if short != key else (key,):
            if written in (self.document.get(CONFIG) or {}):
                return written
        return None

    def values(self) -> dict[str, Any]:
        """Every plain config value by namespaced key; secure values left out."""
        found: dict[str, Any] = {}
        for key, value in (self.document.get(CONFIG) or {}).items():
            if isinstance(value, Mapping) and set(value) == {"secure"}:
                continue
            name = str(key) if ":" in str(key) else f"{NAMESPACE}:{key}"
            found[name] = yamlfile.plain(value)
        return found

    def get(self, key: str) -> Any:
        """A namespaced plain value (``aws:region``), or None: the getter
        :func:`provider.stack_settings` takes."""
        return self.values().get(key)

    def render(self) -> str:
        """The document as it would be written."""
        return yamlfile.dump(self.document, like=self.text)

    def write(self, text: str) -> None:
        """Replace the file with ``text`` in one step."""
        mode = self.path.stat().st_mode & 0o7777
        handle, temporary = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            os.chmod(temporary, mode)
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        self.text = text
