"""One exception class per failure of ``python -m program.adopt`` that a user can act on.

Each renders as a headline line, then short lines (``str()``); ``exit_code`` is what
the command exits with: 2 for a bad argument (the command line or the stack file it
names), 1 when the organization could not be read or the result would be refused.
Nothing here calls AWS.
"""

from __future__ import annotations

from typing import Any, ClassVar


class AdoptError(Exception):
    """Base class: every failure the command reports on purpose."""

    headline: ClassVar[str] = "Could not adopt the organization's attachments."
    details: ClassVar[tuple[str, ...]] = ()
    exit_code: ClassVar[int] = 1

    def __init__(self, **fields: Any) -> None:
        self.fields = fields
        lines = [self.headline.format(**fields), *(d.format(**fields) for d in self.details)]
        super().__init__("\n".join(lines))


class UsageError(AdoptError):
    """Base class of the bad-argument failures (exit code 2)."""

    exit_code = 2


class BadArgumentError(UsageError):
    """Raised for a command line argparse refuses (a missing or unknown option)."""

    headline = "{prog}: {problem} (see --help)."


class StackFileNotFoundError(UsageError):
    """Raised when ``Pulumi.<stack>.yaml`` is not in the project folder."""

    headline = "No stack settings file {path}: is {stack!r} the stack's name, and --cwd its project folder?"


class StackFileUnreadableError(UsageError):
    """Raised when the stack settings file is not YAML or not a mapping."""

    headline = "Cannot read the stack settings file {path}: {problem}"


class UnknownPolicyTypeError(UsageError):
    """Raised for a ``--types`` entry that is not a policy type of botocore's model."""

    headline = "Unknown policy type {policy_type!r} in --types{suggestion}; known types: {known}."


class PolicyTypeDisabledError(UsageError):
    """Raised for a ``--types`` entry that is not enabled on the organization's root."""

    headline = ("Policy type {policy_type} is not enabled in this organization (its root {root_id} "
                "enables {enabled}): nothing of it can be attached.")


class SubtreeNotFoundError(UsageError):
    """Raised when ``--under`` names no OU (or names it ambiguously)."""

    headline = "--under {under!r} {problem}: {hint}"


class ReadDeniedError(AdoptError):
    """Raised when AWS refuses one of the read-only calls: one line, naming the action."""

    headline = ("AWS denied organizations:{operation}: adopt needs the read-only actions in README "
                "(Using it on a real organization), from the management account or a delegated administrator.")


class OrganizationReadError(AdoptError):
    """Raised when the organization could not be read for another reason (connection,
    retries exhausted, an unexpected answer); the AWS layer's message follows."""

    headline = "Could not read the organization: {reason}"


class ConfigRefusedError(AdoptError):
    """Raised when the stack's config, as it is or with the adopted entries, is one
    the program would refuse: nothing is written."""

    headline = "{what} would be refused by the program, so nothing was written:"
    details = ("{reason}",)
