"""The progress bar of a long scan: tqdm on stderr, or nothing.

Shown when asked (``--progress``) or, by default, when stderr is a terminal; never
on stdout, which carries the YAML. One bar per phase of the scan.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any, Optional, Protocol

from tqdm import tqdm


class Bar(Protocol):
    """What a phase advances."""

    def update(self, n: int = 1) -> Any: ...


class _Silent:
    def update(self, n: int = 1) -> None:
        return None


class Progress:
    """Makes one bar per phase, or silent ones when ``enabled`` is false."""

    def __init__(self, enabled: bool, stream: Optional[IO[str]] = None) -> None:
        self.enabled = enabled
        self.stream = stream

    @classmethod
    def for_stream(cls, asked: Optional[bool], stream: IO[str]) -> Progress:
        """``asked`` (``--progress`` / ``--no-progress``), else on when ``stream`` is a terminal."""
        return cls(stream.isatty() if asked is None else asked, stream)

    @contextmanager
    def phase(self, what: str, total: Optional[int] = None, unit: str = "call") -> Iterator[Bar]:
        """A bar for ``what`` (``total`` steps when known), closed at the end of the block."""
        if not self.enabled:
            yield _Silent()
            return
        bar = tqdm(total=total, desc=what, unit=unit, file=self.stream, leave=False, dynamic_ncols=True)
        try:
            yield bar
        finally:
            bar.close()
