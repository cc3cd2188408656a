"""The AWS rules moto 5.2.5 lacks, as verdicts over moto's in-process Organizations model.

Each check takes the request's JSON parameters, moto's ``OrganizationsBackend`` and the limits in
force (``limits.LimitsConfig``: today's, or an override) and returns the ``AwsError`` AWS would
answer, or ``None`` to let moto handle the call. Checks only read the model; the middleware
runs a check and moto's handler under one lock, which also guards a change of the limits, so no
other request can change either in between.

Order of checks, per operation (AWS does not document one; this is the natural one):
malformed IDs (InvalidInput) -> unknown policy (PolicyNotFound) -> unknown target
(TargetNotFound) -> type enabled (AttachPolicy) -> already/not attached -> per-target limits.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from . import errors
from .errors import AwsError
from .limits import NON_DETACHABLE_POLICY_IDS, LimitsConfig

if TYPE_CHECKING:
    from moto.organizations.models import (
        FakeAccount,
        FakeOrganizationalUnit,
        FakePolicy,
        FakeRoot,
        OrganizationsBackend,
    )

    Target = FakeAccount | FakeOrganizationalUnit

# The service model's patterns, each matched in full: the model's own TargetId regex anchors
# only its first and last alternative, and moto matches prefixes with re.match.
POLICY_ID = re.compile(r"p-[0-9a-zA-Z_]{8,128}")
TARGET_ID = re.compile(r"r-[0-9a-z]{4,32}|[0-9]{12}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}")

Params = Mapping[str, Any]
Check = Callable[[Params, "OrganizationsBackend", LimitsConfig], AwsError | None]


def check_request(operation: str, params: Params, backend: OrganizationsBackend,
                  limits: LimitsConfig) -> AwsError | None:
    """The error AWS would return for ``operation`` that moto would not, or None.

    A backend without an organization is left to moto (AWSOrganizationsNotInUseException).
    """
    check = CHECKS.get(operation)
    if check is None or backend.org is None:
        return None
    return check(params, backend, limits)


def check_attach_policy(params: Params, backend: OrganizationsBackend,
                        limits: LimitsConfig) -> AwsError | None:
    found = _policy_and_target(params, backend)
    if isinstance(found, AwsError):
        return found
    policy, target = found
    if policy.type not in enabled_policy_types(backend):
        return errors.policy_type_not_enabled()
    if policy in target.attached_policies:
        return errors.duplicate_policy_attachment()
    maximum = limits.limits_for(policy.type).maximum
    if maximum is not None and len(attached_of_type(target, policy.type)) >= maximum:
        return errors.max_attachment_limit()
    return None


def check_detach_policy(params: Params, backend: OrganizationsBackend,
                        limits: LimitsConfig) -> AwsError | None:
    found = _policy_and_target(params, backend)
    if isinstance(found, AwsError):
        return found
    policy, target = found
    if policy not in target.attached_policies:
        return errors.policy_not_attached()
    if policy.id in NON_DETACHABLE_POLICY_IDS:
        return errors.non_detachable_policy()
    if len(attached_of_type(target, policy.type)) - 1 < limits.limits_for(policy.type).minimum:
        return errors.min_attachment_limit()
    return None


def check_list_policies_for_target(
    params: Params, backend: OrganizationsBackend, limits: LimitsConfig
) -> AwsError | None:
    # moto answers OrganizationalUnitNotFound / AccountNotFound here; AWS TargetNotFound.
    found = _target(params, backend)
    return found if isinstance(found, AwsError) else None


def check_create_policy(params: Params, backend: OrganizationsBackend,
                        limits: LimitsConfig) -> AwsError | None:
    return _content_too_long(params.get("Content"), params.get("Type"), limits)


def check_update_policy(params: Params, backend: OrganizationsBackend,
                        limits: LimitsConfig) -> AwsError | None:
    # An unknown or malformed policy ID is left to moto; only the content is checked here.
    policy = find_policy(backend, str(params.get("PolicyId", "")))
    return _content_too_long(params.get("Content"), policy.type if policy else None, limits)


def _content_too_long(content: Any, policy_type: Any, limits: LimitsConfig) -> AwsError | None:
    """AWS counts the document's characters, whitespace included, against its type's limit."""
    limit = limits.limits_for(str(policy_type)).document_characters
    if isinstance(content, str) and limit is not None and len(content) > limit:
        return errors.policy_content_limit()
    return None


CHECKS: Mapping[str, Check] = {
    "AttachPolicy": check_attach_policy,
    "DetachPolicy": check_detach_policy,
    "ListPoliciesForTarget": check_list_policies_for_target,
    "CreatePolicy": check_create_policy,
    "UpdatePolicy": check_update_policy,
}


def root_of(backend: OrganizationsBackend) -> FakeRoot:
    """The organization's single root (moto keeps it in the OU list)."""
    return next(ou for ou in backend.ou if ou.type == "ROOT")  # type: ignore[return-value]


def enabled_policy_types(backend: OrganizationsBackend) -> set[str]:
    return {t["Type"] for t in root_of(backend).policy_types if t["Status"] == "ENABLED"}


def attached_of_type(target: Target, policy_type: str) -> list[FakePolicy]:
    """Policies of ``policy_type`` directly attached to ``target`` (inherited ones don't count)."""
    return [p for p in target.attached_policies if p.type == policy_type]


def find_target(backend: OrganizationsBackend, target_id: str) -> Target | None:
    """The root, OU or account with ``target_id``, or None."""
    pool: list[Any] = backend.accounts if target_id.isdigit() else backend.ou
    return next((t for t in pool if t.id == target_id), None)


def find_policy(backend: OrganizationsBackend, policy_id: str) -> FakePolicy | None:
    return next((p for p in backend.policies if p.id == policy_id), None)


def _target(params: Params, backend: OrganizationsBackend) -> Target | AwsError:
    malformed = _malformed_target_id(params)
    if malformed is not None:
        return malformed
    return find_target(backend, params["TargetId"]) or errors.target_not_found()


def _policy_and_target(
    params: Params, backend: OrganizationsBackend
) -> tuple[FakePolicy, Target] | AwsError:
    # Both IDs are checked for form before either is looked up.
    malformed = _malformed_policy_id(params) or _malformed_target_id(params)
    if malformed is not None:
        return malformed
    policy = find_policy(backend, params["PolicyId"])
    if policy is None:
        return errors.policy_not_found()
    target = find_target(backend, params["TargetId"])
    if target is None:
        return errors.target_not_found()
    return policy, target


def _malformed_policy_id(params: Params) -> AwsError | None:
    policy_id = params.get("PolicyId")
    if not isinstance(policy_id, str) or not policy_id:
        return _input_required()
    if not POLICY_ID.fullmatch(policy_id):
        return errors.invalid_input(
            errors.INVALID_SYNTAX_POLICY_ID, "You specified an invalid policy ID."
        )
    return None


def _malformed_target_id(params: Params) -> AwsError | None:
    target_id = params.get("TargetId")
    if not isinstance(target_id, str) or not target_id:
        return _input_required()
    if not TARGET_ID.fullmatch(target_id):
        return errors.invalid_input(
            errors.INVALID_PATTERN_TARGET_ID,
            "You specified a policy target ID that doesn't match the required pattern.",
        )
    return None


def _input_required() -> AwsError:
    return errors.invalid_input(
        errors.INPUT_REQUIRED, "You must include a value for all required parameters."
    )
