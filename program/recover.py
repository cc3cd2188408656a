"""Recover a stack after an update was killed (SIGKILL, a cancelled CI job, a lost machine).

A killed ``pulumi up`` leaves three things behind, each of which stops the next command:

* the stack's **lock** (``the stack is currently locked``): released with ``pulumi cancel``;
* with a ``file://`` backend, sometimes a **torn attributes file** next to the checkpoint
  (``<stack>.json.attrs`` of 0 bytes, written in place while the checkpoint itself is written
  to a temporary file and renamed): ``failed to load checkpoint: EOF``. An empty attributes
  file holds nothing, so removing it loses nothing;
* **pending operations**: the engine records "creating" before it calls the provider and
  the result after. For a PolicyAttachment the pending create's inputs say which pair it was,
  so AWS can say whether the attach went out: attached -> recorded in state as created (the
  outputs the provider's create would have returned), not attached -> dropped, and the next
  ``pulumi up`` attaches it. Without this the next ``up`` would find the pair "already
  attached" and stop. A pending delete or update of an attachment is dropped: the resource is
  still in state, and delete treats "already gone" as done.

``pulumi stack import`` drops *every* pending operation, so when a pending operation of
another resource type is there (a policy the stack creates through pulumi-aws), this module
changes no state and names them: resolve those first (``pulumi refresh
--import-pending-creates <urn> <id>`` or ``--clear-pending-creates``), then run it again.

:func:`recover` does all of it on an Automation API stack; ``python -m program.recover``
runs it on a stack of this project. Then ``pulumi up`` finishes the update.
"""

from __future__ import annotations

import argparse
import sys
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, cast

from pulumi import automation as auto

from provider import (
    OrganizationsApi,
    PolicyAttachmentError,
    PolicySummary,
    attachment_outputs,
    ids,
    schema,
    stack_settings,
)

from .stack import PROJECT_DIR


@dataclass
class Recovery:
    """What :func:`recover` found and did; ``str()`` is the report a user reads."""

    #: why ``pulumi cancel`` failed, if it did (a backend with no update to cancel may say so)
    cancel_error: str = ""
    repaired_files: list[str] = field(default_factory=list)
    recorded: list[str] = field(default_factory=list)  # attached in AWS: now in state
    dropped: list[str] = field(default_factory=list)  # not attached (or delete/update): the next up redoes it
    left: list[str] = field(default_factory=list)  # other resource types: nothing changed

    def __str__(self) -> str:
        lines = [
            f"`pulumi cancel` failed ({self.cancel_error}); going on" if self.cancel_error
            else "released the stack's lock (`pulumi cancel`)",
            *(f"removed the empty {name} a killed write left" for name in self.repaired_files),
            f"{len(self.recorded)} attachment(s) the killed update made: recorded in state",
            f"{len(self.dropped)} pending operation(s) that did not reach AWS: dropped, "
            "`pulumi up` does them",
        ]
        if self.left:
            lines = lines[:-2] + [
                f"{len(self.left)} pending operation(s) of other resources: {', '.join(self.left)}. "
                "State NOT changed. Resolve those first with `pulumi refresh "
                "--import-pending-creates <urn> <id>` (or `--clear-pending-creates` for what "
                "does not exist), then run this command again."]
        return "\n".join(lines)


def recover(stack: auto.Stack, api: Optional[OrganizationsApi] = None) -> Recovery:
    """Release the lock, repair a torn state file, resolve pending attachment operations."""
    result = Recovery()
    result.repaired_files = repair_file_backend(stack.workspace, stack.name)
    result.cancel_error = _cancel(stack)
    deployment = stack.export_stack()
    # edited in place and imported back: the SDK types it as an optional read-only Mapping
    state = cast(dict[str, Any], deployment.deployment)
    pending = state.get("pending_operations") or []
    if not pending:
        return result
    result.left = [f"{op.get('type')} {_name(op)}" for op in pending
                   if op.get("resource", {}).get("type") != schema.ATTACHMENT_TYPE]
    if result.left:
        return result  # importing would drop them: the user resolves them first
    api = api or _api(stack)
    for operation in pending:
        resource = operation.get("resource", {})
        policy = _attached_policy(api, resource) if operation.get("type") == "creating" else None
        if policy is not None:
            state.setdefault("resources", []).append(_as_created(resource, policy))
            result.recorded.append(_name(operation))
        else:
            result.dropped.append(f"{operation.get('type')} {_name(operation)}")
    state["pending_operations"] = []
    stack.import_stack(deployment)
    return result


