"""The guard hook's arguments, shaped as the engine sends them for a PolicyAttachment."""

from __future__ import annotations

import pulumi

from provider import schema

RESOURCE_TYPE = schema.ATTACHMENT_TYPE
SCP = "SERVICE_CONTROL_POLICY"
#: Stands in for the pickled provider, which the hooks never read.
PROVIDER_PLACEHOLDER = "gAR..."


def delete_args(policy_id: str, target_id: str, *, policy_type: str = SCP, name: str | None = None,
                skip_destroy: bool = False, target_type: str = "ACCOUNT") -> pulumi.ResourceHookArgs:
    """``before_delete`` of an attachment in state: its old inputs and outputs."""
    outs = {schema.POLICY_ID: policy_id, schema.TARGET_ID: target_id, schema.SKIP_DESTROY: skip_destroy,
            schema.TARGET_TYPE: target_type, schema.POLICY_TYPE: policy_type, schema.POLICY_NAME: name or policy_id,
            schema.PROVIDER_KEY: PROVIDER_PLACEHOLDER}
    ins = {k: outs[k] for k in (*schema.ATTACHMENT_INPUTS, schema.PROVIDER_KEY)}
    return pulumi.ResourceHookArgs(urn=f"urn:harness::{target_id}:{policy_id}", id=f"{target_id}:{policy_id}",
                                   name=f"{target_id}/{policy_id}", type=RESOURCE_TYPE,
                                   old_inputs=ins, old_outputs=outs)
