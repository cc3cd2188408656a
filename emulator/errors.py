"""AWS-shaped JSON error responses, as the Organizations JSON protocol sends them.

botocore's JSON parser takes the error code from ``__type`` and the message from ``Message``
(botocore/parsers.py, ``BaseJSONParser._do_error_parse``); for an error shape the service model
declares, it also copies the modeled members (``Reason`` of ConstraintViolationException and
InvalidInputException, ``Type`` of TooManyRequestsException) to the top level of
``err.response``. So ``{"__type": "ConstraintViolationException", "Message": ..., "Reason": ...}``
with status 400 reaches boto3 as ``err.response["Error"]["Code"]`` and ``err.response["Reason"]``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .wsgi import StartResponse

JSON_CONTENT_TYPE = "application/x-amz-json-1.1"

# ConstraintViolationException reasons (ConstraintViolationExceptionReason in the model).
MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED = "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED"
MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED = "MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED"
POLICY_CONTENT_LIMIT_EXCEEDED = "POLICY_CONTENT_LIMIT_EXCEEDED"
# InvalidInputException reasons (InvalidInputExceptionReason in the model).
INPUT_REQUIRED = "INPUT_REQUIRED"
INVALID_PATTERN_TARGET_ID = "INVALID_PATTERN_TARGET_ID"
INVALID_SYNTAX_POLICY_ID = "INVALID_SYNTAX_POLICY_ID"
NON_DETACHABLE_POLICY = "NON_DETACHABLE_POLICY"


@dataclass(frozen=True)
class AwsError:
    """One AWS error response: code, message, HTTP status and the modeled extra fields."""

    code: str
    message: str
    status: int = 400
    fields: Mapping[str, str] = field(default_factory=dict)

    def body(self) -> bytes:
        return json.dumps({"__type": self.code, "Message": self.message, **self.fields}).encode()

    def __call__(self, start_response: StartResponse) -> Iterable[bytes]:
        """Answer a WSGI request with this error."""
        body = self.body()
        start_response(
            f"{self.status} {'Internal Server Error' if self.status >= 500 else 'Bad Request'}",
            [
                ("Content-Type", JSON_CONTENT_TYPE),
                ("Content-Length", str(len(body))),
                ("x-amzn-RequestId", str(uuid.uuid4())),
            ],
        )
        return [body]


def policy_not_attached() -> AwsError:
    return AwsError(
        "PolicyNotAttachedException",
        "The policy isn't attached to the specified target in the specified root.",
    )


def duplicate_policy_attachment() -> AwsError:
    return AwsError(
        "DuplicatePolicyAttachmentException",
        "The selected policy is already attached to the specified target.",
    )


def min_attachment_limit() -> AwsError:
    return AwsError(
        "ConstraintViolationException",
        "You cannot remove the last policy attached to the specified target. "
        "You must have at least one attached at all times.",
        fields={"Reason": MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED},
    )


def max_attachment_limit() -> AwsError:
    return AwsError(
        "ConstraintViolationException",
        "You have attached the maximum number of policies to the specified target.",
        fields={"Reason": MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED},
    )


def policy_content_limit() -> AwsError:
    """CreatePolicy / UpdatePolicy with a document longer than its type allows."""
    return AwsError(
        "ConstraintViolationException",
        "You have exceeded the maximum policy size.",
        fields={"Reason": POLICY_CONTENT_LIMIT_EXCEEDED},
    )


def non_detachable_policy() -> AwsError:
    """Detaching RCPFullAWSAccess.

    The model has a reason made for this, ``NON_DETACHABLE_POLICY`` ("You can't detach this
    Amazon Web Services Managed Policy."), and it belongs to InvalidInputException, not to
    ConstraintViolationException, so that is what the emulator answers.
    """
    return AwsError(
        "InvalidInputException",
        "You can't detach this Amazon Web Services Managed Policy.",
        fields={"Reason": NON_DETACHABLE_POLICY},
    )


def policy_type_not_enabled() -> AwsError:
    return AwsError(
        "PolicyTypeNotEnabledException",
        "The specified policy type isn't currently enabled in this root. You can't attach "
        "policies of the specified type to entities in a root until you enable that type "
        "in the root.",
    )


def target_not_found() -> AwsError:
    return AwsError(
        "TargetNotFoundException",
        "We can't find a root, OU, account, or policy with the TargetId that you specified.",
    )


def policy_not_found() -> AwsError:
    return AwsError(
        "PolicyNotFoundException", "We can't find a policy with the PolicyId that you specified."
    )


def invalid_input(reason: str, message: str) -> AwsError:
    return AwsError("InvalidInputException", message, fields={"Reason": reason})


# Faults: the transient errors a caller must retry. Messages are AWS's (service model).
TOO_MANY_REQUESTS = "TooManyRequestsException"
CONCURRENT_MODIFICATION = "ConcurrentModificationException"
POLICY_CHANGES_IN_PROGRESS = "PolicyChangesInProgressException"
SERVICE_EXCEPTION = "ServiceException"
FINALIZING_ORGANIZATION = "FinalizingOrganizationException"

FAULTS: Mapping[str, AwsError] = {
    TOO_MANY_REQUESTS: AwsError(
        TOO_MANY_REQUESTS,
        "You have sent too many requests in too short a period of time. "
        "The quota helps protect against denial-of-service attacks. Try again later.",
        # The model's ExceptionType member; AWS does not document its values.
        fields={"Type": "Throttling"},
    ),
    CONCURRENT_MODIFICATION: AwsError(
        CONCURRENT_MODIFICATION,
        "AWS Organizations can't complete your request because it conflicts with another "
        "attempt to modify the same entity. Try again later.",
    ),
    POLICY_CHANGES_IN_PROGRESS: AwsError(
        POLICY_CHANGES_IN_PROGRESS,
        "Changes to the effective policy are in progress, and its contents can't be returned. "
        "Try the operation again later.",
    ),
    FINALIZING_ORGANIZATION: AwsError(
        FINALIZING_ORGANIZATION,
        "AWS Organizations couldn't perform the operation because your organization hasn't "
        "finished initializing. This can take up to an hour. Try again later. If after one hour "
        "you continue to receive this error, contact Amazon Web Services Support.",
    ),
    SERVICE_EXCEPTION: AwsError(
        SERVICE_EXCEPTION,
        "AWS Organizations can't complete your request because of an internal service error. "
        "Try again later.",
        status=500,
    ),
}
