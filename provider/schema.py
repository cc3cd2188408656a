"""The resources' schema in one place: property names per resource (inputs the
engine stores, outputs the provider returns, hints the program sends and
``check`` drops), the type tokens the engine records, and the key the SDK keeps
a dynamic resource's pickled provider under.

Hints carry what only the program knows (where it declared a resource, its
``delete_before_replace`` option, the preview's plan) to ``check``; ``check``
removes them from the inputs it returns, so they never reach state and
rewording one is no diff.
"""

from __future__ import annotations

from typing import Final

#: The property the SDK keeps a dynamic resource's pickled provider in.
PROVIDER_KEY: Final = "__provider"

# -- PolicyAttachment ------------------------------------------------------------------

POLICY_ID: Final = "policy_id"
TARGET_ID: Final = "target_id"
SKIP_DESTROY: Final = "skip_destroy"
TARGET_TYPE: Final = "target_type"
POLICY_TYPE: Final = "policy_type"
POLICY_NAME: Final = "policy_name"
#: The ID given with ``import_`` (PolicyAttachment adopts instead of importing): an input.
IMPORT_ID: Final = "import_id"

ATTACHMENT_INPUTS: Final = (POLICY_ID, TARGET_ID, SKIP_DESTROY)
ATTACHMENT_OUTPUTS: Final = (POLICY_ID, TARGET_ID, SKIP_DESTROY, TARGET_TYPE, POLICY_TYPE, POLICY_NAME)

#: Hint: where the program declared the resource (its stack config entry), for messages.
DECLARED_AT: Final = "declared_at"
#: Hint: the resource was declared with ``delete_before_replace``: a replace on the
#: same target detaches the old policy before attaching the new one.
DELETES_FIRST: Final = "delete_before_replace"
ATTACHMENT_HINTS: Final = (DECLARED_AT, DELETES_FIRST)

ATTACHMENT_TYPE: Final = "pulumi-python:dynamic/organizations:PolicyAttachment"

# -- ExclusivePolicies -------------------------------------------------------------------

POLICY_IDS: Final = "policy_ids"
#: Inputs ``check`` fills with the planned calls ("Name (p-id)") in a preview.
ATTACH: Final = "attach"
DETACH: Final = "detach"
#: Outputs: what the set found on the target when it was created, and what is attached.
FOUND: Final = "found"
ATTACHED: Final = "attached"
#: Hint, set in previews only: ``check`` then shows the plan in ``attach`` / ``detach``,
#: and in an update leaves them empty, so stored inputs never carry a plan already applied.
SHOW_PLAN: Final = "show_plan"
EXCLUSIVE_HINTS: Final = (SHOW_PLAN,)
EXCLUSIVE_OUTPUTS: Final = (TARGET_ID, POLICY_TYPE, POLICY_IDS, SKIP_DESTROY, TARGET_TYPE, FOUND, ATTACHED,
                            ATTACH, DETACH)

EXCLUSIVE_TYPE: Final = "pulumi-python:dynamic/organizations:ExclusivePolicies"

#: The Pulumi module and names the two resource classes register under.
MODULE: Final = "organizations"
ATTACHMENT_NAME: Final = "PolicyAttachment"
EXCLUSIVE_NAME: Final = "ExclusivePolicies"


def without_hints(props: dict, hints: tuple[str, ...]) -> tuple[dict, dict]:
    """``(inputs, hints)``: ``props`` split into what is stored and what ``check`` reads and drops."""
    inputs = {key: value for key, value in props.items() if key not in hints}
    return inputs, {key: props[key] for key in hints if key in props}
