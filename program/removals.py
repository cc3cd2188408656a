"""The removal limit: one update may remove at most ``org-policies:maxRemovals``
attachments from the stack (default 5), so a config mistake that drops many
guardrails at once fails the preview instead of detaching them.

The program alone cannot count removals: it sees the config, not the stack's
state. So it declares one :class:`RemovalLimit` resource, before any
attachment, whose inputs are the attachments this run declares (resource name
-> the entry as written) and the limit. Its provider's ``check`` gets the
previous run's inputs from the state as ``olds``: what was declared then and
is not now is what this update removes. Past the limit, ``check`` fails,
which stops a preview, and an update before its first step (the engine checks
each resource as it is registered, and this one is registered first; deletes
run last). Attachments with ``skip_destroy`` are left out: removing them
detaches nothing.

A destroy never calls ``check`` (see :mod:`program.unresolved`), so
``pulumi destroy --run-program`` is never limited; ``org-policies:allowEmpty``
with an empty map lifts the limit too (removing everything on purpose).
``diff`` reports no change, so previews do not show this resource; the
engine still records the new inputs for the next run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ResourceProvider, UpdateResult

from provider import pickler_restored

from .config import ALLOW_EMPTY_KEY, ATTACHMENTS_KEY, MAX_REMOVALS_KEY

RESOURCE_NAME = "removal-limit"
DECLARED = "declared"  # input: {resource name: the entry as written in the config}
LIMIT = "limit"  # input: the most removals allowed, or None for no limit
MAX_LISTED = 20


def removed(old: Mapping[str, str], new: Mapping[str, str]) -> list[str]:
    """The entries of ``old`` whose resource name ``new`` lacks, as written, sorted."""
    return sorted(label for name, label in old.items() if name not in new)


def refusal(gone: list[str], limit: int) -> str:
    """The message for an update that removes ``gone``, more than ``limit``."""
    listed = "; ".join(gone[:MAX_LISTED]) + ("; ..." if len(gone) > MAX_LISTED else "")
    return (f"This update removes {len(gone)} attachments from the stack, more than "
            f"{MAX_REMOVALS_KEY} allows ({limit}): {listed}. A misspelt, moved or deleted entry "
            f"of {ATTACHMENTS_KEY} removes every attachment it declared: check the stack config "
            f"first. If these removals are intended, set {MAX_REMOVALS_KEY}: {len(gone)} in the "
            f"stack config for this update; to remove every attachment, write {ATTACHMENTS_KEY}: "
            f"{{}} with {ALLOW_EMPTY_KEY}: true, or run `pulumi destroy --run-program`.")


class RemovalLimitProvider(ResourceProvider):
    """Refuses, at ``check``, a run that removes more declared attachments than its limit."""

    serialize_as_secret_always = False

    def __getstate__(self) -> dict[str, Any]:  # pickled by reference: nothing of it in state
        return {}

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """One failure when more than ``news[LIMIT]`` of ``olds[DECLARED]`` are gone."""
        limit = news.get(LIMIT)
        gone = removed(olds.get(DECLARED) or {}, news.get(DECLARED) or {})
        if limit is not None and len(gone) > int(limit):
            return CheckResult(news, [CheckFailure("", refusal(gone, int(limit)))])
        return CheckResult(news, [])

    def diff(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> DiffResult:
        """Never a change to show: the new inputs are recorded all the same."""
        return DiffResult(changes=False)

    def create(self, _props: dict[str, Any]) -> CreateResult:
        """Nothing in AWS: the resource only carries its inputs in the state."""
        return CreateResult(RESOURCE_NAME, {})

    def update(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> UpdateResult:
        """Nothing in AWS."""
        return UpdateResult({})

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Nothing in AWS."""


class RemovalLimit(pulumi.dynamic.Resource, module="org-policies", name="RemovalLimit"):
    """This run's declared attachments and removal limit (see the module docstring)."""

    def __init__(self, declared: Mapping[str, str], limit: Optional[int]) -> None:
        with pickler_restored():  # as PolicyAttachment does (pulumi/pulumi#17803)
            super().__init__(RemovalLimitProvider(), RESOURCE_NAME,
                             {DECLARED: dict(sorted(declared.items())), LIMIT: limit})
