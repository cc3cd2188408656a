"""Config entries whose names no longer resolve: refused by preview and up,
ignored by destroy.

A name in the stack config can stop resolving after the fact (an OU deleted
by hand, an account closed, a policy deleted). The program cannot tell a
``pulumi destroy --run-program`` from a ``pulumi up``: the engine runs the
program the same way and tells the language runtime nothing. So instead of
raising (which would block the destroy too), the program declares one
:class:`UnresolvedName` per such entry, first, and its provider's ``check``
refuses it with the message. The engine calls ``check`` for every resource
of a preview or update; in a destroy it skips every custom resource the
program declares without checking it (a "skipped create" for one that is not
in the state: see pulumi/pulumi ``pkg/resource/deploy/step_generator.go``,
``destroyMode``), so nothing needs the name there. An ``UnresolvedName`` is
never created, so it never reaches a stack's state.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, ResourceProvider

from provider import pickler_restored

MESSAGE = "message"


class UnresolvedNameProvider(ResourceProvider):
    """Refuses every resource at ``check`` with the message it carries."""

    serialize_as_secret_always = False

    def __getstate__(self) -> dict[str, Any]:  # pickled by reference: nothing of it in state
        return {}

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Always one failure, on no property: the resource itself has the problem."""
        return CheckResult(news, [CheckFailure("", str(news.get(MESSAGE, "")))])

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Never reached: ``check`` refuses first."""
        raise RuntimeError(str(props.get(MESSAGE, "unresolved name")))


class UnresolvedName(pulumi.dynamic.Resource, module="org-policies", name="UnresolvedName"):
    """A config entry whose name matches nothing now; ``message`` says what to do."""

    def __init__(self, label: str, message: str) -> None:
        with pickler_restored():  # as PolicyAttachment does (pulumi/pulumi#17803)
            super().__init__(UnresolvedNameProvider(), f"unresolved: {label}", {MESSAGE: message})
