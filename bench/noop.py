"""The floor of Pulumi's dynamic-provider mechanism: a resource whose provider
does nothing.

Same inputs and names as a PolicyAttachment, no AWS call, no hook. The engine
section of the benchmark compares our stacks with stacks of these, so the
ratio shows what this project adds on top of what any Python dynamic provider
costs. It lives in an importable module so that, like ours, its provider
pickles by reference.
"""

from __future__ import annotations

from typing import Any, Optional

import pulumi
from pulumi.dynamic import CreateResult, ResourceProvider

from provider.sdk_compat import pickler_restored


class NoopProvider(ResourceProvider):
    """Creates, updates and deletes nothing anywhere."""

    serialize_as_secret_always = False

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(f"{props['target_id']}:{props['policy_id']}", props)


class NoopAttachment(pulumi.dynamic.Resource, module="bench", name="NoopAttachment"):
    """A PolicyAttachment look-alike served by :class:`NoopProvider`."""

    def __init__(self, resource_name: str, policy_id: str, target_id: str,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        props = {"policy_id": policy_id, "target_id": target_id, "skip_destroy": False}
        with pickler_restored():  # the floor needs the SDK workaround too past ~985 resources
            super().__init__(NoopProvider(), resource_name, props, opts)
