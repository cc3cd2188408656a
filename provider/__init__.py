"""Manage AWS Organizations policy attachments as code with Pulumi.

Importing this package inside a Pulumi program run registers the plan-time
guard hooks (see :mod:`provider.guard`); importing it anywhere else (the
provider process, tests, tools) registers nothing.
"""

from .errors import (
    AccessDeniedError,
    AlreadyAttachedError,
    AwsCallError,
    ExclusiveConflictError,
    ExclusiveOrderError,
    ExclusiveRestoreError,
    InvalidAttachmentIdError,
    LastPolicyError,
    LockoutError,
    OrganizationsNotInUseError,
    PolicyAttachmentError,
    PolicyLimitExceededError,
    PolicyNotFoundError,
    PolicyTypeMismatchError,
    PolicyTypeNotEnabledError,
    RetriesExhaustedError,
    TargetNotFoundError,
    UndetachablePolicyError,
)
from .exclusive import ExclusivePolicies, ExclusivePoliciesProvider
from .guard import guard_before_delete, in_program_run, register_guard
from .resource import PolicyAttachment, PolicyAttachmentProvider

__all__ = [
    "AccessDeniedError",
    "AlreadyAttachedError",
    "AwsCallError",
    "ExclusiveConflictError",
    "ExclusiveOrderError",
    "ExclusivePolicies",
    "ExclusivePoliciesProvider",
    "ExclusiveRestoreError",
    "InvalidAttachmentIdError",
    "LastPolicyError",
    "LockoutError",
    "OrganizationsNotInUseError",
    "PolicyAttachment",
    "PolicyAttachmentError",
    "PolicyAttachmentProvider",
    "PolicyLimitExceededError",
    "PolicyNotFoundError",
    "PolicyTypeMismatchError",
    "PolicyTypeNotEnabledError",
    "RetriesExhaustedError",
    "TargetNotFoundError",
    "UndetachablePolicyError",
    "guard_before_delete",
    "register_guard",
]

if in_program_run():
    register_guard()
