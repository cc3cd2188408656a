"""Identifier formats of AWS Organizations and of a PolicyAttachment.

Patterns come from the Organizations API model. The model's own TargetId
regex anchors only its first and last alternative, so each alternative is
matched here in full (``re.fullmatch``).

A PolicyAttachment's ID is ``"<target_id>:<policy_id>"``, the format Terraform
and pulumi-aws import with; :func:`attachment_id` builds it and
:func:`parse_attachment_id` is its only parser.
"""

from __future__ import annotations

import re
from typing import Optional

from .errors import InvalidAttachmentIdError

SEPARATOR = ":"

POLICY_ID = re.compile(r"p-[0-9a-zA-Z_]{8,128}")
ROOT_ID = re.compile(r"r-[0-9a-z]{4,32}")
ACCOUNT_ID = re.compile(r"\d{12}")
OU_ID = re.compile(r"ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}")

ROOT = "ROOT"
ORGANIZATIONAL_UNIT = "ORGANIZATIONAL_UNIT"
ACCOUNT = "ACCOUNT"

_TARGET_PATTERNS = ((ROOT, ROOT_ID), (ORGANIZATIONAL_UNIT, OU_ID), (ACCOUNT, ACCOUNT_ID))

POLICY_ID_HINT = "a policy ID looks like p-examplepolicyid111 (p- and 8 to 128 letters, digits or _)"
TARGET_ID_HINT = (
    "a target ID is a root (r-examplerootid111), an OU (ou-exampleroot-exampleouid) "
    "or a 12-digit account ID"
)


def target_type(target_id: str) -> Optional[str]:
    """Return ``ROOT``, ``ORGANIZATIONAL_UNIT`` or ``ACCOUNT`` for a well-formed
    target ID, ``None`` for anything else."""
    if not isinstance(target_id, str):
        return None
    for kind, pattern in _TARGET_PATTERNS:
        if pattern.fullmatch(target_id):
            return kind
    return None


def is_policy_id(policy_id: object) -> bool:
    """True when ``policy_id`` is a string in the Organizations policy ID format."""
    return isinstance(policy_id, str) and POLICY_ID.fullmatch(policy_id) is not None


def attachment_id(target_id: str, policy_id: str) -> str:
    """Build the resource ID of the attachment of ``policy_id`` to ``target_id``."""
    return f"{target_id}{SEPARATOR}{policy_id}"


def parse_attachment_id(resource_id: str) -> tuple[str, str]:
    """Split a resource ID into ``(target_id, policy_id)``.

    Raises :class:`InvalidAttachmentIdError` unless the ID is exactly
    ``TARGETID:POLICYID`` with both halves well formed.
    """
    parts = resource_id.split(SEPARATOR) if isinstance(resource_id, str) else []
    if len(parts) != 2 or target_type(parts[0]) is None or not is_policy_id(parts[1]):
        raise InvalidAttachmentIdError(resource_id=resource_id)
    return parts[0], parts[1]
