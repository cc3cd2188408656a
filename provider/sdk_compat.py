"""Workarounds for Pulumi Python SDK behaviour that breaks stacks at scale.

Each one is small, keeps what the SDK stores exactly as it was, and names the
upstream issue; drop it when the pinned SDK no longer needs it.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def pickler_restored() -> Iterator[None]:
    """Construct dynamic resources inside this block.

    The SDK's ``serialize_provider`` wraps ``pickle._Pickler._batch_setitems``
    once more on every call and never unwraps it, so each dynamic resource adds
    a stack frame to every later pickling and about the 985th raises
    RecursionError (https://github.com/pulumi/pulumi/issues/17803). Putting the
    method back afterwards keeps the serialized bytes identical and the stack flat.
    """
    saved = pickle._Pickler._batch_setitems  # type: ignore[attr-defined]
    try:
        yield
    finally:
        pickle._Pickler._batch_setitems = saved  # type: ignore[attr-defined]
