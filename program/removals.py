"""The stack's record of what the last update declared, and the removal limit.

The program alone sees the config, not the stack's state. So it declares one
:class:`RemovalLimit` resource, before any attachment, whose inputs are what
this run declares (resource name -> a :class:`~program.changes.Declared`
record) and the limit. Its provider's ``check`` gets the previous run's inputs
from the state as ``olds``, which makes the resource two things:

* **the record** a change summary starts from: ``check`` adds ``previous``
  (what the last update declared) to the inputs, so the program reads it back
  from the resource's outputs. In a preview the engine hands a resource that
  changes its checked inputs as outputs; ``create`` and ``update`` store the
  record with ``previous`` equal to ``declared``, so an unchanged run (the
  engine then returns the stored outputs) reads "no change". This is why the
  resource shows as updated in a preview whenever the declared entries change.
* **the removal limit**: one update may remove at most
  ``org-policies:maxRemovals`` attachments from the stack (default 5), so a
  config mistake that drops many guardrails at once stops before anything
  changes. Past it, ``check`` keeps the *previous* record (the state does not
  advance, so retrying the same change is refused again) and sets ``refused``;
  the program reads that, reports the summary and refuses the run before it
  declares any attachment (a failed program run makes the engine delete
  nothing). Attachments with ``skip_destroy`` do not count: removing them
  detaches nothing.

A destroy never calls ``check``: the program reads the stored record (no
change), so ``pulumi destroy --run-program`` is never limited;
``org-policies:allowEmpty`` with an empty map lifts the limit too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Optional

import pulumi
from pulumi.dynamic import CheckResult, CreateResult, DiffResult, ResourceProvider, UpdateResult

from provider import pickler_restored

from . import changes
from .changes import Declared
from .config import ALLOW_EMPTY_KEY, ATTACHMENTS_KEY, MAX_REMOVALS_KEY
from .errors import ProgramError

RESOURCE_NAME = "removal-limit"
DECLARED = "declared"  # input: {resource name: Declared record}; the previous record when refused
LIMIT = "limit"  # input: the most removals allowed, or None for no limit
PREVIOUS = "previous"  # from check: what the last update declared ({} for a new stack)
#: from check: {"count", "limit"} when this run removes too many, else {}. Never None: the SDK
#: reads an output missing from the engine's answer (a None is left out) as unknown in a preview.
REFUSED = "refused"
MAX_LISTED = 20


def removed(previous: Mapping[str, Any], current: Mapping[str, Any]) -> list[Declared]:
    """The entries of ``previous`` that ``current`` lacks and whose removal detaches
    something (no ``skip_destroy``), sorted as written in the config."""
    records = {name: Declared.from_record(name, value) for name, value in previous.items()}
    return [e for e in changes.removed(records, current) if not e.skip_destroy]


class RemovalLimitError(ProgramError):
    """Raised before any attachment is declared when one update removes more
    attachments from the stack than ``org-policies:maxRemovals`` allows."""

    headline = ("Refusing this update: it removes {count} attachments from the stack, more than "
                f"{MAX_REMOVALS_KEY} allows ({{limit}}).")
    details = ("Removed: {listed}.",
               f"A misspelt, moved or deleted entry of {ATTACHMENTS_KEY} removes every attachment it declared: "
               "check the stack config first.")
    ways_out = (f"if these removals are intended, set {MAX_REMOVALS_KEY}: {{count}} in the stack config for this "
                "update",
                f"to remove every attachment, write {ATTACHMENTS_KEY}: {{{{}}}} with {ALLOW_EMPTY_KEY}: true, or run "
                "`pulumi destroy --run-program`")

    def __init__(self, *, gone: list[str], limit: int) -> None:
        listed = "; ".join(gone[:MAX_LISTED]) + ("; ..." if len(gone) > MAX_LISTED else "")
        super().__init__(count=len(gone), limit=limit, listed=listed)


class RemovalLimitProvider(ResourceProvider):
    """Keeps the record of what each update declared, and flags a run that removes
    more declared attachments than its limit (see the module docstring)."""

    serialize_as_secret_always = False

    def __getstate__(self) -> dict[str, Any]:  # pickled by reference: nothing of it in state
        return {}

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """The new record with ``previous``; past the limit, the previous record and ``refused``."""
        previous = dict(olds.get(DECLARED) or {})
        current = dict(news.get(DECLARED) or {})
        limit = news.get(LIMIT)
        gone = removed(previous, current)
        if limit is not None and len(gone) > int(limit):
            return CheckResult({DECLARED: previous, LIMIT: limit, PREVIOUS: previous,
                                REFUSED: {"count": len(gone), "limit": int(limit)}}, [])
        return CheckResult({DECLARED: current, LIMIT: limit, PREVIOUS: previous, REFUSED: {}}, [])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """A change when the declared entries change, or the run is refused: the
        program then reads the checked record (see the module docstring)."""
        return DiffResult(changes=olds.get(DECLARED) != news.get(DECLARED) or bool(news.get(REFUSED)))

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Nothing in AWS: the record, settled (``previous`` is what is declared now)."""
        return CreateResult(RESOURCE_NAME, _settled(props))

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Nothing in AWS: the record, settled."""
        return UpdateResult(_settled(news))

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Nothing in AWS."""


def _settled(props: dict[str, Any]) -> dict[str, Any]:
    declared = props.get(DECLARED) or {}
    return {DECLARED: declared, LIMIT: props.get(LIMIT), PREVIOUS: declared, REFUSED: props.get(REFUSED) or {}}


class RemovalLimit(pulumi.dynamic.Resource, module="org-policies", name="RemovalLimit"):
    """This run's record of its declared entries and its removal limit (see the module docstring)."""

    previous: pulumi.Output[dict[str, Any]]
    refused: pulumi.Output[dict[str, int]]

    def __init__(self, declared: Iterable[Declared], limit: Optional[int]) -> None:
        records = {entry.name: entry.to_record() for entry in sorted(declared, key=lambda e: e.name)}
        with pickler_restored():  # as PolicyAttachment does (pulumi/pulumi#17803)
            super().__init__(RemovalLimitProvider(), RESOURCE_NAME,
                             {DECLARED: records, LIMIT: limit, PREVIOUS: None, REFUSED: None})


def previous_record(value: Any) -> dict[str, Declared]:
    """The record ``check`` read back, as entries by resource name."""
    return {name: Declared.from_record(name, v) for name, v in dict(value or {}).items()}