def _name(operation: dict[str, Any]) -> str:
    return str(operation.get("resource", {}).get("urn", "?")).rsplit("::", 1)[-1]


def repair_file_backend(workspace: auto.Workspace, stack_name: str) -> list[str]:
    """Remove empty ``.attrs`` files of the checkpoint of ``stack_name`` in a ``file://``
    backend. Needs no selected stack: selecting one loads the checkpoint, which a torn
    file fails ("failed to load checkpoint: EOF")."""
    url = workspace.who_am_i().url or ""
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme != "file":
        return []
    stacks = Path(urllib.parse.unquote(parsed.path)) / ".pulumi" / "stacks"
    stack_name = stack_name.rsplit("/", 1)[-1]
    project = workspace.project_settings().name
    removed = []
    # Project-scoped layout first, then the legacy one (stacks/<stack>.json).
    for attrs in [*(stacks / project).glob(f"{stack_name}.json*.attrs"),
                  *stacks.glob(f"{stack_name}.json*.attrs")]:
        if attrs.stat().st_size == 0:
            attrs.unlink()
            removed.append(attrs.name)
    return removed


def _cancel(stack: auto.Stack) -> str:
    """``pulumi cancel`` (it removes a ``file://`` or cloud stack's lock); '' or why it failed.

    A failure is reported, not raised: a backend with nothing to cancel may answer with an
    error, and a lock that really stayed makes the state import below fail with the CLI's
    own message.
    """
    try:
        stack.cancel()
    except auto.CommandError as err:
        return " ".join(str(err).split())[:300]
    return ""


def _api(stack: auto.Stack) -> OrganizationsApi:
    config = {key: value.value for key, value in stack.get_all_config().items()}
    return stack_settings(config.get).api()


def _pair(resource: dict[str, Any]) -> tuple[str, str]:
    inputs = resource.get("inputs") or {}
    return str(inputs[schema.TARGET_ID]), str(inputs[schema.POLICY_ID])


def _attached_policy(api: OrganizationsApi, resource: dict[str, Any]) -> Optional[PolicySummary]:
    """The pending create's policy if AWS shows the pair attached, else None (two read calls)."""
    target_id, policy_id = _pair(resource)
    policy = api.describe_policy(policy_id)
    if policy is None:
        return None
    attached = api.policies_for_target(target_id, policy.type) or []
    return policy if any(p.id == policy_id for p in attached) else None


def _as_created(resource: dict[str, Any], policy: PolicySummary) -> dict[str, Any]:
    """The state entry the provider's create would have left for this pending create."""
    target_id, policy_id = _pair(resource)
    inputs = dict(resource.get("inputs") or {})
    outputs = attachment_outputs(policy_id, target_id, bool(inputs.get(schema.SKIP_DESTROY, False)), policy)
    if schema.PROVIDER_KEY in inputs:
        outputs[schema.PROVIDER_KEY] = inputs[schema.PROVIDER_KEY]
    return {**resource, "id": ids.attachment_id(target_id, policy_id), "outputs": outputs}


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m program.recover",
        description="Make a stack usable again after a killed `pulumi up`; then run `pulumi up`.")
    parser.add_argument("--stack", required=True, help="the stack's name (as in `pulumi stack ls`)")
    parser.add_argument("--cwd", type=Path, default=PROJECT_DIR,
                        help="the project folder (default: this project)")
    args = parser.parse_args(argv)
    try:
        workspace = auto.LocalWorkspace(work_dir=str(args.cwd))
        repaired = repair_file_backend(workspace, args.stack)  # first: a torn file fails the selection
        result = recover(auto.Stack.select(args.stack, workspace))
        result.repaired_files = repaired + result.repaired_files
    except auto.StackNotFoundError:
        print(f"error: no stack {args.stack!r} in the backend Pulumi uses from {args.cwd} "
              "(see `pulumi stack ls`; PULUMI_BACKEND_URL or `pulumi login` choose the backend)",
              file=sys.stderr)
        return 2
    except auto.CommandError as err:
        print(f"error: a Pulumi command failed; nothing more was changed: {err}", file=sys.stderr)
        return 1
    except PolicyAttachmentError as err:
        print(f"error: could not ask AWS about the pending attachments; state unchanged: {err}",
              file=sys.stderr)
        return 1
    print(result)
    if result.left:
        return 1
    print("Now run `pulumi up` to finish the update.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
