"""Validation of a PolicyAttachment's inputs: pure, no AWS call.

Values the engine does not know yet (preview, or inputs that come from
resources not created yet) are never failures: they are checked again when
they are known.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeGuard

from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN  # re-exported: the engine's unknown marker

from . import ids

#: The property the SDK keeps a dynamic resource's pickled provider in.
PROVIDER_KEY = "__provider"
POLICY_ID = "policy_id"
TARGET_ID = "target_id"
SKIP_DESTROY = "skip_destroy"
#: Where the program declared the resource (e.g. its stack config entry), for
#: messages. Sent by the program, read and dropped by ``check``: never stored in
#: state, so rewording a label is no diff.
DECLARED_AT = "declared_at"
#: True when the resource was declared with ``delete_before_replace``: a replace
#: on the same target detaches the old policy before attaching the new one.
#: Like DECLARED_AT, read and dropped by ``check``.
DELETES_FIRST = "delete_before_replace"
#: The ID given with ``import_`` (see PolicyAttachment).
IMPORT_ID = "import_id"


def input_failures(news: Mapping[str, Any], is_unknown: Callable[[Any], bool]) -> list[tuple[str, str]]:
    """``(property, reason)`` for each input that is missing or malformed.

    ``is_unknown`` tells the engine's placeholder for a value not known yet.
    """
    failures: list[tuple[str, str]] = []
    policy_id = news.get(POLICY_ID)
    if policy_id is None or policy_id == "":
        failures.append((POLICY_ID, f"policy_id is required: {ids.POLICY_ID_HINT}."))
    elif not is_unknown(policy_id) and not ids.is_policy_id(policy_id):
        failures.append(
            (POLICY_ID, f"policy_id {policy_id!r} is not a policy ID: {ids.POLICY_ID_HINT}.")
        )

    target_id = news.get(TARGET_ID)
    if target_id is None or target_id == "":
        failures.append((TARGET_ID, f"target_id is required: {ids.TARGET_ID_HINT}."))
    elif not is_unknown(target_id) and ids.target_type(target_id) is None:
        failures.append(
            (TARGET_ID, f"target_id {target_id!r} is not a target ID: {ids.TARGET_ID_HINT}.")
        )

    skip_destroy = news.get(SKIP_DESTROY, False)
    if skip_destroy is not None and not is_unknown(skip_destroy) and not isinstance(skip_destroy, bool):
        failures.append(
            (SKIP_DESTROY, f"skip_destroy must be true or false, not {skip_destroy!r}.")
        )
    return failures


def known(value: Any, is_unknown: Callable[[Any], bool]) -> TypeGuard[Any]:
    """True when ``value`` is present and not the engine's unknown placeholder
    (a TypeGuard, so type checkers see it is not None after the check)."""
    return value is not None and not is_unknown(value)


def is_engine_unknown(value: Any) -> bool:
    """The engine's "not known yet": an ``Unknown`` when deserialized with
    keep_unknowns (check, hooks), the sentinel string otherwise."""
    return isinstance(value, Unknown) or value == UNKNOWN
