"""program.recover on states a killed update leaves, made exactly: each pending operation gets
the outcome its table row says, a torn checkpoint attributes file is removed, and the engine
then sees the recovered attachments as its own (real CLI in the project folder, local endpoint)."""

from __future__ import annotations

import copy
import json
import subprocess
from typing import Any

from pulumi import automation as auto

from harness.cli import Project
from program.recover import recover
from provider.schema import ATTACHMENT_TYPE


def pending(template: dict[str, Any], kind: str, target: str, policy: str, type_: str = ATTACHMENT_TYPE) -> dict[str, Any]:
    """A pending operation as the engine records it before calling the provider."""
    resource = copy.deepcopy(template)
    resource["urn"] = resource["urn"].rsplit("::", 2)[0] + f"::{type_}::{target}/{policy}"
    resource["type"] = type_
    resource["inputs"].update(target_id=target, policy_id=policy)
    for key in ("id", "outputs", "created", "modified"):
        resource.pop(key, None)
    return {"resource": resource, "type": kind}


def write_pending(project: Project, stack: str, operations: list[dict[str, Any]]) -> None:
    """Put ``operations`` in the stack's checkpoint as a killed update leaves them (``pulumi
    stack import`` would drop them), with the torn attributes file such a kill can leave."""
    checkpoint = next((project.state_dir / ".pulumi" / "stacks").glob(f"*/{stack}.json"))
    data = json.loads(checkpoint.read_text())
    data["checkpoint"]["latest"]["pending_operations"] = operations
    checkpoint.write_text(json.dumps(data))
    checkpoint.with_name(checkpoint.name + ".attrs").write_bytes(b"")


def workspace_stack(project: Project, name: str) -> auto.Stack:
    """The stack as program.recover's command opens it: a LocalWorkspace over the project folder."""
    return auto.select_stack(stack_name=name, work_dir=str(project.folder),
                             opts=auto.LocalWorkspaceOptions(env_vars=project.env))


def test_each_pending_operation_gets_its_outcome_and_the_engine_agrees(project, endpoint, org, orgs_client):
    accounts, policies = org["accounts"], org["policies"]
    a = (accounts["sandbox-1"], policies["RestrictRegions"])
    made = (accounts["sandbox-1"], policies["DenyRootUser"])  # attached, answer lost
    lost = (accounts["prod-app"], policies["RestrictRegions"])  # never reached AWS
    declared = {a[0]: [a[1], made[1]], lost[0]: [lost[1]]}
    config = {"aws:region": "us-east-1", "org-policies:attachments": {a[0]: [a[1]]}}
    project.select("rec", config)
    project.up()
    orgs_client.attach_policy(TargetId=made[0], PolicyId=made[1])  # the killed update's attach
    existing = next(r for r in project.export()["resources"] if r["type"] == ATTACHMENT_TYPE)
    stack = workspace_stack(project, "rec")
    write_pending(project, "rec", [
        pending(existing, "creating", *made),   # row: attached in AWS -> recorded
        pending(existing, "creating", *lost),   # row: not attached -> dropped, up creates it
        {"resource": copy.deepcopy(existing), "type": "deleting"},  # row: delete -> dropped, kept in state
    ])

    result = recover(stack)

    assert result.repaired_files == ["rec.json.attrs"]
    assert [name for name in result.recorded] == [f"{made[0]}/{made[1]}"]
    assert result.dropped == [f"creating {lost[0]}/{lost[1]}", f"deleting {a[0]}/{a[1]}"]
    state = project.export()
    assert not state.get("pending_operations")
    recorded = {r["id"]: r for r in state["resources"] if r["type"] == ATTACHMENT_TYPE}
    assert set(recorded) == {f"{a[0]}:{a[1]}", f"{made[0]}:{made[1]}"}
    assert recorded[f"{made[0]}:{made[1]}"]["outputs"] == {
        **{k: v for k, v in recorded[f"{a[0]}:{a[1]}"]["outputs"].items()},
        "policy_id": made[1], "policy_name": "DenyRootUser"}
    # The engine now finishes the update: the lost one is created, the made one is its own.
    project.write_config("rec", {**config, "org-policies:attachments": declared})
    endpoint.control.reset_calls()
    assert project.up() == {"create": 1, "update": 1, "same": 3}  # update: the stack's record
    assert endpoint.control.calls().get("AttachPolicy") == 1


def test_pending_operations_of_other_resources_change_nothing_and_are_named(project, endpoint, org):
    config = {"aws:region": "us-east-1", "org-policies:attachments": {org["root"]: ["RestrictRegions"]}}
    project.select("other", config)
    project.up()
    existing = next(r for r in project.export()["resources"] if r["type"] == ATTACHMENT_TYPE)
    ours = pending(existing, "creating", org["accounts"]["prod-app"], org["policies"]["RestrictRegions"])
    others = [pending(existing, kind, "x", kind, type_="aws:organizations/policy:Policy")
              for kind in ("creating", "updating")]
    stack = workspace_stack(project, "other")
    write_pending(project, "other", [ours, *others])

    result = recover(stack)

    assert result.left == ["creating x/creating", "updating x/updating"]
    assert not result.recorded and not result.dropped
    assert "State NOT changed" in str(result) and "--import-pending-creates" in str(result)
    assert len(stack.export_stack().deployment["pending_operations"]) == 3


def test_the_command_repairs_a_torn_attributes_file_before_it_selects_the_stack(project, endpoint, org):
    """``python -m program.recover`` in the project folder, as the README has it: selecting
    a stack loads its checkpoint, which the empty attributes file a kill can leave fails."""
    config = {"aws:region": "us-east-1", "org-policies:attachments": {org["root"]: ["RestrictRegions"]}}
    project.select("torn", config)
    project.up()
    write_pending(project, "torn", [])
    assert "failed to load checkpoint" in project.refused("preview")

    command = subprocess.run([".venv/bin/python", "-m", "program.recover", "--stack", "torn"], cwd=project.folder,
                             env=project.env, capture_output=True, text=True, timeout=300)
    assert command.returncode == 0, command.stderr
    assert "removed the empty torn.json.attrs a killed write left" in command.stdout
    assert project.preview() == {"same": 3}
