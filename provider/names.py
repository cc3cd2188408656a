"""How messages and summaries name things: policy types, policies, targets.

Pure: names in, text out. A reviewer reads targets by their place in the
organization, with the ID next to it, so a message still says which target it
means when its entry has left the stack config: ``Root/Workloads/Prod
(ou-ab12-cdef3456)``, ``account sandbox-1 (123456789012)``, ``Root (r-ab12)``.
"""

from __future__ import annotations

from typing import Optional

from . import ids
from .limits import SERVICE_CONTROL_POLICY

ROOT_NAME = "Root"
OU_SEPARATOR = "/"


def policy_type_label(policy_type: str) -> str:
    """Human name of a policy type for messages: "service control policy (SCP)"."""
    if policy_type == SERVICE_CONTROL_POLICY:
        return "service control policy (SCP)"
    if policy_type == "RESOURCE_CONTROL_POLICY":
        return "resource control policy (RCP)"
    return policy_type.lower().replace("_", " ")


def policy_display(policy_id: str, name: Optional[str]) -> str:
    """``"Name (p-id)"``, or the bare ID when the name is unknown."""
    return f"{name} ({policy_id})" if name and name != policy_id else policy_id


def target_kind(target_id: str) -> str:
    """"root", "organizational unit" or "account" for messages ("target" if malformed)."""
    kind = ids.target_type(target_id)
    return {ids.ROOT: "root", ids.ORGANIZATIONAL_UNIT: "organizational unit", ids.ACCOUNT: "account"}.get(
        kind or "", "target")


def target_display(target_id: str, name: Optional[str]) -> str:
    """A target for messages: ``name`` is the root's ``Root``, an OU's path from the
    root, or an account's name; the bare ID when it is unknown."""
    if not name or name == target_id:
        return target_id
    prefix = "account " if ids.target_type(target_id) == ids.ACCOUNT else ""
    return f"{prefix}{name} ({target_id})"


def ou_path(names_from_root: list[str]) -> str:
    """``Root/A/B`` from the OU names below the root, top first."""
    return OU_SEPARATOR.join([ROOT_NAME, *names_from_root])
