"""Validation of the resources' inputs: pure, no AWS call.

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
from .schema import POLICY_ID, POLICY_IDS, POLICY_TYPE, SKIP_DESTROY, TARGET_ID


def input_failures(news: Mapping[str, Any], is_unknown: Callable[[Any], bool]) -> list[tuple[str, str]]:
    """``(property, reason)`` for each PolicyAttachment input that is missing or malformed.

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


def exclusive_input_failures(news: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(property, reason)`` for each malformed ExclusivePolicies input; unknown values pass."""
    failures: list[tuple[str, str]] = []
    target_id = news.get(TARGET_ID)
    if not target_id:
        failures.append((TARGET_ID, f"target_id is required: {ids.TARGET_ID_HINT}."))
    elif not is_engine_unknown(target_id) and ids.target_type(target_id) is None:
        failures.append((TARGET_ID, f"target_id {target_id!r} is not a target ID: {ids.TARGET_ID_HINT}."))
    policy_type = news.get(POLICY_TYPE)
    if not is_engine_unknown(policy_type) and not (isinstance(policy_type, str) and policy_type.isupper()):
        failures.append((POLICY_TYPE, f"policy_type must be a policy type such as "
                                      f"SERVICE_CONTROL_POLICY, not {policy_type!r}."))
    declared = news.get(POLICY_IDS)
    if is_engine_unknown(declared):
        pass
    elif not isinstance(declared, list):
        failures.append((POLICY_IDS, f"policy_ids must be a list of policy IDs, not {declared!r}."))
    else:
        bad = [p for p in declared if not is_engine_unknown(p) and not ids.is_policy_id(p)]
        if bad:
            failures.append((POLICY_IDS, f"policy_ids has {bad[0]!r}, which is not a policy ID: "
                                         f"{ids.POLICY_ID_HINT}."))
        plain = [p for p in declared if not is_engine_unknown(p)]
        twice = sorted({p for p in plain if plain.count(p) > 1})
        if twice:
            failures.append((POLICY_IDS, f"policy_ids lists {twice[0]} more than once: keep one."))
    skip_destroy = news.get(SKIP_DESTROY, False)
    if not is_engine_unknown(skip_destroy) and not isinstance(skip_destroy, bool):
        failures.append((SKIP_DESTROY, f"skip_destroy must be true or false, not {skip_destroy!r}."))
    return failures


def all_known(*values: Any) -> bool:
    """True when every value, and every item of a list value, is known."""
    for value in values:
        if not known(value, is_engine_unknown):
            return False
        if isinstance(value, list) and not all(known(v, is_engine_unknown) for v in value):
            return False
    return True
