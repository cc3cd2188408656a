"""Manage AWS Organizations policy attachments as code with Pulumi.

The public surface, the same for this project's program and for your own:
the resources (:class:`PolicyAttachment`, :class:`ExclusivePolicies`), the
plan-time guard's calls for a program run (:func:`register_guard`,
:func:`label_resources`, :func:`expect_new_policy`), the stack settings and
limits, the AWS layer the program resolves names with, and one exception class
per failure a user can act on.

Importing this package inside a Pulumi program run registers the guard's hooks
for that run (the engine needs them even in a run that declares no attachment);
importing it anywhere else (the provider process, tests, tools) creates nothing.
"""

from . import ids, names, schema
from .aws import OrganizationsApi, PolicySummary, RootSummary, TargetSummary, policy_types
from .errors import (
    AccessDeniedError,
    AlreadyAttachedError,
    AwsCallError,
    AwsConnectionError,
    AwsLimitExceededError,
    CheckNotPossibleError,
    ExclusiveConflictError,
    ExclusiveHandoverError,
    ExclusiveOrderError,
    ExclusiveRestoreError,
    ExclusiveTakeoverError,
    ImportIdMismatchError,
    InvalidAttachmentIdError,
    LastPolicyError,
    LockoutError,
    Message,
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
from .guard import (
    ConflictingDeclarationsError,
    expect_new_policy,
    in_caller_context,
    in_program_run,
    judge_removals,
    label_resources,
    off_loop,
    register_guard,
    run_lookups,
    summarised_removals,
)
from .limits import (
    AWS_LIMITS,
    CONFIG_KEY,
    SERVICE_CONTROL_POLICY,
    Limits,
    LimitsConfigError,
    TypeLimits,
    limits_from_config,
)
from .lookups import Lookups
from .resource import PolicyAttachment, PolicyAttachmentProvider, attachment_outputs
from .sdk_compat import pickler_restored
from .settings import StackSettings, stack_config, stack_settings

__all__ = [
    "AWS_LIMITS",
    "AccessDeniedError",
    "AlreadyAttachedError",
    "AwsCallError",
    "AwsConnectionError",
    "AwsLimitExceededError",
    "CONFIG_KEY",
    "CheckNotPossibleError",
    "ConflictingDeclarationsError",
    "ExclusiveConflictError",
    "ExclusiveHandoverError",
    "ExclusiveOrderError",
    "ExclusivePolicies",
    "ExclusivePoliciesProvider",
    "ExclusiveRestoreError",
    "ExclusiveTakeoverError",
    "ImportIdMismatchError",
    "InvalidAttachmentIdError",
    "LastPolicyError",
    "Limits",
    "LimitsConfigError",
    "LockoutError",
    "Lookups",
    "Message",
    "OrganizationsApi",
    "OrganizationsNotInUseError",
    "PolicyAttachment",
    "PolicyAttachmentError",
    "PolicyAttachmentProvider",
    "PolicyLimitExceededError",
    "PolicyNotFoundError",
    "PolicySummary",
    "PolicyTypeMismatchError",
    "PolicyTypeNotEnabledError",
    "RetriesExhaustedError",
    "RootSummary",
    "SERVICE_CONTROL_POLICY",
    "StackSettings",
    "TargetNotFoundError",
    "TargetSummary",
    "TypeLimits",
    "UndetachablePolicyError",
    "attachment_outputs",
    "expect_new_policy",
    "ids",
    "judge_removals",
    "label_resources",
    "limits_from_config",
    "names",
    "in_caller_context",
    "off_loop",
    "pickler_restored",
    "policy_types",
    "register_guard",
    "run_lookups",
    "schema",
    "stack_config",
    "stack_settings",
    "summarised_removals",
]

if in_program_run():
    register_guard()
