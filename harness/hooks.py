"""The guard hook's arguments, shaped as the engine sends them for a PolicyAttachment."""

from __future__ import annotations

import pulumi

RESOURCE_TYPE = "pulumi-python:dynamic/organizations:PolicyAttachment"
SCP = "SERVICE_CONTROL_POLICY"
#: Stands in for the pickled provider, which the hooks never read.
PROVIDER_PLACEHOLDER = "gAR..."


def delete_args(policy_id: str, target_id: str, *, policy_type: str = SCP, name: str | None = None,
                skip_destroy: bool = False, target_type: str = "ACCOUNT") -> pulumi.ResourceHookArgs:
    """``before_delete`` of an attachment in state: its old inputs and outputs."""
    outs = {"policy_id": policy_id, "target_id": target_id, "skip_destroy": skip_destroy,
            "target_type": target_type, "policy_type": policy_type, "policy_name": name or policy_id,
            "__provider": PROVIDER_PLACEHOLDER}
    ins = {k: outs[k] for k in ("policy_id", "target_id", "skip_destroy", "__provider")}
    return pulumi.ResourceHookArgs(urn=f"urn:harness::{target_id}:{policy_id}", id=f"{target_id}:{policy_id}",
                                   name=f"{target_id}/{policy_id}", type=RESOURCE_TYPE,
                                   old_inputs=ins, old_outputs=outs)
